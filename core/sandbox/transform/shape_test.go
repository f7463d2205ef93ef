package transform

import (
	"image/color"
	"math"
	"testing"
)

func TestRadiusMaxCutsACircleWithTransparentCorners(t *testing.T) {
	src := solid(100, 100, color.NRGBA{10, 120, 200, 255})
	img, ct, _ := renderChain(t, src, "jpg", "r_max", "", "")
	if ct != "image/png" {
		t.Errorf("content type %s, want image/png for the alpha", ct)
	}
	for _, p := range [][2]int{{0, 0}, {99, 0}, {0, 99}, {99, 99}, {10, 10}} {
		if a := px(img, p[0], p[1]).A; a != 0 {
			t.Errorf("corner %v alpha %d, want 0", p, a)
		}
	}
	for _, p := range [][2]int{{50, 50}, {50, 2}, {2, 50}, {97, 50}, {50, 97}} {
		if a := px(img, p[0], p[1]).A; a != 255 {
			t.Errorf("inside %v alpha %d, want 255", p, a)
		}
	}
	// Anti-aliased: some pixels on the rim are partly covered.
	partial := 0
	for x := 0; x < 100; x++ {
		if a := px(img, x, 15).A; a > 0 && a < 255 {
			partial++
		}
	}
	if partial == 0 {
		t.Error("no partly transparent pixels along the rim: the edge is jagged")
	}
	// A non-square image becomes an ellipse.
	wide, _, _ := renderChain(t, solid(200, 100, color.NRGBA{1, 2, 3, 255}), "png", "r_max", "", "")
	if wide.NRGBAAt(5, 50).A != 255 || wide.NRGBAAt(100, 2).A != 255 || wide.NRGBAAt(30, 10).A != 0 {
		t.Error("r_max on 200×100 is not an ellipse touching all four sides")
	}
}

func TestRadiusRoundsEachCorner(t *testing.T) {
	src := solid(100, 80, color.NRGBA{200, 0, 0, 255})
	img, _, _ := renderChain(t, src, "png", "r_20", "", "")
	if a := px(img, 1, 1).A; a != 0 {
		t.Errorf("(1,1) alpha %d, want cut", a)
	}
	if a := px(img, 10, 10).A; a != 255 {
		t.Errorf("(10,10) alpha %d, want inside the 20 px curve", a)
	}
	if a := px(img, 50, 0).A; a != 255 {
		t.Errorf("top edge middle alpha %d, want untouched", a)
	}
	per, _, _ := renderChain(t, src, "png", "r_20:0", "", "")
	if px(per, 1, 1).A != 0 || px(per, 98, 1).A != 255 || px(per, 98, 78).A != 0 || px(per, 1, 78).A != 255 {
		t.Error("r_20:0 should round top-left and bottom-right only")
	}
}

func TestBorderDrawsARingAroundTheImage(t *testing.T) {
	src := solid(50, 40, color.NRGBA{0, 0, 255, 255})
	img, _, _ := renderChain(t, src, "png", "bo_4px_solid_red", "", "")
	if img.Rect.Dx() != 58 || img.Rect.Dy() != 48 {
		t.Fatalf("size %v, want 58×48", img.Rect.Size())
	}
	red, blue := color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255}
	for _, p := range [][2]int{{0, 0}, {3, 20}, {57, 47}, {30, 2}} {
		if c := px(img, p[0], p[1]); c != red {
			t.Errorf("border pixel %v = %v, want red", p, c)
		}
	}
	for _, p := range [][2]int{{4, 4}, {30, 20}, {53, 43}} {
		if c := px(img, p[0], p[1]); c != blue {
			t.Errorf("image pixel %v = %v, want blue", p, c)
		}
	}
	// With r_max the border is a ring and the corners stay transparent.
	ring, _, _ := renderChain(t, solid(60, 60, color.NRGBA{0, 0, 255, 255}), "png", "r_max,bo_5px_solid_red", "", "")
	if c := px(ring, 35, 1); c.R < 200 || c.A < 200 {
		t.Errorf("top of the ring = %v, want red", c)
	}
	if c := px(ring, 1, 1); c.A != 0 {
		t.Errorf("corner outside the ring = %v, want transparent", c)
	}
	if c := px(ring, 35, 35); c != (color.NRGBA{0, 0, 255, 255}) {
		t.Errorf("centre = %v, want the image", c)
	}
}

func TestRightAngleRotationsAndFlipsMovePixelsExactly(t *testing.T) {
	src := coordinates(40, 30)
	tests := []struct {
		chain  string
		w, h   int
		x, y   int // where the source's (0,0) ends up
		x2, y2 int // where the source's (39,0) ends up
	}{
		{"a_90", 30, 40, 29, 0, 29, 39}, // clockwise
		{"a_-90", 30, 40, 0, 39, 0, 0},
		{"a_180", 40, 30, 39, 29, 0, 29},
		{"a_hflip", 40, 30, 39, 0, 0, 0},
		{"a_vflip", 40, 30, 0, 29, 39, 29},
		{"a_hflip.vflip", 40, 30, 39, 29, 0, 29},
		{"a_360", 40, 30, 0, 0, 39, 0},
		{"a_ignore", 40, 30, 0, 0, 39, 0},
	}
	for _, tt := range tests {
		img, _, _ := renderChain(t, src, "png", tt.chain, "", "")
		if img.Rect.Dx() != tt.w || img.Rect.Dy() != tt.h {
			t.Errorf("%s: size %v, want %dx%d", tt.chain, img.Rect.Size(), tt.w, tt.h)
			continue
		}
		if c := px(img, tt.x, tt.y); c != (color.NRGBA{0, 0, 100, 255}) {
			t.Errorf("%s: (%d,%d) = %v, want the source's top-left", tt.chain, tt.x, tt.y, c)
		}
		if c := px(img, tt.x2, tt.y2); c != (color.NRGBA{39, 0, 100, 255}) {
			t.Errorf("%s: (%d,%d) = %v, want the source's top-right", tt.chain, tt.x2, tt.y2, c)
		}
	}
}

func TestArbitraryAngleExpandsTheCanvasWithTransparentCorners(t *testing.T) {
	src := solid(200, 100, color.NRGBA{0, 160, 0, 255})
	img, ct, _ := renderChain(t, src, "jpg", "a_45", "", "")
	if ct != "image/png" {
		t.Errorf("content type %s, want image/png", ct)
	}
	want := (200 + 100) / math.Sqrt2
	if d := math.Abs(float64(img.Rect.Dx()) - want); d > 3 {
		t.Errorf("width %d, want about %.0f", img.Rect.Dx(), want)
	}
	if d := math.Abs(float64(img.Rect.Dy()) - want); d > 3 {
		t.Errorf("height %d, want about %.0f", img.Rect.Dy(), want)
	}
	if a := px(img, 0, 0).A; a != 0 {
		t.Errorf("corner alpha %d, want 0", a)
	}
	if c := px(img, img.Rect.Dx()/2, img.Rect.Dy()/2); c != (color.NRGBA{0, 160, 0, 255}) {
		t.Errorf("centre %v, want the image", c)
	}
	// Clockwise on screen, the top-left corner swings up to become the
	// highest point, left of centre: (-100,-50) from the centre goes to
	// about (-35,-106). Counter-clockwise would put it right of centre.
	cw := px(img, img.Rect.Dx()/2-30, img.Rect.Dy()/2-90)
	ccw := px(img, img.Rect.Dx()/2+30, img.Rect.Dy()/2-90)
	if cw.A != 255 || ccw.A != 0 {
		t.Errorf("a_45 turned the wrong way: left-of-top %v, right-of-top %v", cw, ccw)
	}
	white, _, _ := renderChain(t, src, "jpg", "a_45,b_white", "", "")
	if c := px(white, 0, 0); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("a_45,b_white corner %v, want white", c)
	}
}

func TestOpacityScalesAlpha(t *testing.T) {
	img, _, _ := renderChain(t, solid(10, 10, color.NRGBA{9, 9, 9, 255}), "png", "o_50", "", "")
	if a := px(img, 5, 5).A; a < 126 || a > 129 {
		t.Errorf("alpha %d, want about 128", a)
	}
	img, _, _ = renderChain(t, solid(10, 10, color.NRGBA{9, 9, 9, 255}), "png", "o_0", "", "")
	if a := px(img, 5, 5).A; a != 0 {
		t.Errorf("o_0 alpha %d, want 0", a)
	}
}
