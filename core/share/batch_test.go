package share

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/effects"
)

func TestSplice(t *testing.T) {
	for _, row := range []struct{ link, tr, ext, want string }{
		{"https://res.cloudinary.com/demo/image/upload/v17/blog/a.jpg", "c_scale,w_320/f_auto,q_auto", "", "https://res.cloudinary.com/demo/image/upload/c_scale,w_320/f_auto,q_auto/v17/blog/a.jpg"},
		{"http://127.0.0.1:9/sandbox/video/upload/v1/clips/b.mp4", "", "jpg", "http://127.0.0.1:9/sandbox/video/upload/v1/clips/b.jpg"},
		{"https://res.cloudinary.com/demo/image/upload/s--abcdefgh--/v1/a.jpg", "w_10", "", "https://res.cloudinary.com/demo/image/upload/s--abcdefgh--/v1/a.jpg"},
	} {
		if got := splice(row.link, row.tr, row.ext); got != row.want {
			t.Errorf("splice(%q, %q, %q) = %q, want %q", row.link, row.tr, row.ext, got, row.want)
		}
	}
}

// A batch copied as srcset or through a template gives links that load.
func TestBatchLinksInEveryFormatLoad(t *testing.T) {
	_, a, _ := uploadPhoto(t, 1000, 700)
	tpl := []Template{{Name: "bb", Text: "[img width={width}]{url}[/img] {alt}"}}
	for _, f := range []effects.LinkFormat{"srcset", "picture", "template:bb", "markdown"} {
		text := BatchLink(f, a, "harbour.jpg", tpl)
		if !strings.Contains(text, "Boats in") {
			t.Errorf("%s: alt text missing: %s", f, text)
		}
		urls := urlRE.FindAllString(text, -1)
		if len(urls) == 0 {
			t.Fatalf("%s: no link in %q", f, text)
		}
		for _, u := range urls {
			u = strings.TrimSuffix(u, "[/img]")
			w := fetchWidth(t, u)
			if i := strings.Index(u, "c_scale,w_"); i >= 0 {
				want, _ := strconv.Atoi(u[i+len("c_scale,w_") : i+strings.IndexByte(u[i:], '/')])
				if w != want {
					t.Errorf("%s: %s is %d wide, want %d", f, u, w, want)
				}
			}
		}
	}
	p := account.SandboxProfile()
	p.LinkTemplates = []account.LinkTemplate{{Name: "bb", Text: "{url}"}}
	for in, want := range map[account.LinkFormat]effects.LinkFormat{"srcset": "srcset", "template:bb": "template:bb", "template:gone": "url", "html": "html"} {
		p.LinkFormat = in
		if got := FormatOf(p); got != want {
			t.Errorf("FormatOf(%s) = %s, want %s", in, got, want)
		}
	}
}
