// Package clipboard reads image data from the system clipboard, which
// Fyne 2.8's Clipboard cannot: it carries text only. On Linux and the BSDs
// the clipboard's owner is asked through wl-paste (Wayland, wl-clipboard)
// or xclip (X11), the tools desktop users have for this; elsewhere there is
// no reader yet, and ErrUnsupported says so.
package clipboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

var (
	// ErrNoImage: the clipboard holds no image.
	ErrNoImage = errors.New("the clipboard holds no image")
	// ErrUnsupported: no way to read images from the clipboard here.
	ErrUnsupported = errors.New("pasting image data needs xclip (X11) or wl-clipboard (Wayland); on this system save the picture and drop the file")
)

// MaxBytes bounds what is read: a screenshot is a few MB.
const MaxBytes = 256 << 20

// Image is image data from the clipboard.
type Image struct {
	Data []byte
	Type string // MIME type, e.g. image/png
	Ext  string // file extension for it, e.g. png
}

// preferred are the image types taken, best first: lossless before lossy.
var preferred = []struct{ mime, ext string }{
	{"image/png", "png"}, {"image/webp", "webp"}, {"image/jpeg", "jpg"}, {"image/gif", "gif"},
	{"image/bmp", "bmp"}, {"image/tiff", "tiff"}, {"image/avif", "avif"}, {"image/heic", "heic"},
}

// tool is one way to reach the clipboard: a command that lists the types
// offered and one that prints the data of a type.
type tool struct {
	name        string
	list, fetch func(mime string) []string
}

var (
	wlPaste = tool{"wl-paste",
		func(string) []string { return []string{"--list-types"} },
		func(m string) []string { return []string{"--no-newline", "--type", m} }}
	xclip = tool{"xclip",
		func(string) []string { return []string{"-selection", "clipboard", "-t", "TARGETS", "-o"} },
		func(m string) []string { return []string{"-selection", "clipboard", "-t", m, "-o"} }}
)

// ReadImage returns the clipboard's image, ErrNoImage when it holds none,
// or ErrUnsupported when no tool can ask. It runs external commands: call
// it off the UI goroutine.
func ReadImage(ctx context.Context) (Image, error) {
	tools := available()
	if len(tools) == 0 {
		return Image{}, ErrUnsupported
	}
	var lastErr error = ErrNoImage
	for _, t := range tools {
		img, err := t.read(ctx)
		if err == nil {
			return img, nil
		}
		lastErr = err
	}
	return Image{}, lastErr
}

// available are the tools for the session there is, Wayland first.
func available() []tool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return nil
	}
	var out []tool
	for _, c := range []struct {
		env string
		t   tool
	}{{"WAYLAND_DISPLAY", wlPaste}, {"DISPLAY", xclip}} {
		if os.Getenv(c.env) == "" {
			continue
		}
		if _, err := exec.LookPath(c.t.name); err == nil {
			out = append(out, c.t)
		}
	}
	return out
}

func (t tool) read(ctx context.Context) (Image, error) {
	types, err := t.run(ctx, t.list(""), 1<<20)
	if err != nil {
		// An empty clipboard (no owner) makes both tools fail.
		return Image{}, ErrNoImage
	}
	offered := map[string]bool{}
	for _, l := range strings.Split(string(types), "\n") {
		offered[strings.TrimSpace(l)] = true
	}
	for _, p := range preferred {
		if !offered[p.mime] {
			continue
		}
		data, err := t.run(ctx, t.fetch(p.mime), MaxBytes)
		if err != nil {
			return Image{}, fmt.Errorf("cannot read the %s image from the clipboard: %w", p.mime, err)
		}
		if len(data) == 0 {
			continue
		}
		return Image{Data: data, Type: p.mime, Ext: p.ext}, nil
	}
	return Image{}, ErrNoImage
}

// run runs the tool with a time limit (a clipboard owner that hangs must
// not hang the paste) and at most limit bytes of output.
func (t tool) run(ctx context.Context, args []string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	data, rerr := io.ReadAll(io.LimitReader(out, limit+1))
	if rerr == nil && int64(len(data)) > limit {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("the image is larger than %d MB", limit>>20)
	}
	if err := cmd.Wait(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%s: %s", t.name, msg)
		}
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	return data, rerr
}
