package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/clipboard"
	"github.com/cloudup/cloudup/core/transfer"
	camview "github.com/cloudup/cloudup/ui/camera"
	"github.com/cloudup/cloudup/ui/camera/cameratest"
)

func TestEmptyQueueShowsADropTargetWithEverySource(t *testing.T) {
	h := newHarness(t, true)
	if h.v.Len() != 0 || h.v.footer.Visible() {
		t.Fatal("an empty queue shows rows or a footer")
	}
	var labels []string
	for _, b := range h.v.buttons {
		labels = append(labels, b.Text)
	}
	if got := strings.Join(labels, ","); got != "Add files,Add folder,From URL,Paste,Camera" {
		t.Errorf("source buttons = %s", got)
	}
	test.AssertRendersToImage(t, "empty.png", h.win.Canvas())
}

func TestWithoutAnAccountTheEmptyStateSaysWhy(t *testing.T) {
	h := newHarness(t, false)
	h.v.SetUnavailable(errors.New("no API secret is stored for profile Work: open Settings and enter it"))
	if got := h.v.emptyHint.Text; !strings.Contains(got, "Nothing can be uploaded: no API secret") {
		t.Errorf("hint = %q", got)
	}
	test.AssertRendersToImage(t, "no_account.png", h.win.Canvas())
}

// uploadingFixture queues three photos and moves them to done, uploading
// and queued.
func uploadingFixture(t *testing.T) *harness {
	h := newHarness(t, true)
	dir := t.TempDir()
	colors := []color.RGBA{{220, 60, 40, 255}, {40, 140, 220, 255}, {60, 180, 90, 255}}
	var paths []string
	for i, name := range []string{"beach.jpg", "harbour.jpg", "market.jpg"} {
		p := filepath.Join(dir, name)
		writeJPEG(t, p, 160+40*i, 120, colors[i])
		paths = append(paths, p)
	}
	ids := h.eng.Add(transfer.Item{Path: paths[0]}, transfer.Item{Path: paths[1]}, transfer.Item{Path: paths[2]})
	items := h.eng.Items()
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Done, Words: "done", BytesDone: items[0].BytesTotal})
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Uploading, Words: "uploading",
		BytesDone: items[1].BytesTotal * 2 / 5, Speed: 1.5e6, ETA: 12 * time.Second})
	h.eng.SetRate(1.5e6, 12*time.Second)
	h.settle()
	return h
}

func TestUploadingRowsShowProgressSpeedAndTotals(t *testing.T) {
	h := uploadingFixture(t)
	if h.v.Len() != 3 {
		t.Fatalf("rows = %d, want 3", h.v.Len())
	}
	if got, want := h.v.Summary(), "1 of 3 uploaded · 1.5 MB/s · 12 s left"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
	st := h.v.Row(1)
	if got := rateWords(st); got != "1.5 MB/s · 12 s left" {
		t.Errorf("row speed = %q", got)
	}
	if f := itemFraction(st); f < 0.39 || f > 0.41 {
		t.Errorf("row progress = %v, want 0.4", f)
	}
	for i := range 3 {
		if _, ok := h.v.thumbs.Peek(h.v.Row(i).Path); !ok {
			t.Errorf("row %d has no thumbnail", i)
		}
	}
	test.AssertRendersToImage(t, "uploading.png", h.win.Canvas())
}

func TestFailedRowSaysWhyAndWhatToDo(t *testing.T) {
	h := newHarness(t, true)
	p := filepath.Join(t.TempDir(), "poster.tif")
	writeJPEG(t, p, 10, 10, color.White)
	ids := h.eng.Add(transfer.Item{Path: p})
	err := &transfer.RejectedError{Kind: transfer.ErrTooLarge, Reason: "poster.tif is 48 MB; this profile allows images up to 20 MB"}
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Failed, Err: err, Words: "failed: " + err.Error()})
	h.settle()
	words, danger := rowWords(h.v.Row(0))
	if !danger || !strings.Contains(words, "20 MB") || !strings.Contains(words, "Change the limits in Settings, or Remove it") {
		t.Errorf("failed row = %q (danger %v)", words, danger)
	}
	if got := h.v.Summary(); got != "0 of 1 uploaded · 1 failed" {
		t.Errorf("footer = %q", got)
	}
	if !h.v.retryBtn.Visible() || h.v.retryBtn.Disabled() {
		t.Error("Retry failed is not offered")
	}
	test.AssertRendersToImage(t, "failed.png", h.win.Canvas())
}

func TestWhatToDoFollowsTheKindOfError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&transfer.RejectedError{Kind: transfer.ErrNotFound, Reason: "gone"}, "Put the file back"},
		{&transfer.RejectedError{Kind: transfer.ErrFormatNotAllowed, Reason: "psd"}, "Change the limits in Settings"},
		{&transfer.GaveUpError{Attempts: 8, Last: errors.New("503")}, "Check the connection"},
		{errors.New("something new"), "Retry, or Remove it"},
	} {
		if got := whatToDo(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("whatToDo(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestDropQueuesFilesFoundInFolders(t *testing.T) {
	h := newHarness(t, true)
	dir := t.TempDir()
	for _, name := range []string{"a.jpg", "sub/b.jpg", "sub/deeper/c.png", ".hidden.jpg"} {
		writeJPEG(t, filepath.Join(dir, name), 8, 8, color.Black)
	}
	single := filepath.Join(t.TempDir(), "single.jpg")
	writeJPEG(t, single, 8, 8, color.White)

	start := time.Now()
	h.v.HandleDrop(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dir), storage.NewFileURI(single), storage.NewFileURI(filepath.Join(dir, "missing.jpg"))})
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("HandleDrop took %v; it must return at once", d)
	}
	h.settle()
	var names []string
	for i := range h.v.Len() {
		names = append(names, h.v.Row(i).Name)
	}
	slices.Sort(names)
	// A missing file named explicitly is queued: the engine fails it with
	// its reason, on its own row.
	if got := strings.Join(names, ","); got != "a.jpg,b.jpg,c.png,missing.jpg,single.jpg" {
		t.Errorf("rows = %s", got)
	}
}

// gatedEngine holds its first Add until released, so a test can act while
// an expansion is in the middle of a folder.
type gatedEngine struct {
	*FakeEngine
	entered, release chan struct{}
	once, opened     sync.Once
}

func (g *gatedEngine) Add(items ...transfer.Item) []transfer.ItemID {
	ids := g.FakeEngine.Add(items...)
	g.once.Do(func() { close(g.entered); <-g.release })
	return ids
}

func (g *gatedEngine) open() { g.opened.Do(func() { close(g.release) }) }

func TestSwitchingAccountsMidFolderStopsAddingToTheOldEngine(t *testing.T) {
	h := newHarness(t, false)
	old := &gatedEngine{FakeEngine: NewFakeEngine(), entered: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(old.open) // never leave the walk stuck, even when the test fails early
	h.eng = old.FakeEngine
	h.v.SetAccount(AccountWith(old, nil))
	h.settle()

	const files = 3000
	dir := t.TempDir()
	for i := range files {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("img-%04d.jpg", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h.v.HandleDrop(fyne.NewPos(0, 0), []fyne.URI{storage.NewFileURI(dir)})
	select {
	case <-old.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the folder's first batch never reached the engine")
	}
	// The walk is now held inside the old engine's Add. Let it go a little
	// later, so the switch below happens while the expansion is still running
	// (and, with the fix, waits for that one Add to end).
	go func() { time.Sleep(50 * time.Millisecond); old.open() }()
	next := NewFakeEngine()
	h.v.SetAccount(AccountWith(next, nil))
	atSwitch := len(old.Added())
	h.eng = next
	h.settle()

	if atSwitch == 0 || atSwitch >= files {
		t.Fatalf("%d items had reached the old engine at the switch; want the first batch only", atSwitch)
	}
	if got := len(old.Added()); got != atSwitch {
		t.Errorf("the old engine got %d more items after the profile switch", got-atSwitch)
	}
	if got := len(next.Added()); got != 0 {
		t.Errorf("the new engine got %d items of the old profile's drop", got)
	}
	if h.v.Len() != 0 {
		t.Errorf("the new profile's queue shows %d rows", h.v.Len())
	}
}

func TestDropOfOnlyHiddenFilesSaysWhyNothingWasAdded(t *testing.T) {
	h := newHarness(t, true)
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, ".secret.jpg"), 8, 8, color.Black)
	h.v.HandleDrop(fyne.NewPos(0, 0), []fyne.URI{storage.NewFileURI(dir)})
	h.settle()
	if h.v.Len() != 0 || !strings.Contains(h.v.Notice(), "only hidden or excluded files (1)") {
		t.Errorf("rows %d, notice %q", h.v.Len(), h.v.Notice())
	}
}

func TestRowButtonsCallTheEngine(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/a.jpg"}, transfer.Item{URL: "https://example.com/b.jpg"})
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Failed, Words: "failed: 500", Err: errors.New("500")})
	h.settle()

	h.v.Cancel(0)
	h.v.Retry(1)
	h.settle()
	if st := h.v.Row(0); st.State != transfer.Canceled {
		t.Errorf("row 0 = %s after Cancel", st.State)
	}
	if st := h.v.Row(1); st.State != transfer.Queued {
		t.Errorf("row 1 = %s after Retry", st.State)
	}
	h.v.Remove(0)
	h.settle()
	if h.v.Len() != 1 || h.v.Row(0).ID != ids[1] {
		t.Fatalf("after Remove: %d rows", h.v.Len())
	}
	want := []string{"add 2", "cancel " + string(ids[0]), "retry " + string(ids[1]), "remove " + string(ids[0])}
	if got := h.eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestDeleteRemovesTheSelectedRow(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/1.jpg"}, transfer.Item{URL: "https://example.com/2.jpg"}, transfer.Item{URL: "https://example.com/3.jpg"})
	h.settle()
	h.v.DeleteSelected() // nothing selected: nothing happens
	h.v.Select(1)
	h.v.DeleteSelected()
	h.settle()
	if h.v.Len() != 2 || h.v.Row(0).ID != ids[0] || h.v.Row(1).ID != ids[2] {
		t.Fatalf("rows after Delete: %d", h.v.Len())
	}
	if h.v.selected != "" {
		t.Errorf("the removed row is still selected")
	}
}

func TestDeleteKeyOnTheFocusedListRemovesTheSelectedRow(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/1.jpg"}, transfer.Item{URL: "https://example.com/2.jpg"})
	h.settle()
	h.v.Select(0)
	h.win.Canvas().Focus(h.v.list) // as after clicking a row
	h.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	h.settle()
	if h.v.Len() != 1 || h.v.Row(0).ID != ids[1] {
		t.Fatalf("after Delete on the focused list: %d rows", h.v.Len())
	}
}

func TestFooterPausesResumesClearsAndRetries(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/1.jpg"}, transfer.Item{URL: "https://example.com/2.jpg"})
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Done, Words: "done"})
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Failed, Words: "failed: 503", Err: errors.New("503")})
	h.settle()

	test.Tap(h.v.pauseBtn)
	h.settle()
	if h.v.pauseBtn.Text != "Resume all" || !strings.Contains(h.v.Summary(), "paused") {
		t.Errorf("after Pause all: button %q, footer %q", h.v.pauseBtn.Text, h.v.Summary())
	}
	test.Tap(h.v.pauseBtn)
	h.settle()
	if h.v.pauseBtn.Text != "Pause all" {
		t.Errorf("after Resume all: button %q", h.v.pauseBtn.Text)
	}
	test.Tap(h.v.clearBtn)
	h.settle()
	if h.v.Len() != 1 || h.v.Row(0).ID != ids[1] {
		t.Fatalf("Clear finished left %d rows", h.v.Len())
	}
	test.Tap(h.v.retryBtn)
	h.settle()
	if h.v.Row(0).State != transfer.Queued || !h.v.retryBtn.Disabled() {
		t.Errorf("after Retry failed: %s, button disabled %v", h.v.Row(0).State, h.v.retryBtn.Disabled())
	}
	want := []string{"add 2", "pause", "resume", "clear finished", "retry failed"}
	if got := h.eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestURLDialogValidatesEveryLine(t *testing.T) {
	h := newHarness(t, true)
	f := h.v.fromURL()
	test.Type(f.entry, "https://example.com/a.jpg\n\nexample dot com\n")
	err := f.entry.Validate()
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("validation = %v, want line 3 named with what to type", err)
	}
	f.entry.SetText("https://example.com/a.jpg\n# a comment\nhttp://example.com/clip.mp4")
	if err := f.entry.Validate(); err != nil {
		t.Fatalf("valid URLs refused: %v", err)
	}
	f.dialog.Submit()
	h.settle()
	if h.v.Len() != 2 || h.v.Row(0).URL != "https://example.com/a.jpg" || h.v.Row(1).URL != "http://example.com/clip.mp4" {
		t.Fatalf("rows after From URL: %d", h.v.Len())
	}
}

func TestParseURLs(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		errPart string
	}{
		{"https://a.example/x.jpg", 1, ""},
		{" https://a.example/x.jpg \r\nftp://b.example/y.png\n", 2, ""},
		{"", 0, "at least one URL"},
		{"# only a comment", 0, "at least one URL"},
		{"https://ok.example/a\n/home/me/photo.jpg", 0, "line 2"},
		{"photo.jpg", 0, "line 1"},
		{"cloudinary://123456789012345:Sup3rS3cretValue@demo", 0, "CLOUDINARY_URL"},
		{"https://ok.example/a\nsftp://ann:Sup3rS3cretValue@files.example/a.jpg", 0, "line 2"},
	} {
		urls, err := parseURLs(tc.in)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("parseURLs(%q) error = %v, want %q", tc.in, err, tc.errPart)
			}
			if err != nil && strings.Contains(err.Error(), "Sup3rS3cretValue") {
				t.Errorf("parseURLs(%q) error quotes the secret: %v", tc.in, err)
			}
			continue
		}
		if err != nil || len(urls) != tc.want {
			t.Errorf("parseURLs(%q) = %v, %v", tc.in, urls, err)
		}
	}
}

func FuzzParseURLs(f *testing.F) {
	for _, s := range []string{"https://a.example/x.jpg", "a\nb", "\x00", "https://é.example/🙂.png\n#x", "data:image/png;base64,AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		urls, err := parseURLs(s)
		if err == nil && len(urls) == 0 {
			t.Fatal("no error and no URLs")
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n") {
			t.Fatalf("error is more than one line: %q", err)
		}
	})
}

func TestPasteQueuesPathsAndURLsFromTheClipboard(t *testing.T) {
	h := newHarness(t, true)
	p := filepath.Join(t.TempDir(), "pasted photo.jpg")
	writeJPEG(t, p, 8, 8, color.White)
	fyne.CurrentApp().Clipboard().SetContent("file://" + filepath.ToSlash(strings.ReplaceAll(p, " ", "%20")) + "\nhttps://example.com/remote.png\n")
	h.v.Paste()
	h.settle()
	var got []string
	for i := range h.v.Len() {
		got = append(got, h.v.Row(i).Name)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "pasted photo.jpg,remote.png" {
		t.Errorf("rows after Paste = %q", got)
	}
}

func TestPasteOfNothingSaysWhatToCopy(t *testing.T) {
	h := newHarness(t, true)
	h.v.readClipboardImage = func(context.Context) (clipboard.Image, error) { return clipboard.Image{}, clipboard.ErrNoImage }
	fyne.CurrentApp().Clipboard().SetContent("")
	h.v.Paste()
	h.settle()
	if n := h.v.Notice(); !strings.Contains(n, "no text or picture") || h.v.Len() != 0 {
		t.Errorf("notice = %q, %d rows", n, h.v.Len())
	}
}

func TestPasteOfAPictureQueuesItWithTheCurrentFolder(t *testing.T) {
	h := newHarness(t, false)
	h.eng = NewFakeEngine()
	h.v.SetAccount(AccountWith(h.eng, func() *transfer.Options { return &transfer.Options{Folder: "shots"} }))
	h.settle()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 20, 10))); err != nil {
		t.Fatal(err)
	}
	h.v.readClipboardImage = func(context.Context) (clipboard.Image, error) {
		return clipboard.Image{Data: buf.Bytes(), Type: "image/png", Ext: "png"}, nil
	}
	// A screenshot tool or a browser's "Copy image" offers no plain text.
	fyne.CurrentApp().Clipboard().SetContent("")
	h.v.Paste()
	h.settle()
	added := h.eng.Added()
	if len(added) != 1 {
		t.Fatalf("added %d items; notice %q", len(added), h.v.Notice())
	}
	it := added[0]
	if !regexp.MustCompile(`^clipboard-\d{8}-\d{6}\.png$`).MatchString(it.Name) || !it.Spool || it.Options == nil || it.Options.Folder != "shots" {
		t.Errorf("item = %+v", it)
	}
	if data, err := os.ReadFile(it.Path); err != nil || !bytes.Equal(data, buf.Bytes()) {
		t.Errorf("spooled file %s: %v (%d bytes, want %d)", it.Path, err, len(data), buf.Len())
	}
}

func TestInputsGivenBeforeAnAccountWaitForIt(t *testing.T) {
	h := newHarness(t, false)
	p := filepath.Join(t.TempDir(), "early.jpg")
	writeJPEG(t, p, 8, 8, color.White)
	h.v.AddInputs([]string{p})
	if n := h.v.Notice(); !strings.Contains(n, "1 item waits for a profile") {
		t.Errorf("notice = %q", n)
	}
	h.eng = NewFakeEngine()
	h.v.SetAccount(AccountWith(h.eng, func() *transfer.Options { return &transfer.Options{Folder: "blog", Tags: []string{"hero"}} }))
	h.settle()
	if h.v.Len() != 1 || h.v.Row(0).Path != p {
		t.Fatalf("rows = %d after the account came", h.v.Len())
	}
}

func TestNotificationWhenTheBatchEnds(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/1.jpg"}, transfer.Item{URL: "https://example.com/2.jpg"})
	h.settle()
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Done, Words: "done"})
	h.settle()
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads finished with problems", Content: "1 file uploaded, 1 failed: open Cloudup to see why."}, func() {
		h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Failed, Words: "failed", Err: errors.New("x")})
		h.settle()
	})
	// Nothing new happened: no second notification.
	test.AssertNotificationSent(t, nil, func() {
		h.eng.SetRate(0, 0)
		h.settle()
	})
}

func TestOfferResumeBringsBackUnfinishedUploads(t *testing.T) {
	h := newHarness(t, true)
	h.eng.Unfinished = 2
	h.v.OfferResume(2)
	if n := h.v.Notice(); n != "2 uploads from last time did not finish." {
		t.Fatalf("notice = %q", n)
	}
	test.Tap(h.v.noticeBtns.Objects[0].(*widget.Button))
	h.settle()
	if h.v.Len() != 2 || h.v.Notice() != "2 uploads resumed." {
		t.Fatalf("rows = %d, notice %q", h.v.Len(), h.v.Notice())
	}
}

func TestSwitchingAccountsShowsTheNewEngineOnly(t *testing.T) {
	h := newHarness(t, true)
	h.eng.Add(transfer.Item{URL: "https://example.com/old.jpg"})
	h.settle()
	other := NewFakeEngine()
	other.Add(transfer.Item{URL: "https://example.com/new-1.jpg"}, transfer.Item{URL: "https://example.com/new-2.jpg"})
	h.eng = other
	h.v.SetAccount(AccountWith(other, nil))
	h.settle()
	if h.v.Len() != 2 || h.v.Row(0).Name != "new-1.jpg" {
		t.Fatalf("rows = %d after switching", h.v.Len())
	}
}

func TestCameraPhotoIsQueuedAsAJPEGWithTheCurrentFolder(t *testing.T) {
	h := newHarness(t, false)
	h.eng = NewFakeEngine()
	h.v.SetAccount(AccountWith(h.eng, func() *transfer.Options { return &transfer.Options{Folder: "products"} }))
	h.settle()
	cam := &cameratest.StillCamera{}
	h.v.SetCamera(cam)
	cv := h.v.openCamera()
	deadline := time.Now().Add(5 * time.Second)
	waitForLivePreview(t, h, cv, cam, deadline)
	cv.Capture()
	cv.UsePhoto()
	for h.v.Len() == 0 || cam.OpenStreams() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("photo not queued (%d rows) or camera not released (%d open)", h.v.Len(), cam.OpenStreams())
		}
		h.settle()
		time.Sleep(5 * time.Millisecond)
	}
	st := h.v.Row(0)
	if !strings.HasPrefix(st.Name, "camera-") || !strings.HasSuffix(st.Name, ".jpg") {
		t.Errorf("name = %q, want camera-YYYYMMDD-HHMMSS.jpg", st.Name)
	}
	if added := h.eng.Added(); len(added) != 1 || added[0].Options == nil || added[0].Options.Folder != "products" {
		t.Errorf("the photo was not queued with the current folder: %+v", added)
	}
	data, err := os.ReadFile(st.Path)
	if err != nil || len(data) < 3 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("spooled file is not a JPEG: %v", err)
	}
}

func TestPickersOpenAsDialogs(t *testing.T) {
	for name, open := range map[string]func(*View){"files": (*View).AddFiles, "folder": (*View).AddFolder, "urls": (*View).FromURL} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HOME", t.TempDir()) // the file dialog lists the home folder
			h := newHarness(t, true)
			open(h.v)
			if n := len(h.win.Canvas().Overlays().List()); n != 1 {
				t.Fatalf("%d overlays, want the picker", n)
			}
		})
	}
}

func TestEventsReachTheListAtMostTenTimesASecond(t *testing.T) {
	h := newHarness(t, true)
	before := h.v.flushes.Load()
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/big.mp4"})
	start := time.Now()
	for i := range 500 {
		h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Uploading, Words: "uploading", BytesDone: int64(i), BytesTotal: 1000})
		time.Sleep(time.Millisecond / 2)
	}
	h.settle()
	elapsed := time.Since(start)
	flushes := h.v.flushes.Load() - before
	if limit := int64(elapsed/flushInterval) + 2; flushes > limit {
		t.Errorf("%d UI updates in %v for 501 events; at most %d expected", flushes, elapsed, limit)
	}
	if st := h.v.Row(0); st.BytesDone != 499 {
		t.Errorf("the last progress was lost: %d bytes done", st.BytesDone)
	}
}

func TestDropHighlightFollowsTheDrag(t *testing.T) {
	h := newHarness(t, true)
	normal := h.v.dropFrame.StrokeColor
	h.v.SetDropHighlight(true)
	if h.v.dropFrame.StrokeColor == normal {
		t.Fatal("no highlight while dragging")
	}
	h.v.HandleDrop(fyne.NewPos(0, 0), nil)
	if h.v.dropFrame.StrokeColor != normal {
		t.Error("the highlight stayed after the drop")
	}
}

func TestSelectionStaysOnItsItemWhenRowsAboveGo(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/1.jpg"}, transfer.Item{URL: "https://example.com/2.jpg"}, transfer.Item{URL: "https://example.com/3.jpg"})
	h.settle()
	h.v.Select(2)
	h.v.Remove(0)
	h.settle()
	h.v.DeleteSelected()
	h.settle()
	if h.v.Len() != 1 || h.v.Row(0).ID != ids[1] {
		t.Fatalf("Delete removed the wrong row: left %d rows", h.v.Len())
	}
}

func TestCameraPhotoGoesToTheProfileCurrentWhenItIsUsed(t *testing.T) {
	h := newHarness(t, false)
	first := NewFakeEngine()
	h.eng = first
	h.v.SetAccount(AccountWith(first, func() *transfer.Options { return &transfer.Options{Folder: "old"} }))
	h.settle()
	cam := &cameratest.StillCamera{}
	h.v.SetCamera(cam)
	cv := h.v.openCamera()
	deadline := time.Now().Add(5 * time.Second)
	waitForLivePreview(t, h, cv, cam, deadline)
	cv.Capture()

	// The profile changes while the dialog is open.
	second := NewFakeEngine()
	h.v.SetAccount(AccountWith(second, func() *transfer.Options { return &transfer.Options{Folder: "new"} }))
	h.eng = second
	h.settle()

	cv.UsePhoto()
	for len(second.Added()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the photo never reached the current profile's engine")
		}
		h.settle()
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(first.Added()); n != 0 {
		t.Errorf("the previous profile's engine got %d photos", n)
	}
	if added := second.Added(); added[0].Options == nil || added[0].Options.Folder != "new" {
		t.Errorf("the photo was not queued with the current profile's folder: %+v", added[0].Options)
	}
}

// waitForLivePreview waits until the dialog shows live frames, and lets a
// few arrive (the still camera's exposure "settles" like a real one).
func waitForLivePreview(t *testing.T, h *harness, cv *camview.View, cam *cameratest.StillCamera, deadline time.Time) {
	t.Helper()
	for cv.Status() != "" || cam.OpenStreams() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no live preview: %q", cv.Status())
		}
		h.tasks.Drain()
		time.Sleep(5 * time.Millisecond)
	}
	for range 3 {
		time.Sleep(80 * time.Millisecond)
		h.tasks.Drain()
	}
}
