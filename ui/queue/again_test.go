package queue

import (
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/transfer"
)

// UploadAgain queues a skipped item again, as the engine does.
func (f *FakeEngine) UploadAgain(id transfer.ItemID) error {
	return f.change(id, "upload again", transfer.Queued, "queued (upload again)", func(s transfer.State) bool { return s == transfer.Skipped })
}

// A file found already on Cloudinary says so with its link, and its row
// offers to upload it again; the bar is not full while a row is unfinished
// or failed, whatever the bytes say.
func TestSkippedRowOffersUploadAgainAndTheBarIsNotFullEarly(t *testing.T) {
	h := newHarness(t, true)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"beach.jpg", "harbour.jpg", "market.jpg"} {
		p := filepath.Join(dir, name)
		writeJPEG(t, p, 160+40*i, 120, color.RGBA{uint8(60 * i), 140, 200, 255})
		paths = append(paths, p)
	}
	ids := h.eng.Add(transfer.Item{Path: paths[0]}, transfer.Item{Path: paths[1]}, transfer.Item{Path: paths[2]})
	items := h.eng.Items()
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Skipped, BytesDone: items[0].BytesTotal,
		Words: "already uploaded, still on Cloudinary: https://res.cloudinary.com/demo/image/upload/beach.jpg"})
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Done, Words: "done", BytesDone: items[1].BytesTotal})
	// Every byte is in, and Cloudinary has not answered yet.
	h.eng.Set(transfer.ItemStatus{ID: ids[2], State: transfer.Uploading, Words: transfer.AllSentWords, BytesDone: items[2].BytesTotal})
	h.settle()

	if f := h.v.overall.Value; f >= 1 {
		t.Errorf("the overall bar is full (%v) while a file is still being stored", f)
	}
	if got, want := h.v.Summary(), "2 of 3 uploaded"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
	r := h.row(ids[0])
	if !r.again.Visible() || r.bar.Visible() {
		t.Fatalf("skipped row: Upload again shown %v, bar shown %v", r.again.Visible(), r.bar.Visible())
	}
	if h.row(ids[1]).again.Visible() {
		t.Error("a done row offers Upload again")
	}
	shot(t, h, "skipped-and-storing.png")
	test.Tap(r.again)
	h.settle()
	if calls := h.eng.Calls(); calls[len(calls)-1] != "upload again "+string(ids[0]) {
		t.Fatalf("calls = %v", calls)
	}
	if st := h.v.Row(0); st.State != transfer.Queued {
		t.Fatalf("after Upload again the row is %s", st.State)
	}

	// Done but one failed: still not full.
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Done, Words: "done", BytesDone: items[0].BytesTotal})
	h.eng.Set(transfer.ItemStatus{ID: ids[2], State: transfer.Failed, Words: "failed: the network dropped", Err: os.ErrDeadlineExceeded})
	h.settle()
	if f := h.v.overall.Value; f >= 1 {
		t.Errorf("the overall bar is full (%v) with a failed file", f)
	}
}

// shot saves the window for people to look at (CLOUDUP_SHOTS names the
// folder; nothing is written without it).
func shot(t *testing.T, h *harness, name string) {
	dir := os.Getenv("CLOUDUP_SHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := h.win.Canvas().Capture()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pngEncode(f, img); err != nil {
		t.Fatal(err)
	}
}

var pngEncode = png.Encode
