package transform

import (
	"context"
	"errors"
	"image/color"
	"testing"
)

// FuzzRender feeds every chain Parse accepts through Render on small images
// of odd sizes (down to 1×1): rendering must never panic, and whatever it
// refuses must be refused with an *Error.
func FuzzRender(f *testing.F) {
	for _, seed := range []struct {
		chain string
		w, h  uint8
	}{
		{"c_fill,g_auto,w_40,h_30/f_auto,q_auto", 63, 47},
		{"c_fill,g_auto,w_400,h_3", 0, 0},
		{"c_crop,g_auto,w_1,h_1", 1, 0},
		{"c_thumb,g_faces,w_5,h_50", 2, 9},
		{"c_pad,b_auto,w_9,h_2,g_south_east", 0, 12},
		{"c_lpad,w_3,h_300/c_mpad,w_4", 5, 5},
		{"c_lfill,w_100,h_1,g_west", 30, 3},
		{"ar_1000,c_crop/ar_0.001,c_pad", 7, 3},
		{"e_background_removal/e_blur:2000/e_pixelate:200", 0, 0},
		{"e_improve:indoor/e_vignette:100/e_sharpen:2000", 1, 1},
		{"r_max,bo_3px_solid_red/a_33/o_10", 0, 1},
		{"r_10000:0:5/a_hflip.vflip,b_rgb:ff000080", 4, 4},
		{"dpr_0.1,w_1/dpr_5.0", 9, 9},
		{"c_crop,w_0.01,h_0.01,x_-0.5,y_100.0", 40, 40},
		{"f_gif/f_bmp", 3, 3},
	} {
		f.Add(seed.chain, seed.w, seed.h)
	}
	f.Fuzz(func(t *testing.T, chain string, w, h uint8) {
		c, err := Parse(chain)
		if err != nil {
			return
		}
		saved := limits
		limits.side, limits.pixels = 600, 120_000
		defer func() { limits = saved }()

		src := photo(int(w%64)+1, int(h%48)+1)
		src.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 0}) // some alpha to carry along
		for _, accept := range []string{"", "image/webp"} {
			body, ct, err := Render(context.Background(), src, "jpg", c, "", accept)
			if err != nil {
				var te *Error
				if !errors.As(err, &te) {
					t.Fatalf("Render(%q) on %dx%d: %v is not a *transform.Error", chain, src.Rect.Dx(), src.Rect.Dy(), err)
				}
				return
			}
			if len(body) == 0 || ct == "" {
				t.Fatalf("Render(%q) gave %d bytes of %q", chain, len(body), ct)
			}
		}
	})
}
