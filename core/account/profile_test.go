package account

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/signing"
)

func validProfile() Profile {
	return Profile{Name: "work", Cloud: "demo", APIKey: "123456789012345"}.Normalized()
}

func TestNormalizedFillsDefaults(t *testing.T) {
	p := Profile{Name: "w", Folder: " /a/b/ ", Tags: []string{" x", "", "y", "x"},
		Limits: Limits{AllowedFormats: []string{".JPG", "png"}}}.Normalized()
	if p.Mode != Signed || p.Algorithm != signing.SHA1 || p.APIBase != DefaultAPIBase ||
		p.Concurrency != DefaultConcurrency || p.LinkFormat != LinkURL {
		t.Errorf("defaults not filled: %+v", p)
	}
	if p.Folder != "a/b" || strings.Join(p.Tags, ",") != "x,y" || strings.Join(p.Limits.AllowedFormats, ",") != "jpg,png" {
		t.Errorf("not tidied: folder %q tags %q formats %q", p.Folder, p.Tags, p.Limits.AllowedFormats)
	}
}

func TestNormalizedDoesNotModifyTheCallersSlices(t *testing.T) {
	formats := []string{".JPG"}
	Profile{Limits: Limits{AllowedFormats: formats}}.Normalized()
	if formats[0] != ".JPG" {
		t.Error("Normalized wrote into the caller's slice")
	}
}

func TestValidateNamesTheWrongField(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Profile)
		field  string
	}{
		{"empty name", func(p *Profile) { p.Name = "" }, "name"},
		{"name with newline", func(p *Profile) { p.Name = "a\nb" }, "name"},
		{"name with slash", func(p *Profile) { p.Name = "a/b" }, "name"},
		{"reserved name", func(p *Profile) { p.Name = "sandbox" }, "name"},
		{"sandbox flag on other name", func(p *Profile) { p.Sandbox = true }, "name"},
		{"no cloud", func(p *Profile) { p.Cloud = "" }, "cloud"},
		{"cloud with space", func(p *Profile) { p.Cloud = "my cloud" }, "cloud"},
		{"signed without key", func(p *Profile) { p.APIKey = "" }, "api_key"},
		{"key with quotes", func(p *Profile) { p.APIKey = `"123"` }, "api_key"},
		{"bad mode", func(p *Profile) { p.Mode = "open" }, "mode"},
		{"bad algorithm", func(p *Profile) { p.Algorithm = "md5" }, "algorithm"},
		{"unsigned without preset", func(p *Profile) { p.Mode = Unsigned }, "preset"},
		{"preset with space", func(p *Profile) { p.Preset = "my preset" }, "preset"},
		{"ftp api base", func(p *Profile) { p.APIBase = "ftp://x" }, "api_base"},
		{"api base with creds", func(p *Profile) { p.APIBase = "https://u:p@x" }, "api_base"},
		{"api base with query", func(p *Profile) { p.APIBase = "https://x?a=b" }, "api_base"},
		{"folder with dots", func(p *Profile) { p.Folder = "a/../b" }, "folder"},
		{"tag with comma", func(p *Profile) { p.Tags = []string{"a,b"} }, "tags"},
		{"concurrency too high", func(p *Profile) { p.Concurrency = 99 }, "concurrency"},
		{"negative concurrency", func(p *Profile) { p.Concurrency = -1 }, "concurrency"},
		{"bad link format", func(p *Profile) { p.LinkFormat = "bbcode" }, "link_format"},
		{"format names a missing template", func(p *Profile) { p.LinkFormat = "template:wp" }, "link_format"},
		{"template without url", func(p *Profile) { p.LinkTemplates = []LinkTemplate{{Name: "wp", Text: "{alt}"}} }, "link_templates"},
		{"two templates one name", func(p *Profile) {
			p.LinkTemplates = []LinkTemplate{{Name: "wp", Text: "{url}"}, {Name: "wp", Text: "<{url}>"}}
		}, "link_templates"},
		{"preset without transformation", func(p *Profile) { p.StudioPresets = []StudioPreset{{Name: "warm"}} }, "studio_presets"},
		{"two presets one name", func(p *Profile) {
			p.StudioPresets = []StudioPreset{{Name: "Warm", Transformation: "e_sepia:20"}, {Name: "warm", Transformation: "e_sepia:30"}}
		}, "studio_presets"},
		{"negative limit", func(p *Profile) { p.Limits.MaxImageBytes = -1 }, "limits"},
		{"bad format", func(p *Profile) { p.Limits.AllowedFormats = []string{"j pg"} }, "limits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := validProfile()
			tc.change(&p)
			err := p.Validate()
			var ipe *InvalidProfileError
			if !errors.As(err, &ipe) || !errors.Is(err, ErrInvalidProfile) {
				t.Fatalf("Validate() = %v, want an InvalidProfileError", err)
			}
			if ipe.Field != tc.field {
				t.Errorf("field = %q, want %q (%v)", ipe.Field, tc.field, err)
			}
		})
	}
}

func TestValidateAcceptsGoodProfiles(t *testing.T) {
	for _, p := range []Profile{
		validProfile(),
		Profile{Name: "Open uploads", Cloud: "demo", Mode: Unsigned, Preset: "ml_default"}.Normalized(),
		Profile{Name: "eu", Cloud: "demo", APIKey: "1", APIBase: "https://api-eu.cloudinary.com", Algorithm: signing.SHA256,
			Folder: "blog/2026", Tags: []string{"blog", "hero image"}, Concurrency: 8, LinkFormat: LinkMarkdown,
			Limits: Limits{MaxImageBytes: 10 << 20, AllowedFormats: []string{"jpg", "png"}, MaxFiles: 500}}.Normalized(),
		SandboxProfile(),
	} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}

func TestParseTags(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", " a , b,,a ": "a|b", "summer 2026,blog": "summer 2026|blog"} {
		if got := strings.Join(ParseTags(in), "|"); got != want {
			t.Errorf("ParseTags(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckSecretRefusesPasteMistakesWithoutRepeatingThem(t *testing.T) {
	const s = "AbC-123_xyzSECRETvalue00000"
	for in, words := range map[string]string{
		"":                           "empty",
		"   ":                        "empty",
		"cloudinary://k:" + s + "@c": "CLOUDINARY_URL",
		`"` + s + `"`:                "quotes",
		"'" + s + "'":                "quotes",
		s + " trailing":              "spaces",
		s + "\n" + s:                 "line breaks",
		"123456":                     "API key",
		strings.Repeat("x", 2000):    "longer",
	} {
		err := CheckSecret(Secret(in), "123456")
		if err == nil || !strings.Contains(err.Error(), words) {
			t.Errorf("CheckSecret(%.20q) = %v, want it to say %q", in, err, words)
		}
		if err != nil && len(in) > 8 && strings.Contains(err.Error(), s) {
			t.Errorf("error repeats the secret: %v", err)
		}
	}
	if err := CheckSecret(s, "123456"); err != nil {
		t.Errorf("a good secret was refused: %v", err)
	}
}

func TestLinkTemplatesAndStudioPresetsAreKept(t *testing.T) {
	p := validProfile()
	p.LinkTemplates = []LinkTemplate{{Name: "wp", Text: `[img src="{url}" alt="{alt}"]`}}
	p.LinkFormat = "template:wp"
	p.StudioPresets = []StudioPreset{{Name: "Warm card", Transformation: "c_fill,g_auto,w_1200,h_630/e_sepia:30/f_auto,q_auto", Named: "warm_card"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []LinkFormat{LinkSrcset, LinkPicture} {
		p.LinkFormat = f
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
