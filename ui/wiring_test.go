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
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/sandbox"
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

// recordingUpload stands in for the Upload view and notes what reached it.
type recordingUpload struct {
	plainUpload
	calls []string
}

func (r *recordingUpload) addFiles()       { r.calls = append(r.calls, "addFiles") }
func (r *recordingUpload) paste()          { r.calls = append(r.calls, "paste") }
func (r *recordingUpload) deleteSelected() { r.calls = append(r.calls, "delete") }
func (r *recordingUpload) offerResume(n int) {
	r.calls = append(r.calls, "resume")
}

type recordingLibrary struct {
	plainLibrary
	calls []string
}

func (r *recordingLibrary) focusSearch()       { r.calls = append(r.calls, "search") }
func (r *recordingLibrary) closePreview() bool { r.calls = append(r.calls, "close"); return true }

func TestWindowShortcutsReachTheViews(t *testing.T) {
	fx := newFixture(t, nil)
	up := &recordingUpload{plainUpload: *newPlainUpload()}
	lib := &recordingLibrary{plainLibrary: *newPlainLibrary()}
	fx.win.upload, fx.win.library = up, lib
	c := fx.win.Window.Canvas()

	ctrl := func(k fyne.KeyName) {
		for _, menu := range fx.win.Window.MainMenu().Items {
			for _, item := range menu.Items {
				if s, ok := item.Shortcut.(interface{ Key() fyne.KeyName }); ok && s.Key() == k {
					item.Action()
					return
				}
			}
		}
		t.Fatalf("no menu item for Ctrl+%s", k)
	}
	key := func(k fyne.KeyName) { c.OnTypedKey()(&fyne.KeyEvent{Name: k}) }
	ctrl(fyne.KeyO)
	ctrl(fyne.KeyF)
	if fx.win.Tabs.Selected() != fx.win.libraryItem {
		t.Error("Ctrl+F did not show the Library")
	}
	key(fyne.KeyEscape)
	key(fyne.KeyDelete) // on the Library tab: nothing to delete
	fx.win.Tabs.Select(fx.win.uploadItem)
	key(fyne.KeyDelete)
	// Fyne's test canvas cannot fire canvas shortcuts; Ctrl+V runs Paste.
	fx.win.Paste()

	if got := strings.Join(up.calls, ","); got != "addFiles,delete,paste" {
		t.Errorf("upload view got %q", got)
	}
	if got := strings.Join(lib.calls, ","); got != "search,close" {
		t.Errorf("library view got %q", got)
	}
	ctrl(fyne.KeyComma)
	if c.Overlays().Top() == nil {
		t.Error("Ctrl+, did not open Settings")
	}
}

func TestWindowLibraryShowsTheSandboxSamplesAndFollowsProfileSwitches(t *testing.T) {
	fx := newFixture(t, nil)
	fx.win.Tabs.Select(fx.win.libraryItem)
	lib := fx.win.library.(*libraryView)
	deadline := time.Now().Add(30 * time.Second)
	for lib.v.State().Len < 6 && time.Now().Before(deadline) {
		fx.settle()
	}
	st := lib.v.State()
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
	if st := lib.v.State(); st.Len != 0 {
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
	up := second.win.upload.(*queueTab)
	if got := up.v.Notice(); got != "1 upload from last time did not finish." {
		t.Fatalf("notice = %q", got)
	}
	var resume *widget.Button
	for _, o := range test.LaidOutObjects(up.v.Content()) {
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
	lib := fx.win.library.(*libraryView)
	waitLen := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for lib.v.State().Len != want && time.Now().Before(deadline) {
			fx.settle()
		}
		if st := lib.v.State(); st.Len != want {
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
	counting := &countingLibrary{libraryView: lib}
	fx.win.library = counting
	fx.win.Tabs.Select(fx.win.uploadItem)
	fx.win.Tabs.Select(fx.win.libraryItem)
	fx.settle()
	if counting.refreshes != 0 {
		t.Errorf("showing the Library again with no new uploads reloaded it %d times", counting.refreshes)
	}
}

// countingLibrary counts the reloads the window asks of the Library.
type countingLibrary struct {
	*libraryView
	refreshes int
}

func (c *countingLibrary) refresh() { c.refreshes++; c.libraryView.refresh() }
