// Package account owns Cloudup's profiles (which Cloudinary account to use
// and how: cloud name, API key, signing mode and algorithm, API base URL,
// upload defaults), the CLOUDINARY_URL convention, and the rule that picks
// the credentials a command runs with (Resolve).
//
// Profiles are JSON in the user config dir; the API secret is never part of
// them: it lives in the keychain (package keychain) or, when the user chose
// so, in CLOUDINARY_URL, which is read but never written anywhere. This
// package must not log, print or persist a secret, and does no network I/O.
package account

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/signing"
)

// Secret is the keychain's self-redacting secret type.
type Secret = keychain.Secret

// Mode says how uploads are authorised.
type Mode string

const (
	// Signed: every request is signed here with the API secret.
	Signed Mode = "signed"
	// Unsigned: uploads name an unsigned upload preset and carry no
	// signature. Anyone who knows the cloud name and preset can upload.
	Unsigned Mode = "unsigned"
	// Team: a team signing service (Signer) holds the secret and signs
	// what the editor's grant allows; the keychain holds the editor's
	// token, never the secret.
	Team Mode = "team"
)

// LinkFormat is how a share link is copied.
type LinkFormat string

const (
	LinkURL      LinkFormat = "url"
	LinkMarkdown LinkFormat = "markdown"
	LinkHTML     LinkFormat = "html"
	// LinkSrcset and LinkPicture are responsive HTML for web pages.
	LinkSrcset  LinkFormat = "srcset"
	LinkPicture LinkFormat = "picture"
	// LinkTemplatePrefix + a template's name picks one of LinkTemplates.
	LinkTemplatePrefix = "template:"
)

// LinkTemplate is a saved snippet with placeholders {url} {name} {alt}
// {width} {height} {public_id}.
type LinkTemplate struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// StudioPreset is a chain of effects an editor saved from the studio. Named
// is the Cloudinary named transformation (t_NAME) it was also saved as, if
// any.
type StudioPreset struct {
	Name           string `json:"name"`
	Transformation string `json:"transformation"`
	Named          string `json:"named,omitempty"`
}

// DefaultAPIBase is Cloudinary's API host (the SDKs' upload_prefix default).
const DefaultAPIBase = "https://api.cloudinary.com"

// AutoConcurrency (0) lets the upload engine choose how many uploads run at
// once, adapting to the link and to what the account tolerates.
const AutoConcurrency = 0

// DefaultConcurrency is a profile's concurrency unless it pins one: automatic.
const DefaultConcurrency = AutoConcurrency

// MaxConcurrency caps what a profile may ask for.
const MaxConcurrency = 32

// SandboxName is the reserved name of the profile whose credentials come
// from the embedded sandbox at run time. It always exists, cannot be
// deleted, and is what Cloudup uses when no other profile is configured.
const SandboxName = "Sandbox"

// Limits are client-side checks applied before anything is sent. Zero means
// no limit.
type Limits struct {
	MaxImageBytes  int64    `json:"max_image_bytes,omitempty"`
	MaxVideoBytes  int64    `json:"max_video_bytes,omitempty"`
	MaxRawBytes    int64    `json:"max_raw_bytes,omitempty"`
	AllowedFormats []string `json:"allowed_formats,omitempty"` // lower case, no dot: "jpg", "mp4"
	MaxFiles       int      `json:"max_files,omitempty"`       // per batch
}

// Profile is one way of talking to one Cloudinary account. It holds no
// secret.
type Profile struct {
	Name             string            `json:"name"`
	Cloud            string            `json:"cloud,omitempty"`
	APIKey           string            `json:"api_key,omitempty"`
	Mode             Mode              `json:"mode"`
	Algorithm        signing.Algorithm `json:"algorithm,omitempty"`
	APIBase          string            `json:"api_base,omitempty"`
	Folder           string            `json:"folder,omitempty"`
	Tags             []string          `json:"tags,omitempty"`
	Preset           string            `json:"preset,omitempty"`
	PublicIDTemplate string            `json:"public_id_template,omitempty"`
	DynamicFolders   bool              `json:"dynamic_folders,omitempty"`
	Concurrency      int               `json:"concurrency,omitempty"`
	Limits           Limits            `json:"limits,omitzero"`
	LinkFormat       LinkFormat        `json:"link_format,omitempty"`
	LinkTemplates    []LinkTemplate    `json:"link_templates,omitempty"`
	StudioPresets    []StudioPreset    `json:"studio_presets,omitempty"`
	Sandbox          bool              `json:"sandbox,omitempty"`
	// Signer is a team profile's signing service URL. Cloud, APIKey and
	// APIBase are then what the service last said it signs for.
	Signer string `json:"signer,omitempty"`
}

// SandboxProfile is the built-in Sandbox profile before the user changes
// any of its defaults.
func SandboxProfile() Profile {
	// Dynamic folders, like every Cloudinary account made since 2023: the
	// upload's file name becomes its display name, which the library shows.
	return Profile{Name: SandboxName, Sandbox: true, DynamicFolders: true}.Normalized()
}

// SecretAccount is the keychain account the profile's secret (for a team
// profile, the editor's token) is stored under (service "cloudup").
func (p Profile) SecretAccount() string { return p.Name }

// IsTeam reports whether the profile signs through a team signing service.
func (p Profile) IsTeam() bool { return p.Mode == Team && !p.Sandbox }

// NeedsSecret reports whether requests with this profile are signed with a
// secret the user supplies (not the sandbox's, not unsigned).
func (p Profile) NeedsSecret() bool { return !p.Sandbox && p.Mode != Unsigned }

// Normalized fills in defaults (signed, SHA-1, Cloudinary's API host,
// automatic concurrency, plain URLs) and tidies folder and tags. It does not
// validate.
func (p Profile) Normalized() Profile {
	if p.Mode == "" {
		p.Mode = Signed
	}
	if p.Algorithm == "" {
		p.Algorithm = signing.SHA1
	}
	if p.APIBase == "" && !p.Sandbox {
		// The sandbox's address is only known once it runs.
		p.APIBase = DefaultAPIBase
	}
	p.APIBase = strings.TrimRight(p.APIBase, "/")
	p.Signer = strings.TrimRight(strings.TrimSpace(p.Signer), "/")
	if p.LinkFormat == "" {
		p.LinkFormat = LinkURL
	}
	p.Folder = strings.Trim(strings.TrimSpace(p.Folder), "/")
	p.Tags = CleanTags(p.Tags)
	if len(p.Limits.AllowedFormats) == 0 {
		p.Limits.AllowedFormats = nil
	} else {
		formats := make([]string, len(p.Limits.AllowedFormats))
		for i, f := range p.Limits.AllowedFormats {
			formats[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "."))
		}
		p.Limits.AllowedFormats = formats
	}
	return p
}

// CleanTags trims each tag and drops empty ones and repeats.
func CleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// ParseTags splits "a, b,c" into tags.
func ParseTags(s string) []string { return CleanTags(strings.Split(s, ",")) }

// ErrInvalidProfile is matched by every validation error.
var ErrInvalidProfile = errors.New("invalid profile")

// InvalidProfileError says which field is wrong and how.
type InvalidProfileError struct {
	Field  string // e.g. "cloud", "api_key"
	Reason string
}

func (e *InvalidProfileError) Error() string { return e.Field + ": " + e.Reason }
func (e *InvalidProfileError) Is(target error) bool {
	return target == ErrInvalidProfile
}

func bad(field, format string, args ...any) error {
	return &InvalidProfileError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

var (
	namePattern   = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._@-]*$`)
	cloudPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	keyPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	presetPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// ValidateName checks a profile name.
func ValidateName(name string) error {
	switch {
	case name == "":
		return bad("name", "a profile needs a name")
	case utf8.RuneCountInString(name) > 64:
		return bad("name", "%q is longer than 64 characters", name)
	case !namePattern.MatchString(name) || strings.TrimSpace(name) != name:
		return bad("name", "%q: use letters, digits, spaces, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	return nil
}

// ValidateCloud checks a cloud name.
func ValidateCloud(cloud string) error {
	switch {
	case cloud == "":
		return bad("cloud", "the cloud name is missing (Cloudinary console > Settings > Product environment)")
	case len(cloud) > 128 || !cloudPattern.MatchString(cloud):
		return bad("cloud", "%q is not a cloud name: use letters, digits, '-' and '_'", cloud)
	}
	return nil
}

// ValidateAPIKey checks an API key. Keys are not secret, but a key with
// spaces is nearly always a paste mistake.
func ValidateAPIKey(key string) error {
	switch {
	case key == "":
		return bad("api_key", "the API key is missing (Cloudinary console > Settings > API Keys)")
	case !keyPattern.MatchString(key):
		return bad("api_key", "the API key may only hold letters, digits, '-' and '_' (check for spaces or quotes)")
	}
	return nil
}

// ValidateAPIBase checks an API base URL (the SDKs' upload_prefix).
func ValidateAPIBase(base string) error {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return bad("api_base", "%q is not a URL", base)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("api_base", "%q must start with https:// (or http:// for a local sandbox)", base)
	case u.Host == "":
		return bad("api_base", "%q has no host", base)
	case u.User != nil:
		return bad("api_base", "the API base URL must not carry credentials")
	case u.RawQuery != "" || u.Fragment != "":
		return bad("api_base", "%q must not have a query or fragment", base)
	}
	return nil
}

// ValidateSigner checks a team signing service's URL.
func ValidateSigner(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return bad("signer", "a team profile needs the signing service's address (the account owner gives it with your token)")
	case err != nil:
		return bad("signer", "%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("signer", "%q must start with https:// (or http:// on this computer)", s)
	case u.Host == "":
		return bad("signer", "%q has no host", s)
	case u.User != nil:
		return bad("signer", "the signing service's address must not carry a user or password; the token goes in its own field")
	case u.RawQuery != "" || u.Fragment != "":
		return bad("signer", "%q must not have a query or fragment", s)
	}
	return nil
}

// Validate checks a normalized profile and says what is wrong.
func (p Profile) Validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if p.Sandbox != strings.EqualFold(p.Name, SandboxName) {
		if p.Sandbox {
			return bad("name", "the sandbox profile must be named %q", SandboxName)
		}
		return bad("name", "%q is reserved for the built-in sandbox: pick another name", p.Name)
	}
	switch p.Mode {
	case Signed, Unsigned:
		if p.Signer != "" {
			return bad("signer", "only a team profile has a signing service")
		}
	case Team:
		if p.Sandbox {
			return bad("mode", "the sandbox signs with its own secret, not through a team service")
		}
		if err := ValidateSigner(p.Signer); err != nil {
			return err
		}
	default:
		return bad("mode", "%q: use signed, unsigned or team", p.Mode)
	}
	if _, err := signing.ParseAlgorithm(string(p.Algorithm)); err != nil || p.Algorithm == "" {
		return bad("algorithm", "%q: use sha1 or sha256 (the one set for your account in the Cloudinary console)", p.Algorithm)
	}
	// A team profile learns cloud, key and API base from its service.
	if !p.Sandbox && (p.Mode != Team || p.Cloud != "") {
		if err := ValidateCloud(p.Cloud); err != nil {
			return err
		}
		if p.Mode == Signed || p.APIKey != "" {
			if err := ValidateAPIKey(p.APIKey); err != nil {
				return err
			}
		}
		if err := ValidateAPIBase(p.APIBase); err != nil {
			return err
		}
	}
	if p.Mode == Unsigned && p.Preset == "" {
		return bad("preset", "unsigned uploads need an upload preset (create an unsigned one in the Cloudinary console > Settings > Upload)")
	}
	if p.Preset != "" && !presetPattern.MatchString(p.Preset) {
		return bad("preset", "%q is not a preset name: use letters, digits, '.', '-' and '_'", p.Preset)
	}
	if hasControl(p.Folder) || strings.Contains(p.Folder, "//") || strings.Contains("/"+p.Folder+"/", "/../") {
		return bad("folder", "%q is not a folder path", p.Folder)
	}
	for _, t := range p.Tags {
		if strings.Contains(t, ",") || hasControl(t) || len(t) > 255 {
			return bad("tags", "%q is not a tag: no commas or control characters, at most 255 bytes", t)
		}
	}
	if hasControl(p.PublicIDTemplate) {
		return bad("public_id_template", "the public ID template contains control characters")
	}
	if p.Concurrency < 0 || p.Concurrency > MaxConcurrency {
		return bad("concurrency", "%d: use 1 to %d uploads at once, or 0 to let Cloudup choose", p.Concurrency, MaxConcurrency)
	}
	if err := p.checkLinks(); err != nil {
		return err
	}
	l := p.Limits
	if l.MaxImageBytes < 0 || l.MaxVideoBytes < 0 || l.MaxRawBytes < 0 || l.MaxFiles < 0 {
		return bad("limits", "limits cannot be negative (0 means no limit)")
	}
	for _, f := range l.AllowedFormats {
		if f == "" || !keyPattern.MatchString(f) {
			return bad("limits", "%q is not a file format: write extensions like jpg, png, mp4", f)
		}
	}
	return nil
}

// checkLinks validates the link format, templates and studio presets.
func (p Profile) checkLinks() error {
	names := map[string]bool{}
	for _, t := range p.LinkTemplates {
		switch {
		case strings.TrimSpace(t.Name) == "" || hasControl(t.Name):
			return bad("link_templates", "every link template needs a name without control characters")
		case names[t.Name]:
			return bad("link_templates", "two link templates are called %q: rename one", t.Name)
		case !strings.Contains(t.Text, "{url}"):
			return bad("link_templates", "template %q has no {url}: add it where the link goes", t.Name)
		}
		names[t.Name] = true
	}
	switch f := string(p.LinkFormat); {
	case p.LinkFormat == LinkURL, p.LinkFormat == LinkMarkdown, p.LinkFormat == LinkHTML, p.LinkFormat == LinkSrcset, p.LinkFormat == LinkPicture:
	case strings.HasPrefix(f, LinkTemplatePrefix):
		if !names[strings.TrimPrefix(f, LinkTemplatePrefix)] {
			return bad("link_format", "no link template is called %q: add it or pick another format", strings.TrimPrefix(f, LinkTemplatePrefix))
		}
	default:
		return bad("link_format", "%q: use url, markdown, html, srcset, picture or template:NAME", p.LinkFormat)
	}
	presets := map[string]bool{}
	for _, sp := range p.StudioPresets {
		switch {
		case strings.TrimSpace(sp.Name) == "" || hasControl(sp.Name):
			return bad("studio_presets", "every saved preset needs a name without control characters")
		case presets[strings.ToLower(sp.Name)]:
			return bad("studio_presets", "two saved presets are called %q: rename one", sp.Name)
		case strings.TrimSpace(sp.Transformation) == "" || strings.ContainsAny(sp.Transformation, " \t\n?#"):
			return bad("studio_presets", "preset %q has no usable transformation", sp.Name)
		}
		presets[strings.ToLower(sp.Name)] = true
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// CheckSecret refuses what is clearly not an API secret, in words that never
// repeat it: empty, a whole CLOUDINARY_URL, quoted, with spaces or line
// breaks inside, or equal to the API key (the most common paste mistake).
func CheckSecret(secret Secret, apiKey string) error {
	s := secret.Reveal()
	switch {
	case strings.TrimSpace(s) == "":
		return bad("secret", "the API secret is empty (Cloudinary console > Settings > API Keys)")
	case strings.HasPrefix(strings.ToLower(s), "cloudinary://"):
		return bad("secret", "that is a CLOUDINARY_URL, not a secret: import it instead")
	case len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0]:
		return bad("secret", "the secret is wrapped in quotes: enter it without them")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return bad("secret", "the secret contains spaces, line breaks or control characters: copy only the secret")
	case len(s) > 1024:
		return bad("secret", "the secret is far longer than a Cloudinary API secret: copy only the secret")
	case s == apiKey:
		return bad("secret", "the secret equals the API key: copy the API secret, not the key")
	}
	return nil
}
