package ui

import (
	"context"
	"os"
	"path/filepath"
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
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/settings"
)

type fixture struct {
	store    *account.Store
	keys     *keychain.Memory
	env      map[string]string
	sandbox  *session.Sandbox
	sessions *openedSessions
	inputs   []string
	// wrap, when set, stands between the window and the sandbox.
	wrap func(Sandbox) Sandbox
	win  *MainWindow
	bg   BackgroundDeps // watched folders and the tray (background_test.go)
	app  *recordingApp
}

// settle runs background results on the test's goroutine until nothing new
// arrives for a while (the queue view flushes its events ten times a
// second).
func (fx *fixture) settle() {
	for quiet := 0; quiet < 4; {
		fx.win.Tasks().Wait()
		if fx.win.Tasks().Drain() > 0 {
			quiet = 0
			continue
		}
		quiet++
		time.Sleep(60 * time.Millisecond)
	}
}

func newFixture(t *testing.T, setup func(*fixture)) *fixture {
	t.Helper()
	// Quit and notifications are noted (background_test.go).
	rec := &recordingApp{App: test.NewTempApp(t)}
	fyne.SetCurrentApp(rec)
	var a fyne.App = rec
	fx := &fixture{app: rec,
		store: account.NewStore(t.TempDir()), keys: keychain.NewMemory(), env: map[string]string{},
		sandbox: session.NewSandbox(t.TempDir()), sessions: &openedSessions{dir: t.TempDir()},
	}
	t.Cleanup(func() { fx.sandbox.Close() })
	if setup != nil {
		setup(fx)
	}
	var sb Sandbox = fx.sandbox
	if fx.wrap != nil {
		sb = fx.wrap(sb)
	}
	fx.win = New(a, Deps{
		Profiles: fx.store, Keychain: fx.keys,
		Getenv:     func(k string) string { return fx.env[k] },
		Icon:       fyne.NewStaticResource("icon.png", assets.Icon),
		Tasks:      bridge.NewQueuedTasks(),
		Open:       fx.sessions.open,
		Sandbox:    sb,
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
	panel := fx.win.OpenSettings()
	form := panel.Form()
	fx.settle()
	overlay := fx.win.Window.Canvas().Overlays().Top()
	if overlay == nil {
		t.Fatal("Settings did not open")
	}
	entries := map[string]*dialogs.Entry{}
	for _, o := range test.LaidOutObjects(overlay) {
		if e, ok := o.(*dialogs.Entry); ok {
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

	if form.Status() != "Secret saved in memory for this session only. Click Use to upload with Studio." {
		t.Fatalf("status = %q", form.Status())
	}
	// Saving is not switching: the window stays on the Sandbox until Use.
	if fx.win.switcher.Selected != account.SandboxName || !contains(fx.win.switcher.Options, "Studio") {
		t.Errorf("header after saving: %q of %q", fx.win.switcher.Selected, fx.win.switcher.Options)
	}
	if def, _ := fx.store.DefaultName(); def != account.SandboxName {
		t.Errorf("the store's default became %q by saving", def)
	}
	panel.Use()
	fx.settle()
	if fx.win.switcher.Selected != "Studio" || !strings.HasPrefix(fx.win.summary.Text, "cloud studiocloud") {
		t.Errorf("header after Use: %q / %q", fx.win.switcher.Selected, fx.win.summary.Text)
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
	entries := map[string]*dialogs.Entry{}
	for _, o := range test.LaidOutObjects(fx.win.Window.Canvas().Overlays().Top()) {
		if e, ok := o.(*dialogs.Entry); ok {
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

func TestEscClosesEveryDialogOfTheWindow(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // the file pickers list the home folder
	fx := newFixture(t, withWork)
	c := fx.win.Window.Canvas()
	esc := func(from string) {
		t.Helper()
		if f := c.Focused(); f != nil {
			f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		} else {
			c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
		}
		if n := len(c.Overlays().List()); n != 0 {
			t.Errorf("Esc left %d dialogs open (%s)", n, from)
			for c.Overlays().Top() != nil {
				dialogs.For(fx.win.Window).CloseTop()
			}
		}
	}
	open := func(what string, action func()) {
		t.Helper()
		action()
		if c.Overlays().Top() == nil {
			t.Fatalf("%s did not open", what)
		}
	}

	open("Add files", fx.win.AddFiles)
	esc("file picker")
	open("Add folder", fx.win.AddFolder)
	esc("folder picker")
	open("From URL", fx.win.FromURL)
	if _, ok := c.Focused().(*dialogs.Entry); !ok {
		t.Errorf("From URL opened with the focus on %T, not its field", c.Focused())
	}
	esc("From URL, typing in its field")

	fx.win.Window.Resize(fyne.NewSize(900, 900))
	var panel *settings.Panel
	open("Settings", func() { panel = fx.win.OpenSettings() })
	fx.settle()
	esc("Settings, typing the secret")
	open("Settings", func() { panel = fx.win.OpenSettings() })
	fx.settle()
	panel.Select("Work")
	panel.AskRemove()
	if n := len(c.Overlays().List()); n != 2 {
		t.Fatalf("%d overlays with the Remove confirmation over Settings", n)
	}
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if n := len(c.Overlays().List()); n != 1 {
		t.Fatalf("Esc on the confirmation left %d overlays, want Settings alone", n)
	}
	if _, err := fx.store.Get("Work"); err != nil {
		t.Error("Esc on the Remove confirmation removed the profile")
	}
	esc("Settings under a closed confirmation")
}

// gatedSandbox holds the sandbox's start until open is closed.
type gatedSandbox struct {
	Sandbox
	open chan struct{}
}

func (g gatedSandbox) Credentials(ctx context.Context, p account.Profile) (account.Credentials, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return account.Credentials{}, ctx.Err()
	}
	return g.Sandbox.Credentials(ctx, p)
}

func TestWhileTheSandboxStartsTheTabsSaySoNotChooseAProfile(t *testing.T) {
	gate := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	a := test.NewTempApp(t)
	tasks := bridge.NewQueuedTasks()
	store := account.NewStore(t.TempDir())
	sb := session.NewSandbox(t.TempDir())
	t.Cleanup(func() { sb.Close() })
	sessions := &openedSessions{dir: t.TempDir()}
	win := New(a, Deps{Profiles: store, Keychain: keychain.NewMemory(), Getenv: func(string) string { return "" },
		Tasks: tasks, Open: sessions.open, Sandbox: gatedSandbox{sb, gate}})
	t.Cleanup(win.Close)
	deadline := time.Now().Add(10 * time.Second)
	for win.switcher.Selected != account.SandboxName && time.Now().Before(deadline) {
		tasks.Drain()
		time.Sleep(time.Millisecond)
	}
	if got := win.upload.Hint(); got != "Opening Sandbox…" {
		t.Errorf("Upload tab while the sandbox starts: %q", got)
	}
	if got := win.library.Note(); got != "Opening Sandbox…" {
		t.Errorf("Library tab while the sandbox starts: %q", got)
	}
	close(gate)
	tasks.Wait()
	if win.Session() == nil || !strings.HasPrefix(win.upload.Hint(), "or add them") {
		t.Errorf("after the start: session %v, hint %q", win.Session(), win.upload.Hint())
	}
}

func TestSwitchingProfilesKeepsTheOtherProfilesUnfinishedRows(t *testing.T) {
	fx := newFixture(t, withWork)
	work := fx.win.Session()
	work.Engine().Pause() // the uploads wait, as a slow batch would
	fx.win.upload.AddInputs([]string{"https://example.com/a.jpg", "https://example.com/b.jpg"})
	fx.settle()
	if fx.win.upload.Len() != 2 {
		t.Fatalf("%d rows queued", fx.win.upload.Len())
	}

	fx.win.switcher.SetSelected(account.SandboxName)
	fx.settle()
	if s := fx.win.Session(); s == nil || !s.Profile().Sandbox || fx.win.upload.Len() != 0 {
		t.Fatalf("on the Sandbox: session %v, %d rows", s, fx.win.upload.Len())
	}
	if work.(*trackedSession).isClosed() {
		t.Fatal("switching away closed the session with Work's unfinished uploads")
	}
	if n := fx.win.upload.Notice(); !strings.Contains(n, "Work (2)") || !strings.Contains(n, "Switch back") {
		t.Errorf("notice = %q, want Work's uploads named", n)
	}

	fx.win.switcher.SetSelected("Work")
	fx.settle()
	if fx.win.Session() != work || fx.win.upload.Len() != 2 {
		t.Fatalf("back on Work: same session %v, %d rows", fx.win.Session() == work, fx.win.upload.Len())
	}
	if n := fx.sessions.openCount(t); n != 1 {
		t.Errorf("%d sessions open, want Work's alone (the Sandbox had nothing to finish)", n)
	}
}

func TestAccountTabReportsWhatWasLastSeen(t *testing.T) {
	fx := newFixture(t, func(fx *fixture) {
		// An account whose API cannot be reached (nothing listens there).
		fx.store.Put(account.Profile{Name: "Far", Cloud: "far", APIKey: "123", APIBase: "http://127.0.0.1:9"})
		fx.keys.Set(context.Background(), "Far", "far-secret-value")
	})
	row := fx.win.overview.rows["Last contact"]
	if strings.Contains(fx.win.overview.hint.Text, "Ready") {
		t.Errorf("the Account tab promises %q", fx.win.overview.hint.Text)
	}
	// The library loads as soon as the profile is open.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(row.Text, "Can't reach Cloudinary") && time.Now().Before(deadline) {
		fx.settle()
	}
	if !strings.Contains(row.Text, "Can't reach Cloudinary — check your connection.") || row.Importance != widget.DangerImportance {
		t.Errorf("after the library failed to load: %q", row.Text)
	}
	if !strings.Contains(fx.win.library.Note(), "Can't reach Cloudinary") {
		t.Errorf("library note = %q", fx.win.library.Note())
	}

	fx.win.switcher.SetSelected(account.SandboxName)
	deadline = time.Now().Add(30 * time.Second)
	for !strings.Contains(row.Text, "the Library loaded") && time.Now().Before(deadline) {
		fx.settle()
	}
	if !strings.Contains(row.Text, "the Library loaded 6 assets") || row.Importance != widget.SuccessImportance {
		t.Errorf("after the sandbox's library loaded: %q", row.Text)
	}
}

func TestWindowOpensAtTheSizeItHadAndKeepsTheNewOne(t *testing.T) {
	dir := t.TempDir()
	if g, err := LoadGeometry(dir); err != nil || g != (Geometry{}) {
		t.Fatalf("a first start: %+v, %v", g, err)
	}
	if err := SaveGeometry(dir, Geometry{Width: 930, Height: 610, X: 40, Y: 70, Placed: true}); err != nil {
		t.Fatal(err)
	}
	kept, err := LoadGeometry(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	var asked int
	win := New(a, Deps{Profiles: account.NewStore(t.TempDir()), Keychain: keychain.NewMemory(), Getenv: func(string) string { return "" },
		Tasks: bridge.NewQueuedTasks(), Geometry: kept,
		Position: func(fyne.Window) (int, int, bool) { asked++; return 120, 90, true }})
	t.Cleanup(win.Close)
	if s := win.Window.Canvas().Size(); s.Width != 930 || s.Height != 610 {
		t.Errorf("the window opened at %v, not the kept 930×610", s)
	}
	win.Window.Resize(fyne.NewSize(1000, 700))
	win.Quit()
	if g := win.Geometry(); g != (Geometry{Width: 1000, Height: 700, X: 120, Y: 90, Placed: true}) || asked != 1 {
		t.Errorf("geometry on quitting = %+v (position asked %d times)", g, asked)
	}
	// A damaged or absurd file is a default start, not an error.
	os.WriteFile(filepath.Join(dir, GeometryFile), []byte(`{"width":3,"height":2}`), 0o600)
	if g, err := LoadGeometry(dir); err != nil || g != (Geometry{}) {
		t.Errorf("a tiny kept size: %+v, %v", g, err)
	}
}
