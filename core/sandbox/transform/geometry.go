package transform

import (
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
)

// toNRGBA returns img as a tightly packed *image.NRGBA whose bounds start at
// (0,0), which every pixel loop in this package assumes. It returns img
// itself when it already is one; nothing here writes to its input.
func toNRGBA(img image.Image) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect.Min == (image.Point{}) && n.Stride == 4*n.Rect.Dx() {
		return n
	}
	return imaging.Clone(img)
}

// resample scales img (which may be a sub-image) to exactly w×h.
func resample(img image.Image, w, h int) (*image.NRGBA, error) {
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return toNRGBA(img), nil
	}
	return imaging.Resize(img, w, h, imaging.Lanczos), nil
}

// dim rounds a computed size to whole pixels, never below one: a tiny
// relative size or dpr still yields an image, as on Cloudinary.
func dim(v float64) int {
	switch {
	case math.IsNaN(v) || v < 1:
		return 1
	case v > 1e9: // checkSize refuses it; keep the int conversion defined
		return 1e9
	}
	return int(math.Round(v))
}

// resolve gives a size in output pixels, or 0 when it was not given.
func (s Size) resolve(input int, dpr float64) float64 {
	switch {
	case s.Pixels > 0:
		return float64(s.Pixels) * dpr
	case s.Fraction > 0:
		return s.Fraction * float64(input) * dpr
	}
	return 0
}

func (o Offset) resolve(input int) int {
	if o.Relative {
		return int(math.Round(o.Fraction * float64(input)))
	}
	return o.Pixels
}

// applyGeometry resizes, crops or pads img as the step's w, h, ar, c, g, x,
// y, b and dpr ask, following Cloudinary's crop-mode semantics.
func applyGeometry(img *image.NRGBA, s Step) (*image.NRGBA, error) {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	dpr := s.DPR.factor()
	w := s.Width.resolve(sw, dpr)
	h := s.Height.resolve(sh, dpr)
	mode := s.Crop
	if mode == "" {
		mode = CropScale
	}

	if w == 0 && h == 0 && !s.AspectRatio.set() {
		if dpr == 1 {
			return img, nil // c_, g_ or x_ alone change nothing, as on Cloudinary
		}
		// A dpr with no size scales the whole image.
		return resample(img, dim(float64(sw)*dpr), dim(float64(sh)*dpr))
	}

	// ar_ completes a single given dimension; with neither it picks the
	// largest region of that shape inside the image (or, for pad modes, the
	// smallest canvas around it). With both given, Cloudinary ignores ar_.
	if ar := s.AspectRatio; ar.set() && (w == 0 || h == 0) {
		r := ar.value()
		switch {
		case w > 0:
			h = w / r
		case h > 0:
			w = h * r
		case mode == CropScale:
			w, h = float64(sw), float64(sw)/r
		case mode == CropPad || mode == CropLPad || mode == CropMPad:
			if float64(sw)/float64(sh) > r {
				w, h = float64(sw), float64(sw)/r
			} else {
				w, h = float64(sh)*r, float64(sh)
			}
		default:
			if float64(sw)/float64(sh) > r {
				w, h = float64(sh)*r, float64(sh)
			} else {
				w, h = float64(sw), float64(sw)/r
			}
		}
		if !s.Width.set() && !s.Height.set() {
			w, h = w*dpr, h*dpr
		}
	}

	both := w > 0 && h > 0
	switch mode {
	case CropScale:
		W, H := complete(w, h, sw, sh)
		return resample(img, W, H)

	case CropFit, CropLimit, CropMFit:
		f := fitFactor(w, h, sw, sh)
		if mode == CropLimit && f >= 1 || mode == CropMFit && f <= 1 {
			return img, nil
		}
		return resample(img, dim(float64(sw)*f), dim(float64(sh)*f))

	case CropFill, CropLFill, CropThumb:
		// thumb is fill here: Cloudinary's thumb zooms in on detected faces,
		// and with no face detector the saliency window is the best guess.
		if !both {
			// One dimension leaves nothing to crop: Cloudinary scales.
			f := fitFactor(w, h, sw, sh)
			if mode == CropLFill && f >= 1 {
				return img, nil
			}
			return resample(img, dim(float64(sw)*f), dim(float64(sh)*f))
		}
		f := math.Max(w/float64(sw), h/float64(sh))
		rw, rh := min(dim(w/f), sw), min(dim(h/f), sh)
		outW, outH := dim(w), dim(h)
		if mode == CropLFill && f > 1 {
			outW, outH = rw, rh // lfill never enlarges: keep the shape, not the size
		}
		if err := checkSize(outW, outH); err != nil {
			return nil, err
		}
		region := cropRegion(img, rw, rh, s.Gravity, 0, 0)
		return resample(img.SubImage(region), outW, outH)

	case CropCrop:
		// w and h name a region of the input; dpr scales the cut-out after.
		rw, rh := sw, sh
		if w > 0 {
			rw = min(dim(w/dpr), sw)
		}
		if h > 0 {
			rh = min(dim(h/dpr), sh)
		}
		g := s.Gravity
		if g == "" && (s.X.Set || s.Y.Set) {
			g = GravityNorthWest // Cloudinary measures bare x/y from the top left
		}
		region := cropRegion(img, rw, rh, g, s.X.resolve(sw), s.Y.resolve(sh))
		if dpr != 1 {
			return resample(img.SubImage(region), dim(float64(rw)*dpr), dim(float64(rh)*dpr))
		}
		return imaging.Crop(img, region), nil

	case CropPad, CropLPad:
		if !both {
			f := fitFactor(w, h, sw, sh)
			if mode == CropLPad && f >= 1 {
				return img, nil
			}
			return resample(img, dim(float64(sw)*f), dim(float64(sh)*f))
		}
		W, H := dim(w), dim(h)
		if err := checkSize(W, H); err != nil {
			return nil, err
		}
		f := fitFactor(w, h, sw, sh)
		if mode == CropLPad {
			f = math.Min(f, 1)
		}
		inner, err := resample(img, min(dim(float64(sw)*f), W), min(dim(float64(sh)*f), H))
		if err != nil {
			return nil, err
		}
		return pad(inner, W, H, padColor(img, s.Background), s.Gravity), nil

	case CropMPad:
		// mpad never scales: it only grows the canvas to at least w×h.
		W, H := sw, sh
		if w > 0 {
			W = max(dim(w), sw)
		}
		if h > 0 {
			H = max(dim(h), sh)
		}
		if err := checkSize(W, H); err != nil {
			return nil, err
		}
		return pad(img, W, H, padColor(img, s.Background), s.Gravity), nil
	}
	return nil, errorf("Invalid crop mode - %s", show(string(mode)))
}

// complete fills in a missing dimension from the input's aspect ratio.
func complete(w, h float64, sw, sh int) (int, int) {
	switch {
	case w > 0 && h > 0:
		return dim(w), dim(h)
	case w > 0:
		return dim(w), dim(w * float64(sh) / float64(sw))
	}
	return dim(h * float64(sw) / float64(sh)), dim(h)
}

// fitFactor is the scale that fits the input inside the given box (a
// missing side does not constrain).
func fitFactor(w, h float64, sw, sh int) float64 {
	switch {
	case w > 0 && h > 0:
		return math.Min(w/float64(sw), h/float64(sh))
	case w > 0:
		return w / float64(sw)
	}
	return h / float64(sh)
}

// cropRegion places a rw×rh window inside img: on the most salient part for
// g_auto, else at the gravity's anchor moved by the offsets.
func cropRegion(img *image.NRGBA, rw, rh int, g Gravity, ox, oy int) image.Rectangle {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	var p image.Point
	if g.salient() {
		p = salientWindow(img, rw, rh)
	} else {
		p = anchor(g, sw, sh, rw, rh, ox, oy)
	}
	p.X = clampInt(p.X, 0, sw-rw)
	p.Y = clampInt(p.Y, 0, sh-rh)
	return image.Rect(p.X, p.Y, p.X+rw, p.Y+rh)
}

// anchor is the top-left corner of an ow×oh object placed in a cw×ch
// container by gravity. Offsets push away from the anchoring edge, inward,
// as Cloudinary's do (x_10 with g_east moves 10 px left of the right edge).
func anchor(g Gravity, cw, ch, ow, oh, ox, oy int) image.Point {
	midX, midY := (cw-ow)/2, (ch-oh)/2
	right, bottom := cw-ow, ch-oh
	switch g {
	case GravityNorthWest:
		return image.Pt(ox, oy)
	case GravityNorth:
		return image.Pt(midX+ox, oy)
	case GravityNorthEast:
		return image.Pt(right-ox, oy)
	case GravityWest:
		return image.Pt(ox, midY+oy)
	case GravityEast:
		return image.Pt(right-ox, midY+oy)
	case GravitySouthWest:
		return image.Pt(ox, bottom-oy)
	case GravitySouth:
		return image.Pt(midX+ox, bottom-oy)
	case GravitySouthEast:
		return image.Pt(right-ox, bottom-oy)
	}
	return image.Pt(midX+ox, midY+oy)
}

// padColor is the colour around a padded image: b_ when given (auto takes
// the predominant border colour), else white, Cloudinary's default.
func padColor(img *image.NRGBA, b Background) color.NRGBA {
	switch {
	case b.Set && b.Auto:
		return predominantBorderColor(img)
	case b.Set:
		return b.Color
	}
	return color.NRGBA{255, 255, 255, 255}
}

// pad centres img (or places it by gravity) on a W×H canvas of colour c.
func pad(img *image.NRGBA, W, H int, c color.NRGBA, g Gravity) *image.NRGBA {
	canvas := filled(W, H, c)
	if g.salient() {
		g = GravityCenter
	}
	p := anchor(g, W, H, img.Rect.Dx(), img.Rect.Dy(), 0, 0)
	p.X = clampInt(p.X, 0, max(0, W-img.Rect.Dx()))
	p.Y = clampInt(p.Y, 0, max(0, H-img.Rect.Dy()))
	over(canvas, img, p)
	return canvas
}

// filled is a new w×h image of colour c; callers have checked the size.
func filled(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if c == (color.NRGBA{}) {
		return img
	}
	px := img.Pix
	copy(px, []uint8{c.R, c.G, c.B, c.A})
	for n := 4; n < len(px); n *= 2 {
		copy(px[n:], px[:n])
	}
	return img
}

// over composites src onto dst with its top-left corner at p (source-over,
// in non-premultiplied colour). image/draw has no fast path for an NRGBA
// destination, and its generic path is an order of magnitude slower.
func over(dst, src *image.NRGBA, p image.Point) {
	r := image.Rect(p.X, p.Y, p.X+src.Rect.Dx(), p.Y+src.Rect.Dy()).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst.Pix[y*dst.Stride+r.Min.X*4 : y*dst.Stride+r.Max.X*4]
		sy := y - p.Y
		s := src.Pix[sy*src.Stride+(r.Min.X-p.X)*4 : sy*src.Stride+(r.Max.X-p.X)*4]
		for i := 0; i < len(d); i += 4 {
			sa := uint32(s[i+3])
			switch {
			case sa == 255:
				copy(d[i:i+4], s[i:i+4])
				continue
			case sa == 0:
				continue
			}
			da := uint32(d[i+3]) * (255 - sa) / 255
			oa := sa + da
			for c := 0; c < 3; c++ {
				d[i+c] = uint8((uint32(s[i+c])*sa + uint32(d[i+c])*da + oa/2) / oa)
			}
			d[i+3] = uint8(oa)
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
