package cloud

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// UploadParams are the upload options Cloudup sends. Every field is signed
// (except the file itself) and sent on every request and chunk.
type UploadParams struct {
	PublicID     string
	Folder       string // legacy folder: part of the public_id path
	AssetFolder  string // dynamic-folder accounts: where the asset shows in the console
	DisplayName  string
	Tags         []string
	Context      map[string]string
	UploadPreset string // overrides Config.UploadPreset
	// Overwrite nil leaves Cloudinary's default (true for signed uploads when a
	// public_id is given). Cloudup sends false so a retried upload returns the
	// asset already stored ("existing": true) instead of a second version.
	Overwrite      *bool
	UniqueFilename *bool
	UseFilename    *bool
	Type           string     // delivery type: upload (default), private, authenticated
	Extra          url.Values // anything else, e.g. eager, transformation
}

// unsignedAllowed are the optional parameters Cloudinary accepts on an
// unsigned upload (besides upload_preset and file); the rest must come from
// the preset, so they are not sent at all.
var unsignedAllowed = map[string]bool{
	"public_id": true, "folder": true, "asset_folder": true, "display_name": true,
	"tags": true, "context": true, "metadata": true, "face_coordinates": true,
	"custom_coordinates": true, "regions": true, "upload_preset": true,
	"callback": true, "filename_override": true,
}

// values renders p as Cloudinary's form fields. Booleans are "true"/"false"
// and tags one comma-joined field, as the Go SDK sends them.
func (c *Client) values(p UploadParams) url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	setBool := func(k string, b *bool) {
		if b != nil {
			v.Set(k, strconv.FormatBool(*b))
		}
	}
	set("public_id", p.PublicID)
	set("folder", p.Folder)
	set("asset_folder", p.AssetFolder)
	set("display_name", p.DisplayName)
	set("tags", strings.Join(cleanTags(p.Tags), ","))
	set("context", FormatContext(p.Context))
	set("type", p.Type)
	setBool("overwrite", p.Overwrite)
	setBool("unique_filename", p.UniqueFilename)
	setBool("use_filename", p.UseFilename)
	for k, vals := range p.Extra {
		for _, val := range vals {
			v.Add(k, val)
		}
	}
	preset := p.UploadPreset
	if preset == "" {
		preset = c.cfg.UploadPreset
	}
	set("upload_preset", preset)
	if c.cfg.Unsigned {
		for k := range v {
			if !unsignedAllowed[k] {
				v.Del(k)
			}
		}
	}
	return v
}

// cleanTags drops empty tags and the commas that would split one tag in two.
func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(strings.ReplaceAll(t, ",", " "))
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

var contextEscaper = strings.NewReplacer(`\`, `\\`, `=`, `\=`, `|`, `\|`)

// FormatContext renders a context map as Cloudinary's "key=value|key2=value2",
// escaping "=" and "|" in values (and keys) with a backslash, in sorted key
// order so the string signed is the string sent (the Go SDK's random map
// order is a known trap).
func FormatContext(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, contextEscaper.Replace(k)+"="+contextEscaper.Replace(m[k]))
	}
	return strings.Join(parts, "|")
}

// ParseContext reads "key=value|key2=value2" with backslash escapes, the
// inverse of FormatContext. A pair without "=" becomes a key with an empty
// value; empty keys are dropped.
func ParseContext(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	var key, cur strings.Builder
	inValue := false
	flush := func() {
		k := key.String()
		if !inValue {
			k = cur.String()
		}
		if k != "" {
			if inValue {
				out[k] = cur.String()
			} else {
				out[k] = ""
			}
		}
		key.Reset()
		cur.Reset()
		inValue = false
	}
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '=' && !inValue:
			key.WriteString(cur.String())
			cur.Reset()
			inValue = true
		case r == '|':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	if escaped {
		cur.WriteRune('\\')
	}
	flush()
	if len(out) == 0 {
		return nil
	}
	return out
}
