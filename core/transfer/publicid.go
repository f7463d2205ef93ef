package transfer

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Template is a parsed public ID template: literal text and placeholders.
//
//	{name}      file name without extension ("IMG 0042")
//	{slug}      the name made URL-friendly: lower case, accents dropped,
//	            other characters as "-" ("img-0042")
//	{ext}       extension without the dot, lower case ("jpg")
//	{md5}       MD5 of the content, 32 hex digits; {md5:N} the first N
//	{uid}       20 stable letters/digits from profile, folder, path and MD5,
//	            Cloudinary-like; {uid:N} the first N
//	{parent}    the name of the folder holding the file
//	{date}      the day the upload was planned, 2006-01-02
//	{time}      the time it was planned, 150405
//
// "/" makes sub-folders. The result is checked: no "..", no empty segment,
// none of ? & # \ % < > or control characters.
type Template struct {
	src   string
	parts []tplPart
}

type tplPart struct {
	literal string
	field   string // "" for a literal
	n       int    // length limit for md5/uid; 0 = whole
}

// DefaultTemplate is used when a profile has none: the file's readable name
// and six stable characters, so a retry gives the same id and two different
// files with the same name never share one ("summer-campaign_k3x9qa").
const DefaultTemplate = "{slug}_{uid:6}"

var fieldMax = map[string]int{"md5": 32, "uid": 20}

// ParseTemplate validates a template. An empty one is DefaultTemplate.
func ParseTemplate(s string) (Template, error) {
	src := s
	if strings.TrimSpace(s) == "" {
		s = DefaultTemplate
	}
	bad := func(format string, args ...any) (Template, error) {
		return Template{}, fmt.Errorf("%w %q: %s; use placeholders {name}, {slug}, {ext}, {md5[:N]}, {uid[:N]}, {parent}, {date}, {time}", ErrBadTemplate, src, fmt.Sprintf(format, args...))
	}
	var t Template
	t.src = s
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		closing := strings.IndexByte(rest, '}')
		if closing >= 0 && (open < 0 || closing < open) {
			return bad("a '}' without '{'")
		}
		if open < 0 {
			t.parts = append(t.parts, tplPart{literal: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, tplPart{literal: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return bad("a '{' without '}'")
		}
		inner := rest[open+1 : open+end]
		name, arg, hasArg := strings.Cut(inner, ":")
		p := tplPart{field: name}
		switch name {
		case "name", "slug", "ext", "parent", "date", "time":
			if hasArg {
				return bad("{%s} takes no length", name)
			}
		case "md5", "uid":
			if hasArg {
				n, err := strconv.Atoi(arg)
				if err != nil || n < 1 || n > fieldMax[name] {
					return bad("{%s:%s} needs a length from 1 to %d", name, arg, fieldMax[name])
				}
				p.n = n
			}
		default:
			return bad("unknown placeholder {%s}", inner)
		}
		t.parts = append(t.parts, p)
		rest = rest[open+end+1:]
	}
	for _, p := range t.parts {
		if p.field == "" {
			if err := checkLiteral(p.literal); err != nil {
				return bad("%v", err)
			}
		}
	}
	if strings.HasPrefix(s, "/") {
		return bad("it starts with '/'")
	}
	return t, nil
}

// String is the template's text.
func (t Template) String() string { return t.src }

// Has reports whether the template uses a placeholder.
func (t Template) Has(field string) bool {
	for _, p := range t.parts {
		if p.field == field {
			return true
		}
	}
	return false
}

// TemplateInput is what a public_id is made from.
type TemplateInput struct {
	Profile string
	Folder  string
	Path    string // or the URL for remote items
	Name    string // display name with extension
	MD5     string // hex; for remote items the MD5 of the URL text
	Nonce   string // mixed into {uid} for forced re-uploads
	Planned time.Time
}

// Render makes the public_id for one item.
func (t Template) Render(in TemplateInput) (string, error) {
	base := in.Name
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(base), "."))
	stem := strings.TrimSuffix(base, path.Ext(base))
	var b strings.Builder
	for _, p := range t.parts {
		switch p.field {
		case "":
			b.WriteString(p.literal)
		case "name":
			b.WriteString(cleanSegment(stem))
		case "slug":
			b.WriteString(Slug(stem))
		case "ext":
			b.WriteString(cleanSegment(ext))
		case "parent":
			b.WriteString(cleanSegment(parentName(in.Path)))
		case "date":
			b.WriteString(in.Planned.Format("2006-01-02"))
		case "time":
			b.WriteString(in.Planned.Format("150405"))
		case "md5":
			b.WriteString(cut(in.MD5, p.n))
		case "uid":
			b.WriteString(cut(stableID(in), p.n))
		}
	}
	id := strings.Trim(b.String(), " ")
	if err := checkPublicID(id); err != nil {
		return "", fmt.Errorf("%w %q gives public_id %q for %s: %v", ErrBadTemplate, t.src, id, in.Name, err)
	}
	return id, nil
}

func cut(s string, n int) string {
	if n > 0 && n < len(s) {
		return s[:n]
	}
	return s
}

func parentName(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	dir := path.Dir(p)
	if dir == "." || dir == "/" {
		return ""
	}
	return path.Base(dir)
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// stableID is 20 Cloudinary-like characters that depend only on what
// identifies the upload, so planning it again gives the same id.
func stableID(in TemplateInput) string {
	h := sha256.New()
	for _, s := range []string{in.Profile, in.Folder, in.Path, in.MD5, in.Nonce} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return lowerBase32.EncodeToString(h.Sum(nil))[:20]
}

// Slug makes a name safe for any URL: lower-case letters and digits, accents
// dropped, every other run of characters one "-", at most 60 characters.
// A name with nothing left is "file".
func Slug(name string) string {
	decomposed := norm.NFKD.String(name)
	var b strings.Builder
	dash := false
	for _, r := range decomposed {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent: "é" → "e"
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 60 {
		s = strings.Trim(s[:60], "-")
	}
	if s == "" {
		return "file"
	}
	return s
}

// cleanSegment makes a file name usable inside a public_id: characters
// Cloudinary refuses become "_", slashes too (a name is one segment).
func cleanSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '?' || r == '&' || r == '#' || r == '\\' || r == '%' || r == '<' || r == '>':
			return '_'
		case unicode.IsControl(r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return "_"
	}
	return s
}

func checkLiteral(s string) error {
	for _, r := range s {
		if strings.ContainsRune(`?&#\%<>`, r) || unicode.IsControl(r) {
			return fmt.Errorf("the character %q is not allowed in a public_id", r)
		}
	}
	return nil
}

// checkPublicID refuses ids Cloudinary would refuse or that escape a folder.
func checkPublicID(id string) error {
	if id == "" {
		return fmt.Errorf("it is empty")
	}
	if len(id) > 255 {
		return fmt.Errorf("it is longer than 255 characters")
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("it is not valid UTF-8")
	}
	if err := checkLiteral(id); err != nil {
		return err
	}
	if strings.HasPrefix(id, "/") || strings.HasSuffix(id, "/") {
		return fmt.Errorf("it starts or ends with '/'")
	}
	for _, seg := range strings.Split(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("it has an empty, '.' or '..' folder")
		}
	}
	return nil
}
