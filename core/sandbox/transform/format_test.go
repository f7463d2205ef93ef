package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"path"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/cloudup/cloudup/assets"
)

func TestWebPOutputIsALosslessRIFFWebPFile(t *testing.T) {
	src := photo(160, 120)
	_, ct, body := renderChain(t, src, "jpg", "f_webp", "", "")
	if ct != "image/webp" {
		t.Errorf("content type %q", ct)
	}
	if len(body) < 12 || string(body[:4]) != "RIFF" || string(body[8:12]) != "WEBP" {
		t.Fatalf("body starts %q, want RIFF....WEBP", body[:min(12, len(body))])
	}
	if size := binary.LittleEndian.Uint32(body[4:8]); int(size) != len(body)-8 {
		t.Errorf("RIFF size %d, file is %d bytes", size, len(body))
	}
	img, err := webp.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("golang.org/x/image/webp cannot decode it: %v", err)
	}
	if img.Bounds().Dx() != 160 || img.Bounds().Dy() != 120 {
		t.Fatalf("decoded size %v", img.Bounds().Size())
	}
	for _, p := range []image.Point{{0, 0}, {80, 60}, {159, 119}, {33, 71}} {
		r, g, b, _ := img.At(p.X, p.Y).RGBA()
		want := px(src, p.X, p.Y)
		if uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(b>>8) != want.B {
			t.Errorf("pixel %v = %d,%d,%d, want %v (lossless)", p, r>>8, g>>8, b>>8, want)
		}
	}
}

func TestFormatAutoHonoursAccept(t *testing.T) {
	opaque := photo(80, 60)
	tests := []struct {
		chain, accept, want string
	}{
		{"f_auto", "image/avif,image/webp,image/apng,*/*;q=0.8", "image/webp"},
		{"f_auto,q_auto", "IMAGE/WEBP", "image/webp"},
		{"f_auto", "*/*", "image/jpeg"},
		{"f_auto", "", "image/jpeg"},
		{"f_auto", "image/webp;q=0, image/png", "image/jpeg"},
		{"f_auto", "image/webpx", "image/jpeg"},
		{"r_max/f_auto", "*/*", "image/png"},
		{"r_max/f_auto", "image/webp", "image/webp"},
	}
	for _, tt := range tests {
		_, ct, body := renderChain(t, opaque, "jpg", tt.chain, "", tt.accept)
		if ct != tt.want {
			t.Errorf("%s with Accept %q: %s, want %s", tt.chain, tt.accept, ct, tt.want)
		}
		if http := sniff(body); http != tt.want {
			t.Errorf("%s: body is %s but labelled %s", tt.chain, http, ct)
		}
	}
}

func TestFormatAutoPrefersJPEGForLargeOpaqueImages(t *testing.T) {
	const webpAccept = "image/avif,image/webp,*/*;q=0.8"
	large := photo(640, 480) // over AutoWebPMaxPixels
	if 640*480 <= AutoWebPMaxPixels {
		t.Fatal("the test image must be over AutoWebPMaxPixels")
	}
	tests := []struct {
		name          string
		chain, accept string
		want          string
	}{
		{"large opaque, WebP accepted", "f_auto", webpAccept, "image/jpeg"},
		{"large opaque, q_auto", "f_auto,q_auto", "image/webp", "image/jpeg"},
		{"large with transparency, WebP accepted", "r_max/f_auto", webpAccept, "image/webp"},
		{"large with transparency, no WebP", "r_max/f_auto", "*/*", "image/png"},
		{"scaled down to a thumbnail first", "c_fill,w_200,h_150/f_auto", webpAccept, "image/webp"},
		{"exactly the limit", "c_scale,w_512,h_512/f_auto", webpAccept, "image/webp"},
		{"one row over the limit", "c_scale,w_512,h_513/f_auto", webpAccept, "image/jpeg"},
	}
	for _, tt := range tests {
		img, ct, body := renderChain(t, large, "jpg", tt.chain, "", tt.accept)
		if ct != tt.want || sniff(body) != tt.want {
			t.Errorf("%s (%s, %dx%d): labelled %s, body %s, want %s", tt.name, tt.chain, img.Rect.Dx(), img.Rect.Dy(), ct, sniff(body), tt.want)
		}
	}
}

// sniff names the format by its magic bytes, independently of Render.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "image/gif"
	case bytes.HasPrefix(b, []byte("BM")):
		return "image/bmp"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "image/tiff"
	}
	return "unknown"
}

func TestQualityChangesJPEGSize(t *testing.T) {
	src := photo(400, 300)
	size := func(chain string) int {
		_, ct, body := renderChain(t, src, "jpg", chain, "", "")
		if ct != "image/jpeg" {
			t.Fatalf("%s: %s", chain, ct)
		}
		return len(body)
	}
	low, high := size("q_10"), size("q_95")
	if low*2 > high {
		t.Errorf("q_10 is %d bytes and q_95 %d: want q_95 at least twice as big", low, high)
	}
	eco, best := size("q_auto:low"), size("q_auto:best")
	if eco >= best {
		t.Errorf("q_auto:low %d bytes, q_auto:best %d: want low smaller", eco, best)
	}
	if d, q := size(""), size("q_auto"); d != q {
		t.Errorf("no q_ gives %d bytes and q_auto %d; both are quality %d", d, q, DefaultQuality)
	}
}

func TestDeliveredFormatFollowsChainThenExtensionThenOriginal(t *testing.T) {
	src := photo(40, 30)
	tests := []struct {
		srcFormat, chain, ext, want string
	}{
		{"jpg", "", "", "image/jpeg"},
		{"jpeg", "", "", "image/jpeg"},
		{"png", "e_grayscale", "", "image/png"},
		{"gif", "", "", "image/gif"},
		{"webp", "", "", "image/webp"},
		{"heic", "", "", "image/png"}, // a format we cannot write stays lossless
		{"jpg", "", "png", "image/png"},
		{"png", "", "JPG", "image/jpeg"},
		{"jpg", "", "gif", "image/gif"},
		{"jpg", "", "bmp", "image/bmp"},
		{"jpg", "", "tif", "image/tiff"},
		{"jpg", "f_webp", "png", "image/webp"},
		{"jpg", "f_png/e_grayscale", "", "image/png"},
		{"jpg", "f_png/f_jpg", "", "image/jpeg"},
		{"jpg", "r_20", "", "image/png"},        // gained alpha: not flattened by default
		{"jpg", "r_20", "jpg", "image/jpeg"},    // unless JPEG is asked for
		{"jpg", "a_30", "", "image/png"},        // transparent corners
		{"jpg", "o_50", "", "image/png"},        // see-through
		{"jpg", "r_20,b_red", "", "image/jpeg"}, // b_ fills what r_ cut
	}
	for _, tt := range tests {
		img, ct, body := renderChain(t, src, tt.srcFormat, tt.chain, tt.ext, "")
		if ct != tt.want || sniff(body) != tt.want {
			t.Errorf("src %s, %q, ext %q: %s (body %s), want %s", tt.srcFormat, tt.chain, tt.ext, ct, sniff(body), tt.want)
		}
		if img.Rect.Dx() == 0 {
			t.Errorf("%q: empty image", tt.chain)
		}
	}
}

func TestUnsupportedExtensionIsRefused(t *testing.T) {
	src := photo(40, 30)
	if te := renderError(t, src, "", "avif"); !strings.HasPrefix(te.Message, "Unsupported format - avif") {
		t.Errorf("message %q", te.Message)
	}
	if te := renderError(t, src, "w_10", "txt"); !strings.HasPrefix(te.Message, "Invalid format - txt") {
		t.Errorf("message %q", te.Message)
	}
}

func TestJPEGFlattensTransparencyOntoTheBackground(t *testing.T) {
	src := solid(100, 100, color.NRGBA{255, 0, 0, 255})
	img, _, _ := renderChain(t, src, "jpg", "r_max", "jpg", "")
	// JPEG's chroma subsampling bleeds a little red into the corner.
	if c := px(img, 0, 0); c.R < 220 || c.G < 220 || c.B < 220 {
		t.Errorf("cut corner = %v, want white", c)
	}
	img, _, _ = renderChain(t, src, "jpg", "r_max/b_rgb:0000ff", "jpg", "")
	if c := px(img, 0, 0); c.B < 200 || c.R > 60 {
		t.Errorf("cut corner with b_blue = %v, want blue", c)
	}
	if c := px(img, 50, 50); c.R < 200 || c.B > 60 {
		t.Errorf("centre = %v, want the red image", c)
	}
}

func TestGIFKeepsTransparencyAndColours(t *testing.T) {
	src := solid(60, 60, color.NRGBA{255, 0, 0, 255})
	_, ct, body := renderChain(t, src, "png", "r_max/f_gif", "", "")
	if ct != "image/gif" {
		t.Fatalf("content type %s", ct)
	}
	g, err := gif.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := g.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want transparent", a)
	}
	if r, gg, b, _ := g.At(30, 30).RGBA(); r>>8 != 255 || gg != 0 || b != 0 {
		t.Errorf("centre %d,%d,%d, want pure red (it is in the palette)", r>>8, gg>>8, b>>8)
	}
	// A gradient dithers: its mean colour survives the 256-colour palette.
	grad := photo(200, 100)
	img, _, _ := renderChain(t, grad, "png", "f_gif", "", "")
	if d := meanLum(img, img.Rect) - meanLum(grad, grad.Rect); d > 3 || d < -3 {
		t.Errorf("GIF mean luminance off by %.1f", d)
	}
}

func TestEncodeWritesEveryFormatItNames(t *testing.T) {
	src := photo(30, 20)
	for _, f := range []string{"jpg", "jpeg", "png", "webp", "gif", "bmp", "tiff"} {
		var buf bytes.Buffer
		if err := Encode(&buf, src, f, 90); err != nil {
			t.Fatalf("Encode %s: %v", f, err)
		}
		img := decode(t, buf.Bytes())
		if img.Rect.Dx() != 30 || img.Rect.Dy() != 20 {
			t.Errorf("%s decodes to %v", f, img.Rect.Size())
		}
	}
	if err := Encode(&bytes.Buffer{}, src, "avif", 90); err == nil {
		t.Error("Encode avif succeeded, want an error")
	}
}

func TestRenderAcceptsDecodedJPEGAndPalettedSources(t *testing.T) {
	var jbuf bytes.Buffer
	if err := jpeg.Encode(&jbuf, photo(200, 150), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	ycbcr, err := jpeg.Decode(&jbuf)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ycbcr.(*image.YCbCr); !ok {
		t.Fatalf("decoded JPEG is %T, want *image.YCbCr for this test", ycbcr)
	}
	img, _, _ := renderChain(t, ycbcr, "jpg", "c_fill,g_auto,w_100,h_100/e_sepia", "", "")
	if img.Rect.Dx() != 100 || img.Rect.Dy() != 100 {
		t.Errorf("size %v", img.Rect.Size())
	}

	pal := image.NewPaletted(image.Rect(10, 10, 50, 40), color.Palette{color.Black, color.White})
	pal.SetColorIndex(20, 20, 1)
	img, _, _ = renderChain(t, pal, "gif", "w_80", "png", "")
	if img.Rect.Dx() != 80 || img.Rect.Dy() != 60 {
		t.Errorf("paletted source with offset bounds rendered at %v", img.Rect.Size())
	}
}

func TestRenderNeverModifiesTheSource(t *testing.T) {
	src := photo(120, 90)
	before := append([]uint8(nil), src.Pix...)
	for _, chain := range []string{"", "e_grayscale", "e_sepia", "e_blur:500", "e_sharpen", "e_vignette", "e_improve",
		"e_background_removal", "e_pixelate", "r_max", "bo_3px_solid_red", "a_45", "o_30", "c_crop,w_50,h_50", "b_red", "e_negate"} {
		renderChain(t, src, "png", chain, "", "")
		if !bytes.Equal(before, src.Pix) {
			t.Fatalf("%q changed the source pixels", chain)
		}
	}
}

func TestChainsComposeStepByStep(t *testing.T) {
	src := photo(300, 200)
	chained, _, _ := renderChain(t, src, "png", "c_fill,w_120,h_100/e_grayscale/a_90", "", "")
	if chained.Rect.Dx() != 100 || chained.Rect.Dy() != 120 {
		t.Fatalf("size %v, want 100×120", chained.Rect.Size())
	}
	var step image.Image = src
	for _, part := range []string{"c_fill,w_120,h_100", "e_grayscale", "a_90"} {
		c, err := Parse(part)
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := Render(context.Background(), step, "png", c, "", "")
		if err != nil {
			t.Fatal(err)
		}
		step, err = png.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
	}
	stepwise := decode(t, mustPNG(t, step))
	if !bytes.Equal(stepwise.Pix, chained.Pix) {
		t.Error("a chain differs from applying its components one after another")
	}
	// And the order matters: grayscale then sepia is warm, sepia then grayscale is not.
	warm, _, _ := renderChain(t, src, "png", "e_grayscale/e_sepia", "", "")
	grey, _, _ := renderChain(t, src, "png", "e_sepia/e_grayscale", "", "")
	if c := px(warm, 150, 100); c.R <= c.B {
		t.Errorf("grayscale/sepia pixel %v, want warm", c)
	}
	if c := px(grey, 150, 100); c.R != c.B {
		t.Errorf("sepia/grayscale pixel %v, want neutral", c)
	}
}

func mustPNG(t *testing.T, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAcceptsWebPReadsMediaRangesNotSubstrings(t *testing.T) {
	for accept, want := range map[string]bool{
		"image/webp":                         true,
		"text/html, image/webp;q=0.9":        true,
		"image/avif,image/webp,*/*;q=0.8":    true,
		"Image/WebP":                         true,
		"*/*":                                false,
		"image/*":                            false,
		"image/webp;q=0":                     false,
		"image/webp;q=0.0, image/png":        false,
		"image/webpx":                        false,
		"application/x-image/webp":           false,
		"":                                   false,
		"image/webp;q=abc":                   false,
		"image/png;note=\"image/webp\", a/b": false,
	} {
		if got := AcceptsWebP(accept); got != want {
			t.Errorf("AcceptsWebP(%q) = %v, want %v", accept, got, want)
		}
	}
}

// FuzzAcceptsWebP checks the Accept parser never panics and never claims
// WebP for a header that does not name it.
func FuzzAcceptsWebP(f *testing.F) {
	for _, seed := range []string{"image/webp", "*/*", "image/webp;q=0", "a/b;c=\"d,e\", image/webp;q=0.5", ";;,,", "image/webp;q=1.0.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if AcceptsWebP(accept) && !strings.Contains(strings.ToLower(accept), "image/webp") {
			t.Fatalf("AcceptsWebP(%q) = true without image/webp in it", accept)
		}
	})
}

// The library grid asks for every sample at this chain with a WebP-capable
// Accept header; each answer must decode, whatever the encoder makes of it.
func TestFAutoThumbnailsOfEverySampleDecode(t *testing.T) {
	entries, err := fs.ReadDir(assets.Samples, "samples")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(assets.Samples, path.Join("samples", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		src, format, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, chain := range []string{"c_fill,g_auto,w_300,h_300/f_auto,q_auto", "c_fill,g_auto,w_300,h_300/f_webp"} {
			c, err := Parse(chain)
			if err != nil {
				t.Fatal(err)
			}
			body, ct, err := Render(context.Background(), src, format, c, "", "image/avif,image/webp,*/*")
			if strings.HasSuffix(chain, "f_webp") && errors.Is(err, errWebPUnreadable) {
				continue // an explicit f_webp fails loudly instead of lying
			}
			if err != nil {
				t.Fatalf("%s %s: %v", e.Name(), chain, err)
			}
			img, got, err := image.Decode(bytes.NewReader(body))
			if err != nil {
				t.Errorf("%s %s: the %s answer does not decode: %v", e.Name(), chain, ct, err)
				continue
			}
			if img.Bounds().Dx() != 300 || img.Bounds().Dy() != 300 {
				t.Errorf("%s %s: %s is %v, want 300×300", e.Name(), chain, got, img.Bounds().Size())
			}
		}
	}
}
