package effects

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRecipeFormat(t *testing.T) {
	rows := []struct {
		r    Recipe
		want string
	}{
		{Recipe{}, ""},
		{Recipe{Aspect: "16:9", Effects: []Step{{"improve", 100}, {"sharpen", 60}}, Auto: true}, "c_fill,ar_16:9,g_auto/e_improve:100/e_sharpen:60/f_auto,q_auto"},
		{Recipe{Aspect: CardAspect, Gravity: "faces"}, "c_fill,g_faces,w_1200,h_630"},
		{Recipe{Aspect: "4:5", Gravity: "center", Width: 800}, "c_fill,ar_4:5,g_center,w_800"},
		{Recipe{Width: 640, Effects: []Step{{"grayscale", 0}}}, "c_scale,w_640/e_grayscale"},
		{Recipe{Start: 1.5, End: 4, Width: 480, Auto: true}, "so_1.5,eo_4/c_scale,w_480/f_auto,q_auto"},
	}
	for _, row := range rows {
		if got := row.r.Format(); got != row.want {
			t.Errorf("%+v formats as %q, want %q", row.r, got, row.want)
		}
		back, err := ParseRecipe(row.want)
		if err != nil {
			t.Fatalf("parse %q: %v", row.want, err)
		}
		if back.Format() != row.want {
			t.Errorf("%q parses to %+v which formats as %q", row.want, back, back.Format())
		}
	}
}

func TestParseRecipeRejects(t *testing.T) {
	for text, why := range map[string]string{
		"e_sepia:101":                 "from 1 to 100",
		"e_sepia:80,w_100":            "put each effect",
		"e_sepia/e_sepia:20":          "given twice",
		"e_oil_paint":                 "no control",
		"f_webp":                      "only f_auto,q_auto",
		"c_fill,w_300,h_300,g_auto":   "1200×630",
		"c_fill,ar_16:9,g_north":      "gravity",
		"c_crop,ar_16:9,g_auto":       "c_fill",
		"c_scale,w_0":                 "width in pixels",
		"so_4,eo_2":                   "after the start",
		"l_logo":                      "not a crop",
		"e_grayscale:10":              "takes no level",
		"w_100,h_":                    "key_value",
		"c_fill,ar_16:9,g_auto/a_90":  "not a crop",
		"c_fill,ar_0:9,g_auto":        "ratio",
		"so_1,eo_3/so_2":              "given twice",
		"e_sharpen:60/f_auto,q_80":    "only f_auto",
		"c_fill,ar_16:9,g_auto,w_1e3": "width",
	} {
		_, err := ParseRecipe(text)
		if err == nil || !errors.Is(err, ErrNotRecipe) || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseRecipe(%q) = %v, want an error saying %q", text, err, why)
		}
	}
}

func TestRecipeWithWithout(t *testing.T) {
	r := Recipe{}.With("sepia", 40).With("blur", 300).With("sepia", 60)
	if got := r.Format(); got != "e_sepia:60/e_blur:300" {
		t.Fatalf("got %q", got)
	}
	if got := r.Without("sepia").Format(); got != "e_blur:300" {
		t.Fatalf("got %q", got)
	}
	if lvl, on := r.Level("blur"); !on || lvl != 300 {
		t.Fatalf("blur level %d %v", lvl, on)
	}
	if err := r.ForVideo(); err == nil || !strings.Contains(err.Error(), "Sepia works on images only") {
		t.Fatalf("ForVideo = %v", err)
	}
	if err := r.Without("sepia").ForVideo(); err != nil {
		t.Fatal(err)
	}
}

// The controls → text → controls round trip holds for whatever text parses.
func FuzzRecipeRoundTrip(f *testing.F) {
	for _, s := range []string{
		"", "c_fill,ar_16:9,g_auto/e_improve:100/e_sharpen:60/f_auto,q_auto",
		"c_fill,g_faces,w_1200,h_630", "c_fill,ar_4:5,g_center,w_800/e_sepia:80",
		"so_1.5,eo_4/c_scale,w_480/f_auto,q_auto", "e_grayscale/e_negate/e_gamma:-20",
		"e_vignette", "e_brightness:-99/e_contrast:100/e_saturation:-100", "f_auto,q_auto/e_blur:2000",
		"eo_02.50", "c_fill,ar_9:16,g_auto", "e_pixelate:200/e_improve:0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseRecipe(text)
		if err != nil {
			if !errors.Is(err, ErrNotRecipe) {
				t.Fatalf("ParseRecipe(%q) error %v does not wrap ErrNotRecipe", text, err)
			}
			return
		}
		out := r.Format()
		back, err := ParseRecipe(out)
		if err != nil {
			t.Fatalf("%q → %+v → %q does not parse: %v", text, r, out, err)
		}
		if !reflect.DeepEqual(normal(back), normal(r)) {
			t.Fatalf("%q → %+v → %q → %+v", text, r, out, back)
		}
		if back.Format() != out {
			t.Fatalf("%q formats as %q then %q", text, out, back.Format())
		}
	})
}

// normal treats an empty gravity as auto, as Format does.
func normal(r Recipe) Recipe {
	if r.Aspect != "" && r.Gravity == "" {
		r.Gravity = "auto"
	}
	if len(r.Effects) == 0 {
		r.Effects = nil
	}
	return r
}

func TestVideoCapablePresets(t *testing.T) {
	var video []string
	for _, p := range Presets {
		if p.ForVideo() {
			video = append(video, p.Name)
		}
	}
	if got, want := strings.Join(video, " "), "original vignette auto square social"; got != want {
		t.Errorf("presets offered for video: %s, want %s", got, want)
	}
	for tr, want := range map[string]bool{
		"so_1,eo_3/c_scale,w_320/e_brightness:20/f_auto,q_auto": true,
		"e_sepia":              false,
		"c_thumb,g_auto,w_150": false,
		"l_logo":               false,
	} {
		if VideoCapable(tr) != want {
			t.Errorf("VideoCapable(%q) = %v", tr, !want)
		}
	}
}
