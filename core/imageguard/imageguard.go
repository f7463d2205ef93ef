// Package imageguard is the one gate every image decode in Cloudup goes
// through: the sandbox's uploads and renders, the library's thumbnails and
// previews, the upload queue's local thumbnails, pasted pictures and camera
// frames. A small file can declare an enormous picture (a 2.7 MB PNG of
// 30000×30000 pixels), and a decoder allocates for every pixel declared, so
// the header is read first (image.DecodeConfig) and a picture over the
// caller's pixel cap is refused before any pixel is allocated. It also caps
// the encoded bytes read, stops a decode when its context ends, turns a
// decoder's panic into an error, and counts an animated GIF's frames without
// decoding them.
//
// It registers the decoders the app reads: JPEG, PNG, GIF, WebP, BMP and
// TIFF. It does not resize, cache or draw, and must not import Fyne.
package imageguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // the formats the app reads
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// CloudinaryMaxPixels is the largest image Cloudinary's free plan takes: 25
// megapixels. The sandbox refuses larger originals with Cloudinary's
// "Resolution too large" answer, and the app decodes no delivered image
// larger than this.
const CloudinaryMaxPixels = 25_000_000

// Default are the limits for decoding an image from outside when the caller
// has no better figure: 50 megapixels (200 MB as 8-bit RGBA) and 64 MB of
// encoded bytes.
var Default = Limits{MaxPixels: 50_000_000, MaxBytes: 64 << 20}

// Limits bound one decode. A zero field takes Default's value; a negative
// one means no cap.
type Limits struct {
	MaxPixels int64 // width × height
	MaxBytes  int64 // encoded bytes read
}

func (l Limits) withDefaults() Limits {
	if l.MaxPixels == 0 {
		l.MaxPixels = Default.MaxPixels
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = Default.MaxBytes
	}
	return l
}

// Info is what an image's header says.
type Info struct {
	Format        string // as registered with package image: jpeg, png, gif, webp, bmp, tiff
	Width, Height int
	// BytesPerPixel is what the decoded picture costs per pixel, from its
	// colour model (1 for grey or paletted, 3 at most for JPEG's YCbCr, 4
	// for RGBA, 8 for 16-bit RGBA).
	BytesPerPixel int
}

// Pixels is Width × Height.
func (i Info) Pixels() int64 { return int64(i.Width) * int64(i.Height) }

// DecodedBytes estimates the memory the decoded picture takes.
func (i Info) DecodedBytes() int64 { return i.Pixels() * int64(i.BytesPerPixel) }

var (
	// ErrTooLarge: the picture declares more pixels, or the file has more
	// bytes, than the caller decodes. *TooLargeError says which.
	ErrTooLarge = errors.New("image too large")
	// ErrUndecodable: not an image in a format the app reads, or a
	// malformed one.
	ErrUndecodable = errors.New("not a readable image")
)

// TooLargeError is a refused picture: Pixels over MaxPixels, or (when Bytes
// is set) a file over MaxBytes.
type TooLargeError struct {
	Info      Info
	MaxPixels int64
	Bytes     int64 // >0: the file's size was the problem
	MaxBytes  int64
}

func (e *TooLargeError) Error() string {
	if e.Bytes > 0 {
		return fmt.Sprintf("the image file is over %d MB, more than is opened for a preview", e.MaxBytes>>20)
	}
	return fmt.Sprintf("the picture is %d×%d pixels (%s megapixels); at most %s megapixels are opened",
		e.Info.Width, e.Info.Height, megapixels(e.Info.Pixels()), megapixels(e.MaxPixels))
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

func megapixels(n int64) string {
	if n%1_000_000 == 0 || n >= 10_000_000 {
		return fmt.Sprintf("%d", (n+500_000)/1_000_000)
	}
	return fmt.Sprintf("%.1f", float64(n)/1e6)
}

// Check reads only the header of the encoded image in r and refuses a
// picture over lim.MaxPixels (or one that declares no pixels). It reads as
// little as the header needs, at most lim.MaxBytes.
func Check(r io.Reader, lim Limits) (Info, error) {
	lim = lim.withDefaults()
	if lim.MaxBytes > 0 {
		r = io.LimitReader(r, lim.MaxBytes)
	}
	info, err := header(r)
	if err != nil {
		return info, err
	}
	if lim.MaxPixels > 0 && info.Pixels() > lim.MaxPixels {
		return info, &TooLargeError{Info: info, MaxPixels: lim.MaxPixels}
	}
	return info, nil
}

func header(r io.Reader) (info Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: the decoder failed on its header: %v", ErrUndecodable, p)
		}
	}()
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		if format == "" {
			return Info{}, fmt.Errorf("%w: %v", ErrUndecodable, err)
		}
		return Info{Format: format}, fmt.Errorf("%w: a malformed %s header: %v", ErrUndecodable, format, err)
	}
	info = Info{Format: format, Width: cfg.Width, Height: cfg.Height, BytesPerPixel: bytesPerPixel(cfg)}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return info, fmt.Errorf("%w: the %s header declares no pixels (%d×%d)", ErrUndecodable, format, cfg.Width, cfg.Height)
	}
	return info, nil
}

// Decode checks the header of the image in r, then decodes it from the
// start. The decode stops with ctx's error when ctx ends.
func Decode(ctx context.Context, r io.ReadSeeker, lim Limits) (image.Image, Info, error) {
	return DecodeWith(ctx, r, lim, func(r io.Reader) (image.Image, error) {
		img, _, err := image.Decode(r)
		return img, err
	})
}

// DecodeBytes is Decode over an image held in memory.
func DecodeBytes(ctx context.Context, data []byte, lim Limits) (image.Image, Info, error) {
	lim = lim.withDefaults()
	if lim.MaxBytes > 0 && int64(len(data)) > lim.MaxBytes {
		return nil, Info{}, &TooLargeError{Bytes: int64(len(data)), MaxBytes: lim.MaxBytes}
	}
	return Decode(ctx, bytes.NewReader(data), lim)
}

// DecodeFile is Decode over a file, refusing files over lim.MaxBytes
// without reading them.
func DecodeFile(ctx context.Context, path string, lim Limits) (image.Image, Info, error) {
	return DecodeFileWith(ctx, path, lim, func(r io.Reader) (image.Image, error) {
		img, _, err := image.Decode(r)
		return img, err
	})
}

// DecodeFileWith is DecodeWith over a file.
func DecodeFileWith(ctx context.Context, path string, lim Limits, decode func(io.Reader) (image.Image, error)) (image.Image, Info, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && lim.MaxBytes > 0 && st.Size() > lim.MaxBytes {
		return nil, Info{}, &TooLargeError{Bytes: st.Size(), MaxBytes: lim.MaxBytes}
	}
	return DecodeWith(ctx, f, lim, decode)
}

// DecodeWith checks the header of the image in r and, when it is within
// lim, rewinds r and decodes it with decode (imaging.Decode with its
// options, a single format's decoder…). decode reads through a reader that
// fails once ctx ends or lim.MaxBytes have been read, and a panic in it
// becomes an ErrUndecodable error.
func DecodeWith(ctx context.Context, r io.ReadSeeker, lim Limits, decode func(io.Reader) (image.Image, error)) (img image.Image, info Info, err error) {
	lim = lim.withDefaults()
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, Info{}, err
	}
	if info, err = Check(&ctxReader{ctx: ctx, r: r}, lim); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, info, cerr
		}
		return nil, info, err
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, info, err
	}
	var src io.Reader = &ctxReader{ctx: ctx, r: r}
	if lim.MaxBytes > 0 {
		src = &capReader{r: src, left: lim.MaxBytes, max: lim.MaxBytes}
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w: the %s decoder failed: %v", ErrUndecodable, info.Format, p)
		}
	}()
	img, err = decode(src)
	if cerr := ctx.Err(); cerr != nil {
		return nil, info, cerr
	}
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return nil, info, err
	}
	if err != nil {
		return nil, info, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	if img == nil || img.Bounds().Empty() {
		return nil, info, fmt.Errorf("%w: the %s decoder gave no pixels", ErrUndecodable, info.Format)
	}
	return img, info, nil
}

// ctxReader fails with ctx's error once ctx ends, so a decoder reading a
// large file stops at its next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// capReader fails once more than max bytes are asked of it.
type capReader struct {
	r         io.Reader
	left, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Exactly max bytes is fine if the file ends there.
		var one [1]byte
		if n, err := c.r.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &TooLargeError{Bytes: c.max + 1, MaxBytes: c.max}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// bytesPerPixel is what a decoder allocates per pixel for this colour
// model; JPEG's YCbCr counts as 4:4:4, its worst case.
func bytesPerPixel(cfg image.Config) int {
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		return 1
	}
	return 4
}
