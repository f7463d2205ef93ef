package transform

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// applyEffect runs one e_ effect. Levels are already range-checked and
// defaulted by Parse; the mappings from Cloudinary's levels to pixel
// operations are chosen to look alike, not to match byte for byte.
func applyEffect(img *image.NRGBA, e Effect) *image.NRGBA {
	switch e.Name {
	case "grayscale":
		return imaging.Grayscale(img)
	case "negate":
		return imaging.Invert(img)
	case "sepia":
		return sepia(img, e.Level)
	case "brightness":
		return brightness(img, e.Level)
	case "contrast":
		if e.Level == 0 {
			return img
		}
		return imaging.AdjustContrast(img, float64(e.Level))
	case "saturation":
		if e.Level == 0 {
			return img
		}
		return imaging.AdjustSaturation(img, float64(e.Level))
	case "blur":
		// Level 100 (the default) is a 5 px Gaussian, 2000 a 100 px one.
		return gaussianBlur(img, float64(e.Level)/20)
	case "sharpen":
		return sharpen(img, e.Level)
	case "vignette":
		return vignette(img, e.Level)
	case "pixelate":
		return pixelate(img, e.Level)
	case "gamma":
		if e.Level == 0 {
			return img
		}
		// Level -50 darkens the mid-tones to gamma 0.5, 150 lifts them to 2.5.
		return imaging.AdjustGamma(img, 1+float64(e.Level)/100)
	case "improve":
		return improve(img, e.Mode, e.Level)
	case "background_removal":
		return removeBackground(img)
	}
	return img
}

// eachPixel returns a copy of img with fn applied to every pixel's
// non-premultiplied RGBA bytes.
func eachPixel(img *image.NRGBA, fn func(p []uint8)) *image.NRGBA {
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	copy(out.Pix, img.Pix)
	for i := 0; i < len(out.Pix); i += 4 {
		fn(out.Pix[i : i+4 : i+4])
	}
	return out
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// sepia blends the classic sepia tone matrix into the image by level/100.
func sepia(img *image.NRGBA, level int) *image.NRGBA {
	k := float64(level) / 100
	return eachPixel(img, func(p []uint8) {
		r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
		tr := 0.393*r + 0.769*g + 0.189*b
		tg := 0.349*r + 0.686*g + 0.168*b
		tb := 0.272*r + 0.534*g + 0.131*b
		p[0] = clamp8(r + (tr-r)*k)
		p[1] = clamp8(g + (tg-g)*k)
		p[2] = clamp8(b + (tb-b)*k)
	})
}

// brightness multiplies every channel by 1+level/100, like ImageMagick's
// -modulate that Cloudinary's e_brightness resembles: level 80 is bright but
// keeps detail, -99 is nearly black. imaging.AdjustBrightness adds a
// constant instead, which washes images out.
func brightness(img *image.NRGBA, level int) *image.NRGBA {
	if level == 0 {
		return img
	}
	f := 1 + float64(level)/100
	var lut [256]uint8
	for i := range lut {
		lut[i] = clamp8(float64(i) * f)
	}
	return eachPixel(img, func(p []uint8) {
		p[0], p[1], p[2] = lut[p[0]], lut[p[1]], lut[p[2]]
	})
}

// sharpen is an unsharp mask with a 1 px Gaussian; level 100 (the default)
// adds the detail once, 2000 twenty times.
func sharpen(img *image.NRGBA, level int) *image.NRGBA {
	amount := float64(level) / 100
	if img.Rect.Min != (image.Point{}) || img.Stride != 4*img.Rect.Dx() {
		// A crop leaves a sub-image; the blur below is laid out from 0,0.
		img = imaging.Clone(img)
	}
	blurred := imaging.Blur(img, 1)
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	for i := 0; i < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			v := float64(img.Pix[i+c])
			out.Pix[i+c] = clamp8(v + amount*(v-float64(blurred.Pix[i+c])))
		}
		out.Pix[i+3] = img.Pix[i+3]
	}
	return out
}

// vignette darkens towards the corners along an ellipse fitted to the image.
// The level moves where the darkening starts inward and how dark the
// corners get; the centre never changes.
func vignette(img *image.NRGBA, level int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	l := float64(level) / 100
	inner := 0.55 - 0.45*l // normalised radius where darkening begins
	darkest := 0.6 + 0.4*l // how much of the light the corners lose
	cx, cy := float64(w)/2, float64(h)/2
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	for y := 0; y < h; y++ {
		dy := (float64(y) + 0.5 - cy) / cy
		for x := 0; x < w; x++ {
			dx := (float64(x) + 0.5 - cx) / cx
			r := math.Sqrt((dx*dx + dy*dy) / 2) // 0 at the centre, 1 in the corners
			f := 1 - darkest*smoothstep(inner, 1, r)
			i := y*img.Stride + x*4
			out.Pix[i] = clamp8(float64(img.Pix[i]) * f)
			out.Pix[i+1] = clamp8(float64(img.Pix[i+1]) * f)
			out.Pix[i+2] = clamp8(float64(img.Pix[i+2]) * f)
			out.Pix[i+3] = img.Pix[i+3]
		}
	}
	return out
}

func smoothstep(lo, hi, x float64) float64 {
	t := math.Min(math.Max((x-lo)/(hi-lo), 0), 1)
	return t * t * (3 - 2*t)
}

// pixelate replaces each size×size block by its average colour (weighted
// by alpha, so transparent pixels do not darken their block). Size 0 means
// Cloudinary's "derive from the image": about 1/40 of the shorter side.
func pixelate(img *image.NRGBA, size int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if size == 0 {
		size = max(2, min(w, h)/40)
	}
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	for by := 0; by < h; by += size {
		for bx := 0; bx < w; bx += size {
			ex, ey := min(bx+size, w), min(by+size, h)
			var r, g, b, a, n uint64
			for y := by; y < ey; y++ {
				for x := bx; x < ex; x++ {
					p := img.Pix[y*img.Stride+x*4:]
					pa := uint64(p[3])
					r += uint64(p[0]) * pa
					g += uint64(p[1]) * pa
					b += uint64(p[2]) * pa
					a += pa
					n++
				}
			}
			var c [4]uint8
			if a > 0 {
				c = [4]uint8{uint8((r + a/2) / a), uint8((g + a/2) / a), uint8((b + a/2) / a), uint8((a + n/2) / n)}
			}
			for y := by; y < ey; y++ {
				row := out.Pix[y*out.Stride:]
				for x := bx; x < ex; x++ {
					copy(row[x*4:x*4+4], c[:])
				}
			}
		}
	}
	return out
}

// improve is an auto-levels pass: it stretches the range between the 0.5th
// and 99.5th percentiles to the full 0..255. Outdoor (the default) uses one
// range for all channels, keeping the colour balance; indoor stretches each
// channel on its own, which also removes the colour cast of artificial
// light. The level blends the result with the original (100 = all of it).
func improve(img *image.NRGBA, mode string, level int) *image.NRGBA {
	var hist [3][256]int
	var n int
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i+3] < 128 {
			continue // transparent pixels' colours are invisible
		}
		hist[0][img.Pix[i]]++
		hist[1][img.Pix[i+1]]++
		hist[2][img.Pix[i+2]]++
		n++
	}
	if n == 0 {
		return img
	}
	var lo, hi [3]int
	for c := 0; c < 3; c++ {
		lo[c], hi[c] = percentile(hist[c][:], n, 0.005), percentile(hist[c][:], n, 0.995)
	}
	if mode != "indoor" {
		l, h := min(lo[0], lo[1], lo[2]), max(hi[0], hi[1], hi[2])
		lo, hi = [3]int{l, l, l}, [3]int{h, h, h}
	}
	blend := float64(level) / 100
	var lut [3][256]uint8
	for c := 0; c < 3; c++ {
		span := hi[c] - lo[c]
		// A nearly flat channel has nothing to stretch; amplifying it would
		// only amplify noise.
		gain := 1.0
		if span >= 8 {
			gain = math.Min(255/float64(span), 8)
		}
		for v := range lut[c] {
			stretched := (float64(v) - float64(lo[c])) * gain
			if span < 8 {
				stretched = float64(v)
			}
			lut[c][v] = clamp8(float64(v) + (stretched-float64(v))*blend)
		}
	}
	return eachPixel(img, func(p []uint8) {
		p[0], p[1], p[2] = lut[0][p[0]], lut[1][p[1]], lut[2][p[2]]
	})
}

// percentile is the smallest value with at least q of the n samples at or
// below it.
func percentile(hist []int, n int, q float64) int {
	target := int(math.Ceil(q * float64(n)))
	sum := 0
	for v, c := range hist {
		sum += c
		if sum >= target && sum > 0 {
			return v
		}
	}
	return len(hist) - 1
}
