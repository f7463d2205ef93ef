package transform

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

func TestGrayscaleMakesEveryPixelNeutral(t *testing.T) {
	img, _, _ := renderChain(t, photo(120, 90), "png", "e_grayscale", "", "")
	distinct := map[uint8]bool{}
	for y := 0; y < 90; y++ {
		for x := 0; x < 120; x++ {
			c := px(img, x, y)
			if c.R != c.G || c.G != c.B {
				t.Fatalf("pixel (%d,%d) = %v, want R = G = B", x, y, c)
			}
			distinct[c.R] = true
		}
	}
	if len(distinct) < 20 {
		t.Errorf("only %d grey levels: the picture's detail was lost, not just its colour", len(distinct))
	}
}

func TestSepiaIsWarmOnGrey(t *testing.T) {
	grey := solid(40, 40, color.NRGBA{128, 128, 128, 255})
	img, _, _ := renderChain(t, grey, "png", "e_sepia", "", "")
	c := px(img, 20, 20)
	if !(c.R > c.G && c.G > c.B) {
		t.Errorf("sepia of grey = %v, want R > G > B", c)
	}
	weak, _, _ := renderChain(t, grey, "png", "e_sepia:20", "", "")
	w := px(weak, 20, 20)
	if !(w.R > w.B) || int(w.R)-int(w.B) >= int(c.R)-int(c.B) {
		t.Errorf("e_sepia:20 = %v, want warm but less so than the default %v", w, c)
	}
}

func TestVignetteDarkensCornersButNotTheCentre(t *testing.T) {
	src := solid(400, 300, color.NRGBA{180, 180, 180, 255})
	img, _, _ := renderChain(t, src, "png", "e_vignette", "", "")
	centre := meanLum(img, image.Rect(190, 140, 210, 160))
	corner := meanLum(img, image.Rect(0, 0, 10, 10))
	if math.Abs(centre-180) > 1 {
		t.Errorf("centre luminance %.1f, want unchanged 180", centre)
	}
	if corner > 0.7*centre {
		t.Errorf("corner luminance %.1f, want well below the centre's %.1f", corner, centre)
	}
	strong, _, _ := renderChain(t, src, "png", "e_vignette:90", "", "")
	if got := meanLum(strong, image.Rect(0, 0, 10, 10)); got >= corner {
		t.Errorf("e_vignette:90 corner %.1f, want darker than the default's %.1f", got, corner)
	}
}

func TestSharpenRaisesEdgeContrastAndBlurLowersIt(t *testing.T) {
	src := softEdge(200, 50)
	base := edgeContrast(src)
	sharp, _, _ := renderChain(t, src, "png", "e_sharpen", "", "")
	blurred, _, _ := renderChain(t, src, "png", "e_blur", "", "")
	veryBlurred, _, _ := renderChain(t, src, "png", "e_blur:1000", "", "")
	if got := edgeContrast(sharp); got <= base*1.2 {
		t.Errorf("sharpened edge step %.1f, want clearly above the original %.1f", got, base)
	}
	b1, b2 := edgeContrast(blurred), edgeContrast(veryBlurred)
	if b1 >= base*0.8 {
		t.Errorf("blurred edge step %.1f, want clearly below the original %.1f", b1, base)
	}
	if b2 >= b1 {
		t.Errorf("e_blur:1000 edge step %.1f, want below e_blur's %.1f", b2, b1)
	}
}

func TestBlurKeepsTransparentColoursFromBleeding(t *testing.T) {
	// Half opaque red, half fully transparent *green*: premultiplied
	// blurring must not turn the red edge green.
	src := solid(100, 20, color.NRGBA{255, 0, 0, 255})
	for y := 0; y < 20; y++ {
		for x := 50; x < 100; x++ {
			src.SetNRGBA(x, y, color.NRGBA{0, 255, 0, 0})
		}
	}
	img, _, _ := renderChain(t, src, "png", "e_blur:400", "", "")
	for x := 40; x < 60; x++ {
		if c := px(img, x, 10); c.A > 20 && c.G > c.R/4 {
			t.Errorf("pixel %d = %v: invisible green bled into the blur", x, c)
		}
	}
}

func TestBrightnessContrastSaturationAndNegate(t *testing.T) {
	src := photo(120, 90)
	m := meanLum(src, src.Rect)
	s := stdLum(src)
	tests := []struct {
		chain string
		ok    func(img *image.NRGBA) bool
		want  string
	}{
		{"e_brightness:50", func(img *image.NRGBA) bool { return meanLum(img, img.Rect) > m+20 }, "brighter"},
		{"e_brightness", func(img *image.NRGBA) bool { return meanLum(img, img.Rect) > m+30 }, "brighter at the default level"},
		{"e_brightness:-50", func(img *image.NRGBA) bool { return meanLum(img, img.Rect) < m-20 }, "darker"},
		{"e_contrast:60", func(img *image.NRGBA) bool { return stdLum(img) > s*1.2 }, "more spread"},
		{"e_contrast:-60", func(img *image.NRGBA) bool { return stdLum(img) < s*0.8 }, "less spread"},
		{"e_saturation:-100", func(img *image.NRGBA) bool {
			c := px(img, 10, 10)
			return absDiff(c.R, c.G) <= 1 && absDiff(c.G, c.B) <= 1
		}, "grey"},
		{"e_saturation:80", func(img *image.NRGBA) bool {
			c, o := px(img, 10, 10), px(src, 10, 10)
			return int(c.B)-int(c.R) > int(o.B)-int(o.R)
		}, "more colourful"},
		{"e_negate", func(img *image.NRGBA) bool {
			c, o := px(img, 10, 10), px(src, 10, 10)
			return c.R == 255-o.R && c.G == 255-o.G && c.B == 255-o.B
		}, "inverted"},
	}
	for _, tt := range tests {
		img, _, _ := renderChain(t, src, "png", tt.chain, "", "")
		if !tt.ok(img) {
			t.Errorf("%s: result is not %s", tt.chain, tt.want)
		}
	}
}

func TestPixelateMakesUniformBlocks(t *testing.T) {
	img, _, _ := renderChain(t, photo(100, 100), "png", "e_pixelate:10", "", "")
	for by := 0; by < 100; by += 10 {
		for bx := 0; bx < 100; bx += 10 {
			want := px(img, bx, by)
			for y := by; y < by+10; y++ {
				for x := bx; x < bx+10; x++ {
					if px(img, x, y) != want {
						t.Fatalf("block (%d,%d) is not uniform at (%d,%d)", bx, by, x, y)
					}
				}
			}
		}
	}
	if px(img, 5, 5) == px(img, 95, 95) {
		t.Error("opposite blocks equal: the picture was flattened, not pixelated")
	}
}

func TestImproveStretchesALowContrastImage(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 200, 50))
	for y := 0; y < 50; y++ {
		for x := 0; x < 200; x++ {
			v := uint8(100 + x/4) // 100..149: a dull, foggy picture
			src.SetNRGBA(x, y, color.NRGBA{v, v, v + 5, 255})
		}
	}
	img, _, _ := renderChain(t, src, "png", "e_improve", "", "")
	lo, hi := lum(px(img, 0, 25)), lum(px(img, 199, 25))
	// The blue channel's wider range sets the stretch (outdoor keeps the
	// colour balance), so luminance falls a little short of 255.
	if lo > 15 || hi < 225 {
		t.Errorf("improved range %.0f..%.0f, want from near 0 to near 255", lo, hi)
	}
	indoor, _, _ := renderChain(t, src, "png", "e_improve:indoor", "", "")
	if c := px(indoor, 199, 25); c.R < 250 || c.G < 250 || c.B < 250 {
		t.Errorf("indoor brightest pixel %v, want every channel stretched to white", c)
	}
	half, _, _ := renderChain(t, src, "png", "e_improve:50", "", "")
	if l := lum(px(half, 0, 25)); l < lo+20 || l > 100 {
		t.Errorf("e_improve:50 darkest %.0f, want between the original 100 and the full %.0f", l, lo)
	}
}

// cutoutScene is a noisy near-white backdrop with a dark red disc whose
// middle holds a near-white spot (an enclosed highlight, not background).
func cutoutScene() *image.NRGBA {
	img := photoNoise(300, 200, color.NRGBA{242, 242, 238, 255}, 4)
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			d := math.Hypot(float64(x-180), float64(y-100))
			switch {
			case d < 12:
				img.SetNRGBA(x, y, color.NRGBA{240, 240, 236, 255})
			case d < 60:
				img.SetNRGBA(x, y, color.NRGBA{150, 20, 30, 255})
			}
		}
	}
	return img
}

func photoNoise(w, h int, c color.NRGBA, amp int) *image.NRGBA {
	img := solid(w, h, c)
	seed := uint32(7)
	for i := 0; i < len(img.Pix); i += 4 {
		for k := 0; k < 3; k++ {
			seed = seed*1664525 + 1013904223
			img.Pix[i+k] = uint8(clampInt(int(img.Pix[i+k])+int(seed>>24)%(2*amp+1)-amp, 0, 255))
		}
	}
	return img
}

func TestBackgroundRemovalClearsTheBackdropAndKeepsTheObject(t *testing.T) {
	img, ct, _ := renderChain(t, cutoutScene(), "jpg", "e_background_removal", "", "")
	if ct != "image/png" {
		t.Errorf("content type %q, want image/png to keep the alpha", ct)
	}
	for _, p := range []image.Point{{0, 0}, {299, 0}, {0, 199}, {299, 199}, {150, 0}, {20, 100}, {60, 20}} {
		if a := px(img, p.X, p.Y).A; a != 0 {
			t.Errorf("background pixel %v alpha %d, want 0", p, a)
		}
	}
	for _, p := range []image.Point{{180, 100}, {150, 100}, {180, 60}, {220, 130}} {
		if a := px(img, p.X, p.Y).A; a != 255 {
			t.Errorf("object pixel %v alpha %d, want 255 (the highlight at the centre too)", p, a)
		}
	}
	// Most of the area outside the disc is gone.
	var clear int
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			if math.Hypot(float64(x-180), float64(y-100)) > 64 && px(img, x, y).A == 0 {
				clear++
			}
		}
	}
	outside := 300*200 - int(math.Round(math.Pi*64*64))
	if float64(clear) < 0.97*float64(outside) {
		t.Errorf("%d of %d background pixels cleared, want nearly all", clear, outside)
	}
}

// A crop leaves a sub-image whose pixels do not start at 0,0; sharpening it
// used to index past the blurred copy and panic.
func TestSharpenAfterACrop(t *testing.T) {
	src := photo(300, 200)
	for _, chain := range []string{"c_fill,ar_16:9,g_auto/e_sharpen:60", "c_crop,x_37,y_21,w_101,h_77/e_sharpen", "c_fill,g_auto,w_120,h_63/e_sharpen:2000"} {
		out, _, _ := renderChain(t, src, "png", chain, "png", "")
		if out.Rect.Dx() == 0 || stdLum(out) == 0 {
			t.Errorf("%s rendered an empty image", chain)
		}
	}
}

func TestGammaLiftsOrDarkensMidTones(t *testing.T) {
	src := solid(20, 20, color.NRGBA{128, 128, 128, 255})
	lifted, _, _ := renderChain(t, src, "png", "e_gamma:100", "png", "")
	darker, _, _ := renderChain(t, src, "png", "e_gamma:-50", "png", "")
	same, _, _ := renderChain(t, src, "png", "e_gamma", "png", "")
	if l := lum(px(lifted, 5, 5)); l <= 140 {
		t.Errorf("e_gamma:100 mid-grey luminance %.0f, want above 140", l)
	}
	if l := lum(px(darker, 5, 5)); l >= 110 {
		t.Errorf("e_gamma:-50 mid-grey luminance %.0f, want below 110", l)
	}
	if px(same, 5, 5) != px(src, 5, 5) {
		t.Errorf("e_gamma (level 0) changed a pixel: %v", px(same, 5, 5))
	}
	if _, err := Parse("e_gamma:200"); err == nil || !strings.Contains(err.Error(), "-50 to 150") {
		t.Errorf("e_gamma:200 error %v", err)
	}
}
