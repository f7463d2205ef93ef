package transform

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
)

// Render applies the chain to src and encodes the result. It gives up with
// ctx's error between steps and while encoding once ctx ends, so a render
// nobody waits for any more stops. srcFormat is the
// original's format (jpg, png, gif or webp), ext the extension in the URL
// ("" keeps the original format) and accept the request's Accept header,
// consulted only for f_auto. Bad requests come back as *Error; anything
// else is a fault of the sandbox itself.
//
// The delivered format is the last f_ in the chain (f_auto: AutoFormat),
// else ext, else the original's, except that an image that gained
// transparency (r_, a_ at an odd angle, o_, e_background_removal) is
// delivered as PNG rather than losing it to JPEG unless a format was asked
// for.
func Render(ctx context.Context, src image.Image, srcFormat string, c Chain, ext string, accept string) (body []byte, contentType string, err error) {
	format := c.format()
	if format == "" && ext != "" {
		if format, err = normalizeFormat(ext); err != nil {
			return nil, "", err
		}
	}
	img, err := Apply(ctx, src, c)
	if err != nil {
		return nil, "", err
	}
	switch format {
	case "auto":
		format = AutoFormat(img, accept)
	case "":
		format = "png" // an original in a format we cannot write stays lossless
		if f, err := normalizeFormat(srcFormat); err == nil {
			format = f
		}
		if format == "jpg" && !img.Opaque() {
			format = "png"
		}
	}
	var buf bytes.Buffer
	out := ctxWriter{ctx: ctx, w: &buf}
	err = encode(out, img, format, c.jpegQuality(), c.flattenColor())
	if errors.Is(err, errWebPUnreadable) && c.format() == "auto" {
		// f_auto promises a format the client can show, not WebP: take
		// the one it would get without WebP in its Accept header.
		format = AutoFormat(img, "")
		buf.Reset()
		err = encode(out, img, format, c.jpegQuality(), c.flattenColor())
	}
	if cerr := ctx.Err(); cerr != nil {
		return nil, "", cerr
	}
	if err != nil {
		return nil, "", err
	}
	return buf.Bytes(), ContentType(format), nil
}

// AutoWebPMaxPixels is the largest opaque image f_auto delivers as WebP.
//
// The pure-Go WebP encoder is lossless only. On a photo that makes WebP
// several times larger than a q_auto JPEG and more than ten times slower to
// encode (about 0.75 s for 2000×1500 on one core), so above thumbnail and
// preview sizes WebP would defeat what f_auto is for: a smaller, faster
// answer. Opaque images above this size therefore get JPEG whatever the
// Accept header says; smaller ones (the library grid's thumbnails) still
// show that f_auto negotiates. Images with transparency are exempt: JPEG
// cannot hold it, and of the two formats that can, lossless WebP comes out
// a quarter to a third smaller than PNG on photos.
const AutoWebPMaxPixels = 512 * 512

// AutoFormat is the format f_auto delivers img in, given the request's
// Accept header: WebP for clients that name it, except for opaque images
// over AutoWebPMaxPixels (JPEG, see there); otherwise PNG when img has
// transparency and JPEG when it has none.
func AutoFormat(img image.Image, accept string) string {
	var opaque bool
	if o, ok := img.(interface{ Opaque() bool }); ok {
		opaque = o.Opaque()
	} else {
		opaque = toNRGBA(img).Opaque()
	}
	b := img.Bounds()
	switch {
	case AcceptsWebP(accept) && (!opaque || b.Dx()*b.Dy() <= AutoWebPMaxPixels):
		return "webp"
	case !opaque:
		return "png"
	default:
		return "jpg"
	}
}

// Apply runs the chain's pixel operations on src without encoding. It never
// modifies src, and stops with ctx's error between steps once ctx ends.
func Apply(ctx context.Context, src image.Image, c Chain) (*image.NRGBA, error) {
	if src == nil || src.Bounds().Empty() {
		return nil, errors.New("the original image is empty: upload it again")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img := toNRGBA(src)
	for _, step := range c {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		if img, err = applyStep(img, step); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// ctxWriter fails once ctx ends, which makes an encoder give up at its
// next write.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// applyStep runs one component in Cloudinary's order: resize and crop,
// then the effect, the rounded corners, the border, the rotation, the
// opacity, and last the background under whatever became transparent.
func applyStep(img *image.NRGBA, s Step) (*image.NRGBA, error) {
	img, err := applyGeometry(img, s)
	if err != nil {
		return nil, err
	}
	if s.Effect.Name != "" {
		img = applyEffect(img, s.Effect)
	}
	if s.Radius.Set {
		img = rounded(img, s.Radius)
	}
	if s.Border.Width > 0 {
		if img, err = bordered(img, s.Border, s.Radius); err != nil {
			return nil, err
		}
	}
	if len(s.Angle) > 0 {
		if img, err = rotate(img, s.Angle); err != nil {
			return nil, err
		}
	}
	if s.Opacity.Set {
		img = withOpacity(img, s.Opacity.Percent)
	}
	if b := s.Background; b.Set && !b.Auto && !s.pads() {
		img = underlay(img, b.Color)
	}
	return img, nil
}

// pads reports whether b_ was spent on padding in this step.
func (s Step) pads() bool {
	return (s.Crop == CropPad || s.Crop == CropLPad || s.Crop == CropMPad) &&
		(s.Width.set() || s.Height.set() || s.AspectRatio.set())
}

// jpegQuality is the chain's last q_ as a JPEG quality.
func (c Chain) jpegQuality() int {
	q := c.quality()
	switch {
	case q.Value > 0:
		return q.Value
	case q.Auto != "":
		return qualityLevels[q.Auto]
	}
	return DefaultQuality
}

// flattenColor is what shows through transparency in a JPEG: the last
// opaque b_ colour in the chain, else white.
func (c Chain) flattenColor() color.NRGBA {
	for i := len(c) - 1; i >= 0; i-- {
		if b := c[i].Background; b.Set && !b.Auto && b.Color.A == 255 {
			return b.Color
		}
	}
	return white
}

// PixelBound estimates, without touching pixels, the largest picture the
// chain's steps make from a w×h original (the original itself not
// counted), erring on the large side. The sandbox reserves memory for it
// before rendering, so a URL asking for a huge canvas waits its turn
// instead of piling onto other renders.
func (c Chain) PixelBound(w, h int) int64 {
	sw, sh := float64(max(w, 1)), float64(max(h, 1))
	bound := 0.0
	for _, s := range c {
		dpr := s.DPR.factor()
		tw := s.Width.resolve(int(sw), dpr)
		th := s.Height.resolve(int(sh), dpr)
		switch {
		case tw == 0 && th == 0 && s.AspectRatio.set():
			m := math.Max(sw, sh) * dpr // a region or canvas of that shape
			tw, th = m, m
		case tw == 0 && th == 0:
			tw, th = sw*dpr, sh*dpr
		case tw == 0:
			tw = th * sw / sh
		case th == 0:
			th = tw * sh / sw
		}
		if s.Crop == CropMPad {
			tw, th = math.Max(tw, sw), math.Max(th, sh) // grows, never shrinks
		}
		if len(s.Angle) > 0 {
			d := math.Hypot(tw, th)
			tw, th = d, d
		}
		if b := float64(s.Border.Width); b > 0 {
			tw, th = tw+2*b, th+2*b
		}
		tw, th = math.Min(math.Max(tw, 1), float64(limits.side)), math.Min(math.Max(th, 1), float64(limits.side))
		bound = math.Max(bound, math.Min(tw*th, float64(limits.pixels)))
		sw, sh = tw, th
	}
	return int64(bound)
}
