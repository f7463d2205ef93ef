package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPresetsRenderVisibly renders the app's one-click presets on a
// photo-like image, checks each one changes the picture, and keeps the
// results as test artifacts for a human look (go test -artifacts).
func TestPresetsRenderVisibly(t *testing.T) {
	src := photo(480, 320)
	dir := t.ArtifactDir()
	presets := map[string]string{
		"grayscale":          "e_grayscale",
		"sepia":              "e_sepia",
		"improve":            "e_improve",
		"sharpen":            "e_sharpen",
		"vignette":           "e_vignette",
		"background-removal": "e_background_removal",
		"auto":               "f_auto,q_auto",
		"thumbnail":          "c_thumb,g_auto,w_150,h_150",
		"square":             "c_fill,g_auto,w_320,h_320",
		"social":             "c_fill,g_auto,w_480,h_252",
		"rounded-rotated":    "r_40,bo_4px_solid_white/a_-15",
		"circle":             "c_fill,g_auto,w_200,h_200,r_max",
		"pad":                "c_pad,b_auto,w_480,h_480",
	}
	for name, chain := range presets {
		img, ct, body := renderChain(t, src, "jpg", chain, "", "image/webp")
		unchanged := img.Rect.Size() == src.Rect.Size() && bytes.Equal(img.Pix, src.Pix)
		switch {
		case name == "auto" && (ct != "image/webp" || !unchanged):
			t.Errorf("auto gave %s, want the same pixels as lossless image/webp for this Accept", ct)
		case name != "auto" && unchanged:
			t.Errorf("%s (%s) left the picture unchanged", name, chain)
		}
		ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[ct]
		if err := os.WriteFile(filepath.Join(dir, name+ext), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := Encode(&buf, Placeholder(320, 180, "No preview: install ffmpeg"), "png", 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "placeholder.png"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
