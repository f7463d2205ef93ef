package watched

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/watch"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
)

type fixture struct {
	v       *View
	store   *coredesktop.Store
	tasks   *bridge.Tasks
	win     fyne.Window
	changed []coredesktop.Settings
	status  map[string]watch.Status
}

func newFixture(t *testing.T, noTray string, setup func(*coredesktop.Store)) *fixture {
	t.Helper()
	test.NewTempApp(t)
	fx := &fixture{store: coredesktop.NewStore(t.TempDir()), tasks: bridge.NewQueuedTasks(), status: map[string]watch.Status{}}
	t.Cleanup(fx.tasks.Close)
	if setup != nil {
		setup(fx.store)
	}
	fx.win = test.NewTempWindow(t, widget.NewLabel(""))
	fx.v = New(Deps{
		Store: fx.store, Tasks: fx.tasks, Window: fx.win, NoTray: noTray,
		Profiles: func() ([]string, error) { return []string{"Sandbox", "Work"}, nil },
		Status: func(id string) (watch.Status, bool) {
			st, ok := fx.status[id]
			return st, ok
		},
		OnChanged: func(s coredesktop.Settings) { fx.changed = append(fx.changed, s) },
	})
	fx.tasks.Wait()
	fx.win.SetContent(container.NewPadded(fx.v.Content()))
	fx.win.Resize(fyne.NewSize(760, 560))
	return fx
}

func (fx *fixture) put(t *testing.T, f watch.Folder) watch.Folder {
	t.Helper()
	got, err := fx.store.PutFolder(f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAddingAWatchedFolderStoresItAndTellsTheWindow(t *testing.T) {
	fx := newFixture(t, "", nil)
	test.AssertRendersToImage(t, "empty.png", fx.win.Canvas())

	fx.v.Edit(watch.Folder{Enabled: true})
	fm := fx.v.LastForm()
	test.Tap(fm.save) // nothing chosen yet
	if !strings.Contains(fm.problem.Text, "Choose the folder to watch") {
		t.Fatalf("problem: %q", fm.problem.Text)
	}
	test.Type(fm.dir, "/home/ann/Pictures/Screenshots")
	fm.profile.SetSelected("Work")
	test.Type(fm.folder, "/shots/")
	test.Type(fm.tags, "screen, daily")
	test.Type(fm.template, "{name}")
	test.Tap(fm.subfolders)
	test.AssertRendersToImage(t, "edit_dialog.png", fx.win.Canvas())
	test.Tap(fm.save)
	fx.tasks.Wait()

	set, err := fx.store.Load()
	if err != nil || len(set.Watched) != 1 {
		t.Fatalf("stored %+v %v", set, err)
	}
	f := set.Watched[0]
	if f.Dir != "/home/ann/Pictures/Screenshots" || f.Profile != "Work" || f.Folder != "shots" || strings.Join(f.Tags, ",") != "screen,daily" ||
		f.PublicIDTemplate != "{name}" || !f.Subfolders || !f.Enabled || f.ID == "" {
		t.Fatalf("stored %+v", f)
	}
	if len(fx.changed) != 1 || len(fx.changed[0].Watched) != 1 {
		t.Fatalf("the window heard %d changes", len(fx.changed))
	}
	if len(fx.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("the dialog stayed open after saving")
	}
	if got := fx.v.Status(); got != "Saved. /home/ann/Pictures/Screenshots is watched." {
		t.Errorf("status %q", got)
	}
}

func TestTheListSaysWhatEachFolderDoesAndSwitchesThemOnAndOff(t *testing.T) {
	var shots, exports watch.Folder
	fx := newFixture(t, "", func(s *coredesktop.Store) {
		var err error
		if shots, err = s.PutFolder(watch.Folder{Dir: "/home/ann/Pictures/Screenshots", Profile: "Work", Folder: "shots", Tags: []string{"screen"}, Enabled: true, Subfolders: true}); err != nil {
			t.Fatal(err)
		}
		if exports, err = s.PutFolder(watch.Folder{Dir: "/media/ann/CARD/DCIM", Profile: "Sandbox", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		s.PutFolder(watch.Folder{Dir: "/home/ann/Exports", Profile: "Sandbox", PublicIDTemplate: "{name}", Enabled: false})
	})
	fx.status[shots.ID] = watch.Status{Phase: watch.Watching, LeftAlone: 12}
	fx.status[exports.ID] = watch.Status{Phase: watch.Missing, Err: errors.New("the folder /media/ann/CARD/DCIM is not there (removed, renamed, or on a drive that is not connected)"), RetryIn: 8e9}
	fx.v.RefreshStatus()
	test.AssertRendersToImage(t, "list.png", fx.win.Canvas())
	if got := fx.v.statusWords(shots); got != "Watching, with subfolders, 12 files that were there before left alone" {
		t.Errorf("words: %q", got)
	}

	// The first row's check switches it off.
	row := fx.v.list.Objects[0].(*fyne.Container)
	var check *dialogs.Check
	for _, o := range row.Objects {
		if c, ok := o.(*fyne.Container); ok && len(c.Objects) == 1 {
			if ch, ok := c.Objects[0].(*dialogs.Check); ok {
				check = ch
			}
		}
	}
	if check == nil || !check.Checked {
		t.Fatal("no checked on/off box in the first row")
	}
	test.Tap(check)
	fx.tasks.Wait()
	set, _ := fx.store.Load()
	if f, _ := set.Folder(shots.ID); f.Enabled {
		t.Fatal("switching off was not stored")
	}
	if len(fx.changed) == 0 {
		t.Fatal("the window did not hear of it")
	}
}

func TestCopyLinksAndTheCloseChoiceAreStored(t *testing.T) {
	fx := newFixture(t, "", nil)
	test.Tap(fx.v.copyLinks)
	fx.tasks.Wait()
	fx.v.onClose.SetSelected(closeTray)
	fx.tasks.Wait()
	set, err := fx.store.Load()
	if err != nil || !set.CopyLinks || set.OnClose != coredesktop.KeepInTray {
		t.Fatalf("%+v %v", set, err)
	}
}

func TestWithoutATrayClosingAlwaysQuitsAndTheViewSaysSo(t *testing.T) {
	fx := newFixture(t, "There is no tray here: this desktop shows no status icons.", nil)
	if !fx.v.onClose.Disabled() {
		t.Fatal("the close choice is offered without a tray")
	}
	test.AssertRendersToImage(t, "no_tray.png", fx.win.Canvas())
}

func TestRemovingAFolderAsksFirst(t *testing.T) {
	var f watch.Folder
	fx := newFixture(t, "", func(s *coredesktop.Store) {
		f, _ = s.PutFolder(watch.Folder{Dir: "/home/ann/Exports", Profile: "Work", Enabled: true})
	})
	fx.v.confirmRemove(f)
	overlays := fx.win.Canvas().Overlays().List()
	if len(overlays) != 1 {
		t.Fatalf("%d overlays", len(overlays))
	}
	var stop *widget.Button
	for _, o := range test.LaidOutObjects(overlays[0]) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Stop watching" {
			stop = b
		}
	}
	if stop == nil {
		t.Fatal("no Stop watching button")
	}
	test.Tap(stop)
	fx.tasks.Wait()
	if set, _ := fx.store.Load(); len(set.Watched) != 0 {
		t.Fatalf("still stored: %+v", set.Watched)
	}
	if got := fx.v.Status(); got != "Stopped watching /home/ann/Exports." {
		t.Errorf("status %q", got)
	}
}
