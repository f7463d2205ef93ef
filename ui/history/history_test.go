package history

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
)

// uploaded runs a real engine against a sandbox and uploads names (tiny
// PNGs), returning the journal that recorded them.
func uploaded(t *testing.T, names ...string) (*transfer.Journal, string) {
	t.Helper()
	dir := t.TempDir()
	sb := sandboxtest.Start(t, sandbox.Config{})
	j, err := transfer.OpenJournal(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	eng, err := transfer.New(transfer.Config{Client: sandboxtest.Client(t, sb), Journal: j, Profile: "work",
		Options: transfer.Options{Folder: "blog"}})
	if err != nil {
		t.Fatal(err)
	}
	var items []transfer.Item
	for i, n := range names {
		img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
		for p := range 64 {
			img.Set(p%8, p/8, color.NRGBA{uint8(60 * i), 90, 200, 255})
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		items = append(items, transfer.Item{Path: p})
	}
	eng.Add(items...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := eng.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	return j, dir
}

func TestHistoryListsSearchesCopiesAndReveals(t *testing.T) {
	j, dir := uploaded(t, "summer team.png", "beach.png", "invoice.png")
	test.NewTempApp(t)
	tasks := bridge.NewQueuedTasks()
	t.Cleanup(tasks.Close)
	win := test.NewTempWindow(t, nil)
	v := New(win, tasks)
	v.Debounce = time.Millisecond
	var revealed []string
	v.Reveal = func(_ context.Context, d string) error { revealed = append(revealed, d); return nil }
	win.SetContent(v.Content())
	win.Resize(fyne.NewSize(900, 500))
	if v.Note() == "" {
		t.Fatal("no words without a source")
	}
	v.SetSource(j)
	tasks.Wait()
	rows := v.Rows()
	if len(rows) != 3 || v.Note() != "" {
		t.Fatalf("%d rows, note %q", len(rows), v.Note())
	}
	for _, r := range rows {
		if r.Profile != "work" || r.Folder != "blog" || r.SecureURL == "" || r.Outcome != transfer.Done {
			t.Fatalf("row %+v", r)
		}
		if !strings.Contains(metaOf(r), "work · blog") {
			t.Fatalf("meta %q", metaOf(r))
		}
	}
	saveCapture(t, win.Canvas().Capture(), "history.png")

	test.Type(v.search, "summer")
	tasks.Wait()
	if got := v.Rows(); len(got) != 1 || got[0].Name != "summer team.png" {
		t.Fatalf("search summer: %+v", got)
	}
	v.CopyLink(0)
	if clip := fyne.CurrentApp().Clipboard().Content(); clip != v.Rows()[0].SecureURL {
		t.Fatalf("clipboard %q", clip)
	}
	if !strings.HasPrefix(v.Status(), "Copied the link of summer team.png") {
		t.Fatalf("status %q", v.Status())
	}
	v.ShowInFolder(0)
	tasks.Wait()
	if len(revealed) != 1 || revealed[0] != dir {
		t.Fatalf("revealed %v, want %s", revealed, dir)
	}

	v.search.SetText("nothing-like-this")
	v.Load()
	tasks.Wait()
	if len(v.Rows()) != 0 || !strings.Contains(v.Note(), "nothing-like-this") {
		t.Fatalf("no match: %d rows, note %q", len(v.Rows()), v.Note())
	}
	test.AssertRendersToImage(t, "no_match.png", win.Canvas())
}

func saveCapture(t *testing.T, img image.Image, name string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.ArtifactDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
