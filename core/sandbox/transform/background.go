package transform

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// borderSample is what the colours along an image's edges say about its
// background: the dominant colours, how noisy they are, and the share of
// edge pixels that are already transparent.
type borderSample struct {
	colors      []color.NRGBA // opaque clusters, most frequent first
	counts      []int
	noise       float64 // RMS distance of edge pixels from their cluster
	transparent int
	total       int
}

// sampleBorder clusters the pixels of a ring around the image (1% of the
// shorter side thick) on a 16-level-per-channel grid. A background is rarely
// one exact colour, so each cluster is the mean of its cell, and up to six
// cells holding at least 3% of the ring are kept.
func sampleBorder(img *image.NRGBA) borderSample {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	t := max(1, min(w, h)/100)
	type cell struct {
		n          int
		r, g, b, a int
	}
	cells := make([]cell, 4096)
	var s borderSample
	visit := func(x, y int) {
		p := img.Pix[y*img.Stride+x*4:]
		s.total++
		if p[3] < 128 {
			s.transparent++
			return
		}
		k := int(p[0]>>4)<<8 | int(p[1]>>4)<<4 | int(p[2]>>4)
		c := &cells[k]
		c.n++
		c.r += int(p[0])
		c.g += int(p[1])
		c.b += int(p[2])
		c.a += int(p[3])
	}
	for y := 0; y < h; y++ {
		if y < t || y >= h-t {
			for x := 0; x < w; x++ {
				visit(x, y)
			}
			continue
		}
		for x := 0; x < min(t, w); x++ {
			visit(x, y)
			if w-1-x >= t {
				visit(w-1-x, y)
			}
		}
	}
	opaque := s.total - s.transparent
	if opaque == 0 {
		return s
	}
	order := make([]int, 0, 64)
	for k, c := range cells {
		if c.n > 0 {
			order = append(order, k)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cells[b].n - cells[a].n })
	for i, k := range order {
		c := cells[k]
		if i >= 6 || (i > 0 && c.n*100 < opaque*3) {
			break
		}
		s.colors = append(s.colors, color.NRGBA{uint8(c.r / c.n), uint8(c.g / c.n), uint8(c.b / c.n), uint8(c.a / c.n)})
		s.counts = append(s.counts, c.n)
	}
	// Noise: how far edge pixels sit from the nearest kept colour.
	var sum float64
	var n int
	for _, c := range cells {
		if c.n == 0 {
			continue
		}
		mean := [3]float64{float64(c.r) / float64(c.n), float64(c.g) / float64(c.n), float64(c.b) / float64(c.n)}
		d := nearestDistance(mean[0], mean[1], mean[2], s.colors)
		sum += d * d * float64(c.n)
		n += c.n
	}
	s.noise = math.Sqrt(sum / float64(n))
	return s
}

func nearestDistance(r, g, b float64, colors []color.NRGBA) float64 {
	best := math.Inf(1)
	for _, c := range colors {
		dr, dg, db := r-float64(c.R), g-float64(c.G), b-float64(c.B)
		best = math.Min(best, dr*dr+dg*dg+db*db)
	}
	return math.Sqrt(best)
}

// predominantBorderColor approximates Cloudinary's b_auto: the most common
// colour along the edges, or transparent when most of the edge is.
func predominantBorderColor(img *image.NRGBA) color.NRGBA {
	s := sampleBorder(img)
	if len(s.colors) == 0 || s.transparent > s.counts[0] {
		return color.NRGBA{}
	}
	c := s.colors[0]
	c.A = 255
	return c
}

// removeBackground is the local stand-in for e_background_removal (see the
// package comment for its limits). Pixels connected to the border through
// colours close to the border's dominant colours become transparent; the
// rest, including enclosed regions of a similar colour, stay opaque; the
// mask's edge is feathered so the cut-out does not look jagged.
func removeBackground(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	s := sampleBorder(img)
	out := &image.NRGBA{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect}
	copy(out.Pix, img.Pix)
	if len(s.colors) == 0 {
		return out // the edge is already transparent: nothing to learn from
	}
	// Tolerance grows with the backdrop's noise, so a grainy studio sweep
	// goes as cleanly as a flat one; the bounds keep subjects from being
	// eaten on noisy backgrounds (RGB distance, 0..441).
	tol := math.Min(math.Max(2.5*s.noise+24, 24), 100)
	tol2 := tol * tol

	near := func(i int) bool {
		p := img.Pix[i*4:]
		if p[3] < 128 {
			return true
		}
		r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
		for _, c := range s.colors {
			dr, dg, db := r-float64(c.R), g-float64(c.G), b-float64(c.B)
			if dr*dr+dg*dg+db*db <= tol2 {
				return true
			}
		}
		return false
	}

	// Flood fill from the border over background-coloured pixels.
	mask := make([]uint8, w*h) // 255 = keep, 0 = background
	for i := range mask {
		mask[i] = 255
	}
	queue := make([]int32, 0, 2*(w+h))
	seed := func(i int) {
		if mask[i] == 255 && near(i) {
			mask[i] = 0
			queue = append(queue, int32(i))
		}
	}
	for x := 0; x < w; x++ {
		seed(x)
		seed((h-1)*w + x)
	}
	for y := 0; y < h; y++ {
		seed(y * w)
		seed(y*w + w - 1)
	}
	for len(queue) > 0 {
		i := int(queue[len(queue)-1])
		queue = queue[:len(queue)-1]
		x, y := i%w, i/w
		if x > 0 {
			seed(i - 1)
		}
		if x < w-1 {
			seed(i + 1)
		}
		if y > 0 {
			seed(i - w)
		}
		if y < h-1 {
			seed(i + w)
		}
	}

	feather := max(1, min(w, h)/300)
	mask = blurMask(mask, w, h, feather)
	for i, m := range mask {
		a := &out.Pix[i*4+3]
		*a = uint8(uint32(*a) * uint32(m) / 255)
	}
	return out
}

// blurMask softens a one-channel mask with two box passes of radius r.
func blurMask(mask []uint8, w, h, r int) []uint8 {
	tmp := make([]uint8, len(mask))
	div := 2*r + 1
	for pass := 0; pass < 2; pass++ {
		for y := 0; y < h; y++ {
			row, out := mask[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
			s := 0
			for i := -r; i <= r; i++ {
				s += int(row[clampInt(i, 0, w-1)])
			}
			for x := 0; x < w; x++ {
				out[x] = uint8((s + div/2) / div)
				s += int(row[min(x+r+1, w-1)]) - int(row[max(x-r, 0)])
			}
		}
		for x := 0; x < w; x++ {
			s := 0
			for i := -r; i <= r; i++ {
				s += int(tmp[clampInt(i, 0, h-1)*w+x])
			}
			for y := 0; y < h; y++ {
				mask[y*w+x] = uint8((s + div/2) / div)
				s += int(tmp[min(y+r+1, h-1)*w+x]) - int(tmp[max(y-r, 0)*w+x])
			}
		}
	}
	return mask
}
