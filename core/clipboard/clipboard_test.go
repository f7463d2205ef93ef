package clipboard

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os/exec"
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
