package transform

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// makeVideo encodes a short clip from ffmpeg's built-in sources into dir.
func makeVideo(t *testing.T, name string, lavfi ...string) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	path := filepath.Join(t.TempDir(), name)
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error"}
	for _, src := range lavfi {
		args = append(args, "-f", "lavfi", "-i", src)
	}
	if len(lavfi) > 1 {
		args = append(args, "-filter_complex", "concat=n="+strconv.Itoa(len(lavfi))+":v=1:a=0")
	}
	args = append(args, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", path)
	out, err := exec.Command(ffmpeg, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("making the test video: %v\n%s", err, out)
	}
	return path
}

func TestPosterFrameDecodesAFrameOfARealVideo(t *testing.T) {
	path := makeVideo(t, "testsrc.mp4", "testsrc=size=320x240:rate=10:duration=2")
	img, err := PosterFrame(context.Background(), path)
	if err != nil {
		t.Fatalf("PosterFrame: %v", err)
	}
	if img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 {
		t.Fatalf("frame size %v, want 320×240", img.Bounds().Size())
	}
	// testsrc draws colour bars: the frame must hold several distinct colours.
	n := toNRGBA(img)
	colours := map[[3]uint8]bool{}
	for y := 0; y < 240; y += 8 {
		for x := 0; x < 320; x += 8 {
			c := n.NRGBAAt(x, y)
			colours[[3]uint8{c.R >> 5, c.G >> 5, c.B >> 5}] = true
		}
	}
	if len(colours) < 6 {
		t.Errorf("only %d coarse colours in the frame: not testsrc's bars", len(colours))
	}
	// And the frame goes through Render like any image.
	c, _ := Parse("c_fill,w_100,h_100/f_jpg")
	if _, ct, err := Render(context.Background(), img, "jpg", c, "", ""); err != nil || ct != "image/jpeg" {
		t.Errorf("rendering the poster: %s, %v", ct, err)
	}
}

func TestPosterFrameIsTakenFromTheMiddle(t *testing.T) {
	path := makeVideo(t, "thirds.mp4",
		"color=c=red:size=64x48:rate=10:duration=1",
		"color=c=lime:size=64x48:rate=10:duration=1",
		"color=c=blue:size=64x48:rate=10:duration=1")
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe is not installed; PosterFrame falls back to the first frame")
	}
	img, err := PosterFrame(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	c := toNRGBA(img).NRGBAAt(32, 24)
	if c.G < 200 || c.R > 60 || c.B > 60 {
		t.Errorf("poster colour %v, want the green middle second", c)
	}
}

func TestPosterFrameWithoutFFmpegReportsErrNoFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := PosterFrame(context.Background(), "/nonexistent.mp4")
	if !errors.Is(err, ErrNoFFmpeg) {
		t.Errorf("error %v, want ErrNoFFmpeg", err)
	}
}

func TestPosterFrameOfANonVideoReportsErrNoFrame(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	path := filepath.Join(t.TempDir(), "notes.mp4")
	if err := os.WriteFile(path, []byte("this is not a video at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := PosterFrame(context.Background(), path)
	if !errors.Is(err, ErrNoFrame) {
		t.Errorf("error %v, want ErrNoFrame", err)
	}
	if err != nil && !strings.Contains(err.Error(), "notes.mp4") {
		t.Errorf("error %q does not name the file", err)
	}
	if _, err := PosterFrame(context.Background(), filepath.Join(t.TempDir(), "missing.mp4")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestPosterFrameStopsWhenCancelled(t *testing.T) {
	path := makeVideo(t, "clip.mp4", "testsrc=size=160x120:rate=10:duration=1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := PosterFrame(ctx, path)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("a cancelled PosterFrame kept running")
	}
}

func TestFFmpegAndFFprobeDoNotInheritTheCloudinaryURL(t *testing.T) {
	// Wrappers named ffmpeg and ffprobe first on PATH record their
	// environment, then run the real tools.
	real := map[string]string{}
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed", tool)
		}
		real[tool] = p
	}
	src := makeVideo(t, "env.mp4", "testsrc=size=64x48:rate=5:duration=1")
	dir := t.TempDir()
	for tool, p := range real {
		script := "#!/bin/sh\nenv > '" + filepath.Join(dir, tool+".env") + "'\nexec '" + p + "' \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("CLOUDINARY_URL", "cloudinary://key:not-for-children@demo")
	t.Setenv("CLOUDUP_SOMETHING", "x")
	if _, err := PosterFrame(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	for tool := range real {
		env, err := os.ReadFile(filepath.Join(dir, tool+".env"))
		if err != nil {
			t.Fatalf("%s did not run through the wrapper: %v", tool, err)
		}
		if strings.Contains(string(env), "not-for-children") || strings.Contains(string(env), "CLOUDUP_") || !strings.Contains(string(env), "LC_ALL=C") {
			t.Errorf("%s's environment:\n%s", tool, env)
		}
	}
}

func TestPlaceholderIsALabelledCard(t *testing.T) {
	img := toNRGBA(Placeholder(320, 180, "No preview: install ffmpeg"))
	if img.Rect.Dx() != 320 || img.Rect.Dy() != 180 {
		t.Fatalf("size %v", img.Rect.Size())
	}
	bg := img.NRGBAAt(2, 2)
	light := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if lum(img.NRGBAAt(x, y)) > lum(bg)+80 {
					n++
				}
			}
		}
		return n
	}
	if light(image.Rect(0, 0, 320, 30)) != 0 {
		t.Error("the top band should be plain card")
	}
	if light(image.Rect(100, 30, 220, 120)) < 200 {
		t.Error("no play symbol in the middle")
	}
	if light(image.Rect(0, 120, 320, 180)) < 100 {
		t.Error("no label text under the symbol")
	}
	unlabelled := toNRGBA(Placeholder(320, 180, ""))
	if light := func() int {
		n := 0
		for y := 120; y < 180; y++ {
			for x := 0; x < 320; x++ {
				if lum(unlabelled.NRGBAAt(x, y)) > lum(bg)+80 {
					n++
				}
			}
		}
		return n
	}(); light != 0 {
		t.Error("an empty label still drew text")
	}
	for _, size := range [][2]int{{0, 0}, {-5, 10}, {100000, 3}} {
		b := Placeholder(size[0], size[1], strings.Repeat("very long label ", 50)).Bounds()
		if b.Dx() < 16 || b.Dy() < 16 || b.Dx() > 4096 || b.Dy() > 4096 {
			t.Errorf("Placeholder(%d, %d) is %v, want clamped", size[0], size[1], b.Size())
		}
	}
}
