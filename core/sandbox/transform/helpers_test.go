package transform

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"testing"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// coordinates is an image whose pixel (x, y) is (x, y, 100): every pixel
// says where it came from, so crops, flips and rotations can be checked
// exactly. w and h must be at most 256.
func coordinates(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	return img
}

func solid(w, h int, c color.NRGBA) *image.NRGBA {
	return filled(w, h, c)
}

// photo is a deterministic stand-in for a photograph: a diagonal colour
// gradient, a few shapes with hard and soft edges, and sensor-like noise.
func photo(w, h int) *image.NRGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x+y) / float64(w+h)
			r := 40 + 160*t
			g := 90 + 80*math.Sin(float64(x)/float64(w)*math.Pi)
			b := 200 - 120*t
			dx, dy := float64(x-w/3), float64(y-h/2)
			if dx*dx+dy*dy < float64(h*h)/25 {
				r, g, b = 230, 200, 40
			}
			if x > w*2/3 && x < w*2/3+w/8 && y > h/4 && y < h*3/4 {
				r, g, b = 30, 30, 40
			}
			n := rng.NormFloat64() * 4
			img.SetNRGBA(x, y, color.NRGBA{clamp8(r + n), clamp8(g + n), clamp8(b + n), 255})
		}
	}
	return img
}

// renderChain parses chain, renders src and decodes the result.
func renderChain(t testing.TB, src image.Image, srcFormat, chain, ext, accept string) (*image.NRGBA, string, []byte) {
	t.Helper()
	c, err := Parse(chain)
	if err != nil {
		t.Fatalf("Parse(%q): %v", chain, err)
	}
	body, ct, err := Render(context.Background(), src, srcFormat, c, ext, accept)
	if err != nil {
		t.Fatalf("Render(%q): %v", chain, err)
	}
	return decode(t, body), ct, body
}

func decode(t testing.TB, body []byte) *image.NRGBA {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decoding the rendered image: %v", err)
	}
	out := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// renderError renders and returns the *Error the chain must produce.
func renderError(t *testing.T, src image.Image, chain, ext string) *Error {
	t.Helper()
	c, err := Parse(chain)
	if err != nil {
		t.Fatalf("Parse(%q): %v", chain, err)
	}
	_, _, err = Render(context.Background(), src, "jpg", c, ext, "")
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("Render(%q, ext %q) error = %v, want a *transform.Error", chain, ext, err)
	}
	return te
}

func px(img *image.NRGBA, x, y int) color.NRGBA { return img.NRGBAAt(x, y) }

func lum(c color.NRGBA) float64 {
	return 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
}

// meanLum is the mean luminance inside r.
func meanLum(img *image.NRGBA, r image.Rectangle) float64 {
	var sum float64
	var n int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			sum += lum(px(img, x, y))
			n++
		}
	}
	return sum / float64(n)
}

func stdLum(img *image.NRGBA) float64 {
	m := meanLum(img, img.Rect)
	var sum float64
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			d := lum(px(img, x, y)) - m
			sum += d * d
		}
	}
	return math.Sqrt(sum / float64(img.Rect.Dx()*img.Rect.Dy()))
}

// softEdge is dark on the left, light on the right, with a linear ramp
// 8 px wide in the middle: something to sharpen and to blur.
func softEdge(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := math.Min(math.Max(float64(x-w/2+4)/8, 0), 1)
			v := clamp8(64 + 128*t)
			img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return img
}

// edgeContrast is the steepest step between horizontal neighbours along
// the middle row.
func edgeContrast(img *image.NRGBA) float64 {
	y := img.Rect.Dy() / 2
	var best float64
	for x := 1; x < img.Rect.Dx(); x++ {
		best = math.Max(best, math.Abs(lum(px(img, x, y))-lum(px(img, x-1, y))))
	}
	return best
}
