package effects

import (
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/signing"
)

func TestURLMatchesCloudinaryDeliveryTable(t *testing.T) {
	d, err := DeliveryFor("democloud", "https://api.cloudinary.com")
	if err != nil {
		t.Fatal(err)
	}
	ref := Ref{PublicID: "demo/photo"}
	cases := map[string]string{
		"":              "https://res.cloudinary.com/democloud/image/upload/v1/demo/photo",
		"e_grayscale":   "https://res.cloudinary.com/democloud/image/upload/e_grayscale/v1/demo/photo",
		"e_sepia:60":    "https://res.cloudinary.com/democloud/image/upload/e_sepia:60/v1/demo/photo",
		"f_auto,q_auto": "https://res.cloudinary.com/democloud/image/upload/f_auto,q_auto/v1/demo/photo",
		"c_fill,g_auto,w_400,h_300/f_auto,q_auto": "https://res.cloudinary.com/democloud/image/upload/c_fill,g_auto,w_400,h_300/f_auto,q_auto/v1/demo/photo",
	}
	for tr, want := range cases {
		got, err := d.URL(ref, tr, "", false)
		if err != nil || got != want {
			t.Errorf("%q: got %q (%v), want %q", tr, got, err, want)
		}
	}
}

func TestURLPointsAtSandboxHost(t *testing.T) {
	d, err := DeliveryFor("sandbox", "http://127.0.0.1:8787")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.URL(Ref{PublicID: "cat", Version: 1700000000, Format: "jpg"}, Thumbnail(200, 150), "", false)
	if err != nil {
		t.Fatal(err)
	}
	want := "http://127.0.0.1:8787/sandbox/image/upload/c_fill,g_auto,w_200,h_150/f_auto,q_auto/v1700000000/cat.jpg"
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	poster, err := d.Poster(Ref{PublicID: "clips/intro"}, "w_300")
	if err != nil || poster != "http://127.0.0.1:8787/sandbox/video/upload/w_300/v1/clips/intro.jpg" {
		t.Fatalf("poster %s %v", poster, err)
	}
}

func TestSignedURLCarriesDeliverySignature(t *testing.T) {
	d := Delivery{Cloud: "democloud", Secure: true}
	got, err := d.URL(Ref{PublicID: "demo/photo"}, "e_grayscale", "sekret", true)
	if err != nil {
		t.Fatal(err)
	}
	sig := signing.DeliverySignature("e_grayscale/demo/photo", "sekret", false)
	if !strings.Contains(got, "/image/upload/"+sig+"/e_grayscale/v1/demo/photo") {
		t.Fatalf("%s lacks %s", got, sig)
	}
	if strings.Contains(got, "sekret") {
		t.Fatal("secret in URL")
	}
	if _, err := d.URL(Ref{PublicID: "x"}, "", "", true); err != ErrSecretNeeded {
		t.Fatalf("signed without secret: %v", err)
	}
}

func TestLookupAndPresets(t *testing.T) {
	for _, n := range []string{"Grayscale", "bg-removal", "background removal", "social"} {
		if _, err := Lookup(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	_, err := Lookup("sparkle")
	if err == nil || !strings.Contains(err.Error(), "grayscale") {
		t.Fatalf("unknown effect error should list choices: %v", err)
	}
	seen := map[string]bool{}
	for _, p := range Presets {
		if seen[p.Name] {
			t.Fatalf("duplicate preset %s", p.Name)
		}
		seen[p.Name] = true
	}
}

func TestLinkFormats(t *testing.T) {
	u := "https://res.cloudinary.com/c/image/upload/v1/a (1).jpg"
	if got := Link(LinkMarkdown, u, "image", "a [b]"); got != `![a \[b\]](https://res.cloudinary.com/c/image/upload/v1/a%20%281%29.jpg)` {
		t.Errorf("markdown: %s", got)
	}
	if got := Link(LinkHTML, u, "image", `x"y`); got != `<img src="https://res.cloudinary.com/c/image/upload/v1/a (1).jpg" alt="x&#34;y">` {
		t.Errorf("html: %s", got)
	}
	if got := Link(LinkHTML, "https://h/v.mp4", "video", "v"); got != `<video src="https://h/v.mp4" controls></video>` {
		t.Errorf("video html: %s", got)
	}
	if got := Link(LinkURL, u, "image", "x"); got != u {
		t.Errorf("url: %s", got)
	}
	if _, err := ParseLinkFormat("pdf"); err == nil {
		t.Error("pdf accepted")
	}
}

func TestDeliveryForRejectsNonURL(t *testing.T) {
	if _, err := DeliveryFor("c", "not a url"); err == nil {
		t.Fatal("accepted")
	}
	d, _ := DeliveryFor("c", "https://api-eu.cloudinary.com")
	if d.Host != "" || !d.Secure {
		t.Fatalf("regional API should deliver from res.cloudinary.com: %+v", d)
	}
}
