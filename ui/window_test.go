package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/uitest"
)

type fixture struct {
	store    *account.Store
	keys     *keychain.Memory
	env      map[string]string
	sandbox  *session.Sandbox
	sessions *openedSessions
	inputs   []string
	ui       *uiQueue
	win      *MainWindow
	bg       BackgroundDeps // watched folders and the tray (background_test.go)
	app      *recordingApp
}

// uiQueue stands in for the UI goroutine (see uitest.UIQueue).
type uiQueue = uitest.UIQueue

// settle runs background results on the test's goroutine until nothing new
// arrives for a while (the queue view flushes its events ten times a
// second).
func (fx *fixture) settle() {
	for quiet := 0; quiet < 4; {
		fx.win.Tasks().Wait()
		if fx.ui.Drain() > 0 {
			quiet = 0
			continue
		}
		quiet++
		time.Sleep(60 * time.Millisecond)
	}
}

func newFixture(t *testing.T, setup func(*fixture)) *fixture {
	t.Helper()
	ui := &uiQueue{}
	var a fyne.App = test.NewTempApp(t)
	a = ui.App(a)
	rec := &recordingApp{App: a}
	a = rec
	fyne.SetCurrentApp(a)
	fx := &fixture{ui: ui, app: rec,
		store: account.NewStore(t.TempDir()), keys: keychain.NewMemory(), env: map[string]string{},
		sandbox: session.NewSandbox(t.TempDir()), sessions: &openedSessions{dir: t.TempDir()},
	}
	t.Cleanup(func() { fx.sandbox.Close() })
	if setup != nil {
		setup(fx)
	}
	fx.win = New(a, Deps{
		Profiles: fx.store, Keychain: fx.keys,
		Getenv:     func(k string) string { return fx.env[k] },
		Icon:       fyne.NewStaticResource("icon.png", assets.Icon),
		Tasks:      bridge.NewQueuedTasks(),
		Open:       fx.sessions.open,
		Sandbox:    fx.sandbox,
		Inputs:     fx.inputs,
		Background: fx.bg,
	})
	t.Cleanup(fx.win.Close)
	fx.settle()
	fx.win.Window.Resize(fyne.NewSize(900, 560))
	return fx
}

func withWork(fx *fixture) {
	if err := fx.store.Put(account.Profile{Name: "Work", Cloud: "demo", APIKey: "123", Folder: "blog", Tags: []string{"a", "b"}}); err != nil {
		panic(err)
	}
	if err := fx.keys.Set(context.Background(), "Work", "work-secret-value"); err != nil {
		panic(err)
	}
}

func TestWindowShowsTheDefaultProfileInTheHeader(t *testing.T) {
	fx := newFixture(t, withWork)
	if fx.win.Window.Title() != "Cloudup" {
		t.Errorf("title = %q", fx.win.Window.Title())
	}
	if fx.win.switcher.Selected != "Work" {
		t.Errorf("switcher shows %q", fx.win.switcher.Selected)
	}
	want := "cloud demo · signed SHA-1 · secret in the system keychain · folder blog · tags a, b"
	if fx.win.summary.Text != want {
		t.Errorf("summary = %q\nwant %q", fx.win.summary.Text, want)
	}
	if c := fx.win.Current(); c.Source != account.SourceKeychain || !c.Secret.IsZero() {
		t.Errorf("current = %s, secret kept: %v", c.Source, !c.Secret.IsZero())
	}
	test.AssertRendersToImage(t, "main_profile.png", fx.win.Window.Canvas())
}

func TestWindowWithNothingConfiguredOffersTheSandbox(t *testing.T) {
	fx := newFixture(t, nil)
	if fx.win.switcher.Selected != account.SandboxName || !strings.HasPrefix(fx.win.summary.Text, "local sandbox") {
		t.Errorf("switcher %q, summary %q", fx.win.switcher.Selected, fx.win.summary.Text)
	}
	test.AssertRendersToImage(t, "main_sandbox.png", fx.win.Window.Canvas())
}

func TestWindowSwitchingProfilesMakesTheChoiceTheDefault(t *testing.T) {
	fx := newFixture(t, func(fx *fixture) {
		withWork(fx)
		fx.store.Put(account.Profile{Name: "Blog", Cloud: "blogcloud", Mode: account.Unsigned, Preset: "open"})
	})
	if def, _ := fx.store.DefaultName(); def != "Work" {
		t.Fatalf("opening the window changed the default to %q", def)
	}
	fx.win.switcher.SetSelected("Blog")
	fx.settle()
	if def, _ := fx.store.DefaultName(); def != "Blog" {
		t.Errorf("default = %q, want Blog", def)
	}
	if fx.win.summary.Text != "cloud blogcloud · unsigned, preset open" {
		t.Errorf("summary = %q", fx.win.summary.Text)
	}
}

func TestWindowMissingSecretSaysWhatToDo(t *testing.T) {
	fx := newFixture(t, func(fx *fixture) {
		fx.store.Put(account.Profile{Name: "Work", Cloud: "demo", APIKey: "123"})
	})
	if !strings.Contains(fx.win.summary.Text, "no secret stored") || !strings.Contains(fx.win.overview.hint.Text, "Open Settings") {
		t.Errorf("summary %q, hint %q", fx.win.summary.Text, fx.win.overview.hint.Text)
	}
}

func TestWindowPrefersCloudinaryURLAndNeverShowsTheSecret(t *testing.T) {
	const secret = "envSECRETvalue1234567"
	fx := newFixture(t, func(fx *fixture) {
		withWork(fx)
		fx.env[account.EnvVar] = "cloudinary://99:" + secret + "@envcloud"
	})
	if fx.win.switcher.Selected != envChoice || !strings.Contains(fx.win.summary.Text, "cloud envcloud from CLOUDINARY_URL") {
		t.Errorf("switcher %q, summary %q", fx.win.switcher.Selected, fx.win.summary.Text)
	}
	if markup := test.RenderToMarkup(fx.win.Window.Canvas()); strings.Contains(markup, secret) {
		t.Error("the window shows the secret")
	}
}

func TestWindowSettingsSaveUpdatesTheHeader(t *testing.T) {
	fx := newFixture(t, nil)
	fx.win.Window.Resize(fyne.NewSize(900, 900))
	form := fx.win.OpenSettings().Form()
	fx.settle()
	overlay := fx.win.Window.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("Settings did not open")
	}
	entries := map[string]*widget.Entry{}
	for _, o := range test.LaidOutObjects(overlay) {
		if e, ok := o.(*widget.Entry); ok {
			entries[e.PlaceHolder] = e
		}
	}
	test.Type(entries["e.g. Work"], "Studio")
	test.Type(entries["cloud name from the Cloudinary console"], "studiocloud")
	test.Type(entries["API key"], "555")
	test.Type(entries["API secret"], "studio-secret-value-123")
	test.AssertRendersToImage(t, "settings_dialog.png", fx.win.Window.Canvas())
	test.Tap(form.SaveButton())
	fx.settle()

	if form.Status() != "Secret saved in memory for this session only." {
		t.Fatalf("status = %q", form.Status())
	}
	if fx.win.switcher.Selected != "Studio" || !strings.HasPrefix(fx.win.summary.Text, "cloud studiocloud") {
		t.Errorf("header after saving: %q / %q", fx.win.switcher.Selected, fx.win.summary.Text)
	}
	if s, _ := fx.keys.Get(context.Background(), "Studio"); s.Reveal() != "studio-secret-value-123" {
		t.Error("the secret did not reach the keychain")
	}
}

func TestWindowSandboxDefaultsFromSettingsReachTheHeaderAndTheSession(t *testing.T) {
	fx := newFixture(t, nil)
	pl := fx.win.OpenSettings()
	fx.settle()
	pl.Select(account.SandboxName)
	form := pl.Form()
	entries := map[string]*widget.Entry{}
	for _, o := range test.LaidOutObjects(fx.win.Window.Canvas().Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok {
			entries[e.PlaceHolder] = e
		}
	}
	test.Type(entries["none"], "shoots")
	test.Type(entries["comma-separated"], "studio")
	test.Tap(form.SaveButton())
	fx.settle()

	if form.Status() != "Sandbox defaults saved." {
		t.Fatalf("status = %q", form.Status())
	}
	if fx.win.switcher.Selected != account.SandboxName || !strings.Contains(fx.win.summary.Text, "folder shoots · tags studio") {
		t.Errorf("header after saving: %q / %q", fx.win.switcher.Selected, fx.win.summary.Text)
	}
	fx.sessions.mu.Lock()
	last := fx.sessions.all[len(fx.sessions.all)-1]
	fx.sessions.mu.Unlock()
	if p := last.Profile(); !p.Sandbox || p.Folder != "shoots" || strings.Join(p.Tags, ",") != "studio" || last.isClosed() {
		t.Errorf("the session after saving: %+v (closed %v)", p, last.isClosed())
	}
}
