package transform

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// gaussianBlur blurs img with a Gaussian of the given sigma in pixels.
// imaging.Blur convolves with the exact kernel, whose cost grows with sigma
// (e_blur:2000 would take minutes on a photo); above a few pixels three
// successive box blurs approximate the Gaussian to within a few percent at
// a cost independent of sigma.
func gaussianBlur(img *image.NRGBA, sigma float64) *image.NRGBA {
	if sigma <= 0 {
		return img
	}
	if sigma <= 3 {
		return imaging.Blur(img, sigma)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	opaque := img.Opaque()
	a := make([]uint8, len(img.Pix))
	copy(a, img.Pix)
	if !opaque {
		premultiply(a) // or transparent pixels' colours would bleed into their neighbours
	}
	b := make([]uint8, len(a))
	for _, size := range boxesForGauss(sigma, 3) {
		r := (size - 1) / 2
		boxBlurH(b, a, w, h, r)
		boxBlurV(a, b, w, h, r)
	}
	if !opaque {
		unpremultiply(a)
	}
	return &image.NRGBA{Pix: a, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
}

// boxesForGauss returns n odd box widths whose successive application
// approximates a Gaussian of sigma (Wells, "Efficient synthesis of Gaussian
// filters by cascaded uniform filters", 1986; the integer recipe as given by
// Ivan Kutskir).
func boxesForGauss(sigma float64, n int) []int {
	wIdeal := math.Sqrt(12*sigma*sigma/float64(n) + 1)
	wl := int(math.Floor(wIdeal))
	if wl%2 == 0 {
		wl--
	}
	wu := wl + 2
	mIdeal := (12*sigma*sigma - float64(n*wl*wl) - float64(4*n*wl) - float64(3*n)) / float64(-4*wl-4)
	m := int(math.Round(mIdeal))
	sizes := make([]int, n)
	for i := range sizes {
		if i < m {
			sizes[i] = wl
		} else {
			sizes[i] = wu
		}
	}
	return sizes
}

// boxBlurH averages each pixel with r neighbours either side along its row,
// repeating the edge pixel beyond the border, with a running sum.
func boxBlurH(dst, src []uint8, w, h, r int) {
	div := 2*r + 1
	stride := 4 * w
	for y := 0; y < h; y++ {
		row := src[y*stride : (y+1)*stride]
		out := dst[y*stride : (y+1)*stride]
		var s0, s1, s2, s3 int
		for i := -r; i <= r; i++ {
			j := clampInt(i, 0, w-1) * 4
			s0 += int(row[j])
			s1 += int(row[j+1])
			s2 += int(row[j+2])
			s3 += int(row[j+3])
		}
		for x := 0; x < w; x++ {
			o := x * 4
			out[o] = uint8((s0 + div/2) / div)
			out[o+1] = uint8((s1 + div/2) / div)
			out[o+2] = uint8((s2 + div/2) / div)
			out[o+3] = uint8((s3 + div/2) / div)
			add := min(x+r+1, w-1) * 4
			sub := max(x-r, 0) * 4
			s0 += int(row[add]) - int(row[sub])
			s1 += int(row[add+1]) - int(row[sub+1])
			s2 += int(row[add+2]) - int(row[sub+2])
			s3 += int(row[add+3]) - int(row[sub+3])
		}
	}
}

// boxBlurV is boxBlurH down the columns, walking rows in memory order with
// one running sum per column so it stays cache friendly.
func boxBlurV(dst, src []uint8, w, h, r int) {
	div := 2*r + 1
	stride := 4 * w
	sums := make([]int, stride)
	for i := -r; i <= r; i++ {
		row := src[clampInt(i, 0, h-1)*stride:]
		for j := range sums {
			sums[j] += int(row[j])
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*stride : (y+1)*stride]
		for j, s := range sums {
			out[j] = uint8((s + div/2) / div)
		}
		add := src[min(y+r+1, h-1)*stride:]
		sub := src[max(y-r, 0)*stride:]
		for j := range sums {
			sums[j] += int(add[j]) - int(sub[j])
		}
	}
}

func premultiply(px []uint8) {
	for i := 0; i < len(px); i += 4 {
		a := uint32(px[i+3])
		px[i] = uint8((uint32(px[i])*a + 127) / 255)
		px[i+1] = uint8((uint32(px[i+1])*a + 127) / 255)
		px[i+2] = uint8((uint32(px[i+2])*a + 127) / 255)
	}
}

func unpremultiply(px []uint8) {
	for i := 0; i < len(px); i += 4 {
		a := uint32(px[i+3])
		if a == 0 || a == 255 {
			continue
		}
		px[i] = uint8(min(255, (uint32(px[i])*255+a/2)/a))
		px[i+1] = uint8(min(255, (uint32(px[i+1])*255+a/2)/a))
		px[i+2] = uint8(min(255, (uint32(px[i+2])*255+a/2)/a))
	}
}
