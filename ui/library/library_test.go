package library

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/ui/bridge"
)

type fixture struct {
	v     *View
	tasks *bridge.Tasks
	win   fyne.Window
}

func newFixture(t *testing.T, acct Account) *fixture {
	t.Helper()
	test.NewTempApp(t)
	tasks := bridge.NewQueuedTasks()
	t.Cleanup(tasks.Close)
	win := test.NewTempWindow(t, nil)
	v := New(win, tasks)
	v.Debounce = time.Millisecond
	win.SetContent(v.Content())
	win.Resize(fyne.NewSize(900, 600))
	v.SetAccount(acct)
	tasks.Wait()
	return &fixture{v: v, tasks: tasks, win: win}
}

// shownCells counts cells showing a downloaded thumbnail (not the
// placeholder) and checks each shows the image of the asset it is bound to.
func shownCells(t *testing.T, v *View) int {
	t.Helper()
	n := 0
	for img, url := range v.want {
		if img.Image == nil || img.Image == placeholder {
			continue
		}
		n++
		if c, ok := cachedOf(v.acct, url); ok && c != img.Image {
			t.Errorf("a cell bound to %s shows another image", url)
		}
	}
	return n
}

func TestLibraryGridShowsThumbnailsNewestFirst(t *testing.T) {
	fake := NewFake(40)
	fx := newFixture(t, fake)
	st := fx.v.State()
	if st.Len != 40 || fake.Calls() != 1 {
		t.Fatalf("state %+v after %d calls", st, fake.Calls())
	}
	if a, _ := fx.v.browser.Asset(0); a.PublicID != "shots/photo-0039" {
		t.Fatalf("first cell is %s, want the newest", a.PublicID)
	}
	if n := shownCells(t, fx.v); n == 0 {
		t.Fatal("no thumbnails drawn")
	}
	for _, u := range fake.Fetched() {
		// The test canvas has scale 1: one image pixel per cell pixel.
		if !strings.Contains(u, "/c_fill,g_auto,w_150,h_150/f_auto,q_auto/") {
			t.Fatalf("thumbnail URL %s lacks the cell transformation", u)
		}
	}
	test.AssertRendersToImage(t, "grid.png", fx.win.Canvas())
}

func TestThumbnailsAreFetchedAtTheScreensPixelsInHalfSteps(t *testing.T) {
	for scale, want := range map[float32]int{0: 150, 1: 150, 1.1: 225, 1.25: 225, 1.5: 225, 1.75: 300, 2: 300, 3: 450} {
		if got := thumbPixels(scale); got != want {
			t.Errorf("scale %v: %d px, want %d", scale, got, want)
		}
	}
}

func TestLibraryEmptyAndErrorStatesSayWhatToDo(t *testing.T) {
	fx := newFixture(t, NewFake(0))
	if !strings.Contains(fx.v.note.Text, "Nothing uploaded yet") {
		t.Fatalf("empty: %q", fx.v.note.Text)
	}
	test.AssertRendersToImage(t, "empty.png", fx.win.Canvas())

	failing := NewFake(10)
	failing.FailSearch = &cloud.RateLimitedError{Status: 420, Message: "Rate Limit Exceeded"}
	fx.v.SetAccount(failing)
	fx.tasks.Wait()
	if fx.v.note.Text != "The library did not load. Cloudinary is limiting this account's requests for now — try again later." || fx.v.retry.Hidden {
		t.Fatalf("error: %q, retry hidden %v", fx.v.note.Text, fx.v.retry.Hidden)
	}
	test.AssertRendersToImage(t, "error.png", fx.win.Canvas())
	failing.mu.Lock()
	failing.FailSearch = nil
	failing.mu.Unlock()
	test.Tap(fx.v.retry)
	fx.tasks.Wait()
	if fx.v.State().Len != 10 || fx.v.note.Text != "" {
		t.Fatalf("after Try again: %+v %q", fx.v.State(), fx.v.note.Text)
	}

	fx.v.SetAccount(nil)
	if !strings.Contains(fx.v.note.Text, "No account") {
		t.Fatalf("no account: %q", fx.v.note.Text)
	}
}

func TestLibrarySearchBoxAndFolderFilter(t *testing.T) {
	fake := NewFake(30)
	fake.Assets = append(fake.Assets, cloud.Asset{PublicID: "other/photo-9999", ResourceType: "image", Type: "upload", Folder: "other", CreatedAt: time.Now()})
	fx := newFixture(t, fake)
	test.Type(fx.v.search, "#cover")
	fx.tasks.Wait()
	if st := fx.v.State(); st.Len != 6 || st.Filter.Tag != "cover" {
		t.Fatalf("#cover: %+v", st)
	}
	fx.v.search.SetText("")
	test.Type(fx.v.folder, "other")
	fx.tasks.Wait()
	if st := fx.v.State(); st.Len != 1 {
		t.Fatalf("folder other: %+v (expressions %q)", st, fake.Expressions())
	}
	fx.v.folder.SetText("nowhere")
	fx.tasks.Wait()
	if !strings.Contains(fx.v.note.Text, "Nothing matches") {
		t.Fatalf("no match: %q", fx.v.note.Text)
	}
	fx.v.FocusSearch()
	if fx.win.Canvas().Focused() != fx.v.search {
		t.Fatal("FocusSearch did not focus the search box")
	}
}

func TestLibraryScrollingTenThousandAssetsCostsOnePagePerHundred(t *testing.T) {
	fake := NewFake(10_000)
	fx := newFixture(t, fake)
	if fake.Calls() != 1 {
		t.Fatalf("first screen took %d calls", fake.Calls())
	}
	// Scroll through the first 1,000 cells, a screenful at a time.
	for id := 0; id < 1000; id += 30 {
		fx.v.grid.ScrollTo(id)
		fx.tasks.Wait()
	}
	// The cells on screen plus the read-ahead of half a page (and the rows
	// the grid lays out beyond the viewport) need 10 to 14 pages of 100;
	// loading everything would be 100.
	calls := fake.Calls()
	if calls < 10 || calls > 14 || fx.v.State().Len != calls*100 {
		t.Fatalf("scrolling 1,000 of 10,000 cells made %d Search calls for %d assets, want about 10", calls, fx.v.State().Len)
	}
	if st := fx.v.State(); st.Total != 10_000 || st.Done {
		t.Fatalf("state %+v", st)
	}
	if shownCells(t, fx.v) == 0 {
		t.Fatal("no thumbnails after scrolling")
	}
}

func TestLibraryDeleteFromThePreviewDropsTheCell(t *testing.T) {
	fake := NewFake(5)
	fx := newFixture(t, fake)
	fx.v.Open(0)
	fx.tasks.Wait()
	if !fx.v.Preview().Visible() {
		t.Fatal("preview not open")
	}
	fx.v.Preview().AskDelete()
	fx.v.Preview().ConfirmDelete(true)
	fx.tasks.Wait()
	if got := fake.Destroyed(); len(got) != 1 || got[0].PublicID != "shots/photo-0004" {
		t.Fatalf("destroyed %v", got)
	}
	if st := fx.v.State(); st.Len != 4 {
		t.Fatalf("grid still has %d cells", st.Len)
	}
	if a, _ := fx.v.browser.Asset(0); a.PublicID != "shots/photo-0003" {
		t.Fatalf("first cell is now %s", a.PublicID)
	}
	fx.v.Open(0)
	if !fx.v.ClosePreview() || fx.v.Preview().Visible() {
		t.Fatal("ClosePreview (Esc) did not close it")
	}
}

func TestLibraryAgainstTheSandboxLoadsRealThumbnailsAndGrayscalePreview(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb := sandboxtest.Start(t, sandbox.Config{})
	if err := sb.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	client := sandboxtest.Client(t, sb)
	thumbs, err := corelib.NewThumbs(corelib.ThumbsConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	delivery, err := effects.DeliveryFor(sb.Cloud(), sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	acct := AccountFrom(client, thumbs, delivery, "", effects.LinkURL)
	fx := newFixture(t, acct)
	st := fx.v.State()
	if st.Len == 0 || st.Err != nil {
		t.Fatalf("sandbox library: %+v", st)
	}
	if shownCells(t, fx.v) == 0 {
		t.Fatalf("no real thumbnails drawn: %q", fx.v.note.Text)
	}
	for img := range fx.v.want {
		if img.Image != nil && img.Image != placeholder {
			if b := img.Image.Bounds(); b.Dx() != CellSize || b.Dy() != CellSize {
				t.Fatalf("thumbnail is %v, want the %d×%d cell fill", b, CellSize, CellSize)
			}
		}
	}
	fx.v.Open(0)
	fx.v.Preview().Apply("grayscale")
	fx.tasks.Wait()
	shown := fx.v.Preview().Shown()
	if shown == nil {
		t.Fatal("no grayscale preview")
	}
	b := shown.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 5 {
		for x := b.Min.X; x < b.Max.X; x += 5 {
			r, g, bl, _ := shown.At(x, y).RGBA()
			if r>>8 != g>>8 || g>>8 != bl>>8 {
				t.Fatalf("grayscale pixel %d,%d is %d,%d,%d", x, y, r>>8, g>>8, bl>>8)
			}
		}
	}
	if !strings.Contains(fx.v.Preview().Link(), "/e_grayscale/") {
		t.Fatalf("link %s", fx.v.Preview().Link())
	}
}
