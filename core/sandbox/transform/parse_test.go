package transform

import (
	"errors"
	"image/color"
	"reflect"
	"strings"
	"testing"
)

func TestParseReadsValidChains(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		check     func(t *testing.T, c Chain)
	}{
		{"", "", func(t *testing.T, c Chain) {
			if c != nil {
				t.Errorf("empty string parsed to %#v, want nil chain", c)
			}
		}},
		{"c_fill,g_auto,w_400,h_300/f_auto,q_auto", "c_fill,g_auto,h_300,w_400/f_auto,q_auto", func(t *testing.T, c Chain) {
			want := Chain{
				{Crop: CropFill, Gravity: GravityAuto, Width: Size{Pixels: 400}, Height: Size{Pixels: 300}},
				{Format: "auto", Quality: Quality{Auto: "good"}},
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %#v\nwant %#v", c, want)
			}
		}},
		{"w_0.5", "w_0.5", func(t *testing.T, c Chain) {
			if c[0].Width != (Size{Fraction: 0.5}) {
				t.Errorf("w_0.5 = %#v, want a relative half", c[0].Width)
			}
		}},
		{"w_1.0", "w_1.0", func(t *testing.T, c Chain) {
			if c[0].Width != (Size{Fraction: 1}) {
				t.Errorf("w_1.0 = %#v, want relative 1.0, not one pixel", c[0].Width)
			}
		}},
		{"h_1", "h_1", func(t *testing.T, c Chain) {
			if c[0].Height != (Size{Pixels: 1}) {
				t.Errorf("h_1 = %#v, want one pixel", c[0].Height)
			}
		}},
		{"ar_16:9,c_fill,w_800", "ar_16:9,c_fill,w_800", func(t *testing.T, c Chain) {
			if c[0].AspectRatio != (Ratio{16, 9}) {
				t.Errorf("ar = %#v", c[0].AspectRatio)
			}
		}},
		{"ar_1.50,c_pad", "ar_1.5,c_pad", nil},
		{"c_crop,x_-20,y_0.25,w_10,h_10", "c_crop,h_10,w_10,x_-20,y_0.25", func(t *testing.T, c Chain) {
			if c[0].X != (Offset{Set: true, Pixels: -20}) || c[0].Y != (Offset{Set: true, Fraction: 0.25, Relative: true}) {
				t.Errorf("x, y = %#v, %#v", c[0].X, c[0].Y)
			}
		}},
		{"x_0", "x_0", func(t *testing.T, c Chain) {
			if !c[0].X.Set {
				t.Error("x_0 lost: zero is a valid offset")
			}
		}},
		{"e_sepia", "e_sepia", func(t *testing.T, c Chain) {
			if c[0].Effect != (Effect{Name: "sepia", Level: 80}) {
				t.Errorf("e_sepia = %#v, want the default level 80", c[0].Effect)
			}
		}},
		{"e_sepia:80", "e_sepia", nil},
		{"e_sepia:60", "e_sepia:60", nil},
		{"e_brightness:-50", "e_brightness:-50", nil},
		{"e_vignette:0", "e_vignette:0", nil},
		{"e_improve", "e_improve", func(t *testing.T, c Chain) {
			if c[0].Effect != (Effect{Name: "improve", Level: 100, Mode: "outdoor"}) {
				t.Errorf("e_improve = %#v", c[0].Effect)
			}
		}},
		{"e_improve:indoor:50", "e_improve:indoor:50", nil},
		{"e_improve:outdoor", "e_improve", nil},
		{"e_improve:40", "e_improve:40", nil},
		{"e_pixelate", "e_pixelate", nil},
		{"e_blur:2000", "e_blur:2000", nil},
		{"e_background_removal", "e_background_removal", func(t *testing.T, c Chain) {
			if !c.NeedsBackgroundRemoval() {
				t.Error("NeedsBackgroundRemoval = false")
			}
		}},
		{"a_-90", "a_270", nil},
		{"a_450", "a_90", nil},
		{"a_hflip.vflip", "a_hflip.vflip", func(t *testing.T, c Chain) {
			want := []AngleOp{{Flip: "hflip"}, {Flip: "vflip"}}
			if !reflect.DeepEqual(c[0].Angle, want) {
				t.Errorf("angle = %#v", c[0].Angle)
			}
		}},
		{"r_max", "r_max", nil},
		{"r_20", "r_20", nil},
		{"r_20:0", "r_20:0:20:0", func(t *testing.T, c Chain) {
			if c[0].Radius.Corners != [4]int{20, 0, 20, 0} {
				t.Errorf("corners = %v", c[0].Radius.Corners)
			}
		}},
		{"r_1:2:3", "r_1:2:3:2", nil},
		{"b_white", "b_rgb:ffffff", nil},
		{"b_rgb:F00", "b_rgb:ff0000", nil},
		{"b_rgb:ff000080", "b_rgb:ff000080", func(t *testing.T, c Chain) {
			if c[0].Background.Color != (color.NRGBA{255, 0, 0, 128}) {
				t.Errorf("background = %#v", c[0].Background)
			}
		}},
		{"b_rgb:12345600", "b_transparent", nil},
		{"c_pad,b_auto,w_100,h_100", "b_auto,c_pad,h_100,w_100", nil},
		{"bo_4px_solid_black", "bo_4px_solid_rgb:000000", nil},
		{"o_0", "o_0", nil},
		{"f_jpeg", "f_jpg", nil},
		{"f_tif", "f_tiff", nil},
		{"q_auto:good", "q_auto", nil},
		{"q_auto:eco", "q_auto:eco", nil},
		{"q_35", "q_35", nil},
		{"dpr_2", "dpr_2.0", nil},
		{"dpr_auto", "dpr_auto", nil},
		{"fl_progressive.lossy.progressive", "fl_lossy.progressive", func(t *testing.T, c Chain) {
			if !c.HasFlag("lossy") || c.HasFlag("attachment") {
				t.Errorf("flags = %v", c[0].Flags)
			}
		}},
		{"fl_attachment:my-photo_1", "fl_attachment:my-photo_1", func(t *testing.T, c Chain) {
			if !c.HasFlag("attachment") {
				t.Error("HasFlag(attachment) = false")
			}
		}},
		{"fl_progressive:semi", "fl_progressive:semi", nil},
		{"a_vflip.ignore", "a_vflip.ignore", nil},
		{"e_grayscale/e_sepia/w_100/a_90", "e_grayscale/e_sepia/w_100/a_90", func(t *testing.T, c Chain) {
			if len(c) != 4 {
				t.Errorf("got %d steps, want 4", len(c))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := c.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			again, err := Parse(c.String())
			if err != nil || !reflect.DeepEqual(again, c) {
				t.Errorf("canonical form does not parse back to the same chain: %#v, %v", again, err)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestParseRejectsBadInputWithCloudinaryStyleMessages(t *testing.T) {
	tests := []struct {
		in   string
		want string // the message's start
	}{
		{"foo_bar", "Invalid transformation component - foo_bar"},
		{"w_100,foo", "Invalid transformation component - foo"},
		{"W_100", "Invalid transformation component - W_100"},
		{"w_abc", "Invalid width - abc"},
		{"w_0", "Invalid width - 0"},
		{"w_-5", "Invalid width - -5"},
		{"w_1e3", "Invalid width - 1e3"},
		{"w_NaN", "Invalid width - NaN"},
		{"w_", "Invalid width - "},
		{"w_0.0", "Invalid width - 0.0"},
		{"w_200000", "Invalid width - 200000"},
		{"h_12px", "Invalid height - 12px"},
		{"c_squash", "Invalid crop mode - squash"},
		{"g_middle", "Invalid gravity - middle"},
		{"e_sparkle", "Invalid effect - sparkle"},
		{"e_sepia:0", "Invalid effect - sepia:0"},
		{"e_sepia:101", "Invalid effect - sepia:101"},
		{"e_sepia:", "Invalid effect - sepia:"},
		{"e_grayscale:5", "Invalid effect - grayscale:5"},
		{"e_blur:2001", "Invalid effect - blur:2001"},
		{"e_brightness:-100", "Invalid effect - brightness:-100"},
		{"e_improve:indoor:50:1", "Invalid effect - improve:indoor:50:1"},
		{"e_improve:sunny", "Invalid effect - improve:sunny"},
		{"a_auto_right", "Invalid angle - auto_right"},
		{"a_12.5", "Invalid angle - 12.5"},
		{"a_hflip.90", "Invalid angle - hflip.90"},
		{"ar_16:0", "Invalid aspect ratio - 16:0"},
		{"ar_wide", "Invalid aspect ratio - wide"},
		{"r_-1", "Invalid radius - -1"},
		{"r_1:2:3:4:5", "Invalid radius - 1:2:3:4:5"},
		{"b_chartreuse-ish", "Invalid background - chartreuse-ish"},
		{"b_rgb:12345", "Invalid background - rgb:12345"},
		{"b_auto", "Invalid background - auto"},
		{"bo_4px_dashed_black", "Invalid border - 4px_dashed_black"},
		{"o_101", "Invalid opacity - 101"},
		{"f_avif", "Unsupported format - avif"},
		{"f_xyz", "Invalid format - xyz"},
		{"q_0", "Invalid quality - 0"},
		{"q_auto:ultra", "Invalid quality - auto:ultra"},
		{"q_80:420", "Invalid quality - 80:420"},
		{"dpr_9.0", "Invalid dpr - 9.0"},
		{"fl_sparkle", "Invalid flag - sparkle"},
		{"fl_progressive:fast", "Invalid flag - progressive:fast"},
		{"fl_attachment:../../etc", "Invalid flag - attachment:"},
		{"t_name", "Transformation t_name not found"},
		{"w_100,w_200", "Invalid transformation component - w_100,w_200 (w_ appears twice"},
		{"w_100//h_100", "Invalid transformation component - empty component"},
		{"w_100/", "Invalid transformation component - empty component"},
		{"w_100,,h_100", "Invalid transformation component - w_100,,h_100"},
		{strings.Repeat("w_1/", MaxComponents) + "w_1", "Too many transformation components - 21"},
		{"e_\x00", `Invalid effect - "\x00"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, c)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not a *transform.Error", err)
			}
			if !strings.HasPrefix(te.Message, tt.want) {
				t.Errorf("message %q, want it to start with %q", te.Message, tt.want)
			}
			if strings.ContainsAny(te.Message, "\r\n") {
				t.Errorf("message %q would break the x-cld-error header", te.Message)
			}
		})
	}
}

func TestParseTreatsEquivalentSpellingsAsOneCacheKey(t *testing.T) {
	pairs := [][2]string{
		{"e_sepia", "e_sepia:80"},
		{"a_-90", "a_270"},
		{"b_white", "b_rgb:FFFFFF"},
		{"fl_lossy.progressive", "fl_progressive.lossy"},
		{"q_auto", "q_auto:good"},
		{"f_jpeg", "f_jpg"},
		{"w_100,h_50,c_fill", "c_fill,h_50,w_100"},
	}
	for _, p := range pairs {
		a, errA := Parse(p[0])
		b, errB := Parse(p[1])
		if errA != nil || errB != nil {
			t.Fatalf("parse %q / %q: %v / %v", p[0], p[1], errA, errB)
		}
		if a.String() != b.String() {
			t.Errorf("%q and %q print %q and %q, want one key", p[0], p[1], a.String(), b.String())
		}
	}
}

func TestNegotiatesFormatOnlyForFAuto(t *testing.T) {
	for in, want := range map[string]bool{
		"f_auto,q_auto":    true,
		"f_png/f_auto":     true,
		"f_auto/f_png":     false,
		"c_fill,w_10,h_10": false,
		"q_auto":           false,
	} {
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.NegotiatesFormat(); got != want {
			t.Errorf("%q: NegotiatesFormat = %v, want %v", in, got, want)
		}
	}
}

// FuzzParse checks that Parse never panics and that the canonical form of
// anything it accepts parses back to the same chain and prints the same.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"c_fill,g_auto,w_400,h_300/f_auto,q_auto",
		"w_0.5,h_1.0,c_pad,b_rgb:ff0000,g_north_east",
		"ar_16:9,c_crop,x_-10,y_0.5",
		"e_sepia:60/e_improve:indoor:40/e_brightness:-20",
		"a_-45,r_20:0:5,bo_3px_solid_rgb:0f08,o_50",
		"dpr_2.0,fl_progressive:semi.attachment:x,q_auto:eco,f_webp",
		"b_auto,c_mpad,w_10",
		"t_foo", "w_", ",", "/", "e_", "r_max", "a_-0", "x_-0.0", "ar_0.001:1", "ar_1000",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse(%q) returned %T, want *Error", s, err)
			}
			return
		}
		canonical := c.String()
		again, err := Parse(canonical)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", canonical, s, err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("%q -> %q parses to %#v, want %#v", s, canonical, again, c)
		}
		if again.String() != canonical {
			t.Fatalf("String is not stable: %q then %q", canonical, again.String())
		}
	})
}
