package queue

import (
	"context"
	"fmt"
	"image/color"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/transfer"
)

// look is everything a row shows.
type look struct {
	Name, Detail, Rate, Action, Icon                     string
	Importance                                           int
	Bar                                                  float64
	BarOn, RateOn, ActionOn, DetailsOn, AgainOn, RetryOn bool
	CancelOn, RemoveOn, IconOn, Thumb                    bool
}

func lookOf(r *row) look {
	return look{Name: r.name.Text, Detail: r.detail.Text, Rate: r.rate.Text, Action: r.action.Text, Icon: r.icon.Resource.Name(),
		Importance: int(r.detail.Importance), Bar: r.bar.Value, BarOn: r.bar.Visible(), RateOn: r.rate.Visible(),
		ActionOn: r.action.Visible(), DetailsOn: r.details.Visible(), AgainOn: r.again.Visible(), RetryOn: r.retry.Visible(),
		CancelOn: r.cancel.Visible(), RemoveOn: r.remove.Visible(), IconOn: r.icon.Visible(), Thumb: r.thumb.Image != nil}
}

// A waiting or finished row keeps only part of its status; whatever it
// keeps, it must draw exactly what the whole status draws, and count the
// same in the footer's bar. Statuses it cannot give back exactly stay whole.
func TestShortRowsDrawWhatTheirWholeStatusDraws(t *testing.T) {
	h := newHarness(t, false)
	dir := t.TempDir()
	photo := filepath.Join(dir, "IMG_0001.jpg")
	writeJPEG(t, photo, 40, 30, color.RGBA{200, 40, 40, 255})
	if _, err := h.v.thumbs.Get(context.Background(), photo); err != nil {
		t.Fatal(err)
	}
	asset := &cloud.Asset{PublicID: "trips/IMG_0001", SecureURL: "https://res.cloudinary.com/demo/image/upload/v1/trips/IMG_0001.jpg", ResourceType: "image", Format: "jpg", Bytes: 1234}
	link := "already uploaded, still on Cloudinary: " + asset.SecureURL
	full := func(st transfer.ItemStatus) transfer.ItemStatus {
		// What the engine fills in besides: none of it may change the row.
		st.PublicID, st.MD5, st.Format, st.Attempt = "trips/x", "d41d8cd98f00b204e9800998ecf8427e", "jpg", 1
		return st
	}
	cases := []struct {
		name  string
		st    transfer.ItemStatus
		short bool
	}{
		{"queued photo", full(transfer.ItemStatus{ID: "a", Name: "IMG_0001.jpg", Path: photo, State: transfer.Queued, Words: "queued", BytesTotal: 1234}), true},
		{"queued resumed", full(transfer.ItemStatus{ID: "b", Name: "IMG_0001.jpg", Path: photo, State: transfer.Queued, Words: "queued (resumed)", BytesTotal: 1234, Resumed: true}), true},
		{"queued size unknown", transfer.ItemStatus{ID: "c", Name: "clip.mov", Path: "/nowhere/clip.mov", State: transfer.Queued}, true},
		{"queued url", transfer.ItemStatus{ID: "d", Name: "cat.jpg", URL: "https://example.com/pics/cat.jpg", State: transfer.Queued, Words: "queued"}, true},
		{"queued url unnamed", transfer.ItemStatus{ID: "e", URL: "https://example.com/", State: transfer.Queued, Words: "queued"}, true},
		{"done photo", full(transfer.ItemStatus{ID: "f", Name: "IMG_0001.jpg", Path: photo, State: transfer.Done, Words: "done", BytesDone: 1234, BytesTotal: 1234, Asset: asset, ResourceType: transfer.Image}), true},
		{"done existing", full(transfer.ItemStatus{ID: "g", Name: "IMG_0001.jpg", Path: photo, State: transfer.Done, Words: "done (it was already on Cloudinary)", BytesDone: 1234, BytesTotal: 1234, Asset: asset}), true},
		{"done url", full(transfer.ItemStatus{ID: "h", Name: "cat.jpg", URL: "https://example.com/pics/cat.jpg", State: transfer.Done, Words: "done", BytesDone: 5000, BytesTotal: 5000, Asset: asset, ResourceType: transfer.Image}), true},
		{"done url size unknown", transfer.ItemStatus{ID: "i", Name: "cat.jpg", URL: "https://example.com/pics/cat.jpg", State: transfer.Done, Words: "done", Asset: asset}, true},
		{"done video by type", full(transfer.ItemStatus{ID: "j", Name: "take.bin", Path: "/clips/take.bin", State: transfer.Done, Words: "done", BytesTotal: 9e6, BytesDone: 9e6, ResourceType: transfer.Video}), true},
		{"done video by name", transfer.ItemStatus{ID: "k", Name: "take.mp4", Path: "/clips/take.mp4", State: transfer.Done, Words: "done", BytesTotal: 9e6, ResourceType: transfer.Raw}, true},
		{"done raw", transfer.ItemStatus{ID: "l", Name: "notes.pdf", Path: "/docs/notes.pdf", State: transfer.Done, Words: "done", BytesTotal: 3e5, ResourceType: transfer.Raw}, true},
		{"skipped", full(transfer.ItemStatus{ID: "m", Name: "IMG_0001.jpg", Path: photo, State: transfer.Skipped, Words: link, BytesTotal: 1234, Asset: asset}), true},
		{"canceled", transfer.ItemStatus{ID: "n", Name: "IMG_0001.jpg", Path: photo, State: transfer.Canceled, Words: "canceled", BytesTotal: 1234}, true},
		{"canceled no words", transfer.ItemStatus{ID: "o", Name: "IMG_0001.jpg", Path: photo, State: transfer.Canceled, BytesTotal: 1234}, true},
		// These keep their whole status.
		{"queued part sent", transfer.ItemStatus{ID: "p", Name: "IMG_0001.jpg", Path: photo, State: transfer.Queued, Words: "queued", BytesDone: 600, BytesTotal: 1234}, false},
		{"canceled part sent", transfer.ItemStatus{ID: "q", Name: "IMG_0001.jpg", Path: photo, State: transfer.Canceled, Words: "canceled", BytesDone: 600, BytesTotal: 1234}, false},
		{"named apart from its path", transfer.ItemStatus{ID: "r", Name: "camera-20260101.jpg", Path: "/spool/x1", State: transfer.Done, Words: "done"}, false},
		{"checking", transfer.ItemStatus{ID: "s", Name: "IMG_0001.jpg", Path: photo, State: transfer.Checking, Words: "checking"}, false},
		{"uploading", transfer.ItemStatus{ID: "t", Name: "IMG_0001.jpg", Path: photo, State: transfer.Uploading, Words: "uploading", BytesDone: 600, BytesTotal: 1234, Speed: 2e5, ETA: 3 * time.Second}, false},
		{"retrying", transfer.ItemStatus{ID: "u", Name: "IMG_0001.jpg", Path: photo, State: transfer.Retrying, Words: "retrying", RetryAt: time.Now().Add(4 * time.Second), Err: fmt.Errorf("connection reset")}, false},
		{"failed", transfer.ItemStatus{ID: "v", Name: "IMG_0001.jpg", Path: photo, State: transfer.Failed, Words: "failed: file not found", Err: transfer.ErrNotFound}, false},
	}
	now := time.Now()
	v := h.v
	one := func(st transfer.ItemStatus) {
		v.ids, v.rows, v.index, v.whole, v.odd = nil, nil, map[transfer.ItemID]int32{}, map[transfer.ItemID]*transfer.ItemStatus{}, map[transfer.ItemID]string{}
		v.addRow(st)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			one(c.st)
			if short := !v.rows[0].whole() && len(v.whole) == 0; short != c.short {
				t.Fatalf("short = %v, want %v", short, c.short)
			}
			if s := v.rowState(0); s != c.st.State {
				t.Fatalf("state = %s, want %s", s, c.st.State)
			}
			got := v.rowStatus(0)
			if !c.short && !reflect.DeepEqual(got, c.st) {
				t.Fatalf("a whole row lost part of its status:\n%+v\nwant\n%+v", got, c.st)
			}
			whole, kept := h.v.newRow().(*row), h.v.newRow().(*row)
			h.v.fillRow(whole, c.st)
			h.v.fillRow(kept, got)
			if w, k := lookOf(whole), lookOf(kept); w != k {
				t.Errorf("the row draws\n%+v\nwhere its whole status draws\n%+v", k, w)
			}
			if kept.id != c.st.ID {
				t.Errorf("the row's buttons act on %q, want %q", kept.id, c.st.ID)
			}
			tw, _ := rowWords(c.st, now)
			tk, _ := rowWords(got, now)
			if tw != tk {
				t.Errorf("words %q, want %q", tk, tw)
			}
			if a, b := overallFraction(slices.Values([]transfer.ItemStatus{got})), overallFraction(slices.Values([]transfer.ItemStatus{c.st})); a != b {
				t.Errorf("counts %v in the footer's bar, want %v", a, b)
			}
		})
	}

	// A row moves between short and whole as its upload goes on, and a
	// failure keeps its error for the row's action and details.
	st := cases[0].st
	one(st)
	st.State, st.Words, st.BytesDone, st.Speed = transfer.Uploading, "uploading", 100, 1e5
	v.setRow(0, st)
	if !v.rows[0].whole() || v.rowStatus(0).Speed != 1e5 || v.rowState(0) != transfer.Uploading {
		t.Fatal("an uploading row lost its speed")
	}
	st.State, st.Words, st.Err = transfer.Failed, "failed: the network dropped", fmt.Errorf("the network dropped")
	v.setRow(0, st)
	if !v.rows[0].whole() || v.rowStatus(0).Err == nil || len(v.whole) != 1 {
		t.Fatal("a failed row lost its error")
	}
	st.State, st.Words, st.Err, st.BytesDone, st.Speed = transfer.Done, "done", nil, st.BytesTotal, 0
	v.setRow(0, st)
	if v.rows[0].whole() || len(v.whole) != 0 || v.rowState(0) != transfer.Done {
		t.Fatalf("a done row kept its whole status: %+v", v.rows[0])
	}
	// Words of its own are kept beside the row, as long as it says them.
	st.State, st.Words = transfer.Skipped, link
	v.setRow(0, st)
	if v.rowStatus(0).Words != link || len(v.odd) != 1 {
		t.Fatalf("a skipped row says %q", v.rowStatus(0).Words)
	}
	st.State, st.Words, st.BytesDone = transfer.Queued, "queued (upload again)", 0
	v.setRow(0, st)
	if v.rowStatus(0).Words != st.Words || len(v.odd) != 1 {
		t.Fatalf("a row queued again says %q", v.rowStatus(0).Words)
	}
	st.State, st.Words = transfer.Done, "done"
	v.setRow(0, st)
	if v.rowStatus(0).Words != "done" || len(v.odd) != 0 {
		t.Fatalf("a done row says %q and keeps %d words aside", v.rowStatus(0).Words, len(v.odd))
	}
}

// On the sandbox, once a batch is done and its rows are short, every row
// still shows its file, each still gives its link and details, a second
// batch of the same files is skipped with its link and "Upload again",
// and Upload again uploads it.
func TestShortRowsKeepLinksAndActionsOnTheSandbox(t *testing.T) {
	h := newHarness(t, false)
	eng, _ := realEngine(t)
	h.v.SetAccount(AccountFrom(eng, nil))
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("short-%d.jpg", i+1))
		writeJPEG(t, p, 40+i, 30, color.RGBA{uint8(80 * i), 90, 200, 255})
		paths = append(paths, p)
	}
	waitFinished := func(total int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			h.tasks.Drain()
			h.v.sync()
			if b := h.v.batch; b.Total == total && b.Finished() && h.v.Len() == total {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch did not finish: %+v", h.v.batch)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	h.v.AddInputs(paths)
	waitFinished(3)
	h.settle()
	links := map[string]string{}
	for i := range 3 {
		id := h.v.ids[i]
		if h.v.rows[i].whole() {
			t.Errorf("row %d (%s) keeps its whole status once done", i, h.v.rowState(i))
		}
		st := h.v.Row(i)
		want, _ := eng.Item(id)
		if st.State != transfer.Done || st.Asset == nil || st.Asset.SecureURL == "" || st.Asset.SecureURL != want.Asset.SecureURL || st.PublicID != want.PublicID {
			t.Fatalf("row %d after the batch: %+v, the engine has %+v", i, st, want)
		}
		links[st.Name] = st.Asset.SecureURL
		r := h.row(id)
		if r.name.Text != filepath.Base(paths[i]) || !strings.HasSuffix(r.detail.Text, "done") || r.bar.Value != 1 || !r.remove.Visible() || r.cancel.Visible() {
			t.Errorf("done row %d shows %+v", i, lookOf(r))
		}
	}
	h.v.Select(1)
	if h.v.selected != h.v.ids[1] {
		t.Fatalf("selected %q, want row 1", h.v.selected)
	}

	// The same files again: Cloudinary has them.
	h.v.AddInputs(paths)
	waitFinished(6)
	h.settle()
	var skipped []int
	for i := 3; i < 6; i++ {
		st := h.v.Row(i)
		if st.State != transfer.Skipped {
			continue
		}
		skipped = append(skipped, i)
		if h.v.rows[i].whole() {
			t.Errorf("skipped row %d keeps its whole status", i)
		}
		if st.Asset == nil || st.Asset.SecureURL != links[st.Name] {
			t.Errorf("skipped %s links to %v, want %s", st.Name, st.Asset, links[st.Name])
		}
		r := h.row(h.v.ids[i])
		if !r.again.Visible() || !strings.Contains(r.detail.Text, links[st.Name]) {
			t.Errorf("skipped row %d shows %+v", i, lookOf(r))
		}
	}
	if len(skipped) != 3 {
		t.Fatalf("rows 3-5 skipped: %v; footer %q", skipped, h.v.Summary())
	}
	if h.v.selected != h.v.ids[1] {
		t.Errorf("the selection moved to %q", h.v.selected)
	}
	test.Tap(h.row(h.v.ids[5]).again)
	deadline := time.Now().Add(60 * time.Second)
	for h.v.Row(5).State != transfer.Done {
		if time.Now().After(deadline) {
			t.Fatalf("Upload again: row is %s", h.v.Row(5).State)
		}
		h.tasks.Drain()
		h.v.sync()
		time.Sleep(20 * time.Millisecond)
	}
	h.settle()
	if st := h.v.Row(5); st.Asset == nil || st.Asset.SecureURL == links[st.Name] || h.v.rows[5].whole() {
		t.Errorf("uploaded again: %+v (first link %s)", st, links[st.Name])
	}
	if got := h.v.Summary(); got != "6 of 6 uploaded" {
		t.Errorf("footer = %q", got)
	}
	// Remove works on a short row, and the rest stay as they were.
	h.v.Remove(0)
	for deadline := time.Now().Add(10 * time.Second); h.v.Len() != 5 && time.Now().Before(deadline); {
		h.tasks.Drain()
		h.v.sync()
		time.Sleep(10 * time.Millisecond)
	}
	if h.v.Len() != 5 || h.v.Row(0).Name != "short-2.jpg" || h.v.Row(0).Asset == nil {
		t.Fatalf("after Remove: %d rows, first %+v", h.v.Len(), h.v.Row(0))
	}
}
