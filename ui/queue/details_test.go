package queue

import (
	"context"
	"image/color"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/portal"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
)

func TestDetailsApplyOverTheProfileDefaults(t *testing.T) {
	base := transfer.Options{Folder: "blog", Tags: []string{"site"}, Context: map[string]string{"credit": "Ann"}}
	d := Details{Folder: "trips/2026", Tags: []string{"summer", "site"}, Alt: "Beach", Caption: "Sète", DisplayName: "Team"}
	o := d.Apply(base, true)
	if o.Folder != "trips/2026" || !slices.Equal(o.Tags, []string{"site", "summer"}) || o.Context["alt"] != "Beach" ||
		o.Context["caption"] != "Sète" || o.Context["credit"] != "Ann" || o.DisplayName != "Team" {
		t.Fatalf("options %+v", o)
	}
	if base.Context["alt"] != "" || len(base.Tags) != 1 {
		t.Fatalf("the profile's defaults changed: %+v", base)
	}
	if o := d.Apply(base, false); o.DisplayName != "" {
		t.Fatalf("a batch of several files got one display name %q", o.DisplayName)
	}
	if got := completeTags("summer, te", []string{"team", "tech", "summer"}); !slices.Equal(got, []string{"summer, team", "summer, tech"}) {
		t.Fatalf("completion %v", got)
	}
}

// The Details panel against the sandbox: the folder list comes from the
// account, a new folder is created, and the next file lands with the
// folder, tags, alt text, caption and name set.
func TestDetailsPanelSetsMetadataOfTheNextUpload(t *testing.T) {
	h := newHarness(t, false)
	eng, sb := realEngine(t)
	client := sandboxtest.Client(t, sb)
	ctx := context.Background()
	if _, err := client.CreateFolder(ctx, "trips/2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateFolder(ctx, "team"); err != nil {
		t.Fatal(err)
	}
	h.v.SetAccount(WithCatalog(AccountFrom(eng, nil), client))
	f := h.v.showDetailsForm()
	h.tasks.Wait()
	if !slices.Equal(f.folderChoices, []string{"team", "trips"}) {
		t.Fatalf("folder choices %v", f.folderChoices)
	}
	f.folder.SetText("trips/")
	h.tasks.Wait()
	if !slices.Equal(f.folderChoices, []string{"trips/2026"}) {
		t.Fatalf("choices under trips/ %v", f.folderChoices)
	}
	f.folder.SetText("trips/2026/beach")
	f.tags.SetText("summer, team")
	f.alt.SetText("Five people on a beach")
	f.caption.SetText("Summer outing")
	f.display.SetText("Summer team")
	h.win.Resize(fyne.NewSize(900, 560))
	test.AssertRendersToImage(t, "details_form.png", h.win.Canvas())
	// Return in a field applies, as Apply does.
	h.win.Canvas().Focus(f.caption)
	f.caption.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.tasks.Wait()
	if d := h.v.Details(); d.Folder != "trips/2026/beach" || d.Caption != "Summer outing" {
		t.Fatalf("details %+v", h.v.Details())
	}
	sub, err := client.Folders(ctx, "trips/2026")
	if err != nil || len(sub) != 1 || sub[0].Path != "trips/2026/beach" {
		t.Fatalf("the new folder was not created: %v (%v)", sub, err)
	}

	p := filepath.Join(t.TempDir(), "IMG_0042.jpg")
	writeJPEG(t, p, 64, 48, color.RGBA{200, 100, 0, 255})
	h.v.HandleDrop(fyne.NewPos(5, 5), []fyne.URI{storage.NewFileURI(p)})
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.tasks.Drain()
		h.v.sync()
		_, thumbed := h.v.thumbs.Peek(p) // made off the UI goroutine: the golden has it
		if h.v.Len() == 1 && h.v.Row(0).State == transfer.Done && thumbed {
			h.tasks.Drain()
			h.v.sync()
			break
		}
		if h.v.Len() == 1 && h.v.Row(0).State == transfer.Failed {
			t.Fatalf("failed: %v", h.v.Row(0).Err)
		}
		if time.Now().After(deadline) {
			t.Fatal("not uploaded and its thumbnail not shown after 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	test.AssertRendersToImage(t, "details_line.png", h.win.Canvas())
	id := h.v.Row(0).Asset.PublicID
	a, err := client.Resource(ctx, cloud.Ref{PublicID: id})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "Summer team" || !slices.Contains(a.Tags, "summer") || !slices.Contains(a.Tags, "team") ||
		a.Context["alt"] != "Five people on a beach" || a.Context["caption"] != "Summer outing" {
		t.Fatalf("asset %+v", a)
	}
	if a.FolderPath() != "trips/2026/beach" {
		t.Fatalf("asset is in %q", a.FolderPath())
	}
}

func TestAddFilesTakesEveryFileTheDesktopChooserGivesAndFallsBackWithoutOne(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	h := newHarness(t, true)
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		p := filepath.Join(dir, n)
		writeJPEG(t, p, 8, 8, color.RGBA{1, 2, 3, 255})
		paths = append(paths, p)
	}
	h.v.PickFiles = func(context.Context) ([]string, error) { return paths, nil }
	h.v.AddFiles()
	h.settle()
	if got := len(h.eng.Added()); got != 3 {
		t.Fatalf("%d files queued from a chooser that gave 3", got)
	}
	h.v.PickFiles = func(context.Context) ([]string, error) { return nil, portal.ErrCanceled }
	h.v.AddFiles()
	h.settle()
	if n := len(h.win.Canvas().Overlays().List()); n != 0 || len(h.eng.Added()) != 3 {
		t.Fatalf("a canceled chooser opened %d dialogs or queued files", n)
	}
	h.v.PickFiles = func(context.Context) ([]string, error) { return nil, portal.ErrNoPortal }
	h.v.AddFiles()
	h.settle()
	if n := len(h.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("without a portal: %d overlays, want Fyne's file dialog", n)
	}
}
