package clipboard

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/keychain/keychaintest"
)

// These put data on a real X clipboard (Xvfb, with xclip as its owner, as
// an image viewer's "Copy" would) and read it back.

func x11(t *testing.T) string {
	t.Helper()
	keychaintest.NeedTools(t, "Xvfb", "xclip")
	display := keychaintest.StartXvfb(t, "800x600x24")
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	return display
}

// own makes xclip the clipboard's owner, offering data as mime, until the
// test ends.
func own(t *testing.T, mime string, data []byte) {
	t.Helper()
	cmd := exec.Command("xclip", "-quiet", "-selection", "clipboard", "-t", mime, "-i")
	cmd.Stdin = bytes.NewReader(data)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	// Owned once xclip answers for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command("xclip", "-selection", "clipboard", "-t", "TARGETS", "-o").Output()
		if strings.Contains(string(out), mime) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("xclip did not take the clipboard (targets %q)", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadImageGetsTheCopiedPictureByteForByte(t *testing.T) {
	x11(t)
	want := pngBytes(t)
	own(t, "image/png", want)
	got, err := ReadImage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "image/png" || got.Ext != "png" || !bytes.Equal(got.Data, want) {
		t.Fatalf("read %s .%s, %d bytes; want image/png, %d bytes", got.Type, got.Ext, len(got.Data), len(want))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(got.Data)); err != nil || cfg.Width != 64 {
		t.Errorf("not the picture: %v %+v", err, cfg)
	}
}

func TestReadImageWithTextOrNothingOnTheClipboardSaysNoImage(t *testing.T) {
	x11(t)
	if _, err := ReadImage(context.Background()); !errors.Is(err, ErrNoImage) {
		t.Errorf("empty clipboard: %v, want ErrNoImage", err)
	}
	own(t, "UTF8_STRING", []byte("just words"))
	if _, err := ReadImage(context.Background()); !errors.Is(err, ErrNoImage) {
		t.Errorf("text on the clipboard: %v, want ErrNoImage", err)
	}
}

func TestReadImageWithoutADisplayOrToolSaysWhatIsNeeded(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	_, err := ReadImage(context.Background())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "xclip") {
		t.Errorf("no display: %v, want ErrUnsupported naming the tools", err)
	}
}

func TestOfferedImagesPicksTheBestTypeFirst(t *testing.T) {
	got := offeredImages([]byte("TARGETS\nimage/jpeg\r\nUTF8_STRING\n  IMAGE/PNG  \nimage/x-unknown\n"))
	if len(got) != 2 || got[0].mime != "image/png" || got[1].mime != "image/jpeg" {
		t.Errorf("offeredImages = %v, want png then jpeg", got)
	}
	if got := offeredImages(nil); len(got) != 0 {
		t.Errorf("nothing offered: %v", got)
	}
}

func TestCheckedFollowsTheBytesNotTheLabel(t *testing.T) {
	img, err := checked(Image{Data: pngBytes(t), Type: "image/jpeg", Ext: "jpg"})
	if err != nil || img.Ext != "png" || img.Type != "image/png" {
		t.Errorf("a PNG labelled JPEG: %+v %v", img, err)
	}
	if _, err := checked(Image{Data: []byte("<html>not a picture</html>"), Type: "image/png", Ext: "png"}); err == nil {
		t.Error("text labelled image/png was taken as a picture")
	}
	if img, err := checked(Image{Data: []byte("....ftypavif"), Type: "image/avif", Ext: "avif"}); err != nil || img.Ext != "avif" {
		t.Errorf("AVIF, which the app cannot read, must go through as it is: %+v %v", img, err)
	}
}

// FuzzOfferedImages: whatever a clipboard owner lists, the choice is a
// subset of the preferred types, in their order, without repeats.
func FuzzOfferedImages(f *testing.F) {
	f.Add([]byte("TARGETS\nimage/png\nimage/jpeg\n"))
	f.Add([]byte("image/webp\r\nimage/webp\x00\nIMAGE/GIF"))
	f.Add([]byte(strings.Repeat("image/png\n", 1000)))
	f.Fuzz(func(t *testing.T, list []byte) {
		got := offeredImages(list)
		last := -1
		for _, g := range got {
			i := slices.IndexFunc(preferred, func(p struct{ mime, ext string }) bool { return p == g })
			if i < 0 || i <= last {
				t.Fatalf("offeredImages(%q) = %v: not the preferred types in order", list, got)
			}
			last = i
		}
	})
}

func TestClipboardToolsDoNotInheritTheCloudinaryURL(t *testing.T) {
	x11(t)
	real, err := exec.LookPath("xclip")
	if err != nil {
		t.Skip("xclip is not installed")
	}
	dir := t.TempDir()
	dump := filepath.Join(dir, "env.txt")
	wrapper := "#!/bin/sh\nenv > '" + dump + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	own(t, "image/png", pngBytes(t))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("CLOUDINARY_URL", "cloudinary://key:not-for-children@demo")
	if _, err := ReadImage(context.Background()); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("xclip did not run through the wrapper: %v", err)
	}
	if strings.Contains(string(env), "not-for-children") || !strings.Contains(string(env), "DISPLAY=") {
		t.Errorf("xclip's environment:\n%s", env)
	}
}
