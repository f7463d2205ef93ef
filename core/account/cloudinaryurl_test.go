package account

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/signing"
)

const urlSecret = "Zq8-sEcReT_9xY2wV4uT6rS1pO3"

func TestParseCloudinaryURLAcceptsWhatPeoplePaste(t *testing.T) {
	tests := []struct {
		name, in     string
		key, cloud   string
		prefix       string
		algo         signing.Algorithm
		extraOptions string
	}{
		{"plain", "cloudinary://123456789012345:" + urlSecret + "@demo", "123456789012345", "demo", "", "", ""},
		{"upload prefix", "cloudinary://k:" + urlSecret + "@sandbox?upload_prefix=http://127.0.0.1:8787", "k", "sandbox", "http://127.0.0.1:8787", "", ""},
		{"prefix trailing slash", "cloudinary://k:" + urlSecret + "@c?upload_prefix=https://api-eu.cloudinary.com/", "k", "c", "https://api-eu.cloudinary.com", "", ""},
		{"sha256", "cloudinary://k:" + urlSecret + "@c?signature_algorithm=SHA256", "k", "c", "", signing.SHA256, ""},
		{"other options kept", "cloudinary://k:" + urlSecret + "@c?secure=true&cname=img.example.com", "k", "c", "", "", "cname=img.example.com&secure=true"},
		{"whole env line", "CLOUDINARY_URL=cloudinary://k:" + urlSecret + "@c", "k", "c", "", "", ""},
		{"quoted with spaces", `  "cloudinary://k:` + urlSecret + `@c"  `, "k", "c", "", "", ""},
		{"single quoted", `'cloudinary://k:` + urlSecret + `@c'`, "k", "c", "", "", ""},
		{"upper-case scheme", "CLOUDINARY://k:" + urlSecret + "@c", "k", "c", "", "", ""},
		{"trailing slash", "cloudinary://k:" + urlSecret + "@c/", "k", "c", "", "", ""},
		{"percent-encoded secret", "cloudinary://k:" + urlSecret + "%2Fx@c", "k", "c", "", "", ""},
		{"secret with @", "cloudinary://k:ab@cd" + urlSecret + "@c", "k", "c", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ParseCloudinaryURL(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if u.APIKey != tc.key || u.Cloud != tc.cloud || u.UploadPrefix != tc.prefix || u.Algorithm != tc.algo {
				t.Errorf("got key %q cloud %q prefix %q algo %q", u.APIKey, u.Cloud, u.UploadPrefix, u.Algorithm)
			}
			if got := u.Options.Encode(); got != tc.extraOptions {
				t.Errorf("options = %q, want %q", got, tc.extraOptions)
			}
			if u.Secret.IsZero() || strings.Contains(u.String(), u.Secret.Reveal()) {
				t.Errorf("String() = %q shows the secret", u.String())
			}
			again, err := ParseCloudinaryURL(u.Reveal())
			if err != nil || again.Secret != u.Secret || again.Cloud != u.Cloud || again.UploadPrefix != u.UploadPrefix {
				t.Errorf("Reveal() does not round-trip: %v", err)
			}
		})
	}
	u, _ := ParseCloudinaryURL("cloudinary://k:" + urlSecret + "%2Fx@c")
	if u.Secret.Reveal() != urlSecret+"/x" {
		t.Error("percent-encoding in the secret was not decoded")
	}
}

func TestParseCloudinaryURLSaysWhatIsWrongWithoutTheSecret(t *testing.T) {
	tests := []struct{ name, in, words string }{
		{"empty", "  ", "empty"},
		{"not a url", "just-some-text-" + urlSecret, "not a URL"},
		{"wrong scheme", "https://k:" + urlSecret + "@c", "not https://"},
		{"no at", "cloudinary://k:" + urlSecret, "no '@'"},
		{"no secret", "cloudinary://k@c", "secret is missing"},
		{"empty key", "cloudinary://:" + urlSecret + "@c", "key is empty"},
		{"empty secret", "cloudinary://k:@c", "secret is empty"},
		{"empty cloud", "cloudinary://k:" + urlSecret + "@", "cloud name after '@' is empty"},
		{"bad cloud", "cloudinary://k:" + urlSecret + "@my cloud", "cloud name"},
		{"key with space", "cloudinary://1 2:" + urlSecret + "@c", "API key may only"},
		{"secret with slash", "cloudinary://k:" + urlSecret + "/x@c", "percent-encode"},
		{"secret with stray percent", "cloudinary://k:" + urlSecret + "%zz@c", "stray '%'"},
		{"secret with tab", "cloudinary://k:" + urlSecret + "%09@c", "spaces or control"},
		{"path after cloud", "cloudinary://k:" + urlSecret + "@c/extra", "path after the cloud name"},
		{"bad prefix", "cloudinary://k:" + urlSecret + "@c?upload_prefix=ftp://x", "upload_prefix"},
		{"prefix without host", "cloudinary://k:" + urlSecret + "@c?upload_prefix=http://", "upload_prefix"},
		{"bad algorithm", "cloudinary://k:" + urlSecret + "@c?signature_algorithm=md5", "sha1 or sha256"},
		{"bad query", "cloudinary://k:" + urlSecret + "@c?a=%zz", "query string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCloudinaryURL(tc.in)
			if !errors.Is(err, ErrMalformedURL) {
				t.Fatalf("err = %v, want ErrMalformedURL", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.words) {
				t.Errorf("%q does not say %q", msg, tc.words)
			}
			if strings.Contains(msg, urlSecret) || strings.Contains(msg, "\n") {
				t.Errorf("%q leaks the secret or is not one line", msg)
			}
		})
	}
}

func TestCloudinaryURLProfileUsesDefaultsWhereTheURLIsSilent(t *testing.T) {
	u, err := ParseCloudinaryURL("cloudinary://k:" + urlSecret + "@c")
	if err != nil {
		t.Fatal(err)
	}
	p := u.Profile("env")
	if p.APIBase != DefaultAPIBase || p.Algorithm != signing.SHA1 || p.Mode != Signed {
		t.Errorf("profile = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// FuzzParseCloudinaryURL: whatever the input, parsing never panics, a
// parse error never contains the secret part of the input, and a parsed URL
// round-trips through Reveal.
func FuzzParseCloudinaryURL(f *testing.F) {
	f.Add("123", urlSecret, "demo", "upload_prefix=http://127.0.0.1:1")
	f.Add("k", urlSecret+"/%", "c c", "signature_algorithm=md5")
	f.Add("", urlSecret, "", "")
	f.Add("k:k", "@"+urlSecret+"@", "c?x", "%zz")
	f.Add("k", urlSecret+"#frag", "c", "a=b&a=c")
	f.Fuzz(func(t *testing.T, key, secret, cloud, query string) {
		in := fmt.Sprintf("cloudinary://%s:%s@%s?%s", key, secret, cloud, query)
		u, err := ParseCloudinaryURL(in)
		if err != nil {
			distinctive := len(secret) >= 12 && !strings.Contains(key+cloud+query, secret[:12])
			if distinctive && strings.Contains(err.Error(), secret[:12]) {
				t.Fatalf("error %q contains the secret", err)
			}
			return
		}
		back, err := ParseCloudinaryURL(u.Reveal())
		if err != nil {
			t.Fatalf("Reveal() of a parsed URL does not parse: %v", err)
		}
		if back.Secret != u.Secret || back.APIKey != u.APIKey || back.Cloud != u.Cloud ||
			back.UploadPrefix != u.UploadPrefix || back.Algorithm != u.Algorithm {
			t.Fatalf("round trip changed the URL: %v vs %v", back, u)
		}
	})
}
