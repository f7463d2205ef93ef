package sandbox

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"golang.org/x/image/webp"
)

// uploadPhoto stores a 400×300 test picture as demo/photo.
func uploadPhoto(t *testing.T, s *Server) *uploader.UploadResult {
	t.Helper()
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "photo.jpg", jpegBytes(t, 400, 300)), uploader.UploadParams{PublicID: "demo/photo"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("upload: %v %s", err, res.Error.Message)
	}
	return res
}

// deliveryURL builds a URL the way apps do, with the SDK.
func sdkURL(t *testing.T, s *Server, publicID, transformation string, extra ...string) string {
	t.Helper()
	img, err := sdk(t, s, extra...).Image(publicID)
	if err != nil {
		t.Fatal(err)
	}
	img.Transformation = transformation
	u, err := img.String()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func decodeImage(t *testing.T, body []byte) (image.Image, string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the answer is not an image: %v (%q)", err, truncate(string(body), 100))
	}
	return img, format
}

func meanRGB(img image.Image) (r, g, b float64) {
	bb := img.Bounds()
	n := 0.0
	for y := bb.Min.Y; y < bb.Max.Y; y += 3 {
		for x := bb.Min.X; x < bb.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, b = r+float64(cr>>8), g+float64(cg>>8), b+float64(cb>>8)
			n++
		}
	}
	return r / n, g / n, b / n
}

func TestSDKDeliveryURLsServeTransformedPixels(t *testing.T) {
	s := startSandbox(t, Config{})
	uploadPhoto(t, s)

	u := sdkURL(t, s, "demo/photo", "e_grayscale")
	if !strings.HasPrefix(u, s.URL()+"/"+s.Cloud()+"/image/upload/e_grayscale/v1/demo/photo") {
		t.Fatalf("SDK URL %s does not point at the sandbox", u)
	}
	code, hdr, body := get(t, u)
	if code != 200 {
		t.Fatalf("grayscale: %d %s", code, hdr.Get("x-cld-error"))
	}
	img, _ := decodeImage(t, body)
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y += 7 {
		for x := bb.Min.X; x < bb.Max.X; x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			if d := int(r>>8) - int(b>>8); d > 3 || d < -3 || int(r>>8)-int(g>>8) > 3 || int(g>>8)-int(r>>8) > 3 {
				t.Fatalf("e_grayscale pixel (%d,%d) = %d,%d,%d, want R=G=B", x, y, r>>8, g>>8, b>>8)
			}
		}
	}

	code, _, body = get(t, sdkURL(t, s, "demo/photo", "c_fill,g_auto,w_120,h_90"))
	if img, _ := decodeImage(t, body); code != 200 || img.Bounds().Dx() != 120 || img.Bounds().Dy() != 90 {
		t.Errorf("c_fill,w_120,h_90 gave %d, %v", code, img.Bounds())
	}

	code, _, body = get(t, sdkURL(t, s, "demo/photo", "e_sepia"))
	if code != 200 {
		t.Fatalf("sepia: %d", code)
	}
	r, _, b := meanRGB(func() image.Image { i, _ := decodeImage(t, body); return i }())
	if r <= b+20 {
		t.Errorf("e_sepia mean R %.0f vs B %.0f: not warm", r, b)
	}

	code, hdr, body = get(t, sdkURL(t, s, "demo/photo", "f_webp"))
	if code != 200 || hdr.Get("Content-Type") != "image/webp" {
		t.Fatalf("f_webp: %d %s", code, hdr.Get("Content-Type"))
	}
	if _, err := webp.DecodeConfig(bytes.NewReader(body)); err != nil {
		t.Errorf("f_webp body is not WebP: %v", err)
	}

	// f_auto follows Accept, says so in Vary, and caches per Accept.
	auto := sdkURL(t, s, "demo/photo", "f_auto,q_auto")
	_, hdr, _ = get(t, auto, "Accept", "image/webp,image/*")
	_, hdr2, _ := get(t, auto, "Accept", "image/jpeg")
	if hdr.Get("Content-Type") != "image/webp" || hdr2.Get("Content-Type") != "image/jpeg" || hdr.Get("Vary") != "Accept" {
		t.Errorf("f_auto: %s / %s, Vary %q", hdr.Get("Content-Type"), hdr2.Get("Content-Type"), hdr.Get("Vary"))
	}

	// An extension converts; the cache serves the second request.
	_, hdr, body = get(t, s.URL()+"/"+s.Cloud()+"/image/upload/w_50/v1/demo/photo.png")
	if _, format := decodeImage(t, body); format != "png" || hdr.Get("Content-Type") != "image/png" {
		t.Errorf(".png: %s %s", format, hdr.Get("Content-Type"))
	}
	cached, _ := filepath.Glob(filepath.Join(s.Dir(), "cache", "*", "*.json"))
	if len(cached) < 5 {
		t.Errorf("%d derived images cached, want one per distinct rendering", len(cached))
	}
}

func TestFAutoRendersTwoVariantsWhateverTheAcceptHeader(t *testing.T) {
	s := startSandbox(t, Config{})
	res := uploadPhoto(t, s)
	auto := sdkURL(t, s, "demo/photo", "f_auto,q_auto")
	cases := []struct{ accept, want string }{
		{"image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "image/webp"}, // a browser
		{"image/webp,image/*", "image/webp"},
		{"IMAGE/WEBP", "image/webp"},
		{"image/jpeg", "image/jpeg"},
		{"*/*", "image/jpeg"},
		{"", "image/jpeg"},
		{"image/webp;q=0, image/png", "image/jpeg"},
	}
	etags := map[string]string{}
	for _, c := range cases {
		code, hdr, body := get(t, auto, "Accept", c.accept)
		if code != 200 || hdr.Get("Content-Type") != c.want || hdr.Get("Vary") != "Accept" {
			t.Errorf("Accept %q: %d %s Vary %q, want %s", c.accept, code, hdr.Get("Content-Type"), hdr.Get("Vary"), c.want)
			continue
		}
		if prev, ok := etags[c.want]; ok && prev != md5hex(body) {
			t.Errorf("Accept %q got a different %s than an earlier client", c.accept, c.want)
		}
		etags[c.want] = md5hex(body)
	}
	cached, _ := filepath.Glob(filepath.Join(s.Dir(), "cache", res.VersionID, "*.json"))
	if len(cached) != 2 {
		t.Errorf("%d renderings cached for %d Accept headers, want 2 (WebP or not)", len(cached), len(cases))
	}
}

func TestFAutoSendsLargePhotosAsJPEGAndTransparentOnesAsWebP(t *testing.T) {
	s := startSandbox(t, Config{})
	ctx := context.Background()
	photo, err := sdk(t, s).Upload.Upload(ctx, writeFile(t, "large.jpg", jpegBytes(t, 1200, 900)), uploader.UploadParams{PublicID: "demo/large"})
	if err != nil || photo.Error.Message != "" {
		t.Fatalf("upload: %v %s", err, photo.Error.Message)
	}
	const browser = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
	cases := []struct{ transformation, want string }{
		// Lossless WebP of a full-size photo is bigger and far slower than JPEG.
		{"f_auto,q_auto", "image/jpeg"},
		// A thumbnail of it is small enough for WebP.
		{"c_fill,w_300,h_200/f_auto,q_auto", "image/webp"},
		// Transparency needs WebP or PNG, never JPEG.
		{"w_600,r_max/f_auto", "image/webp"},
	}
	for _, c := range cases {
		code, hdr, body := get(t, sdkURL(t, s, "demo/large", c.transformation), "Accept", browser)
		if code != 200 || hdr.Get("Content-Type") != c.want {
			t.Errorf("%s: %d %s (%s), want %s", c.transformation, code, hdr.Get("Content-Type"), hdr.Get("x-cld-error"), c.want)
			continue
		}
		if c.want == "image/webp" {
			if _, err := webp.DecodeConfig(bytes.NewReader(body)); err != nil {
				t.Errorf("%s: body is not WebP: %v", c.transformation, err)
			}
		} else if _, format := decodeImage(t, body); format != "jpeg" {
			t.Errorf("%s: body is %s", c.transformation, format)
		}
	}
}

func TestDeliveryErrorsUseXCldError(t *testing.T) {
	s := startSandbox(t, Config{})
	uploadPhoto(t, s)
	base := s.URL() + "/" + s.Cloud() + "/image/upload/"
	cases := []struct {
		path string
		code int
		msg  string
	}{
		{"v1/demo/missing.jpg", 404, "Resource not found"},
		{"w_abc/v1/demo/photo.jpg", 400, "Invalid"},
		{"zz_1/v1/demo/photo.jpg", 400, "Invalid transformation component"},
		{"w_99999/v1/demo/photo.jpg", 400, "Maximum image dimensions exceeded"},
	}
	for _, c := range cases {
		code, hdr, _ := get(t, base+c.path)
		if code != c.code || !strings.Contains(hdr.Get("x-cld-error"), c.msg) {
			t.Errorf("%s: %d x-cld-error %q, want %d %q", c.path, code, hdr.Get("x-cld-error"), c.code, c.msg)
		}
	}
}

func TestOriginalsSupportETagAndRange(t *testing.T) {
	s := startSandbox(t, Config{})
	res := uploadPhoto(t, s)
	code, hdr, _ := get(t, res.SecureURL)
	if code != 200 || hdr.Get("ETag") != `"`+res.Etag+`"` {
		t.Fatalf("%d ETag %q", code, hdr.Get("ETag"))
	}
	code, _, body := get(t, res.SecureURL, "If-None-Match", `"`+res.Etag+`"`)
	if code != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304", code, len(body))
	}
	code, hdr, body = get(t, res.SecureURL, "Range", "bytes=10-19")
	if code != http.StatusPartialContent || len(body) != 10 || hdr.Get("Content-Range") != "bytes 10-19/"+strconv.Itoa(res.Bytes) {
		t.Errorf("Range: %d, %d bytes, %q", code, len(body), hdr.Get("Content-Range"))
	}
	// Without the extension or version, and with the SDKs' analytics
	// parameter, which the sandbox ignores.
	for _, u := range []string{s.URL() + "/" + s.Cloud() + "/image/upload/demo/photo", res.SecureURL + "?_a=AQC1Sop"} {
		if code, _, body := get(t, u); code != 200 || md5hex(body) != res.Etag {
			t.Errorf("%s: %d", u, code)
		}
	}
}

func TestSignedDeliveryURLs(t *testing.T) {
	s := startSandbox(t, Config{StrictDeliverySigning: true})
	uploadPhoto(t, s)
	signed := sdkURL(t, s, "demo/photo", "e_grayscale", "sign_url=true")
	if !strings.Contains(signed, "/s--") {
		t.Fatalf("SDK did not sign: %s", signed)
	}
	if code, hdr, _ := get(t, signed); code != 200 {
		t.Errorf("signed URL: %d %s", code, hdr.Get("x-cld-error"))
	}
	long := sdkURL(t, s, "demo/photo", "e_grayscale", "sign_url=true", "long_url_signature=true")
	if code, hdr, _ := get(t, long); code != 200 {
		t.Errorf("long signature: %d %s", code, hdr.Get("x-cld-error"))
	}
	unsigned := sdkURL(t, s, "demo/photo", "e_grayscale")
	if code, hdr, _ := get(t, unsigned); code != 401 || !strings.Contains(hdr.Get("x-cld-error"), "Signature required") {
		t.Errorf("strict account, unsigned URL: %d %q", code, hdr.Get("x-cld-error"))
	}
	// A signature for one transformation does not open another.
	tampered := strings.Replace(signed, "e_grayscale", "e_sepia", 1)
	if code, hdr, _ := get(t, tampered); code != 401 || !strings.Contains(hdr.Get("x-cld-error"), "Invalid signature") {
		t.Errorf("tampered URL: %d %q", code, hdr.Get("x-cld-error"))
	}
}

func TestDeliverySignaturesAreCheckedWhenPresentOnAnyAccount(t *testing.T) {
	s := startSandbox(t, Config{})
	uploadPhoto(t, s)
	signed := sdkURL(t, s, "demo/photo", "w_50", "sign_url=true")
	if code, _, _ := get(t, signed); code != 200 {
		t.Errorf("signed URL on a lenient account: %d", code)
	}
	forged := regexp.MustCompile(`s--[A-Za-z0-9_-]{8}--`).ReplaceAllString(signed, "s--AAAAAAAA--")
	if code, hdr, _ := get(t, forged); code != 401 {
		t.Errorf("forged signature %s: %d %q, want 401", forged, code, hdr.Get("x-cld-error"))
	}
	if code, _, _ := get(t, sdkURL(t, s, "demo/photo", "w_50")); code != 200 {
		t.Errorf("unsigned URL on a lenient account: %d", code)
	}
}

func TestBackgroundRemovalAnswers423WhileProcessing(t *testing.T) {
	s := startSandbox(t, Config{BackgroundRemovalDelay: 300 * time.Millisecond})
	uploadPhoto(t, s)
	u := sdkURL(t, s, "demo/photo", "e_background_removal")
	code, hdr, _ := get(t, u)
	if code != http.StatusLocked || hdr.Get("Retry-After") == "" || hdr.Get("x-cld-error") == "" {
		t.Fatalf("first request: %d, want 423 with Retry-After and x-cld-error", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(100 * time.Millisecond)
		code, hdr, body := get(t, u)
		if code == 200 {
			if _, format := decodeImage(t, body); format != "png" {
				t.Errorf("background removal delivered %s, want PNG (transparency)", format)
			}
			break
		}
		if code != http.StatusLocked || time.Now().After(deadline) {
			t.Fatalf("polling: %d %s", code, hdr.Get("x-cld-error"))
		}
	}
}

func TestEagerTransformationsAreRenderedAndReported(t *testing.T) {
	s := startSandbox(t, Config{})
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "e.jpg", jpegBytes(t, 400, 300)), uploader.UploadParams{PublicID: "eager", Eager: "c_fill,w_100,h_50|e_grayscale"})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	if len(res.Eager) != 2 || res.Eager[0].Width != 100 || res.Eager[0].Height != 50 || res.Eager[0].Bytes == 0 || res.Eager[1].Width != 400 {
		t.Fatalf("eager = %+v", res.Eager)
	}
	code, _, body := get(t, res.Eager[0].SecureURL)
	if img, _ := decodeImage(t, body); code != 200 || img.Bounds().Dx() != 100 {
		t.Errorf("eager URL: %d %v", code, img.Bounds())
	}
	bad, _ := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "e.jpg", jpegBytes(t, 40, 30)), uploader.UploadParams{Eager: "w_nope"})
	if !strings.Contains(bad.Error.Message, "Invalid eager transformation") {
		t.Errorf("bad eager: %q", bad.Error.Message)
	}
}

// testVideo makes a one-second MP4 with ffmpeg's test source.
func testVideo(t *testing.T) []byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed: video tests need it to make a test video")
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-t", "1", "-pix_fmt", "yuv420p", out)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVideoUploadProbeRangeAndPosterFrame(t *testing.T) {
	s := startSandbox(t, Config{})
	clip := testVideo(t)
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "clip.mp4", clip), uploader.UploadParams{PublicID: "clips/test", ResourceType: "video"})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	m := rawOf(res.Response)
	if res.ResourceType != "video" || res.Format != "mp4" || res.Width != 320 || res.Height != 240 || m["duration"] == nil {
		t.Errorf("video answer: %s %s %dx%d duration %v", res.ResourceType, res.Format, res.Width, res.Height, m["duration"])
	}
	code, hdr, body := get(t, res.SecureURL, "Range", "bytes=0-99")
	if code != 206 || len(body) != 100 || hdr.Get("Content-Type") != "video/mp4" {
		t.Errorf("video range: %d %d %s", code, len(body), hdr.Get("Content-Type"))
	}
	poster := s.URL() + "/" + s.Cloud() + "/video/upload/w_160/v1/clips/test.jpg"
	code, hdr, body = get(t, poster)
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("poster frame: %d %s %s", code, hdr.Get("Content-Type"), hdr.Get("x-cld-error"))
	}
	if img, _ := decodeImage(t, body); img.Bounds().Dx() != 160 || img.Bounds().Dy() != 120 {
		t.Errorf("poster frame is %v, want 160×120", img.Bounds())
	}
	code, hdr, body = get(t, s.URL()+"/"+s.Cloud()+"/video/upload/w_160/v1/clips/test.mp4")
	if code != 200 || hdr.Get("Content-Type") != "video/mp4" {
		t.Fatalf("video transformation: %d %q", code, hdr.Get("x-cld-error"))
	}
	if w, h, dur := probeDelivered(t, body); w != 160 || h != 120 || dur < 0.8 || dur > 1.2 {
		t.Errorf("w_160 video is %d×%d, %.2fs; want 160×120, 1s", w, h, dur)
	}
}

// probeVideo reads a delivered video's size and duration with ffprobe.
func probeDelivered(t *testing.T, data []byte) (int, int, float64) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "got")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration", "-of", "default=noprint_wrappers=1", p).Output()
	if err != nil {
		t.Fatalf("ffprobe cannot read the delivered video: %v", err)
	}
	var w, h int
	var d float64
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "width":
			w, _ = strconv.Atoi(v)
		case "height":
			h, _ = strconv.Atoi(v)
		case "duration":
			d, _ = strconv.ParseFloat(v, 64)
		}
	}
	return w, h, d
}

// The video transformations editors share are rendered for real, so a
// copied link plays what the studio showed.
func TestVideoTransformationsAreTranscoded(t *testing.T) {
	s := startSandbox(t, Config{})
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	out := filepath.Join(t.TempDir(), "long.mp4")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "4", "-pix_fmt", "yuv420p", "-shortest", out)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	clip, _ := os.ReadFile(out)
	if _, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "long.mp4", clip), uploader.UploadParams{PublicID: "clips/long", ResourceType: "video"}); err != nil {
		t.Fatal(err)
	}
	base := s.URL() + "/" + s.Cloud() + "/video/upload/"
	for _, row := range []struct {
		path, ct  string
		w, h      int
		dur       float64
		wantError string
	}{
		{path: "so_1,eo_3/c_scale,w_320/f_auto,q_auto/v1/clips/long", ct: "video/mp4", w: 320, h: 180, dur: 2},
		{path: "c_fill,ar_1:1,g_auto,w_200/e_brightness:30/e_blur:200/v1/clips/long.mp4", ct: "video/mp4", w: 200, h: 200, dur: 4},
		{path: "du_1/e_grayscale/e_vignette:40/e_gamma:20/v1/clips/long.webm", ct: "video/webm", w: 640, h: 360, dur: 1},
		{path: "e_sepia/v1/clips/long.mp4", wantError: "does not render e_sepia on video"},
		{path: "so_3,eo_2/v1/clips/long.mp4", wantError: "eo_ must come after so_"},
		{path: "l_logo/v1/clips/long.mp4", wantError: "does not render l_ on video"},
		{path: "w_100/v1/clips/long.avi", wantError: "not .avi"},
	} {
		code, hdr, body := get(t, base+row.path)
		if row.wantError != "" {
			if code != 400 || !strings.Contains(hdr.Get("x-cld-error"), row.wantError) {
				t.Errorf("%s: %d %q, want 400 %q", row.path, code, hdr.Get("x-cld-error"), row.wantError)
			}
			continue
		}
		if code != 200 || hdr.Get("Content-Type") != row.ct {
			t.Errorf("%s: %d %s %q", row.path, code, hdr.Get("Content-Type"), hdr.Get("x-cld-error"))
			continue
		}
		w, h, dur := probeDelivered(t, body)
		if w != row.w || h != row.h || dur < row.dur-0.25 || dur > row.dur+0.25 {
			t.Errorf("%s is %d×%d, %.2fs; want %d×%d, %.0fs", row.path, w, h, dur, row.w, row.h, row.dur)
		}
	}
	// A trimmed video's poster is its first frame, through the same chain.
	code, hdr, body := get(t, base+"so_2/c_scale,w_320/e_brightness:30/v1/clips/long.jpg")
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("trimmed poster: %d %q", code, hdr.Get("x-cld-error"))
	}
	if img, _ := decodeImage(t, body); img.Bounds().Dx() != 320 || img.Bounds().Dy() != 180 {
		t.Errorf("trimmed poster is %v, want 320×180", img.Bounds())
	}
	// Range requests play the transcoded file from the middle.
	code, _, body = get(t, base+"so_1,eo_3/c_scale,w_320/f_auto,q_auto/v1/clips/long", "Range", "bytes=10-19")
	if code != 206 || len(body) != 10 {
		t.Errorf("range on a transcoded video: %d, %d bytes", code, len(body))
	}
}

func TestVideoPosterIsAPlaceholderWithoutFFmpeg(t *testing.T) {
	s := startSandbox(t, Config{})
	clip := testVideo(t) // made while ffmpeg is still on PATH
	t.Setenv("PATH", t.TempDir())
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "clip.mp4", clip), uploader.UploadParams{PublicID: "noffmpeg", ResourceType: "video"})
	if err != nil || res.Error.Message != "" || res.Width != 0 {
		t.Fatalf("upload without ffprobe: %v %q width %d (want stored, dimensions unknown)", err, res.Error.Message, res.Width)
	}
	code, hdr, body := get(t, s.URL()+"/"+s.Cloud()+"/video/upload/v1/noffmpeg.jpg")
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("placeholder: %d %s", code, hdr.Get("x-cld-error"))
	}
	if img, _ := decodeImage(t, body); img.Bounds().Dx() != 640 {
		t.Errorf("placeholder is %v, want the 640×360 card", img.Bounds())
	}
}

func TestRawFilesAreServedAsIs(t *testing.T) {
	s := startSandbox(t, Config{})
	doc := []byte("%PDF-1.4 pretend\n")
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "doc.txt", doc), uploader.UploadParams{ResourceType: "raw", PublicID: "docs/readme.txt", Tags: api.CldAPIArray{"doc"}})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	code, hdr, body := get(t, res.SecureURL)
	if code != 200 || !bytes.Equal(body, doc) || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("raw: %d %s %q", code, hdr.Get("Content-Type"), body)
	}
	code, _, _ = get(t, strings.Replace(res.SecureURL, "/upload/", "/upload/w_10/", 1))
	if code != 400 {
		t.Errorf("transformation on a raw file: %d, want 400", code)
	}
}
