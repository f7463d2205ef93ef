package sandbox

import (
	"strings"
	"testing"
)

func TestParseVideoChain(t *testing.T) {
	vc, err := parseVideoChain("so_1.5,eo_4/c_fill,ar_1:1,g_auto,w_301/e_brightness:20/f_webm,q_80", 1280, 720)
	if err != nil {
		t.Fatal(err)
	}
	if vc.start != 1.5 || vc.end != 4 || vc.format != "webm" || vc.crf != 19 {
		t.Errorf("chain %+v", vc)
	}
	if got := strings.Join(vc.filters, ";"); got != "scale=302:302:force_original_aspect_ratio=increase;crop=302:302;colorchannelmixer=rr=1.200:gg=1.200:bb=1.200" {
		t.Errorf("filters %s", got)
	}
	if got := strings.Join(vc.still, "/"); got != "c_fill,ar_1:1,g_auto,w_301/e_brightness:20/f_webm,q_80" {
		t.Errorf("still %s", got)
	}
	if vc, _ := parseVideoChain("c_limit,w_4000", 1280, 720); strings.Join(vc.filters, ";") != "scale=1280:720" {
		t.Errorf("c_limit upscaled: %v", vc.filters)
	}
	if vc, _ := parseVideoChain("so_2,du_3", 640, 360); vc.start != 2 || vc.end != 5 {
		t.Errorf("du_: %+v", vc)
	}
}

// Whatever a URL says, the video chain parser answers without panicking,
// and every filter it builds is made of its own words and numbers: nothing
// from the URL reaches ffmpeg's filter graph as text.
func FuzzParseVideoChain(f *testing.F) {
	for _, s := range []string{"so_1,eo_3/c_scale,w_320/f_auto,q_auto", "c_fill,ar_16:9,g_faces,w_0.5", "e_blur:2000/e_vignette", "ar_1e308:1", "w_1,h_1,c_fill", "so_nan", "e_gamma:-50/q_auto:eco", "c_fill,ar_0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		vc, err := parseVideoChain(text, 640, 360)
		if err != nil {
			return
		}
		for _, flt := range vc.filters {
			if strings.ContainsAny(flt, "[];'\\\"") || strings.Contains(flt, "NaN") || strings.Contains(flt, "Inf") {
				t.Fatalf("%q made the filter %q", text, flt)
			}
		}
	})
}
