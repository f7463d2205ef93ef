package ui

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/ui/dialogs"
)

// samplePaths copies n bundled sample photos into a temp dir.
func samplePaths(t *testing.T, n int) []string {
	t.Helper()
	entries, err := assets.Samples.ReadDir("samples")
	if err != nil || len(entries) < n {
		t.Fatalf("need %d sample photos: %v", n, err)
	}
	dir := t.TempDir()
	var paths []string
	for _, e := range entries[:n] {
		data, err := assets.Samples.ReadFile("samples/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "cli-"+e.Name())
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func md5File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// waitUploaded waits for the current session's engine to finish its batch.
func waitUploaded(t *testing.T, fx *fixture) {
	t.Helper()
	s := fx.win.Session()
	if s == nil {
		t.Fatal("no session is open")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.Engine().Wait(ctx); err != nil {
		t.Fatalf("waiting for the uploads: %v", err)
	}
}

// assertInSandbox checks through the Search API that every file is stored
// with its own bytes (etag = MD5).
func assertInSandbox(t *testing.T, client *cloud.Client, paths []string) {
	t.Helper()
	res, err := client.Search(context.Background(), cloud.SearchQuery{Expression: "resource_type:image", MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	etags := map[string]bool{}
	for _, a := range res.Resources {
		etags[a.ETag] = true
	}
	for _, p := range paths {
		if !etags[md5File(t, p)] {
			t.Errorf("%s is not in the sandbox (searched %d assets)", filepath.Base(p), len(res.Resources))
		}
	}
}

func TestWindowQueuesCommandLineFilesIntoTheEmbeddedSandbox(t *testing.T) {
	paths := samplePaths(t, 3)
	fx := newFixture(t, func(fx *fixture) { fx.inputs = paths })
	if !fx.win.banner.Visible() || !strings.Contains(fx.win.bannerText.Text, "uploads stay on this computer") {
		t.Errorf("banner visible %v: %q", fx.win.banner.Visible(), fx.win.bannerText.Text)
	}
	if fx.win.Tabs.Selected() != fx.win.uploadItem {
		t.Error("the Upload tab is not shown for command-line files")
	}
	waitUploaded(t, fx)
	snap := fx.win.Session().Engine().Snapshot()
	if snap.Batch.Total != 3 || snap.Batch.Done != 3 {
		t.Fatalf("batch = %+v", snap.Batch)
	}
	assertInSandbox(t, fx.win.Session().Client(), paths)
}

func TestWindowDropQueuesFilesOnTheUploadTab(t *testing.T) {
	paths := samplePaths(t, 2)
	fx := newFixture(t, nil)
	fx.win.Tabs.Select(fx.win.libraryItem)
	var uris []fyne.URI
	for _, p := range paths {
		uris = append(uris, storage.NewFileURI(p))
	}
	fx.win.HandleDrop(fyne.NewPos(10, 10), uris)
	if fx.win.Tabs.Selected() != fx.win.uploadItem {
		t.Error("a drop did not bring the Upload tab forward")
	}
	waitUploaded(t, fx)
	assertInSandbox(t, fx.win.Session().Client(), paths)
}

func TestWindowProfileSwitchOpensANewSessionAndClosesTheOld(t *testing.T) {
	fx := newFixture(t, withWork)
	first := fx.win.Session()
	if first == nil || first.Profile().Name != "Work" {
		t.Fatalf("session = %v", first)
	}
	if fx.win.banner.Visible() {
		t.Errorf("a banner shows for a configured account: %q", fx.win.bannerText.Text)
	}
	fx.win.switcher.SetSelected(account.SandboxName)
	fx.settle()
	second := fx.win.Session()
	if second == nil || !second.Profile().Sandbox {
		t.Fatalf("after the switch the session is %v", second)
	}
	if !first.(*trackedSession).isClosed() {
		t.Error("the Work session stayed open after switching away")
	}
	if n := fx.sessions.openCount(t); n != 1 {
		t.Errorf("%d sessions open, want 1", n)
	}
	fx.win.Close()
	if n := fx.sessions.openCount(t); n != 0 {
		t.Errorf("%d sessions open after Close", n)
	}
}

func TestWindowWithoutASecretOpensNoSessionAndSaysWhy(t *testing.T) {
	fx := newFixture(t, func(fx *fixture) {
		fx.store.Put(account.Profile{Name: "Work", Cloud: "demo", APIKey: "123"})
	})
	if fx.win.Session() != nil {
		t.Error("a session was opened without a secret")
	}
	if !fx.win.banner.Visible() || !strings.Contains(fx.win.bannerText.Text, "Nothing can be uploaded") || !strings.Contains(fx.win.bannerText.Text, "Work") {
		t.Errorf("banner: %q", fx.win.bannerText.Text)
	}
}

func TestWindowShortcutsReachTheViews(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // the file dialog lists the home folder
	fx := newFixture(t, nil)
	c := fx.win.Window.Canvas()
	ctrl := func(k fyne.KeyName) {
		t.Helper()
		for _, menu := range fx.win.Window.MainMenu().Items {
			for _, item := range menu.Items {
				want := &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
				if item.Shortcut != nil && item.Shortcut.ShortcutName() == want.ShortcutName() {
					item.Action()
					return
				}
			}
		}
		t.Fatalf("no menu item for Ctrl+%s", k)
	}
	key := func(k fyne.KeyName) { c.OnTypedKey()(&fyne.KeyEvent{Name: k}) }

	fx.win.Tabs.Select(fx.win.libraryItem)
	ctrl(fyne.KeyO)
	if fx.win.Tabs.Selected() != fx.win.uploadItem || c.Overlays().Top() == nil {
		t.Fatal("Ctrl+O did not open the file picker on the Upload tab")
	}
	ctrl(fyne.KeyComma) // a second dialog does not open over the first
	if n := len(c.Overlays().List()); n != 1 {
		t.Errorf("%d overlays after Ctrl+, over the file picker, want 1", n)
	}
	key(fyne.KeyEscape)
	if c.Overlays().Top() != nil {
		t.Fatal("Esc did not close the file picker")
	}

	ctrl(fyne.KeyF)
	if fx.win.Tabs.Selected() != fx.win.libraryItem {
		t.Error("Ctrl+F did not show the Library")
	}
	if e, ok := c.Focused().(*dialogs.Entry); !ok || !strings.HasPrefix(e.PlaceHolder, "Search") {
		t.Errorf("Ctrl+F focused %T, not the search box", c.Focused())
	}
	c.Unfocus()

	// Delete on the Upload tab removes the selected row (the engine is
	// paused, so the URL stays queued).
	fx.win.Session().Engine().Pause()
	fx.win.Tabs.Select(fx.win.uploadItem)
	fx.win.upload.AddInputs([]string{"https://example.com/a.jpg"})
	fx.settle()
	if fx.win.upload.Len() != 1 {
		t.Fatalf("%d rows after adding a URL", fx.win.upload.Len())
	}
	fx.win.Tabs.Select(fx.win.libraryItem)
	fx.win.upload.Select(0)
	key(fyne.KeyDelete) // on the Library tab: nothing is deleted
	fx.settle()
	if fx.win.upload.Len() != 1 {
		t.Error("Delete on the Library tab removed a queued row")
	}
	fx.win.Tabs.Select(fx.win.uploadItem)
	key(fyne.KeyDelete)
	fx.settle()
	if fx.win.upload.Len() != 0 {
		t.Error("Delete on the Upload tab did not remove the selected row")
	}

	ctrl(fyne.KeyComma)
	if c.Overlays().Top() == nil {
		t.Error("Ctrl+, did not open Settings")
	}
	// The menu says its keys in the label, in the text's own colour.
	for _, menu := range fx.win.Window.MainMenu().Items {
		for _, item := range menu.Items {
			if _, faint := item.Shortcut.(fyne.KeyboardShortcut); faint {
				t.Errorf("%q carries a shortcut Fyne draws faintly", item.Label)
			}
			if item.Shortcut != nil && !strings.Contains(item.Label, "(Ctrl+") {
				t.Errorf("%q does not say its keys", item.Label)
			}
		}
	}
}

func TestWindowLibraryShowsTheSandboxSamplesAndFollowsProfileSwitches(t *testing.T) {
	fx := newFixture(t, nil)
	fx.win.Tabs.Select(fx.win.libraryItem)
	lib := fx.win.library
	deadline := time.Now().Add(30 * time.Second)
	for lib.State().Len < 6 && time.Now().Before(deadline) {
		fx.settle()
	}
	st := lib.State()
	if st.Len != 6 || st.Total != 6 || st.Err != nil {
		t.Fatalf("library state %+v, want the 6 seeded samples", st)
	}
	// No golden image here: thumbnails arrive from the sandbox in an order
	// the test cannot control (ui/library has goldens on its fake account,
	// and the end-to-end test screenshots this tab).

	// A profile without a secret has no session: the library lets go of
	// the sandbox's assets.
	fx.store.Put(account.Profile{Name: "Work", Cloud: "demo", APIKey: "123"})
	fx.win.Reload()
	fx.settle() // the profiles are read off the UI goroutine
	fx.win.switcher.SetSelected("Work")
	fx.settle()
	if st := lib.State(); st.Len != 0 {
		t.Errorf("after switching to a profile without a session the library still holds %d assets", st.Len)
	}
}

func TestWindowOffersToResumeWhatTheLastRunLeftUnfinished(t *testing.T) {
	// An account on a sandbox whose first upload stalls: the upload is in
	// flight when the window closes, as when the app quits mid-upload.
	srv, err := sandbox.Start(context.Background(), sandbox.Config{
		Dir: t.TempDir(), APIKey: "777777777777777", APISecret: "resume-test-secret-4821",
		Faults: "on=upload,schedule=stall",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	store, keys, journalDir := account.NewStore(t.TempDir()), keychain.NewMemory(), t.TempDir()
	if err := store.Put(account.Profile{Name: "Work", Cloud: srv.Cloud(), APIKey: srv.APIKey(), APIBase: srv.URL()}); err != nil {
		t.Fatal(err)
	}
	if err := keys.Set(context.Background(), "Work", keychain.Secret(srv.APISecret())); err != nil {
		t.Fatal(err)
	}
	paths := samplePaths(t, 1)
	shared := func(fx *fixture) {
		fx.store, fx.keys, fx.sessions = store, keys, &openedSessions{dir: journalDir}
	}

	first := newFixture(t, func(fx *fixture) { shared(fx); fx.inputs = paths })
	deadline := time.Now().Add(20 * time.Second)
	for srv.Stats().Faults["stall"] == 0 && time.Now().Before(deadline) {
		first.settle()
	}
	if srv.Stats().Faults["stall"] == 0 {
		t.Fatal("the upload never reached the sandbox")
	}
	first.win.Close()

	srv.SetFaults("")
	second := newFixture(t, shared)
	up := second.win.upload
	if got := up.Notice(); got != filepath.Base(paths[0])+" did not finish uploading last time." {
		t.Fatalf("notice = %q", got)
	}
	var resume *widget.Button
	for _, o := range test.LaidOutObjects(up.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Resume" && b.Visible() {
			resume = b
		}
	}
	if resume == nil {
		t.Fatal("no Resume button next to the notice")
	}
	test.Tap(resume)
	second.settle()
	waitUploaded(t, second)
	if got, err := srv.Assets(context.Background()); err != nil || len(got) != 1 || got[0].Etag != md5File(t, paths[0]) {
		t.Errorf("sandbox assets after resuming: %+v (%v)", got, err)
	}
}

func TestWindowFollowsSettingsWhenAProfileIsUsedOrRemoved(t *testing.T) {
	fx := newFixture(t, withWork)
	fx.win.Window.Resize(fyne.NewSize(900, 900))
	panel := fx.win.OpenSettings()
	fx.settle()

	panel.Select(account.SandboxName)
	panel.Use()
	fx.settle()
	if fx.win.switcher.Selected != account.SandboxName || fx.win.Session() == nil || !fx.win.Session().Profile().Sandbox {
		t.Fatalf("after Use: switcher %q, session %v", fx.win.switcher.Selected, fx.win.Session())
	}

	panel.Select("Work")
	panel.Remove("Work")
	fx.settle()
	for _, o := range fx.win.switcher.Options {
		if o == "Work" {
			t.Error("the switcher still offers the removed profile")
		}
	}
	if _, err := fx.keys.Get(context.Background(), "Work"); err == nil {
		t.Error("the removed profile's secret is still in the keychain")
	}
}

func TestWindowLibraryShowsNewUploadsWhenItIsShownAgain(t *testing.T) {
	fx := newFixture(t, nil)
	fx.win.Tabs.Select(fx.win.libraryItem)
	lib := fx.win.library
	waitLen := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for lib.State().Len != want && time.Now().Before(deadline) {
			fx.settle()
		}
		if st := lib.State(); st.Len != want {
			t.Fatalf("library holds %d assets, want %d (state %+v)", st.Len, want, st)
		}
	}
	waitLen(6) // the seeded samples

	paths := samplePaths(t, 2)
	var uris []fyne.URI
	for _, p := range paths {
		uris = append(uris, storage.NewFileURI(p))
	}
	fx.win.HandleDrop(fyne.NewPos(10, 10), uris) // brings the Upload tab forward
	waitUploaded(t, fx)
	fx.settle()

	fx.win.Tabs.Select(fx.win.libraryItem)
	waitLen(8)

	// Showing it again with nothing new uploaded keeps what it has.
	// A reload would start over from an empty page at once.
	fx.win.Tabs.Select(fx.win.uploadItem)
	fx.win.Tabs.Select(fx.win.libraryItem)
	if st := lib.State(); st.Len != 8 || st.Loading {
		t.Errorf("showing the Library again with no new uploads reloaded it: %+v", st)
	}
}
