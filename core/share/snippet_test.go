package share

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

func TestBreakpoints(t *testing.T) {
	for w, want := range map[int]string{
		1600: "[320 480 640 768 1024 1280 1600]",
		1300: "[320 480 640 768 1024 1300]", // 1280 is too close to 1300
		300:  "[300]",
		0:    "[]",
	} {
		got := joinInts(Breakpoints(w))
		if got != want {
			t.Errorf("Breakpoints(%d) = %s, want %s", w, got, want)
		}
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestTemplates(t *testing.T) {
	if err := CheckTemplate(Template{Name: "wp", Text: `[img src="{url}" alt="{alt}" w={width}]`}); err != nil {
		t.Fatal(err)
	}
	if err := CheckTemplate(Template{Name: "x", Text: `{url} {size}`}); err == nil || !strings.Contains(err.Error(), "{size}") {
		t.Errorf("unknown placeholder: %v", err)
	}
	if err := CheckTemplate(Template{Name: "x", Text: `{name}`}); err == nil || !strings.Contains(err.Error(), "no {url}") {
		t.Errorf("no url: %v", err)
	}
}

// uploadPhoto puts a w×h JPEG on a fresh sandbox and returns how to link it.
func uploadPhoto(t *testing.T, w, h int) (*sandbox.Server, *cloud.Asset, effects.Delivery) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	a, err := sandboxtest.Client(t, sb).Upload(context.Background(), cloud.UploadRequest{ResourceType: "image",
		File:   cloud.File{Name: "harbour.jpg", Data: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())},
		Params: cloud.UploadParams{Context: map[string]string{"alt": `Boats in "the" harbour`}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := effects.DeliveryFor(sb.Cloud(), sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	return sb, a, d
}

var urlRE = regexp.MustCompile(`https?://[^"\s)]+`)

// fetchWidth loads a copied link as a browser would and returns the width
// of the image it gets.
func fetchWidth(t *testing.T, u string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.ReplaceAll(u, "&amp;", "&"), nil)
	req.Header.Set("Accept", "image/avif,image/webp,*/*")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s answered %s (%s)", u, resp.Status, resp.Header.Get("X-Cld-Error"))
	}
	cfg, _, err := image.DecodeConfig(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return cfg.Width
}

// Every copied format loads from the sandbox, signed or not: each srcset
// and <picture> width is the width it claims.
func TestEveryFormatLoads(t *testing.T) {
	ctx := context.Background()
	sb, a, d := uploadPhoto(t, 1400, 900)
	if got := AltFrom(a.Context); got != `Boats in "the" harbour` {
		t.Fatalf("alt from context = %q", got)
	}
	tr := "c_fill,ar_16:9,g_auto/e_sharpen:60/f_auto,q_auto"
	subj := Subject{PublicID: a.PublicID, Width: 1400, Height: 788, Transformation: tr, Name: "harbour.jpg", Alt: AltFrom(a.Context)}
	templates := []Template{{Name: "wp", Text: `[img src="{url}" alt="{alt}" width="{width}" height="{height}" id="{public_id}" name="{name}"]`}}
	for _, signed := range []bool{false, true} {
		link := func(_ context.Context, tr, ext string) (string, error) {
			return d.URL(effects.Ref{PublicID: a.PublicID, Version: a.Version, Format: ext}, tr, sb.APISecret(), signed)
		}
		for _, f := range []string{SnippetURL, SnippetMarkdown, SnippetHTML, SnippetSrcset, SnippetPicture, TemplateFormat("wp")} {
			text, err := Snippet(ctx, f, subj, templates, link)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			urls := urlRE.FindAllString(text, -1)
			if len(urls) == 0 {
				t.Fatalf("%s has no link: %s", f, text)
			}
			if signed && !strings.Contains(urls[0], "/s--") {
				t.Errorf("%s signed copy has an unsigned link: %s", f, urls[0])
			}
			if f != SnippetURL && !strings.Contains(text, "Boats in &#34;the&#34; harbour") && !strings.Contains(text, `Boats in "the" harbour`) {
				t.Errorf("%s lacks the alt text: %s", f, text)
			}
			for _, u := range urls {
				w := fetchWidth(t, u)
				if m := regexp.MustCompile(`c_scale,w_(\d+)`).FindStringSubmatch(u); m != nil {
					if want, _ := strconv.Atoi(m[1]); w != want {
						t.Errorf("%s: %s is %d px wide, want %d", f, u, w, want)
					}
				} else if w != 1400 {
					t.Errorf("%s: %s is %d px wide, want 1400", f, u, w)
				}
			}
			if f == SnippetSrcset {
				for _, bp := range Breakpoints(1400) {
					if !strings.Contains(text, " "+strconv.Itoa(bp)+"w") {
						t.Errorf("srcset lacks %dw: %s", bp, text)
					}
				}
				if strings.Count(text, "f_auto,q_auto") != len(Breakpoints(1400))+1 { // and src
					t.Errorf("each srcset width should be f_auto,q_auto once: %s", text)
				}
			}
		}
	}
	// Without alt text an image is not copied into a page by accident.
	subj.Alt = ""
	link := func(_ context.Context, tr, ext string) (string, error) {
		return d.URL(effects.Ref{PublicID: a.PublicID, Format: ext}, tr, "", false)
	}
	if _, err := Snippet(ctx, SnippetHTML, subj, nil, link); !errors.Is(err, ErrNoAlt) {
		t.Errorf("no alt: %v", err)
	}
	if _, err := Snippet(ctx, SnippetURL, subj, nil, link); err != nil {
		t.Errorf("a bare URL needs no alt: %v", err)
	}
	subj.NoAlt = true
	if text, err := Snippet(ctx, SnippetHTML, subj, nil, link); err != nil || !strings.Contains(text, `alt=""`) {
		t.Errorf("deliberately without alt: %q %v", text, err)
	}
	if _, err := Snippet(ctx, TemplateFormat("gone"), subj, templates, link); err == nil || !strings.Contains(err.Error(), "Settings") {
		t.Errorf("missing template: %v", err)
	}
}
