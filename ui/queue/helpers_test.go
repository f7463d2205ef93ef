package queue

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
)

type harness struct {
	t   testing.TB
	v   *View
	eng *FakeEngine
	win fyne.Window
	// tasks holds UI work for the test's goroutine (bridge.NewQueuedTasks).
	tasks *bridge.Tasks
}

// newHarness builds the view in a 900×560 test window; with an engine it
// attaches a FakeEngine.
func newHarness(t testing.TB, attach bool) *harness {
	t.Helper()
	test.NewTempApp(t)
	t.Setenv("CLOUDUP_DATA_DIR", t.TempDir())
	t.Setenv("CLOUDUP_CONFIG_DIR", t.TempDir())
	h := &harness{t: t, tasks: bridge.NewQueuedTasks()}
	t.Cleanup(h.tasks.Close)
	h.win = test.NewTempWindow(t, nil)
	h.v = New(h.win, h.tasks)
	h.win.SetContent(h.v.Content())
	h.win.Resize(fyne.NewSize(900, 560))
	if attach {
		h.eng = NewFakeEngine()
		h.v.SetAccount(AccountWith(h.eng, nil))
		h.settle()
	}
	return h
}

// settle waits until the view has taken every event the engine sent and
// finished its background work, applying the results on this goroutine.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	quiet := 0
	for quiet < 3 {
		if time.Now().After(deadline) {
			h.t.Fatalf("the view did not settle: merged %d of %d events", h.v.merged.Load(), h.emitted())
		}
		h.tasks.Wait() // background work done, its results applied here
		busy := h.tasks.Drain() > 0
		if h.v.acct != nil && h.v.attached.Load() != int64(h.v.gen) {
			busy = true
		}
		if h.v.merged.Load() < int64(h.emitted()) {
			busy = true
		} else {
			h.v.sync()
		}
		if busy {
			quiet = 0
			time.Sleep(time.Millisecond)
			continue
		}
		quiet++
	}
}

func (h *harness) emitted() int {
	if h.eng == nil {
		return 0
	}
	return h.eng.Emitted()
}

// writeJPEG writes a solid-colour photo of w×h.
func writeJPEG(t testing.TB, path string, w, h int, c color.Color) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
}

// row is the list's row widget showing item id.
func (h *harness) row(id transfer.ItemID) *row {
	h.t.Helper()
	for _, o := range test.LaidOutObjects(h.win.Canvas().Content()) {
		if r, ok := o.(*row); ok && r.id == id && r.Visible() {
			return r
		}
	}
	h.t.Fatalf("no row shows %s", id)
	return nil
}

// addURLs queues n remote images on the fake engine.
func (h *harness) addURLs(n int) []transfer.ItemID {
	items := make([]transfer.Item, n)
	for i := range items {
		items[i] = transfer.Item{URL: fmt.Sprintf("https://example.com/%02d.jpg", i)}
	}
	return h.eng.Add(items...)
}

// setStates puts the fake engine's items in state s, in the engine's words.
func (h *harness) setStates(ids []transfer.ItemID, s transfer.State) {
	for _, id := range ids {
		h.eng.Set(transfer.ItemStatus{ID: id, State: s, Words: string(s)})
	}
}
