package settings

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
)

const testSecret = "uiTESTsecret_4f9a2c7e1b"

type fixture struct {
	form   *Form
	store  *account.Store
	keys   keychain.Keychain
	tasks  *bridge.Tasks
	window fyne.Window
	saved  []account.Profile
}

func newFixture(t *testing.T, keys keychain.Keychain, p account.Profile, setup func(*account.Store)) *fixture {
	t.Helper()
	test.NewTempApp(t)
	fx := &fixture{store: account.NewStore(t.TempDir()), keys: keys, tasks: bridge.NewQueuedTasks()}
	t.Cleanup(fx.tasks.Close)
	if setup != nil {
		setup(fx.store)
	}
	fx.form = NewForm(Deps{Store: fx.store, Keychain: keys, Tasks: fx.tasks, OnSaved: func(p account.Profile) {
		fx.saved = append(fx.saved, p)
	}}, p)
	fx.tasks.Wait()
	fx.window = test.NewTempWindow(t, fx.form.Content())
	fx.window.Resize(fyne.NewSize(620, 820))
	return fx
}

func (fx *fixture) fill(name, cloud, key, secret string) {
	test.Type(fx.form.name, name)
	test.Type(fx.form.cloud, cloud)
	test.Type(fx.form.key, key)
	test.Type(fx.form.secret, secret)
}

func (fx *fixture) save() {
	test.Tap(fx.form.save)
	fx.tasks.Wait()
}

func TestSettingsSavePutsTheSecretInTheKeychainAndTheProfileInTheStore(t *testing.T) {
	kc := keychain.NewMemory()
	fx := newFixture(t, kc, account.Profile{}, nil)
	test.AssertRendersToImage(t, "new_profile.png", fx.window.Canvas())

	fx.fill("Work", "demo", "123456789012345", testSecret)
	fx.form.algorithm.SetSelected("SHA-256")
	test.Type(fx.form.folder, "blog/2026")
	test.Type(fx.form.tags, "hero, summer")
	fx.save()

	if got := fx.form.Status(); got != "Secret saved in memory for this session only." {
		t.Errorf("status = %q", got)
	}
	if s, err := kc.Get(context.Background(), "Work"); err != nil || s.Reveal() != testSecret {
		t.Fatalf("keychain: %v", err)
	}
	p, err := fx.store.Get("Work")
	if err != nil {
		t.Fatal(err)
	}
	if p.Cloud != "demo" || p.APIKey != "123456789012345" || p.Algorithm != signing.SHA256 ||
		p.Folder != "blog/2026" || strings.Join(p.Tags, ",") != "hero,summer" {
		t.Errorf("stored profile = %+v", p)
	}
	if def, _ := fx.store.DefaultName(); def != account.SandboxName {
		t.Errorf("default = %q: saving switched away from the profile in use", def)
	}
	if fx.form.secret.Text != "" {
		t.Error("the secret stays in the password field after saving")
	}
	if len(fx.saved) != 1 || fx.saved[0].Name != "Work" {
		t.Errorf("OnSaved calls: %v", fx.saved)
	}
	data, _ := os.ReadFile(fx.store.Path())
	if strings.Contains(string(data), testSecret) {
		t.Error("the secret was written to the profiles file")
	}
	test.AssertRendersToImage(t, "saved.png", fx.window.Canvas())
}

func TestSettingsSaveShowsTheSystemKeychainInWords(t *testing.T) {
	kc := keychaintest.System(t)
	acct := keychaintest.Account(t, kc)
	fx := newFixture(t, kc, account.Profile{}, nil)
	secret := "real" + keychaintest.RandomHex(10)
	fx.fill(acct, "demo", "42", secret)
	fx.save()
	if got := fx.form.Status(); got != "Secret saved in the system keychain." {
		t.Fatalf("status = %q", got)
	}
	if s, err := kc.Get(context.Background(), acct); err != nil || s.Reveal() != secret {
		t.Fatalf("system keychain: %v", err)
	}
}

func TestSettingsValidationNamesTheFieldAndSavesNothing(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*fixture)
		status string
	}{
		{"no name", func(fx *fixture) { fx.fill("", "demo", "1", testSecret) }, "Profile name: a profile needs a name."},
		{"no cloud", func(fx *fixture) { fx.fill("Work", "", "1", testSecret) }, "Cloud name: the cloud name is missing"},
		{"cloud with space", func(fx *fixture) { fx.fill("Work", "my cloud", "1", testSecret) }, "is not a cloud name"},
		{"no key", func(fx *fixture) { fx.fill("Work", "demo", "", testSecret) }, "API key: the API key is missing"},
		{"no secret", func(fx *fixture) { fx.fill("Work", "demo", "1", "") }, "Enter the API secret"},
		{"secret is the key", func(fx *fixture) { fx.fill("Work", "demo", "12345", "12345") }, "API secret: the secret equals the API key"},
		{"secret with space", func(fx *fixture) { fx.fill("Work", "demo", "1", "two words") }, "spaces"},
		{"reserved name", func(fx *fixture) { fx.fill("Sandbox", "demo", "1", testSecret) }, "reserved for the built-in sandbox"},
		{"bad API base", func(fx *fixture) {
			fx.fill("Work", "demo", "1", testSecret)
			test.Type(fx.form.apiBase, "ftp://example.com")
		}, "API base URL:"},
		{"unsigned without preset", func(fx *fixture) {
			fx.fill("Work", "demo", "", "")
			fx.form.mode.SetSelected(ModeUnsigned)
		}, "Upload preset: unsigned uploads need an upload preset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kc := keychain.NewMemory()
			fx := newFixture(t, kc, account.Profile{}, nil)
			tc.setup(fx)
			fx.save()
			if !strings.Contains(fx.form.Status(), tc.status) {
				t.Errorf("status = %q, want %q", fx.form.Status(), tc.status)
			}
			if _, err := os.Stat(fx.store.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Error("a profiles file was written")
			}
			if _, err := kc.Get(context.Background(), "Work"); !errors.Is(err, keychain.ErrNotFound) {
				t.Error("a secret was stored")
			}
			if len(fx.saved) != 0 {
				t.Error("OnSaved was called")
			}
		})
	}
	kc := keychain.NewMemory()
	fx := newFixture(t, kc, account.Profile{}, nil)
	fx.fill("Work", "", "1", testSecret)
	fx.save()
	test.AssertRendersToImage(t, "invalid.png", fx.window.Canvas())
}

func TestSettingsKeychainFailureIsShownAndTheProfileIsNotSaved(t *testing.T) {
	kc := keychain.NewMemory()
	kc.FailWith(&keychain.Error{
		Backend: "system keychain", Op: "save", Account: "Work", Kind: keychain.ErrLocked,
		Reason: "the login keyring is locked and could not be unlocked",
		Fix:    "unlock it (log in to your desktop session, or open Passwords and Keys) and try again",
	})
	fx := newFixture(t, kc, account.Profile{}, nil)
	fx.fill("Work", "demo", "1", testSecret)
	fx.save()
	want := "The system keychain could not save the secret: the login keyring is locked and could not be unlocked. Unlock it (log in to your desktop session, or open Passwords and Keys) and try again."
	if fx.form.Status() != want {
		t.Errorf("status = %q\nwant %q", fx.form.Status(), want)
	}
	if _, err := os.Stat(fx.store.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Error("the profile was saved although its secret was not")
	}
	if fx.form.save.Disabled() {
		t.Error("Save stays disabled after a failure")
	}
	if strings.Contains(fx.form.Status(), testSecret) {
		t.Error("the status shows the secret")
	}
	test.AssertRendersToImage(t, "keychain_error.png", fx.window.Canvas())
}

// gatedKeychain holds every call until the test opens the gate: a keychain
// waiting at an unlock prompt.
type gatedKeychain struct {
	*keychain.Memory
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (g *gatedKeychain) Set(ctx context.Context, account string, s keychain.Secret) error {
	g.once.Do(func() { close(g.entered) })
	<-g.gate
	return g.Memory.Set(ctx, account, s)
}

func TestSettingsSaveDoesNotBlockTheUIWhileTheKeychainWaits(t *testing.T) {
	kc := &gatedKeychain{Memory: keychain.NewMemory(), gate: make(chan struct{}), entered: make(chan struct{})}
	fx := newFixture(t, kc, account.Profile{}, nil)
	fx.fill("Work", "demo", "1", testSecret)
	test.Tap(fx.form.save) // returns while the keychain call is still blocked
	<-kc.entered
	if fx.form.Status() != "Saving…" || !fx.form.save.Disabled() {
		t.Errorf("while saving: status %q, save disabled %v", fx.form.Status(), fx.form.save.Disabled())
	}
	close(kc.gate)
	fx.tasks.Wait()
	if !strings.HasPrefix(fx.form.Status(), "Secret saved") || fx.form.save.Disabled() {
		t.Errorf("after saving: status %q, save disabled %v", fx.form.Status(), fx.form.save.Disabled())
	}
}

func storedWork(t *testing.T, kc keychain.Keychain) func(*account.Store) {
	return func(s *account.Store) {
		if err := s.Put(account.Profile{Name: "Work", Cloud: "demo", APIKey: "1", Folder: "old"}); err != nil {
			t.Fatal(err)
		}
		if err := kc.Set(context.Background(), "Work", testSecret); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSettingsEditingKeepsTheStoredSecretWhenTheFieldIsLeftEmpty(t *testing.T) {
	kc := keychain.NewMemory()
	var p account.Profile
	fx := newFixture(t, kc, p, storedWork(t, kc))
	p, _ = fx.store.Get("Work")
	fx = newFixture(t, kc, p, storedWork(t, kc))
	if !strings.HasPrefix(fx.form.secretState.Text, "A secret is stored") {
		t.Errorf("secret state = %q", fx.form.secretState.Text)
	}
	fx.form.folder.SetText("new/place")
	fx.save()
	if !strings.Contains(fx.form.Status(), "is unchanged") {
		t.Errorf("status = %q", fx.form.Status())
	}
	if s, _ := kc.Get(context.Background(), "Work"); s.Reveal() != testSecret {
		t.Error("the stored secret changed")
	}
	if got, _ := fx.store.Get("Work"); got.Folder != "new/place" {
		t.Errorf("folder = %q", got.Folder)
	}
}

func TestSettingsSwitchingToUnsignedWarnsAndRemovesTheSecret(t *testing.T) {
	kc := keychain.NewMemory()
	setup := storedWork(t, kc)
	probe := account.NewStore(t.TempDir())
	setup(probe)
	p, _ := probe.Get("Work")
	fx := newFixture(t, kc, p, setup)

	fx.form.mode.SetSelected(ModeUnsigned)
	if !fx.form.secret.Disabled() || !fx.form.unsignedWarning.Visible() {
		t.Error("unsigned mode should disable the secret and show the warning")
	}
	test.Type(fx.form.preset, "ml_default")
	fx.save()
	test.AssertRendersToImage(t, "unsigned.png", fx.window.Canvas())
	if !strings.Contains(fx.form.Status(), "old secret was removed") {
		t.Errorf("status = %q", fx.form.Status())
	}
	if _, err := kc.Get(context.Background(), "Work"); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("the secret is still stored: %v", err)
	}
	if got, _ := fx.store.Get("Work"); got.Mode != account.Unsigned || got.Preset != "ml_default" {
		t.Errorf("profile = %+v", got)
	}
}

func TestSettingsEditsOnlyTheSandboxDefaults(t *testing.T) {
	kc := keychain.NewMemory()
	fx := newFixture(t, kc, account.SandboxProfile(), nil)
	f := fx.form
	if f.name.Text != account.SandboxName || f.editing != account.SandboxName {
		t.Fatalf("the Sandbox form: name %q, editing %q", f.name.Text, f.editing)
	}
	for what, w := range map[string]fyne.Disableable{"name": f.name, "cloud": f.cloud, "key": f.key, "secret": f.secret, "API base": f.apiBase, "signing": f.mode, "algorithm": f.algorithm} {
		if !w.Disabled() {
			t.Errorf("the Sandbox's %s can be edited", what)
		}
	}
	test.Type(f.folder, "demo/shoots")
	test.Type(f.tags, "sample, local")
	test.Type(f.publicID, "{name}-{md5:8}")
	f.concurrency.SetSelected("8")
	fx.save()
	if !strings.Contains(f.Status(), "Sandbox defaults saved") {
		t.Fatalf("status = %q", f.Status())
	}
	test.AssertRendersToImage(t, "sandbox_defaults.png", fx.window.Canvas())
	got, err := fx.store.Get(account.SandboxName)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Sandbox || got.Cloud != "" || got.APIKey != "" || got.Folder != "demo/shoots" ||
		strings.Join(got.Tags, ",") != "sample,local" || got.PublicIDTemplate != "{name}-{md5:8}" || got.Concurrency != 8 {
		t.Errorf("stored Sandbox = %+v", got)
	}
	if def, _ := fx.store.DefaultName(); def != account.SandboxName {
		t.Errorf("default = %q after saving the Sandbox", def)
	}
	if _, err := kc.Get(context.Background(), account.SandboxProfile().SecretAccount()); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("saving the Sandbox touched the keychain: %v", err)
	}
	if list, _ := fx.store.List(); len(list) != 1 {
		t.Errorf("profiles after saving the Sandbox: %+v", list)
	}

	// The next profile opened in the same form is editable again.
	f.NewProfile()
	if f.name.Disabled() || f.cloud.Disabled() || f.secret.Disabled() || f.name.Text != "" {
		t.Errorf("a new profile after the Sandbox: name %q, disabled %v", f.name.Text, f.name.Disabled())
	}
}

func TestSettingsOnTheSandboxOpensOnANewAccountAndListsTheSandbox(t *testing.T) {
	pl, store, tasks, _ := newPanelFixture(t, keychain.NewMemory(), nil)
	if pl.Form().editing != "" || pl.Form().name.Text != "" || !strings.Contains(pl.Form().Status(), "Fill in the form to add your Cloudinary account") {
		t.Fatalf("opened on %q (%q): %q", pl.Form().editing, pl.Form().name.Text, pl.Form().Status())
	}
	pl.Select(account.SandboxName)
	if pl.Form().editing != account.SandboxName || !pl.Form().cloud.Disabled() || !pl.remove.Disabled() {
		t.Fatalf("selecting the Sandbox: editing %q", pl.Form().editing)
	}
	test.Type(pl.Form().folder, "demo")
	test.Tap(pl.Form().save)
	tasks.Wait()
	if p, _ := store.Get(account.SandboxName); p.Folder != "demo" {
		t.Errorf("Sandbox folder = %q", p.Folder)
	}
	if got := strings.Join(pl.Names(), ","); got != "Sandbox (in use)" {
		t.Errorf("listed %q", got)
	}
}

func TestSettingsNewProfileLeavesTheEditedOneAlone(t *testing.T) {
	kc := keychain.NewMemory()
	setup := storedWork(t, kc)
	probe := account.NewStore(t.TempDir())
	setup(probe)
	p, _ := probe.Get("Work")
	fx := newFixture(t, kc, p, setup)

	fx.form.NewProfile()
	if fx.form.name.Text != "" || fx.form.cloud.Text != "" || fx.form.editing != "" {
		t.Fatalf("New profile did not empty the form: %q %q", fx.form.name.Text, fx.form.cloud.Text)
	}
	fx.fill("Second", "other", "9", "second-secret-value")
	fx.save()
	fx.tasks.Wait()
	if s, _ := kc.Get(context.Background(), "Work"); s.Reveal() != testSecret {
		t.Error("the first profile's secret changed")
	}
	if s, _ := kc.Get(context.Background(), "Second"); s.Reveal() != "second-secret-value" {
		t.Error("the new profile's secret was not stored")
	}
	if w, _ := fx.store.Get("Work"); w.Cloud != "demo" {
		t.Errorf("the first profile changed: %+v", w)
	}
}

func TestSettingsSavesLimitsAndThePublicIDTemplate(t *testing.T) {
	kc := keychain.NewMemory()
	fx := newFixture(t, kc, account.Profile{}, nil)
	fx.fill("Work", "demo", "1", testSecret)
	test.Type(fx.form.publicID, "{name}-{md5:8}")
	test.Type(fx.form.maxImage, "2.5")
	test.Type(fx.form.maxVideo, "100")
	test.Type(fx.form.formats, "JPG, .png webp")
	test.Type(fx.form.maxFiles, "50")
	fx.save()
	p, err := fx.store.Get("Work")
	if err != nil {
		t.Fatalf("%v (status %q)", err, fx.form.Status())
	}
	want := account.Limits{MaxImageBytes: 2_500_000, MaxVideoBytes: 100_000_000, AllowedFormats: []string{"jpg", "png", "webp"}, MaxFiles: 50}
	if p.PublicIDTemplate != "{name}-{md5:8}" || p.Limits.MaxImageBytes != want.MaxImageBytes || p.Limits.MaxVideoBytes != want.MaxVideoBytes ||
		p.Limits.MaxRawBytes != 0 || strings.Join(p.Limits.AllowedFormats, ",") != "jpg,png,webp" || p.Limits.MaxFiles != 50 {
		t.Errorf("stored %q %+v", p.PublicIDTemplate, p.Limits)
	}
	// Reopened, the form shows what was stored.
	again := NewForm(Deps{Store: fx.store, Keychain: kc, Tasks: fx.tasks}, p)
	fx.tasks.Wait()
	if again.maxImage.Text != "2.5" || again.formats.Text != "jpg, png, webp" || again.maxFiles.Text != "50" || again.maxRaw.Text != "" {
		t.Errorf("reopened: %q %q %q %q", again.maxImage.Text, again.formats.Text, again.maxFiles.Text, again.maxRaw.Text)
	}
}

func TestSettingsRejectsBadLimitsAndTemplatesByField(t *testing.T) {
	tests := []struct {
		entry  func(*Form) *dialogs.Entry
		text   string
		status string
	}{
		{func(f *Form) *dialogs.Entry { return f.maxVideo }, "lots", "Largest video: enter a number of megabytes"},
		{func(f *Form) *dialogs.Entry { return f.maxImage }, "-3", "Largest image: enter a number of megabytes"},
		{func(f *Form) *dialogs.Entry { return f.maxFiles }, "2.5", "Files per batch: enter a whole number"},
		{func(f *Form) *dialogs.Entry { return f.publicID }, "{nosuchfield}", "Public ID:"},
	}
	for _, tc := range tests {
		t.Run(tc.status, func(t *testing.T) {
			fx := newFixture(t, keychain.NewMemory(), account.Profile{}, nil)
			fx.fill("Work", "demo", "1", testSecret)
			test.Type(tc.entry(fx.form), tc.text)
			fx.save()
			if !strings.HasPrefix(fx.form.Status(), tc.status) {
				t.Errorf("status = %q, want %q…", fx.form.Status(), tc.status)
			}
			if _, err := os.Stat(fx.store.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Error("a profiles file was written")
			}
		})
	}
}

func newPanelFixture(t *testing.T, kc keychain.Keychain, setup func(*account.Store)) (*Panel, *account.Store, *bridge.Tasks, *[]string) {
	t.Helper()
	test.NewTempApp(t)
	store := account.NewStore(t.TempDir())
	if setup != nil {
		setup(store)
	}
	tasks := bridge.NewQueuedTasks()
	t.Cleanup(tasks.Close)
	var events []string
	pl := NewPanel(nil, Deps{Store: store, Keychain: kc, Tasks: tasks,
		OnSwitch:  func(n string) { events = append(events, "switch "+n) },
		OnRemoved: func(n string) { events = append(events, "removed "+n) },
	}, account.SandboxProfile())
	tasks.Wait()
	w := test.NewTempWindow(t, pl.Content())
	w.Resize(fyne.NewSize(900, 820))
	return pl, store, tasks, &events
}

func TestSettingsPanelListsProfilesAndSwitchesAndRemoves(t *testing.T) {
	kc := keychain.NewMemory()
	pl, store, tasks, events := newPanelFixture(t, kc, func(s *account.Store) {
		storedWork(t, kc)(s)
		if err := s.Put(account.Profile{Name: "Blog", Cloud: "b", Mode: account.Unsigned, Preset: "p"}); err != nil {
			t.Fatal(err)
		}
	})
	if got := strings.Join(pl.Names(), ","); got != "Blog,Work (in use),Sandbox" {
		t.Fatalf("listed %q", got)
	}
	if !pl.remove.Disabled() {
		t.Error("Remove is enabled on the Sandbox profile")
	}

	pl.Select("Blog")
	if pl.Form().editing != "Blog" || pl.Form().preset.Text != "p" || pl.use.Disabled() || pl.remove.Disabled() {
		t.Fatalf("after selecting Blog: editing %q, preset %q", pl.Form().editing, pl.Form().preset.Text)
	}
	test.Tap(pl.use)
	tasks.Wait()
	if def, _ := store.DefaultName(); def != "Blog" {
		t.Errorf("default = %q after Use", def)
	}
	if got := strings.Join(pl.Names(), ","); got != "Blog (in use),Work,Sandbox" {
		t.Errorf("listed %q after Use", got)
	}

	pl.Select("Work")
	test.Tap(pl.remove) // no parent window: removes without asking
	tasks.Wait()
	if _, err := store.Get("Work"); !errors.Is(err, account.ErrProfileNotFound) {
		t.Errorf("Work is still stored: %v", err)
	}
	if _, err := kc.Get(context.Background(), "Work"); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("Work's secret is still in the keychain: %v", err)
	}
	if !strings.Contains(pl.Form().Status(), "Removed Work. Its secret was removed") {
		t.Errorf("status = %q", pl.Form().Status())
	}
	if got := strings.Join(*events, ";"); got != "switch Blog;removed Work" {
		t.Errorf("events %q", got)
	}
	if got := strings.Join(pl.Names(), ","); got != "Blog (in use),Sandbox" {
		t.Errorf("listed %q after Remove", got)
	}

	pl.Remove(account.SandboxName)
	tasks.Wait()
	if !strings.Contains(pl.Form().Status(), "cannot be deleted") {
		t.Errorf("removing the Sandbox: %q", pl.Form().Status())
	}
	if _, err := store.Get(account.SandboxName); err != nil {
		t.Errorf("the Sandbox profile is gone: %v", err)
	}
}
