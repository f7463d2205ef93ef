package preview

import (
	"errors"
	"image"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/browser"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/preview/previewtest"
)

var photo = cloud.Asset{
	PublicID: "blog/beach", ResourceType: "image", Type: "upload", Format: "jpg", Version: 1700000000,
	Width: 4000, Height: 3000, Bytes: 2_400_000, Tags: []string{"summer", "hero"},
	CreatedAt: time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC),
}

type fixture struct {
	v     *View
	fake  *previewtest.Fake
	tasks *bridge.Tasks
	win   fyne.Window
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	test.NewTempApp(t)
	tasks := bridge.NewQueuedTasks()
	t.Cleanup(tasks.Close)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1000, 720))
	dialogs.HandleKeys(win, nil) // as the main window does
	fx := &fixture{v: New(win, tasks), fake: &previewtest.Fake{Secret: "fake-secret", Busy: map[string]int{}}, tasks: tasks, win: win}
	fx.v.PollInterval = time.Millisecond
	fx.v.SetAccount(fx.fake)
	return fx
}

func isGray(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				return false
			}
		}
	}
	return true
}

func TestPreviewShowsOriginalAndPresetSideBySide(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.tasks.Wait()
	fx.v.Apply("grayscale")
	fx.tasks.Wait()
	if !fx.v.Visible() {
		t.Fatal("preview not open")
	}
	if fx.v.original.Image == nil || fx.v.shown.Image == nil {
		t.Fatal("both sides should show an image")
	}
	if isGray(fx.v.original.Image) || !isGray(fx.v.shown.Image) {
		t.Fatal("want a colour original next to a grayscale preset")
	}
	want := "https://res.cloudinary.com/demo/image/upload/e_grayscale/v1700000000/blog/beach"
	if fx.v.Link() != want {
		t.Fatalf("link %s, want %s", fx.v.Link(), want)
	}
	for _, u := range fx.fake.Fetched() {
		if !strings.Contains(u, displayLimit) {
			t.Errorf("%s downloads the full-size image", u)
		}
	}
	test.AssertRendersToImage(t, "grayscale.png", fx.win.Canvas())
}

func TestPreviewCopiesTheLinkAsURLMarkdownAndHTML(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.v.Apply("sepia")
	fx.tasks.Wait()
	link := "https://res.cloudinary.com/demo/image/upload/e_sepia/v1700000000/blog/beach"
	cb := fyne.CurrentApp().Clipboard()
	cases := []struct {
		button func() *fixture
		format effects.LinkFormat
		want   string
	}{
		{nil, effects.LinkURL, link},
		{nil, effects.LinkMarkdown, "![beach](" + link + ")"},
		{nil, effects.LinkHTML, `<img src="` + link + `" alt="beach">`},
	}
	buttons := map[effects.LinkFormat]func(){effects.LinkURL: func() { test.Tap(fx.v.copyURL) }, effects.LinkMarkdown: func() { test.Tap(fx.v.copyMD) }, effects.LinkHTML: func() { test.Tap(fx.v.copyHT) }}
	for _, c := range cases {
		buttons[c.format]()
		if got := cb.Content(); got != c.want {
			t.Errorf("%s: clipboard %q, want %q", c.format, got, c.want)
		}
	}
	if !strings.Contains(fx.v.Status(), "Sepia link as HTML") {
		t.Errorf("status %q", fx.v.Status())
	}
}

func TestPreviewSignedLinkComesFromTheAccount(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.v.Apply("improve")
	fx.tasks.Wait()
	test.Tap(fx.v.signed)
	fx.tasks.Wait()
	if !strings.Contains(fx.v.Link(), "/image/upload/s--") || !strings.Contains(fx.v.Link(), "e_improve") {
		t.Fatalf("signed link %s", fx.v.Link())
	}
	// No secret: the link falls back to unsigned and says why.
	fx.fake.Secret = ""
	fx.v.Apply("sharpen")
	fx.tasks.Wait()
	if fx.v.signed.Checked || strings.Contains(fx.v.Link(), "s--") || !strings.Contains(fx.v.Status(), "secret") {
		t.Fatalf("without a secret: checked=%v link=%s status=%q", fx.v.signed.Checked, fx.v.Link(), fx.v.Status())
	}
}

func TestPreviewKeepsPollingWhileBackgroundRemovalIsProcessing(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Busy["e_background_removal"] = 3
	fx.v.Show(photo)
	fx.tasks.Wait() // the original preset's picture is shown
	fx.v.Apply("background-removal")
	if !strings.HasPrefix(fx.v.shownNote.Text, "Working…") {
		t.Fatalf("note while processing: %q", fx.v.shownNote.Text)
	}
	if fx.v.shown.Image != nil {
		t.Error("the previous preset's picture stays under the new one's heading while it is made")
	}
	fx.tasks.Wait()
	if fx.v.shown.Image == nil {
		t.Fatalf("no image after the server finished: %q", fx.v.shownNote.Text)
	}
	n := 0
	for _, u := range fx.fake.Fetched() {
		if strings.Contains(u, "e_background_removal") {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("background removal fetched %d times, want 3 answers of 423 then the image", n)
	}
}

func TestPreviewStopsPollingWhenItMovesOn(t *testing.T) {
	const removal = "e_background_removal"
	cases := []struct {
		name   string
		moveOn func(fx *fixture)
	}{
		{"closed", func(fx *fixture) { fx.v.Close() }},
		{"another profile", func(fx *fixture) { fx.v.SetAccount(&previewtest.Fake{}) }},
		{"another preset", func(fx *fixture) { fx.v.Apply("grayscale") }},
		{"clicked again", func(fx *fixture) {
			fx.v.Apply("background-removal")
			fx.v.Apply("background-removal")
			fx.v.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.fake.Busy[removal] = 1 << 30 // the server never finishes
			fx.v.Show(photo)
			fx.v.Apply("background-removal")
			polls := func() int {
				n := 0
				for _, u := range fx.fake.Fetched() {
					if strings.Contains(u, removal) {
						n++
					}
				}
				return n
			}
			deadline := time.Now().Add(5 * time.Second)
			for polls() < 3 {
				if time.Now().After(deadline) {
					t.Fatal("the preview never polled")
				}
				time.Sleep(time.Millisecond)
			}
			tc.moveOn(fx)
			done := make(chan struct{})
			go func() { fx.tasks.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("still polling after the preview moved on: %d fetches", polls())
			}
			before := polls()
			time.Sleep(50 * fx.v.PollInterval)
			if after := polls(); after != before {
				t.Fatalf("%d more fetches after the preview moved on", after-before)
			}
		})
	}
}

func TestPreviewDeletesOnlyAfterConfirmation(t *testing.T) {
	fx := newFixture(t)
	var deleted []cloud.Asset
	fx.v.OnDeleted = func(a cloud.Asset) { deleted = append(deleted, a) }
	fx.v.Show(photo)
	fx.tasks.Wait()
	test.Tap(fx.v.remove)
	if fx.v.confirm == nil {
		t.Fatal("Delete should ask first")
	}
	test.AssertRendersToImage(t, "delete_confirm.png", fx.win.Canvas())
	fx.v.ConfirmDelete(false)
	fx.tasks.Wait()
	if len(fx.fake.Destroyed()) != 0 {
		t.Fatal("cancelled delete destroyed the asset")
	}
	test.Tap(fx.v.remove)
	fx.v.ConfirmDelete(true)
	fx.tasks.Wait()
	got := fx.fake.Destroyed()
	if len(got) != 1 || got[0] != (cloud.Ref{PublicID: "blog/beach", ResourceType: "image", Type: "upload"}) {
		t.Fatalf("destroyed %v", got)
	}
	if len(deleted) != 1 || fx.v.Visible() {
		t.Fatalf("after delete: OnDeleted %d times, visible %v", len(deleted), fx.v.Visible())
	}
}

func TestPreviewDeleteFailureSaysWhyAndKeepsTheAsset(t *testing.T) {
	fx := newFixture(t)
	fx.fake.FailDestroy = &cloud.AuthError{Status: 401, Message: "Unknown API key 123"}
	deleted := 0
	fx.v.OnDeleted = func(cloud.Asset) { deleted++ }
	fx.v.Show(photo)
	test.Tap(fx.v.remove)
	fx.v.ConfirmDelete(true)
	fx.tasks.Wait()
	if deleted != 0 || !fx.v.Visible() || fx.v.Status() != "Not deleted. Cloudinary did not accept this cloud name and API key — check them in Settings." {
		t.Fatalf("deleted=%d visible=%v status=%q", deleted, fx.v.Visible(), fx.v.Status())
	}
}

func TestPreviewOpenInBrowserFallsBackToTheLinkWithACopyButton(t *testing.T) {
	fx := newFixture(t)
	var opened []string
	fx.v.OpenURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	fx.v.Show(photo)
	fx.tasks.Wait()
	test.Tap(fx.v.open)
	fx.tasks.Wait() // the browser is started off the UI goroutine
	if len(opened) != 1 || opened[0] != fx.v.Link() || fx.v.Status() != "Opened in the browser." {
		t.Fatalf("opened %v, status %q", opened, fx.v.Status())
	}
	fx.v.OpenURL = func(*url.URL) error { return errors.New("no browser found") }
	test.Tap(fx.v.open)
	fx.tasks.Wait()
	if fx.v.fallback == nil {
		t.Fatal("no fallback dialog")
	}
	test.AssertRendersToImage(t, "open_failed.png", fx.win.Canvas())
}

// Without OpenURL the real xdg-open runs (generic mode, BROWSER set): the
// link reaches the browser, and a missing browser brings up the fallback.
func TestPreviewOpenInBrowserRunsXdgOpenAndHearsItFail(t *testing.T) {
	keychaintest.NeedTools(t, "xdg-open")
	if !browser.Supported() {
		t.Skip("links open through the toolkit on this system")
	}
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "opened")
	works := filepath.Join(dir, "browser")
	if err := os.WriteFile(works, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+got+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.tasks.Wait()

	t.Setenv("BROWSER", works)
	test.Tap(fx.v.open)
	fx.tasks.Wait()
	if b, _ := os.ReadFile(got); string(b) != fx.v.Link() || fx.v.Status() != "Opened in the browser." {
		t.Fatalf("the browser got %q (link %q), status %q", b, fx.v.Link(), fx.v.Status())
	}

	t.Setenv("BROWSER", "false")
	test.Tap(fx.v.open)
	fx.tasks.Wait()
	if fx.v.fallback == nil {
		t.Fatalf("no fallback dialog when xdg-open finds no browser; status %q", fx.v.Status())
	}
}

func TestPreviewOfAVideoShowsAPosterFrameAndLinksTheVideo(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(cloud.Asset{PublicID: "clips/intro", ResourceType: "video", Type: "upload", Format: "mp4", Version: 5, Duration: 12.4})
	fx.tasks.Wait()
	fetched := fx.fake.Fetched()
	if len(fetched) == 0 || !strings.Contains(fetched[0], "/video/upload/") || !strings.HasSuffix(fetched[0], ".jpg") {
		t.Fatalf("poster fetches %v", fetched)
	}
	if fx.v.Link() != "https://res.cloudinary.com/demo/video/upload/v5/clips/intro" {
		t.Fatalf("video link %s", fx.v.Link())
	}
	if !strings.Contains(fx.v.details.Text, "12s") {
		t.Errorf("details %q", fx.v.details.Text)
	}
}

func TestEscClosesTheDeleteConfirmationThenThePreview(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.tasks.Wait()
	fx.v.AskDelete()
	esc := func() { fx.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) }
	esc()
	if !fx.v.Visible() || len(fx.win.Canvas().Overlays().List()) != 1 {
		t.Fatalf("the first Esc: preview open %v, %d overlays (want the preview alone)", fx.v.Visible(), len(fx.win.Canvas().Overlays().List()))
	}
	if len(fx.fake.Destroyed()) != 0 {
		t.Fatal("Esc on the confirmation deleted the asset")
	}
	esc()
	if fx.v.Visible() || len(fx.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("the second Esc did not close the preview")
	}
	// It opens again after Esc closed it.
	fx.v.Show(photo)
	if !fx.v.Visible() {
		t.Error("the preview did not open again")
	}
}

func TestPreviewShowsASmallPresetAtItsOwnSizeAndSaysSo(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(photo)
	fx.tasks.Wait()
	fx.v.Apply("thumbnail")
	fx.tasks.Wait()
	if b := fx.v.Shown().Bounds(); b.Dx() != 150 || b.Dy() != 150 {
		t.Fatalf("the thumbnail preset drew %v", b)
	}
	if s := fx.v.shown.Size(); s.Width > 150 || s.Height > 150 {
		t.Errorf("a 150 px thumbnail is drawn at %v", s)
	}
	if got := fx.v.shownNote.Text; got != "150 × 150 px, actual size" {
		t.Errorf("note = %q", got)
	}
	if got := fx.v.originalNote.Text; got != "800 × 800 px, scaled down to fit" {
		t.Errorf("original's note = %q", got)
	}
}

func TestPreviewShowsEveryPresetAndForgetsTheLastCopy(t *testing.T) {
	fx := newFixture(t)
	fx.win.Resize(fyne.NewSize(820, 640)) // a narrow window
	fx.v.Show(photo)
	fx.tasks.Wait()
	area := fx.v.presets.Size()
	for name, b := range fx.v.presetButtons {
		p := b.Position()
		if !b.Visible() || p.X < 0 || p.Y < 0 || p.X+b.Size().Width > area.Width+0.5 || p.Y+b.Size().Height > area.Height+0.5 {
			t.Errorf("preset %s is cut off: at %v size %v in %v", name, p, b.Size(), area)
		}
		if b.Size().Width < b.MinSize().Width {
			t.Errorf("preset %s is squeezed: %v < %v", name, b.Size(), b.MinSize())
		}
	}
	fx.v.Copy(effects.LinkURL)
	if !strings.HasPrefix(fx.v.Status(), "Copied the Original link") {
		t.Fatalf("status = %q", fx.v.Status())
	}
	fx.v.Apply("sepia")
	if fx.v.Status() != "" {
		t.Errorf("after another preset the status still says %q", fx.v.Status())
	}
}

func TestVideoIsOfferedVideoPresetsOnly(t *testing.T) {
	fx := newFixture(t)
	fx.v.Show(cloud.Asset{PublicID: "clips/surf", ResourceType: "video", Type: "upload", Format: "mp4", Version: 1, Width: 640, Height: 360})
	fx.tasks.Wait()
	for name, want := range map[string]bool{"background-removal": false, "thumbnail": false, "sepia": false, "auto": true, "social": true, "original": true} {
		if got := fx.v.presetButtons[name].Visible(); got != want {
			t.Errorf("%s offered for a video: %v, want %v", name, got, want)
		}
	}
	fx.v.Show(photo)
	fx.tasks.Wait()
	if !fx.v.presetButtons["background-removal"].Visible() {
		t.Error("background removal is hidden for a photo after a video")
	}
	fx.v.Close()
}

func TestCopiesUseTheAssetsAltText(t *testing.T) {
	fx := newFixture(t)
	a := photo
	a.Context = map[string]string{"alt": "Children building a sandcastle"}
	fx.v.Show(a)
	fx.tasks.Wait()
	fx.v.Copy(effects.LinkHTML)
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, `alt="Children building a sandcastle"`) {
		t.Errorf("copied %q", got)
	}
	fx.v.Show(photo)
	fx.tasks.Wait()
	fx.v.Copy(effects.LinkMarkdown)
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.HasPrefix(got, "![beach](") {
		t.Errorf("without alt text the name stays: %q", got)
	}
	fx.v.Close()
}

func TestDetailsNameTheAssetOnce(t *testing.T) {
	for a, want := range map[*cloud.Asset]string{
		{PublicID: "photo-08_mrrh2x", ResourceType: "image", Format: "png"}:                             "photo-08_mrrh2x · PNG image",
		{PublicID: "trips/photo-08_mrrh2x", DisplayName: "Beach", ResourceType: "image", Format: "png"}: "Beach · trips/photo-08_mrrh2x · PNG image",
	} {
		if got := strings.SplitN(detailsOf(*a), "\n", 2)[0]; got != want {
			t.Errorf("details start %q, want %q", got, want)
		}
	}
}
