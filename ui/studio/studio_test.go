package studio

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/delivered"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/preview"
)

type fixture struct {
	v        *View
	tasks    *bridge.Tasks
	win      fyne.Window
	sb       *sandbox.Server
	asset    cloud.Asset
	acct     *preview.Adapter
	saved    []account.StudioPreset
	shown    []string
	measured []string
}

// photoJPEG is a deterministic photograph-like picture: gradients, a disc
// and a bar, fine noise.
func photoJPEG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8((x*7 + y*13) % 17)
			c := color.NRGBA{uint8(40 + x*160/w), uint8(90 + y*120/h), uint8(170 - x*60/w + int(n)), 255}
			if dx, dy := x-w*2/3, y-h/2; dx*dx+dy*dy < h*h/12 {
				c = color.NRGBA{230, 180 + n, 60, 255}
			}
			if y > h*3/4 {
				c = color.NRGBA{uint8(30 + n), uint8(70 + x*40/w), 40, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newFixture(t testing.TB, alt string) *fixture {
	t.Helper()
	test.NewTempApp(t)
	tasks := bridge.NewQueuedTasks()
	t.Cleanup(tasks.Close)
	win := test.NewTempWindow(t, nil)
	win.Resize(fyne.NewSize(1100, 780))
	dialogs.HandleKeys(win, nil)
	sb := sandboxtest.Start(t, sandbox.Config{})
	c := sandboxtest.Client(t, sb)
	data := photoJPEG(t, 1600, 1000)
	params := cloud.UploadParams{PublicID: "blog/harbour"}
	if alt != "" {
		params.Context = map[string]string{"alt": alt}
	}
	a, err := c.Upload(context.Background(), cloud.UploadRequest{ResourceType: "image", Params: params,
		File: cloud.File{Name: "harbour.jpg", Data: bytes.NewReader(data), Size: int64(len(data))}})
	if err != nil {
		t.Fatal(err)
	}
	thumbs, err := corelib.NewThumbs(corelib.ThumbsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := effects.DeliveryFor(sb.Cloud(), sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	secret := sb.APISecret()
	acct := preview.AccountFrom(c, thumbs, d, func(_ context.Context, ref effects.Ref, tr string) (string, error) {
		return d.URL(ref, tr, secret, true)
	}, effects.LinkURL)
	fx := &fixture{v: New(win, tasks), tasks: tasks, win: win, sb: sb, asset: *a, acct: acct}
	fx.v.Debounce = 30 * time.Millisecond
	fx.v.OnRendered = func(tr string) { fx.shown = append(fx.shown, tr) }
	fx.v.OnMeasured = func(line string) { fx.measured = append(fx.measured, line) }
	fx.v.SetAccount(acct, Profile{
		Templates: []account.LinkTemplate{{Name: "Hugo", Text: `{{< figure src="{url}" alt="{alt}" width="{width}" >}}`}},
		SavePreset: func(_ context.Context, p account.StudioPreset) error {
			fx.saved = append(fx.saved, p)
			return nil
		},
	})
	return fx
}

// settle runs the UI's queued work until the preview shows tr.
func (fx *fixture) settle(t testing.TB, tr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		fx.tasks.Wait()
		if n := len(fx.shown); n > 0 && fx.shown[n-1] == tr && fx.v.cancel == nil && len(fx.measured) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the preview never showed %q (shown: %q; note %q)", tr, fx.shown, fx.v.imageNote.Text)
}

// wait runs queued work until nothing is left.
func (fx *fixture) wait() {
	time.Sleep(2 * fx.v.Debounce)
	fx.tasks.Wait()
}

func TestControlsAndTextAgree(t *testing.T) {
	fx := newFixture(t, "Boats in the harbour")
	fx.v.Show(fx.asset, "")
	fx.v.sliders["sepia"].SetValue(60)
	if got := fx.v.text.Text; got != "e_sepia:60" {
		t.Fatalf("moving the sepia slider wrote %q", got)
	}
	fx.v.auto.SetChecked(true)
	fx.v.aspect.SetSelected("Social card 1200×630")
	if got := fx.v.text.Text; got != "c_fill,g_auto,w_1200,h_630/e_sepia:60/f_auto,q_auto" {
		t.Fatalf("controls wrote %q", got)
	}

	test.Type(fx.v.text, "") // focus
	fx.v.text.SetText("c_fill,ar_16:9,g_faces,w_600/e_sharpen:60/f_auto,q_auto")
	if fx.v.aspect.Selected != "16:9" || fx.v.gravity.Selected != "faces" || fx.v.width.Text != "600" ||
		!fx.v.checks["sharpen"].Checked || fx.v.sliders["sharpen"].Value != 60 || fx.v.checks["sepia"].Checked || !fx.v.auto.Checked {
		t.Fatalf("the text did not set the controls: aspect %q gravity %q width %q sharpen %v/%v sepia %v",
			fx.v.aspect.Selected, fx.v.gravity.Selected, fx.v.width.Text, fx.v.checks["sharpen"].Checked, fx.v.sliders["sharpen"].Value, fx.v.checks["sepia"].Checked)
	}
	if fx.v.text.Text != "c_fill,ar_16:9,g_faces,w_600/e_sharpen:60/f_auto,q_auto" {
		t.Fatalf("setting the controls rewrote the text: %q", fx.v.text.Text)
	}

	fx.v.text.SetText("c_fill,ar_3:2,g_center")
	if fx.v.aspect.Selected != "Custom…" || fx.v.customAR.Text != "3:2" {
		t.Errorf("a custom ratio shows as %q %q", fx.v.aspect.Selected, fx.v.customAR.Text)
	}

	fx.v.text.SetText("c_fill,ar_1:1,g_auto/l_logo")
	if fx.v.Transformation() != "c_fill,ar_1:1,g_auto/l_logo" || !strings.Contains(fx.v.textNote.Text, "cannot show this chain") {
		t.Errorf("hand-written chain %q note %q", fx.v.Transformation(), fx.v.textNote.Text)
	}
	fx.wait()
}

// The readers' line is what the sandbox really delivers to a browser.
func TestReadersLineIsTheDeliveredResponse(t *testing.T) {
	fx := newFixture(t, "Boats")
	tr := "c_fill,g_auto,w_1200,h_630/e_improve:100/f_auto,q_auto"
	fx.v.Show(fx.asset, tr)
	fx.settle(t, tr)
	u, _ := fx.acct.Delivery().URL(effects.Ref{PublicID: fx.asset.PublicID, Version: fx.asset.Version}, tr, "", false)
	res, err := delivered.Probe(context.Background(), nil, u)
	if err != nil {
		t.Fatal(err)
	}
	want := "Readers download: " + res.Describe(fx.asset.Bytes)
	if got := fx.v.Readers(); got != want || !strings.Contains(got, "1200×630") || !strings.Contains(got, "% smaller than the") {
		t.Fatalf("readers line %q, want %q", got, want)
	}
	if b := fx.v.Shown().Bounds(); b.Dx() != 800 || b.Dy() != 420 {
		t.Errorf("preview is %v, want the card limited to 800×420", b)
	}
	if !strings.HasPrefix(fx.v.original.Text, "Original: JPEG 1600×1000 · ") {
		t.Errorf("original line %q", fx.v.original.Text)
	}
	test.AssertRendersToImage(t, "card.png", fx.win.Canvas())
	saveShot(t, fx.win, "studio-card.png")
}

func TestCopyNeedsAltTextAndEveryLinkLoads(t *testing.T) {
	fx := newFixture(t, "")
	tr := "c_fill,ar_4:5,g_auto/e_vignette:40"
	fx.v.Show(fx.asset, tr)
	fx.settle(t, tr)
	fx.v.Copy("html")
	fx.wait()
	if !strings.Contains(fx.v.Status(), "no alt text") || fyne.CurrentApp().Clipboard().Content() != "" {
		t.Fatalf("copied without alt text: %q", fx.v.Status())
	}
	test.AssertRendersToImage(t, "no_alt.png", fx.win.Canvas())
	saveShot(t, fx.win, "studio-no-alt.png")
	fx.v.noAlt.SetChecked(true)
	fx.v.Copy("html")
	fx.wait()
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, `alt=""`) || !strings.Contains(got, `width="800" height="1000"`) {
		t.Fatalf("copied %q (%s)", got, fx.v.Status())
	}
	fx.v.noAlt.SetChecked(false)
	fx.v.alt.SetText("Sunset over the harbour")
	fx.v.signed.SetChecked(true)
	for _, f := range []string{"srcset", "picture", "markdown", "template:Hugo"} {
		fx.v.Copy(f)
		fx.wait()
		got := fyne.CurrentApp().Clipboard().Content()
		if !strings.Contains(got, "Sunset over the harbour") || !strings.Contains(fx.v.Status(), "Copied") {
			t.Fatalf("%s: %q (%s)", f, got, fx.v.Status())
		}
		for _, u := range regexp.MustCompile(`https?://[^"\s)]+`).FindAllString(got, -1) {
			if !strings.Contains(u, "/s--") {
				t.Errorf("%s: unsigned link %s", f, u)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: %s answered %s", f, u, resp.Status)
			}
		}
	}
}

func TestSavedPresetSitsNextToBuiltIns(t *testing.T) {
	fx := newFixture(t, "x")
	fx.v.Show(fx.asset, "e_sepia:30/f_auto,q_auto")
	fx.v.SavePreset()
	if !strings.Contains(fx.v.Status(), "Type a name") {
		t.Fatalf("status %q", fx.v.Status())
	}
	fx.v.presetName.SetText("Warm")
	fx.v.SavePreset()
	fx.wait()
	if len(fx.saved) != 1 || fx.saved[0] != (account.StudioPreset{Name: "Warm", Transformation: "e_sepia:30/f_auto,q_auto"}) {
		t.Fatalf("saved %+v", fx.saved)
	}
	opts := strings.Join(fx.v.presets.Options, "|")
	if !strings.Contains(opts, "Sepia|") || !strings.HasSuffix(opts, "★ Warm") {
		t.Fatalf("preset list %q", opts)
	}
	fx.v.text.SetText("")
	fx.v.presets.SetSelected("★ Warm")
	if fx.v.text.Text != "e_sepia:30/f_auto,q_auto" || fx.v.sliders["sepia"].Value != 30 {
		t.Fatalf("picking the preset set %q", fx.v.text.Text)
	}
	fx.wait()
}

func TestVideoOffersVideoControlsOnly(t *testing.T) {
	fx := newFixture(t, "x")
	v := cloud.Asset{PublicID: "clips/surf", ResourceType: "video", Type: "upload", Version: 1, Width: 1280, Height: 720, Bytes: 5_000_000}
	fx.v.Show(v, "")
	for _, name := range []string{"sepia", "sharpen", "improve", "grayscale", "pixelate"} {
		if fx.v.rows[name].Visible() {
			t.Errorf("%s is offered for a video", name)
		}
	}
	for _, name := range []string{"blur", "brightness", "contrast", "saturation", "gamma", "vignette"} {
		if !fx.v.rows[name].Visible() {
			t.Errorf("%s is not offered for a video", name)
		}
	}
	if !fx.v.trimRow.Visible() || !fx.v.copyVideo.Visible() || fx.v.copyImage[1].Visible() {
		t.Errorf("trim %v, <video> %v, srcset %v", fx.v.trimRow.Visible(), fx.v.copyVideo.Visible(), fx.v.copyImage[1].Visible())
	}
	for _, p := range fx.v.presets.Options {
		if p == "Background removal" || p == "Thumbnail 150×150" || p == "Sepia" {
			t.Errorf("image preset %q offered for a video", p)
		}
	}
	fx.v.trimStart.SetText("1.5")
	fx.v.trimEnd.SetText("4")
	fx.v.width.SetText("640")
	fx.v.auto.SetChecked(true)
	if got := fx.v.text.Text; got != "so_1.5,eo_4/c_scale,w_640/f_auto,q_auto" {
		t.Fatalf("video chain %q", got)
	}
	fx.v.text.SetText("e_sepia")
	if !strings.Contains(fx.v.textNote.Text, "images only") {
		t.Errorf("note %q", fx.v.textNote.Text)
	}
	fx.v.Close()
	fx.wait()
}

// A video's chain plays: the preview is its (trimmed) first frame, the
// readers' line is the transcoded file, and the copied <video> tag's video
// and poster both load.
func TestVideoChainPlaysAndCopiesAsVideoTag(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	fx := newFixture(t, "x")
	out := filepath.Join(t.TempDir(), "surf.mp4")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10", "-t", "4", "-pix_fmt", "yuv420p", out)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	data, _ := os.ReadFile(out)
	a, err := sandboxtest.Client(t, fx.sb).Upload(context.Background(), cloud.UploadRequest{ResourceType: "video",
		File: cloud.File{Name: "surf.mp4", Data: bytes.NewReader(data), Size: int64(len(data))}, Params: cloud.UploadParams{PublicID: "clips/surf"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := "so_1,eo_3/c_scale,w_320/e_brightness:20/f_auto,q_auto"
	fx.v.Show(*a, tr)
	fx.settle(t, tr)
	if b := fx.v.Shown().Bounds(); b.Dx() != 320 || b.Dy() != 180 {
		t.Errorf("video preview is %v, want 320×180", b)
	}
	if got := fx.v.Readers(); !strings.HasPrefix(got, "Readers download: MP4 320×180 · ") || !strings.Contains(got, "original") {
		t.Errorf("readers line %q", got)
	}
	fx.v.Copy("video")
	fx.wait()
	tag := fyne.CurrentApp().Clipboard().Content()
	urls := regexp.MustCompile(`https?://[^"\s]+`).FindAllString(tag, -1)
	if !strings.HasPrefix(tag, "<video ") || len(urls) != 2 || !strings.HasSuffix(urls[1], ".jpg") || !strings.Contains(tag, `width="320" height="180"`) {
		t.Fatalf("copied %q", tag)
	}
	for i, u := range urls {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := []string{"video/mp4", "image/jpeg"}[i]
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want {
			t.Errorf("%s: %s %s", u, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
	test.AssertRendersToImage(t, "video.png", fx.win.Canvas())
	saveShot(t, fx.win, "studio-video.png")
}

// namedAccount is the library's account: it may save named transformations.
type namedAccount struct{ *preview.Adapter }

func (a namedAccount) CreateNamedTransformation(ctx context.Context, name, tr string) error {
	return a.Client.CreateNamedTransformation(ctx, name, tr)
}

// A preset saved "also in Cloudinary" becomes t_NAME on the account, and
// picking it links with the short name, which the sandbox delivers.
func TestPresetSavedAsNamedTransformation(t *testing.T) {
	fx := newFixture(t, "Boats")
	prof := fx.v.profile
	fx.v.SetAccount(namedAccount{fx.acct}, prof)
	fx.v.Show(fx.asset, "c_fill,ar_1:1,g_auto,w_300/e_sepia:30/f_auto,q_auto")
	if !fx.v.inCloud.Visible() {
		t.Fatal("the account can keep named transformations but the studio does not offer it")
	}
	fx.v.presetName.SetText("Warm square")
	fx.v.inCloud.SetChecked(true)
	fx.v.SavePreset()
	fx.wait()
	if len(fx.saved) != 1 || fx.saved[0].Named != "warm_square" || !strings.Contains(fx.v.Status(), "t_warm_square") {
		t.Fatalf("saved %+v, status %q", fx.saved, fx.v.Status())
	}
	fx.v.presets.SetSelected("★ Warm square")
	if fx.v.Transformation() != "t_warm_square" {
		t.Fatalf("picking the preset links with %q", fx.v.Transformation())
	}
	fx.settle(t, "t_warm_square")
	if b := fx.v.Shown().Bounds(); b.Dx() != 300 || b.Dy() != 300 {
		t.Errorf("t_warm_square preview is %v, want 300×300", b)
	}
	if !strings.Contains(fx.v.Readers(), "300×300") {
		t.Errorf("readers line %q", fx.v.Readers())
	}
	// The same name again is refused by Cloudinary; the profile is untouched.
	fx.v.presetName.SetText("Warm square")
	fx.v.SavePreset()
	fx.wait()
	if len(fx.saved) != 1 || !strings.Contains(fx.v.Status(), "already has a transformation called t_warm_square") {
		t.Errorf("saving t_warm_square twice: saved %d, status %q", len(fx.saved), fx.v.Status())
	}
}

func TestDefaultLinkFormatStandsOut(t *testing.T) {
	fx := newFixture(t, "x")
	p := fx.v.profile
	p.Default = account.LinkSrcset
	fx.v.SetAccount(fx.acct, p)
	fx.v.Show(fx.asset, "")
	for f, b := range fx.v.copyBtns {
		if want := f == "srcset"; (b.Importance == widget.HighImportance) != want {
			t.Errorf("%s stands out: %v, want %v", f, !want, want)
		}
	}
	fx.v.Close()
	fx.wait()
}
