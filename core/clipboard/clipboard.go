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

	"github.com/cloudup/cloudup/core/childenv"
	"github.com/cloudup/cloudup/core/imageguard"
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
	types, err := t.run(ctx, t.list(""), maxTypeList)
	if err != nil {
		// An empty clipboard (no owner) makes both tools fail.
		return Image{}, ErrNoImage
	}
	for _, p := range offeredImages(types) {
		data, err := t.run(ctx, t.fetch(p.mime), MaxBytes)
		if err != nil {
			return Image{}, fmt.Errorf("cannot read the %s image from the clipboard: %w", p.mime, err)
		}
		if len(data) == 0 {
			continue
		}
		return checked(Image{Data: data, Type: p.mime, Ext: p.ext})
	}
	return Image{}, ErrNoImage
}

// maxTypeList bounds the list of types a clipboard owner offers.
const maxTypeList = 1 << 20

// offeredImages picks, from the list of types a clipboard owner offers
// (one per line, as wl-paste --list-types and xclip's TARGETS print
// them), the image types taken, best first.
func offeredImages(list []byte) []struct{ mime, ext string } {
	offered := map[string]bool{}
	for _, l := range strings.Split(string(list), "\n") {
		offered[strings.ToLower(strings.TrimSpace(l))] = true
	}
	var out []struct{ mime, ext string }
	for _, p := range preferred {
		if offered[p.mime] {
			out = append(out, p)
		}
	}
	return out
}

// checked reads the picture's header, as every image the app takes in is
// checked, without decoding it: bytes that claim a format the app reads
// but are not a picture are refused, and the extension follows what the
// bytes are (a JPEG offered as image/png is saved as .jpg). Formats the
// app cannot read (AVIF, HEIC) go through as they are.
func checked(img Image) (Image, error) {
	info, err := imageguard.Check(bytes.NewReader(img.Data), imageguard.Limits{MaxPixels: -1, MaxBytes: -1})
	if err != nil {
		if img.Ext == "avif" || img.Ext == "heic" {
			return img, nil
		}
		return Image{}, fmt.Errorf("the clipboard offers %s, but its data is not a picture: copy the picture again", img.Type)
	}
	if ext, ok := extensions[info.Format]; ok {
		img.Ext = ext
		img.Type = "image/" + info.Format
	}
	return img, nil
}

// extensions name the formats imageguard reports.
var extensions = map[string]string{"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp", "bmp": "bmp", "tiff": "tiff"}

// run runs the tool with a time limit (a clipboard owner that hangs must
// not hang the paste) and at most limit bytes of output.
func (t tool) run(ctx context.Context, args []string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, t.name, args...)
	cmd.Env = childenv.For(childenv.Display)
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
