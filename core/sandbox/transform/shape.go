package transform

import (
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
)

// coverage reports how much of the pixel at (x, y) lies inside a w×h
// rectangle whose corners are rounded by r (or which is an ellipse when
// r.Max), anti-aliased over about one pixel.
type shape struct {
	w, h    float64
	ellipse bool
	corners [4]float64 // top-left, top-right, bottom-right, bottom-left
}

func newShape(w, h int, r Radius, grow int) shape {
	s := shape{w: float64(w), h: float64(h), ellipse: r.Max}
	limit := float64(min(w, h)) / 2
	for i, c := range r.Corners {
		if c > 0 {
			s.corners[i] = math.Min(float64(c+grow), limit)
		}
	}
	return s
}

func (s shape) coverage(x, y int) float64 {
	px, py := float64(x)+0.5, float64(y)+0.5
	if px < 0 || py < 0 || px > s.w || py > s.h {
		return 0
	}
	if s.ellipse {
		a, b := s.w/2, s.h/2
		dx, dy := px-a, py-b
		f := math.Sqrt(dx*dx/(a*a) + dy*dy/(b*b))
		if f == 0 {
			return 1
		}
		// Signed distance to the ellipse, to first order: (f-1)/|grad f|.
		gx, gy := dx/(a*a*f), dy/(b*b*f)
		d := (f - 1) / math.Sqrt(gx*gx+gy*gy)
		return math.Min(math.Max(0.5-d, 0), 1)
	}
	var r, cx, cy float64
	switch {
	case px < s.corners[0] && py < s.corners[0]:
		r, cx, cy = s.corners[0], s.corners[0], s.corners[0]
	case px > s.w-s.corners[1] && py < s.corners[1]:
		r, cx, cy = s.corners[1], s.w-s.corners[1], s.corners[1]
	case px > s.w-s.corners[2] && py > s.h-s.corners[2]:
		r, cx, cy = s.corners[2], s.w-s.corners[2], s.h-s.corners[2]
	case px < s.corners[3] && py > s.h-s.corners[3]:
		r, cx, cy = s.corners[3], s.corners[3], s.h-s.corners[3]
	default:
		return 1
	}
	d := math.Hypot(px-cx, py-cy) - r
	return math.Min(math.Max(0.5-d, 0), 1)
}

// rounded multiplies img's alpha by the r_ shape. Only pixels near the
// corners (or, for an ellipse, every pixel) need the geometry.
func rounded(img *image.NRGBA, r Radius) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	s := newShape(w, h, r, 0)
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	copy(out.Pix, img.Pix)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if c := s.coverage(x, y); c < 1 {
				a := &out.Pix[y*out.Stride+x*4+3]
				*a = uint8(math.Round(float64(*a) * c))
			}
		}
	}
	return out
}

// bordered surrounds img with a solid border b.Width pixels wide that
// follows the r_ shape, so r_max,bo_5px_solid_red draws a ring. Only the
// ring is painted: transparent parts of the image stay transparent.
func bordered(img *image.NRGBA, b Border, r Radius) (*image.NRGBA, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	W, H := w+2*b.Width, h+2*b.Width
	if err := checkSize(W, H); err != nil {
		return nil, err
	}
	outer := newShape(W, H, r, b.Width)
	inner := newShape(w, h, r, 0)
	if !r.Set {
		outer, inner = newShape(W, H, Radius{}, 0), newShape(w, h, Radius{}, 0)
	}
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			ring := outer.coverage(x, y) - inner.coverage(x-b.Width, y-b.Width)
			if ring <= 0 {
				continue
			}
			p := out.Pix[y*out.Stride+x*4:]
			p[0], p[1], p[2] = b.Color.R, b.Color.G, b.Color.B
			p[3] = uint8(math.Round(float64(b.Color.A) * math.Min(ring, 1)))
		}
	}
	over(out, img, image.Pt(b.Width, b.Width))
	return out, nil
}

// rotate applies the a_ operations in order. Cloudinary's angles turn
// clockwise; imaging's turn counter-clockwise. Right angles are exact pixel
// moves; other angles grow the canvas to hold the whole image and leave the
// uncovered corners transparent.
func rotate(img *image.NRGBA, ops []AngleOp) (*image.NRGBA, error) {
	for _, op := range ops {
		switch {
		case op.Flip == "hflip":
			img = imaging.FlipH(img)
		case op.Flip == "vflip":
			img = imaging.FlipV(img)
		case op.Flip == "ignore" || op.Degrees == 0:
		case op.Degrees == 90:
			img = imaging.Rotate270(img)
		case op.Degrees == 180:
			img = imaging.Rotate180(img)
		case op.Degrees == 270:
			img = imaging.Rotate90(img)
		default:
			w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
			sin, cos := math.Sincos(float64(op.Degrees) * math.Pi / 180)
			rw := int(math.Ceil(math.Abs(w*cos)+math.Abs(h*sin))) + 1
			rh := int(math.Ceil(math.Abs(w*sin)+math.Abs(h*cos))) + 1
			if err := checkSize(rw, rh); err != nil {
				return nil, err
			}
			img = imaging.Rotate(img, -float64(op.Degrees), color.Transparent)
		}
	}
	return img, nil
}

// withOpacity scales alpha to percent of what it was.
func withOpacity(img *image.NRGBA, percent int) *image.NRGBA {
	if percent == 100 {
		return img
	}
	return eachPixel(img, func(p []uint8) {
		p[3] = uint8((int(p[3])*percent + 50) / 100)
	})
}

// underlay puts img over a solid colour, which is what a b_ colour does to
// an image with transparency outside the pad modes.
func underlay(img *image.NRGBA, c color.NRGBA) *image.NRGBA {
	if c.A == 0 || img.Opaque() {
		return img
	}
	out := filled(img.Rect.Dx(), img.Rect.Dy(), c)
	over(out, img, image.Point{})
	return out
}
