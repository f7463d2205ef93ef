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

	coreaccount "github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/clipboard"
	"github.com/cloudup/cloudup/core/cloud"
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
	if got := strings.Join(labels, ","); got != "Add files,Add folder,From URL,Paste,Camera,Details…" {
		t.Errorf("source buttons = %s", got)
	}
	test.AssertRendersToImage(t, "empty.png", h.win.Canvas())
}

func TestWithoutAnAccountTheEmptyStateSaysWhy(t *testing.T) {
	h := newHarness(t, false)
	h.v.SetUnavailable(&coreaccount.NoSecretError{Profile: "Work"})
	if got := h.v.emptyHint.Text; got != "No API secret is stored for Work — enter it in Settings." {
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
	if got := rateWords(st); got != "39 % · 1.5 MB/s · 12 s left" { // 39.9 %: never rounded up
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
	var settingsOpened int
	h.v.OnOpenSettings = func() { settingsOpened++ }
	p := filepath.Join(t.TempDir(), "poster.tif")
	writeJPEG(t, p, 10, 10, color.White)
	ids := h.eng.Add(transfer.Item{Path: p})
	err := &transfer.RejectedError{Kind: transfer.ErrTooLarge, Size: 48_000_000, Limit: 20_000_000, Reason: "poster.tif is 48.0 MB, over this profile's 20.0 MB limit for images; shrink it or raise the limit in the profile"}
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Failed, Err: err, ResourceType: transfer.Image, BytesTotal: 48_000_000, Words: "failed: " + err.Error()})
	h.settle()
	text, m := rowWords(h.v.Row(0), time.Now())
	if !strings.Contains(text, "48 MB is over this profile's 20 MB limit for images") || m.Action.Label() != "Open Settings" {
		t.Errorf("failed row = %q, action %q", text, m.Action.Label())
	}
	if got := h.v.Summary(); got != "0 of 1 uploaded · 1 failed" {
		t.Errorf("footer = %q", got)
	}
	if !h.v.retryBtn.Disabled() {
		t.Error("Retry failed is offered for a file only Settings can let through")
	}
	r := h.row(ids[0])
	if !r.action.Visible() || r.action.Text != "Open Settings" || r.retry.Visible() {
		t.Errorf("row buttons: action %q (shown %v), retry shown %v", r.action.Text, r.action.Visible(), r.retry.Visible())
	}
	test.AssertRendersToImage(t, "failed.png", h.win.Canvas())
	test.Tap(r.action)
	if settingsOpened != 1 {
		t.Error("the row's Open Settings did not open Settings")
	}
	test.Tap(r.details)
	top := h.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("Details did not open")
	}
	var shown []string
	for _, o := range test.LaidOutObjects(top) {
		if l, ok := o.(*widget.Label); ok {
			shown = append(shown, l.Text)
		}
	}
	if !strings.Contains(strings.Join(shown, "\n"), "shrink it or raise the limit") {
		t.Fatalf("Details did not show the technical account: %q", shown)
	}
}

func TestAFailureRetryCannotMendOffersNoRetry(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/huge.mp4"}, transfer.Item{URL: "https://example.com/offline.jpg"})
	tooBig := &cloud.TooLargeError{RequestError: cloud.RequestError{Status: 400, Message: "File size too large. Got 151968510. Maximum is 104857600.", Kind: cloud.ErrTooLarge}, Size: 151968510, Limit: 104857600}
	offline := &transfer.GaveUpError{Attempts: 8, For: 99 * time.Second, Last: &cloud.NetworkError{Op: "upload", Err: errors.New("dial tcp: lookup api.cloudinary.com: no such host")}}
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Failed, Err: tooBig, ResourceType: transfer.Video})
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Failed, Err: offline})
	h.settle()

	big := h.row(ids[0])
	if !strings.Contains(big.detail.Text, "152.0 MB is over this account's 100 MB limit for videos") || big.action.Text != "Remove" || big.retry.Visible() || big.remove.Visible() {
		t.Errorf("over the limit: %q, action %q, retry %v, remove icon %v", big.detail.Text, big.action.Text, big.retry.Visible(), big.remove.Visible())
	}
	net := h.row(ids[1])
	if !strings.Contains(net.detail.Text, "Can't reach Cloudinary — check your connection.") || net.action.Text != "Retry" {
		t.Errorf("offline: %q, action %q", net.detail.Text, net.action.Text)
	}
	for _, bad := range []string{"cloudup-cli", "lookup", "attempts"} {
		if strings.Contains(net.detail.Text, bad) {
			t.Errorf("the row says %q: %q", bad, net.detail.Text)
		}
	}
	if h.v.retryBtn.Disabled() {
		t.Error("Retry failed is not offered for the row a retry can mend")
	}
	test.Tap(h.v.retryBtn) // retries the offline row, not the one over the limit
	h.settle()
	if got := strings.Join(h.eng.Calls(), ","); got != "add 2,retry "+string(ids[1]) {
		t.Fatalf("Retry failed called %s", got)
	}
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Failed, Err: offline})
	h.settle()
	net = h.row(ids[1])
	test.Tap(net.action)
	big = h.row(ids[0])
	test.Tap(big.action)
	h.settle()
	if got := strings.Join(h.eng.Calls(), ","); got != "add 2,retry "+string(ids[1])+",retry "+string(ids[1])+",remove "+string(ids[0]) {
		t.Errorf("calls = %s", got)
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
	if !h.v.pauseBtn.Disabled() {
		t.Error("Pause all is offered while nothing runs")
	}
	late := h.eng.Add(transfer.Item{URL: "https://example.com/3.jpg"})
	h.settle()
	if h.v.pauseBtn.Disabled() {
		t.Fatal("Pause all is not offered while a file waits")
	}

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
	h.v.Cancel(2)
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
	want := []string{"add 2", "add 1", "pause", "resume", "cancel " + string(late[0]), "clear finished", "retry " + string(ids[1])}
	if got := h.eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestURLDialogValidatesEveryLine(t *testing.T) {
	h := newHarness(t, true)
	f := h.v.fromURL()
	test.Type(f.entry, "https://example.com/a.jpg")
	if !strings.Contains(test.RenderObjectToMarkup(f.entry), "confirmIcon") {
		t.Error("a valid URL is not confirmed")
	}
	test.Type(f.entry, "\n\nexample dot com\n")
	if strings.Contains(test.RenderObjectToMarkup(f.entry), "confirmIcon") {
		t.Error("the field shows a ✓ while its second line is not a URL")
	}
	err := f.entry.Validate()
	if err == nil || !strings.Contains(err.Error(), "Line 3") || !strings.Contains(err.Error(), "https://") {
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
		{"https://ok.example/a\n/home/me/photo.jpg", 0, "Line 2"},
		{"photo.jpg", 0, "Line 1"},
		{"cloudinary://123456789012345:Sup3rS3cretValue@demo", 0, "CLOUDINARY_URL"},
		{"https://ok.example/a\nsftp://ann:Sup3rS3cretValue@files.example/a.jpg", 0, "Line 2"},
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
	if n := h.v.Notice(); !strings.Contains(n, "1 file waits to be queued") {
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

func TestOfferResumeNamesTheFilesAndLeavesNoStaleNotice(t *testing.T) {
	h := newHarness(t, true)
	h.eng.Unfinished = 2
	h.v.OfferResume([]string{"resumed-1.jpg", "resumed-2.jpg"})
	if n := h.v.Notice(); n != "resumed-1.jpg and resumed-2.jpg did not finish uploading last time." {
		t.Fatalf("notice = %q", n)
	}
	test.Tap(h.v.noticeBtns.Objects[0].(*widget.Button))
	h.settle()
	if h.v.Len() != 2 || h.v.Notice() != "" {
		t.Fatalf("rows = %d, notice %q", h.v.Len(), h.v.Notice())
	}
	if got := namesWords([]string{"a.jpg", "b.jpg", "c.jpg", "d.jpg"}); got != "a.jpg, b.jpg and 2 more" {
		t.Errorf("names = %q", got)
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

func TestCompactRowsFitTwiceAsManyOnScreen(t *testing.T) {
	h := newHarness(t, true)
	var items []transfer.Item
	for i := range 40 {
		items = append(items, transfer.Item{URL: fmt.Sprintf("https://example.com/%02d.jpg", i)})
	}
	ids := h.eng.Add(items...)
	h.eng.Set(transfer.ItemStatus{ID: ids[1], State: transfer.Uploading, Words: "uploading", BytesDone: 400, BytesTotal: 1000, Speed: 2e6, ETA: 3 * time.Second})
	h.settle()
	comfortable := h.v.RowHeight()
	visible := func() int {
		n := 0
		for _, o := range test.LaidOutObjects(h.v.list) {
			if r, ok := o.(*row); ok && r.Visible() && r.Position().Y+r.Size().Height <= h.v.list.Size().Height {
				n++
			}
		}
		return n
	}
	before := visible()
	var remembered []bool
	h.v.OnCompact = func(on bool) { remembered = append(remembered, on) }
	test.TapAt(h.v.compactCheck, fyne.NewPos(10, h.v.compactCheck.Size().Height/2))
	h.settle()
	if !h.v.Compact() || len(remembered) != 1 || !remembered[0] {
		t.Fatalf("compact %v, told %v", h.v.Compact(), remembered)
	}
	if c := h.v.RowHeight(); c > comfortable*0.6 {
		t.Errorf("a compact row is %.0f px, a comfortable one %.0f: not compact", c, comfortable)
	}
	if after := visible(); after < 2*before-1 {
		t.Errorf("%d compact rows fit where %d comfortable ones did", after, before)
	}
	if got := h.row(ids[1]).rate.Text; got != "40 % · 2.0 MB/s · 3 s left" {
		t.Errorf("a compact row lost its speed: %q", got)
	}
	test.AssertRendersToImage(t, "compact.png", h.win.Canvas())
	h.v.SetCompact(false)
	h.settle()
	if h.v.Compact() || h.v.compactCheck.Checked || h.v.RowHeight() != comfortable {
		t.Error("the comfortable rows did not come back")
	}
}

func TestRowsAddedBelowTheFoldAreAnnouncedOrFollowed(t *testing.T) {
	h := newHarness(t, true)
	add := func(n int) {
		var items []transfer.Item
		for range n {
			items = append(items, transfer.Item{URL: fmt.Sprintf("https://example.com/%d.jpg", len(h.eng.Items())+len(items))})
		}
		h.eng.Add(items...)
		h.settle()
	}
	add(40) // an empty list filled at once (a resume): nothing arrived below what is seen
	if h.v.NewBelow() != 0 || h.v.belowBtn.Visible() {
		t.Fatalf("the first rows announced as below: %d", h.v.NewBelow())
	}
	h.eng.ClearFinished()
	for _, st := range h.eng.Items() {
		h.eng.Remove(st.ID)
	}
	h.settle()
	add(3) // all in sight: nothing to say
	if h.v.NewBelow() != 0 || h.v.belowBtn.Visible() {
		t.Fatalf("rows in sight announced as below: %d", h.v.NewBelow())
	}
	add(30) // the user is looking at the top: the rest is announced
	if h.v.NewBelow() == 0 || !h.v.belowBtn.Visible() || h.v.list.GetScrollOffset() != 0 {
		t.Fatalf("30 rows past the fold: below %d, button %v, offset %v", h.v.NewBelow(), h.v.belowBtn.Visible(), h.v.list.GetScrollOffset())
	}
	if !strings.HasSuffix(h.v.belowBtn.Text, "new rows below") {
		t.Errorf("button = %q", h.v.belowBtn.Text)
	}
	test.Tap(h.v.belowBtn)
	h.settle()
	if !h.v.atBottom() || h.v.belowBtn.Visible() {
		t.Fatal("the button did not bring the new rows into sight")
	}
	add(2) // the user watches the end of the queue: it follows
	if !h.v.atBottom() || h.v.belowBtn.Visible() {
		t.Errorf("new rows at the end were not followed (offset %v)", h.v.list.GetScrollOffset())
	}
}

func TestFooterSaysWhyTheBatchStoppedInWords(t *testing.T) {
	b := transfer.BatchStatus{Total: 3, Done: 1, Failed: 2, Halted: &cloud.AuthError{Status: 401, Signature: true, Message: "Invalid Signature 0a1b. String to sign - 'timestamp=1'."}}
	got := batchWords(b)
	if got != "1 of 3 uploaded · 2 failed · stopped: Cloudinary did not accept the signature — check the API secret and the signature algorithm in Settings" {
		t.Errorf("footer = %q", got)
	}
}

// Every file is accounted for: what did not upload says why.
func TestFooterCountsCanceledFiles(t *testing.T) {
	b := transfer.BatchStatus{Total: 50, Done: 48, Failed: 1, Canceled: 1}
	if got, want := batchWords(b), "48 of 50 uploaded · 1 failed · 1 canceled"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
}

func TestFooterSaysTheTimeLeftIsBeingEstimated(t *testing.T) {
	b := transfer.BatchStatus{Total: 10, Queued: 6, Active: 4, Speed: 1e6, Estimating: true, Concurrency: 4, ConcurrencyAuto: true}
	if got, want := batchWords(b), "0 of 10 uploaded · 1.0 MB/s · estimating time left · 4 at once"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
	b.Paused, b.Active, b.Queued = true, 0, 10
	if got, want := batchWords(b), "0 of 10 uploaded · paused"; got != want {
		t.Errorf("paused footer = %q, want %q", got, want)
	}
}

func TestARetryingRowCountsDown(t *testing.T) {
	h := newHarness(t, true)
	ids := h.eng.Add(transfer.Item{URL: "https://example.com/a.jpg"})
	offline := &cloud.NetworkError{Op: "upload", Err: errors.New("connection refused")}
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Retrying, Err: offline, RetryAt: time.Now().Add(3 * time.Second)})
	h.settle()
	first := h.row(ids[0]).detail.Text
	if !strings.Contains(first, "Connection trouble — trying again in 3 s.") {
		t.Fatalf("row = %q", first)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.row(ids[0]).detail.Text == first && time.Now().Before(deadline) {
		h.tasks.Drain()
		time.Sleep(50 * time.Millisecond)
	}
	if got := h.row(ids[0]).detail.Text; !strings.Contains(got, "trying again in 2 s.") && !strings.Contains(got, "trying again in 1 s.") {
		t.Errorf("with no new event the row still says %q", got)
	}
	h.eng.Set(transfer.ItemStatus{ID: ids[0], State: transfer.Uploading, Words: "uploading"})
	h.settle()
	if h.v.stopCountdown != nil {
		t.Error("the countdown goes on with nothing retrying")
	}
}

// While a batch runs the footer says how many upload at once, following
// the engine as it changes the number; the tail of a batch shows the fewer
// still running, and nothing is said once nothing runs.
func TestFooterSaysHowManyUploadAtOnce(t *testing.T) {
	h := newHarness(t, true)
	ids := h.addURLs(20)
	h.setStates(ids[:12], transfer.Uploading)
	h.eng.SetRate(2.4e6, 95*time.Second)
	h.eng.SetConcurrency(12, false)
	h.settle()
	if got, want := h.v.Summary(), "0 of 20 uploaded · 2.4 MB/s · 2 min left · 12 at once"; got != want {
		t.Errorf("footer = %q, want %q", got, want)
	}
	if h.v.whyBtn.Visible() {
		t.Error("Why? is offered while nothing held the number down")
	}
	test.AssertRendersToImage(t, "at_once.png", h.win.Canvas())

	h.eng.SetConcurrency(16, false)
	h.settle()
	if got := h.v.Summary(); !strings.HasSuffix(got, " · 12 at once") {
		t.Errorf("with 12 running of 16 allowed the footer says %q", got)
	}
	h.setStates(ids[:17], transfer.Done)
	h.setStates(ids[17:], transfer.Uploading)
	h.settle()
	if got := h.v.Summary(); !strings.HasSuffix(got, " · 3 at once") {
		t.Errorf("with the last 3 running the footer says %q", got)
	}
	h.eng.Pause()
	h.settle()
	if got := h.v.Summary(); strings.Contains(got, "at once") {
		t.Errorf("paused, the footer says %q", got)
	}
	h.eng.Resume()
	h.setStates(ids[17:], transfer.Done)
	h.settle()
	if got := h.v.Summary(); got != "20 of 20 uploaded" {
		t.Errorf("finished, the footer says %q", got)
	}
}

// When Cloudinary refused more at once, the footer offers why in one calm
// sentence, shown on demand and gone once the batch ends.
func TestFooterExplainsFewerAtOnceOnDemand(t *testing.T) {
	h := newHarness(t, true)
	ids := h.addURLs(10)
	h.setStates(ids[:6], transfer.Uploading)
	h.eng.SetConcurrency(6, true)
	h.settle()
	if !h.v.whyBtn.Visible() || h.v.Why() != "" {
		t.Fatalf("Why? visible %v, line %q: want the button alone", h.v.whyBtn.Visible(), h.v.Why())
	}
	test.Tap(h.v.whyBtn)
	h.settle()
	want := "Cloudinary turned some uploads away as too many at once, so Cloudup sends at most 6 at a time for a while; nothing needs doing."
	if got := h.v.Why(); got != want {
		t.Errorf("why = %q, want %q", got, want)
	}
	test.AssertRendersToImage(t, "at_once_refused.png", h.win.Canvas())
	test.Tap(h.v.whyBtn)
	h.settle()
	if h.v.Why() != "" {
		t.Error("Hide left the line")
	}
	test.Tap(h.v.whyBtn)
	h.setStates(ids, transfer.Done)
	h.settle()
	if h.v.whyBtn.Visible() || h.v.Why() != "" {
		t.Error("the explanation outlived the batch")
	}
}
