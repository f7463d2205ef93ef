package ui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/watch"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/tray"
)

// recordingApp is the test app, noting Quit and notifications (the test
// driver's own Quit does nothing).
type recordingApp struct {
	fyne.App
	mu            sync.Mutex
	quits         int
	notifications []*fyne.Notification
}

func (a *recordingApp) Quit() {
	a.mu.Lock()
	a.quits++
	a.mu.Unlock()
}

func (a *recordingApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	a.notifications = append(a.notifications, n)
	a.mu.Unlock()
}

func (a *recordingApp) Quits() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quits
}

func (a *recordingApp) Last() *fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.notifications) == 0 {
		return nil
	}
	return a.notifications[len(a.notifications)-1]
}

// panel stands in for the desktop's status area.
type panel struct {
	mu    sync.Mutex
	menu  *fyne.Menu
	icons []fyne.Resource
}

func (p *panel) SetSystemTrayMenu(m *fyne.Menu) { p.mu.Lock(); p.menu = m; p.mu.Unlock() }
func (p *panel) SetSystemTrayIcon(r fyne.Resource) {
	p.mu.Lock()
	p.icons = append(p.icons, r)
	p.mu.Unlock()
}
func (p *panel) SetSystemTrayWindow(fyne.Window) {}

func (p *panel) item(t *testing.T, label string) *fyne.MenuItem {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.menu == nil {
		t.Fatal("no tray menu")
	}
	var labels []string
	for _, it := range p.menu.Items {
		if strings.TrimSpace(it.Label) == label {
			return it
		}
		labels = append(labels, it.Label)
	}
	t.Fatalf("no %q in the tray menu %q", label, labels)
	return nil
}

// withWatched watches a new folder for the Sandbox profile, copying links.
func withWatched(t *testing.T, dir *string, trayHere bool, p *panel) func(*fixture) {
	return func(fx *fixture) {
		root := t.TempDir()
		*dir = filepath.Join(root, "Screenshots")
		os.MkdirAll(*dir, 0o755)
		store := coredesktop.NewStore(filepath.Join(root, "config"))
		if _, err := store.PutFolder(watch.Folder{Dir: *dir, Profile: account.SandboxName, Folder: "shots", Enabled: true}); err != nil {
			panic(err)
		}
		store.Update(func(s *coredesktop.Settings) error { s.CopyLinks = true; return nil })
		state, err := watch.OpenState(filepath.Join(root, "data", watch.StateFile))
		if err != nil {
			panic(err)
		}
		fx.bg = BackgroundDeps{Desktop: store, WatchState: state}
		if trayHere {
			fx.bg.Tray = p
		} else {
			fx.bg.NoTray = "There is no tray here: test."
		}
		t.Cleanup(func() { state.Close() })
	}
}

// waitFor settles the window until cond holds.
func (fx *fixture) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		fx.win.Tasks().Wait()
		fx.win.Tasks().Drain()
		time.Sleep(20 * time.Millisecond)
	}
	fx.settle()
}

func copySample(t *testing.T, dst string) string {
	t.Helper()
	src := samplePaths(t, 1)[0]
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return md5File(t, dst)
}

func TestAWatchedFolderUploadsIntoItsProfilesQueueAndTheLinkIsCopied(t *testing.T) {
	var dir string
	fx := newFixture(t, withWatched(t, &dir, false, nil))
	fx.waitFor(t, "the folder to be watched", func() bool { return fx.win.bg.svc.Watching() == 1 })
	sum := copySample(t, filepath.Join(dir, "shot-1.jpg"))

	fx.waitFor(t, "the upload", func() bool {
		s := fx.win.Session()
		return s != nil && s.Engine().Batch().Done == 1
	})
	// The window's session is the watched folder's: the row is in the queue.
	items := fx.win.Session().Engine().Snapshot().Items
	if len(items) != 1 || items[0].Name != "shot-1.jpg" || items[0].Asset == nil || items[0].Asset.ETag != sum ||
		!strings.HasPrefix(items[0].Asset.PublicID, "shots/") {
		t.Fatalf("queue: %+v", items)
	}
	link := items[0].Asset.Link()
	fx.waitFor(t, "the link on the clipboard", func() bool { return fx.app.Clipboard().Content() == link })
	if n := fx.app.Last(); n == nil || n.Title != "Link copied" || !strings.Contains(n.Content, "shot-1.jpg is on Cloudinary; its link is on the clipboard") {
		t.Fatalf("notification %+v", n)
	}
}

func TestClosingWhileFoldersAreWatchedAsksOnceThenKeepsWorkingInTheTray(t *testing.T) {
	var dir string
	p := &panel{}
	fx := newFixture(t, withWatched(t, &dir, true, p))
	fx.waitFor(t, "the tray to show the watched folder", func() bool {
		return fx.win.bg.tray != nil && fx.win.bg.tray.State().Words() == "Watching 1 folder"
	})
	p.item(t, "Show Cloudup")
	p.item(t, "Upload clipboard")
	p.item(t, "Pause all")

	fx.win.RequestClose()
	overlays := fx.win.Window.Canvas().Overlays().List()
	if len(overlays) != 1 || fx.app.Quits() != 0 {
		t.Fatalf("closing with a watched folder: %d dialogs, %d quits", len(overlays), fx.app.Quits())
	}
	var keep *widget.Button
	var remember *dialogs.Check
	for _, o := range test.LaidOutObjects(overlays[0]) {
		switch w := o.(type) {
		case *widget.Button:
			if w.Text == "Keep working in the tray" {
				keep = w
			}
		case *dialogs.Check:
			remember = w
		}
	}
	if keep == nil || remember == nil {
		t.Fatal("the question has no Keep working button or no remember box")
	}
	test.Tap(remember)
	test.Tap(keep)
	fx.settle()
	if !fx.win.bg.hidden || fx.app.Quits() != 0 {
		t.Fatalf("hidden %v, quits %d", fx.win.bg.hidden, fx.app.Quits())
	}
	if n := fx.app.Last(); n == nil || n.Title != "Cloudup keeps working in the tray" {
		t.Fatalf("notification %+v", n)
	}
	if s, _ := fx.bg.Desktop.Load(); s.OnClose != coredesktop.KeepInTray {
		t.Fatalf("the choice was not remembered: %q", s.OnClose)
	}

	// From the tray: the window comes back; closing again asks nothing.
	p.item(t, "Show Cloudup").Action()
	if fx.win.bg.hidden {
		t.Fatal("Show Cloudup did not show the window")
	}
	fx.win.RequestClose()
	if len(fx.win.Window.Canvas().Overlays().List()) != 0 || !fx.win.bg.hidden {
		t.Fatal("the remembered choice was not used")
	}

	// Pause all from the tray pauses the watched folder's engine.
	p.item(t, "Pause all").Action()
	fx.settle()
	if !fx.win.Session().Engine().Batch().Paused {
		t.Fatal("Pause all did not pause")
	}
	// Quit from the tray, with an upload waiting: it says so and quits.
	copySample(t, filepath.Join(dir, "waiting.jpg"))
	fx.waitFor(t, "the file to wait in the paused queue", func() bool { return fx.win.Session().Engine().Batch().Queued == 1 })
	fx.waitFor(t, "the tray to say it", func() bool {
		return strings.Contains(fx.win.bg.tray.State().Words(), "Paused: 1 upload waits")
	})
	p.item(t, "Resume all")
	p.item(t, "Quit").Action()
	fx.settle()
	if fx.app.Quits() != 1 {
		t.Fatalf("quits %d", fx.app.Quits())
	}
	if n := fx.app.Last(); n == nil || n.Content != tray.QuitWords(1) {
		t.Fatalf("notification %+v", n)
	}
}

func TestWithoutATrayClosingQuitsAsAlways(t *testing.T) {
	var dir string
	fx := newFixture(t, withWatched(t, &dir, false, nil))
	fx.waitFor(t, "the folder to be watched", func() bool { return fx.win.bg.svc.Watching() == 1 })
	fx.win.RequestClose()
	if fx.app.Quits() != 1 || len(fx.win.Window.Canvas().Overlays().List()) != 0 {
		t.Fatalf("quits %d, dialogs %d", fx.app.Quits(), len(fx.win.Window.Canvas().Overlays().List()))
	}
	// Settings says why.
	pl := fx.win.OpenSettings()
	pl.ShowBackground()
	fx.settle()
	if fx.win.bg.view == nil || fx.win.bg.view.Settings().Watched[0].Dir != dir {
		t.Fatal("the Settings background tab does not list the watched folder")
	}
}
