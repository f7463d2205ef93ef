package transform

import (
	"image"
	"math"
	"slices"

	"github.com/disintegration/imaging"
)

// saliencyGrid is the longest side of the map g_auto works on. A crop
// window is placed to within one grid cell (about 1% of the image), and
// the map costs a few milliseconds even for very large photos.
const saliencyGrid = 160

// saliencyMap estimates how much each part of the image draws the eye, on
// a grid of at most saliencyGrid cells per side. It adds two normalised
// cues: gradient energy (edges and texture), and centre-surround colour
// contrast, the distance between each cell's colour and that of its blurred
// surroundings, which lights up a flat but distinct object and stays dark
// on smooth gradients such as skies and studio sweeps. Transparent cells
// count for nothing.
func saliencyMap(img *image.NRGBA) (sal []float64, gw, gh int) {
	small := img
	if img.Rect.Dx() > saliencyGrid || img.Rect.Dy() > saliencyGrid {
		small = imaging.Fit(img, saliencyGrid, saliencyGrid, imaging.Box)
	}
	centre := imaging.Blur(small, 1) // drop noise and JPEG blocking before measuring
	gw, gh = centre.Rect.Dx(), centre.Rect.Dy()
	surround := gaussianBlur(centre, math.Max(float64(max(gw, gh))/10, 2))
	n := gw * gh

	// A cheap opponent colour space: luminance plus red-green and
	// yellow-blue axes, close enough to Lab for ranking distances.
	opponent := func(p []uint8) (l, rg, yb float64) {
		r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
		return 0.299*r + 0.587*g + 0.114*b, r - g, (r+g)/2 - b
	}
	lum := make([]float64, n)
	contrast := make([]float64, n)
	alpha := make([]float64, n)
	for i := 0; i < n; i++ {
		l, rg, yb := opponent(centre.Pix[i*4 : i*4+4])
		sl, srg, syb := opponent(surround.Pix[i*4 : i*4+4])
		alpha[i] = float64(centre.Pix[i*4+3]) / 255
		lum[i] = l
		contrast[i] = math.Sqrt((l-sl)*(l-sl)+(rg-srg)*(rg-srg)+(yb-syb)*(yb-syb)) * alpha[i]
	}

	gradient := make([]float64, n)
	at := func(x, y int) float64 {
		return lum[clampInt(y, 0, gh-1)*gw+clampInt(x, 0, gw-1)]
	}
	for y := 0; y < gh; y++ {
		for x := 0; x < gw; x++ {
			// Sobel
			gx := at(x+1, y-1) + 2*at(x+1, y) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x-1, y) - at(x-1, y+1)
			gy := at(x-1, y+1) + 2*at(x, y+1) + at(x+1, y+1) - at(x-1, y-1) - 2*at(x, y-1) - at(x+1, y-1)
			gradient[y*gw+x] = math.Sqrt(gx*gx+gy*gy) * alpha[y*gw+x]
		}
	}
	maxC, maxG := slices.Max(contrast), slices.Max(gradient)
	sal = make([]float64, n)
	for i := range sal {
		if maxC > 0 {
			sal[i] += contrast[i] / maxC
		}
		if maxG > 0 {
			sal[i] += gradient[i] / maxG
		}
	}
	return sal, gw, gh
}

// salientWindow returns the top-left corner of the rw×rh window of img that
// holds the most saliency. Among equally good windows (a flat background
// around the subject) it keeps the one nearest the centre.
func salientWindow(img *image.NRGBA, rw, rh int) image.Point {
	sw, sh := img.Rect.Dx(), img.Rect.Dy()
	if rw >= sw && rh >= sh {
		return image.Point{}
	}
	sal, gw, gh := saliencyMap(img)
	sx, sy := float64(sw)/float64(gw), float64(sh)/float64(gh)
	ww := clampInt(int(math.Round(float64(rw)/sx)), 1, gw)
	wh := clampInt(int(math.Round(float64(rh)/sy)), 1, gh)

	// Summed-area table: every window's total in constant time.
	stride := gw + 1
	sat := make([]float64, stride*(gh+1))
	for y := 0; y < gh; y++ {
		var row float64
		for x := 0; x < gw; x++ {
			row += sal[y*gw+x]
			sat[(y+1)*stride+x+1] = sat[y*stride+x+1] + row
		}
	}
	total := sat[gh*stride+gw]
	tolerance := 1e-6 * total
	cx, cy := float64(gw-ww)/2, float64(gh-wh)/2
	best, bestDist := -1.0, math.Inf(1)
	var bx, by int
	for y := 0; y+wh <= gh; y++ {
		for x := 0; x+ww <= gw; x++ {
			score := sat[(y+wh)*stride+x+ww] - sat[y*stride+x+ww] - sat[(y+wh)*stride+x] + sat[y*stride+x]
			dist := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
			if score > best+tolerance || (score >= best-tolerance && dist < bestDist) {
				best, bestDist, bx, by = score, dist, x, y
			}
		}
	}
	// Map the cell back to pixels; scale by the room left to move in, so a
	// window at the grid's far edge lands on the image's far edge.
	p := image.Pt((sw-rw)/2, (sh-rh)/2)
	if gw > ww {
		p.X = int(math.Round(float64(bx) / float64(gw-ww) * float64(sw-rw)))
	}
	if gh > wh {
		p.Y = int(math.Round(float64(by) / float64(gh-wh) * float64(sh-rh)))
	}
	return p
}
