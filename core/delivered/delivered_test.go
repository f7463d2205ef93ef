package delivered

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

// photoJPEG is a photograph-like JPEG: gradients, shapes and sensor noise.
func photoJPEG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := rng.IntN(24)
			c := color.NRGBA{uint8(x * 200 / w), uint8(y * 180 / h), uint8(90 + n), 255}
			if (x-w/3)*(x-w/3)+(y-h/2)*(y-h/2) < h*h/16 {
				c = color.NRGBA{220, uint8(60 + n), 40, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// What Probe reports is what the sandbox really sends a browser: the same
// request, read whole and decoded, gives the same format, bytes and size.
func TestProbeMatchesTheDeliveredResponse(t *testing.T) {
	ctx := context.Background()
	sb := sandboxtest.Start(t, sandbox.Config{})
	c := sandboxtest.Client(t, sb)
	data := photoJPEG(t, 1600, 1000)
	a, err := c.Upload(ctx, cloud.UploadRequest{ResourceType: "image", File: cloud.File{Name: "beach.jpg", Data: bytes.NewReader(data), Size: int64(len(data))}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := effects.DeliveryFor(sb.Cloud(), sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	ref := effects.Ref{PublicID: a.PublicID, Version: a.Version}
	for _, tr := range []string{"", "f_auto,q_auto", "c_fill,g_auto,w_1200,h_630/f_auto,q_auto", "c_fill,ar_1:1,g_auto,w_400/e_sepia:60/f_auto,q_auto", "c_scale,w_300/e_sharpen:60"} {
		u, err := d.URL(ref, tr, "", false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Probe(ctx, nil, u)
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", BrowserAccept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		img, _, err := image.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		ct := strings.Split(resp.Header.Get("Content-Type"), ";")[0]
		if got.ContentType != ct || got.Bytes != int64(len(body)) || got.Width != img.Bounds().Dx() || got.Height != img.Bounds().Dy() {
			t.Errorf("%s: probe %+v, response %s %d bytes %v", tr, got, ct, len(body), img.Bounds())
		}
		line := got.Describe(a.Bytes)
		t.Logf("%-55s %s", tr, line)
		if tr == "" && !strings.Contains(line, "the same size as the original") {
			t.Errorf("original: %q", line)
		}
		if strings.HasPrefix(tr, "c_fill,g_auto,w_1200,h_630") {
			if got.Width != 1200 || got.Height != 630 || !strings.Contains(line, "% smaller than the") {
				t.Errorf("card: %q", line)
			}
		}
	}
	if _, err := Probe(ctx, nil, strings.Replace(mustURL(t, d, ref), a.PublicID, "nope", 1)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing asset: %v", err)
	}
}

func mustURL(t *testing.T, d effects.Delivery, ref effects.Ref) string {
	u, err := d.URL(ref, "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestDescribeAndSaving(t *testing.T) {
	r := Result{Format: "WebP", Width: 1200, Height: 630, Bytes: 84_000}
	if got, want := r.Describe(1_400_000), "WebP 1200×630 · 84 kB · 94 % smaller than the 1.4 MB original"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, row := range []struct {
		b, o int64
		want string
	}{
		{500, 1000, "50 % smaller than the 1 kB original"},
		{1500, 1000, "50 % larger than the 1 kB original"},
		{999, 1000, "slightly smaller than the 1 kB original"},
		{1000, 1000, "the same size as the original"},
	} {
		if got := Saving(row.b, row.o); got != row.want {
			t.Errorf("Saving(%d, %d) = %q, want %q", row.b, row.o, got, row.want)
		}
	}
	for n, want := range map[int64]string{999: "999 bytes", 84_499: "84 kB", 1_400_000: "1.4 MB", 25_000_000: "25 MB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// A transcoded video's picture size is read from its track header, and
// agrees with ffprobe.
func TestProbeReadsAVideosPictureSize(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	ctx := context.Background()
	sb := sandboxtest.Start(t, sandbox.Config{})
	out := filepath.Join(t.TempDir(), "clip.mp4")
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10", "-f", "lavfi", "-i", "sine", "-t", "2", "-pix_fmt", "yuv420p", "-shortest", out)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	data, _ := os.ReadFile(out)
	a, err := sandboxtest.Client(t, sb).Upload(ctx, cloud.UploadRequest{ResourceType: "video", File: cloud.File{Name: "clip.mp4", Data: bytes.NewReader(data), Size: int64(len(data))}})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := effects.DeliveryFor(sb.Cloud(), sb.URL())
	u, _ := d.URL(effects.Ref{PublicID: a.PublicID, ResourceType: "video", Version: a.Version}, "c_scale,w_320/f_auto,q_auto", "", false)
	got, err := Probe(ctx, nil, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != "MP4" || got.Width != 320 || got.Height != 180 || got.Bytes <= 0 {
		t.Errorf("probe %+v", got)
	}
	if line := got.Describe(a.Bytes); !strings.HasPrefix(line, "MP4 320×180 · ") {
		t.Errorf("line %q", line)
	}
}
