package transform

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"strings"

	"github.com/HugoSmits86/nativewebp"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// ContentType is the Content-Type of an output format ("" if unknown).
func ContentType(format string) string { return contentTypes[format] }

var contentTypes = map[string]string{
	"jpg":  "image/jpeg",
	"png":  "image/png",
	"webp": "image/webp",
	"gif":  "image/gif",
	"bmp":  "image/bmp",
	"tiff": "image/tiff",
}

// DefaultQuality is the JPEG quality when the URL has no q_.
const DefaultQuality = 80

var white = color.NRGBA{255, 255, 255, 255}

// Encode writes img as format (jpg, png, webp, gif, bmp or tiff). quality
// (1..100) only affects JPEG, which cannot hold transparency, so transparent
// parts are flattened onto white.
func Encode(w io.Writer, img image.Image, format string, quality int) error {
	f, err := normalizeFormat(format)
	if err != nil {
		return err
	}
	return encode(w, toNRGBA(img), f, quality, white)
}

func encode(w io.Writer, img *image.NRGBA, format string, quality int, flatten color.NRGBA) error {
	var err error
	switch format {
	case "jpg":
		flatten.A = 255
		flat := underlay(img, flatten)
		// An opaque NRGBA has the same bytes as an RGBA, and image/jpeg only
		// has a fast path for *image.RGBA (the generic one is ~5× slower).
		rgba := &image.RGBA{Pix: flat.Pix, Stride: flat.Stride, Rect: flat.Rect}
		err = jpeg.Encode(w, rgba, &jpeg.Options{Quality: clampInt(quality, 1, 100)})
	case "png":
		// Deflate's default level spends most of a large render in
		// findMatch; above a megapixel BestSpeed is several times faster
		// for files about a tenth larger, the better trade for previews.
		level := png.DefaultCompression
		if img.Rect.Dx()*img.Rect.Dy() > 1_000_000 {
			level = png.BestSpeed
		}
		err = (&png.Encoder{CompressionLevel: level}).Encode(w, img)
	case "webp":
		err = encodeWebP(w, img)
	case "gif":
		err = gif.Encode(w, quantize(img), &gif.Options{NumColors: 256})
	case "bmp":
		err = bmp.Encode(w, img)
	case "tiff":
		err = tiff.Encode(w, img, &tiff.Options{Compression: tiff.Deflate, Predictor: true})
	default:
		return fmt.Errorf("encoding %q: not an output format", format)
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", format, err)
	}
	return nil
}

// AcceptsWebP reports whether an Accept header lists image/webp with a
// non-zero q. A bare */* does not count: Cloudinary only sends WebP to
// clients that name it, and so do browsers that support it. It is the only
// thing f_auto reads from the header, so a cache can key on it rather than
// on the whole header.
func AcceptsWebP(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "image/webp" {
			continue
		}
		if q, ok := params["q"]; ok {
			if v, _, ok := parseDecimal(q, false); !ok || v == 0 {
				continue
			}
		}
		return true
	}
	return false
}

// quantize maps img onto a fixed 256-colour palette for GIF: the 216
// web-safe colours, 35 extra greys and one transparent entry, with
// Floyd-Steinberg error diffusion. It is linear in the pixels, where the
// standard library's draw.FloydSteinberg searches the whole palette for
// every pixel.
func quantize(img *image.NRGBA) *image.Paletted {
	pal := make(color.Palette, 0, 256)
	for r := 0; r < 6; r++ {
		for g := 0; g < 6; g++ {
			for b := 0; b < 6; b++ {
				pal = append(pal, color.RGBA{uint8(r * 51), uint8(g * 51), uint8(b * 51), 255})
			}
		}
	}
	var greyIndex [256]uint8 // nearest grey in the palette for each level
	greys := []int{0, 51, 102, 153, 204, 255}
	greyIdx := []int{0, 43, 86, 129, 172, 215}
	for i := 1; i < 40; i++ {
		if i%8 == 0 {
			continue
		}
		v := (i*255 + 20) / 40
		greys = append(greys, v)
		greyIdx = append(greyIdx, len(pal))
		pal = append(pal, color.RGBA{uint8(v), uint8(v), uint8(v), 255})
	}
	for level := range greyIndex {
		best := 0
		for j, g := range greys {
			if abs(g-level) < abs(greys[best]-level) {
				best = j
			}
		}
		greyIndex[level] = uint8(greyIdx[best])
	}
	transparent := uint8(len(pal))
	pal = append(pal, color.RGBA{})

	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := image.NewPaletted(img.Rect, pal)
	cur := make([][3]int, w+2) // error carried into this row, scaled by 16
	next := make([][3]int, w+2)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[y*img.Stride+x*4:]
			if p[3] < 128 {
				out.Pix[y*out.Stride+x] = transparent
				continue
			}
			var v [3]int
			for c := 0; c < 3; c++ {
				v[c] = clampInt(int(p[c])+cur[x+1][c]/16, 0, 255)
			}
			ci := (v[0]+25)/51*36 + (v[1]+25)/51*6 + (v[2]+25)/51
			idx := uint8(ci)
			best := pal[ci].(color.RGBA)
			grey := (v[0]*299 + v[1]*587 + v[2]*114) / 1000
			gi := greyIndex[grey]
			gc := pal[gi].(color.RGBA)
			if dist3(v, gc) < dist3(v, best) {
				idx, best = gi, gc
			}
			out.Pix[y*out.Stride+x] = idx
			e := [3]int{v[0] - int(best.R), v[1] - int(best.G), v[2] - int(best.B)}
			for c := 0; c < 3; c++ {
				cur[x+2][c] += e[c] * 7
				next[x][c] += e[c] * 3
				next[x+1][c] += e[c] * 5
				next[x+2][c] += e[c]
			}
		}
		cur, next = next, cur
		clear(next)
	}
	return out
}

func dist3(v [3]int, c color.RGBA) int {
	dr, dg, db := v[0]-int(c.R), v[1]-int(c.G), v[2]-int(c.B)
	return dr*dr + dg*dg + db*db
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// errWebPUnreadable means the WebP encoder produced bytes a decoder
// rejects.
var errWebPUnreadable = errors.New("the sandbox's pure-Go WebP encoder produced an image decoders reject (a known encoder bug, not your request): ask for f_auto or f_png instead")

// encodeWebP encodes img and checks the result decodes. The pure-Go
// encoder (nativewebp v0.9.3) writes, for some photos, a lossless bitstream
// whose Huffman tables golang.org/x/image/webp rejects ("vp8l: invalid
// Huffman tree"); seen on the ocean-beach sample at 300×300. A delivery
// server must never answer 200 with an image clients cannot draw.
func encodeWebP(w io.Writer, img *image.NRGBA) error {
	var buf bytes.Buffer
	if err := nativewebp.Encode(&buf, img, nil); err != nil {
		return err
	}
	if _, err := webp.Decode(bytes.NewReader(buf.Bytes())); err != nil {
		return fmt.Errorf("%w: %v", errWebPUnreadable, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
