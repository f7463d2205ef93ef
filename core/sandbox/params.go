package sandbox

import (
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

const maxPublicIDLength = 255

// checkPublicID rejects public_ids that Cloudinary rejects or that could be
// mistaken for paths: ".." or "." segments, a leading "/", backslashes,
// NUL and other control characters, and the characters that break URLs.
// Storage never uses public_ids as paths; this keeps them honest anyway.
func checkPublicID(id string) error {
	bad := func(why string) error {
		return badRequest("Invalid public_id %q: %s. Use letters, digits, '-', '_', '.' and '/' between folder names", truncate(id, 80), why)
	}
	switch {
	case id == "":
		return badRequest("Invalid public_id: it is empty")
	case len(id) > maxPublicIDLength:
		return bad(fmt.Sprintf("it is %d bytes long; the limit is %d", len(id), maxPublicIDLength))
	case !utf8.ValidString(id):
		return bad("it is not valid UTF-8")
	case strings.HasPrefix(id, "/"):
		return bad("it may not start with '/' (an absolute path)")
	case strings.HasSuffix(id, "/"):
		return bad("it may not end with '/'")
	}
	for _, r := range id {
		switch {
		case r == 0:
			return bad("it contains a NUL character")
		case r == '\\':
			return bad("it contains a backslash")
		case unicode.IsControl(r):
			return bad("it contains a control character")
		case strings.ContainsRune("?#&%<>", r):
			return bad(fmt.Sprintf("it contains %q, which URLs cannot carry", r))
		}
	}
	for _, seg := range strings.Split(id, "/") {
		switch seg {
		case "":
			return bad("it contains an empty folder name ('//')")
		case ".", "..":
			return bad(fmt.Sprintf("it contains a %q segment", seg))
		}
		if strings.TrimSpace(seg) != seg {
			return bad("a folder or name in it starts or ends with a space")
		}
	}
	return nil
}

// checkFolder validates a folder or asset_folder value ("" is the root).
func checkFolder(param, folder string) error {
	if folder == "" {
		return nil
	}
	if err := checkPublicID(folder); err != nil {
		return badRequest("Invalid %s %q: folder names follow the public_id rules (no '..', no leading '/', no backslashes or control characters)", param, truncate(folder, 80))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sanitizeName turns a file name into a public_id part the way Cloudinary
// does with use_filename: characters outside [A-Za-z0-9_.-] become '_'.
func sanitizeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), ".")
	if s == "" {
		return "file"
	}
	return s
}

// splitName splits "photo.JPG" into "photo" and "jpg".
func splitName(name string) (base, ext string) {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" {
		return "", ""
	}
	e := path.Ext(name)
	if e == name {
		return name, ""
	}
	return strings.TrimSuffix(name, e), strings.ToLower(strings.TrimPrefix(e, "."))
}

// boolParam reads a boolean as the SDKs send it: Go true/false, Node 1/0.
func boolParam(p url.Values, key string, def bool) (bool, error) {
	v := strings.TrimSpace(p.Get(key))
	switch strings.ToLower(v) {
	case "":
		return def, nil
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, badRequest("Invalid %s parameter value %q: use true or false", key, v)
}

// listParam collects a list sent as "k=a,b" (Go, comma-joined), "k[]=a"
// (Node) or "k[0]=a" (Go's arrays, in byte order of the key), splitting
// every value on commas.
func listParam(p url.Values, key string) []string {
	var keys []string
	for k := range p {
		if k == key || baseName(k) == key {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		for _, v := range p[k] {
			for _, item := range strings.Split(v, ",") {
				item = strings.TrimSpace(item)
				if item != "" && !seen[item] {
					seen[item] = true
					out = append(out, item)
				}
			}
		}
	}
	return out
}

// tagsParam reads and checks tags.
func tagsParam(p url.Values, key string) ([]string, error) {
	tags := listParam(p, key)
	for _, t := range tags {
		if len(t) > 255 {
			return nil, badRequest("Tag %q is longer than 255 characters", truncate(t, 40))
		}
		if strings.ContainsAny(t, "\x00") {
			return nil, badRequest("Tag %q contains a NUL character", truncate(t, 40))
		}
	}
	return tags, nil
}

// parseContext reads Cloudinary's context syntax, "alt=My image|caption=Nice":
// pairs separated by '|', key and value by the first '=', with "\=" and
// "\|" for literal characters and "\\" for a backslash. Go's SDK does not
// escape, Node's does; both read back the same for ordinary values. A key
// with an empty value is returned with "" (the context command deletes it).
func parseContext(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	var pairs []string
	var cur strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			if r != '|' {
				cur.WriteByte('\\')
			}
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == '|':
			pairs = append(pairs, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if esc {
		cur.WriteByte('\\')
	}
	pairs = append(pairs, cur.String())
	for _, pair := range pairs {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		key, val, ok := cutUnescaped(pair)
		key = strings.TrimSpace(unescapeContext(key))
		if !ok || key == "" {
			return nil, badRequest("Invalid context %q: each entry must be key=value, separated by '|'", truncate(pair, 60))
		}
		if len(key) > 1024 || len(val) > 8192 {
			return nil, badRequest("Invalid context entry %q: keys are limited to 1024 bytes and values to 8192", truncate(key, 40))
		}
		out[key] = unescapeContext(val)
	}
	return out, nil
}

// cutUnescaped splits at the first '=' not preceded by a backslash.
func cutUnescaped(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=':
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func unescapeContext(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`=|\`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// contextString writes a context map back in the escaped syntax.
func contextString(m map[string]string) string {
	esc := strings.NewReplacer(`\`, `\\`, `=`, `\=`, `|`, `\|`)
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, esc.Replace(k)+"="+esc.Replace(m[k]))
	}
	return strings.Join(parts, "|")
}
