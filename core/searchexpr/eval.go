package searchexpr

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Op is a comparison operator.
type Op string

const (
	OpToken     Op = ":"
	OpExact     Op = "="
	OpNotEq     Op = "!="
	OpGreater   Op = ">"
	OpGreaterEq Op = ">="
	OpLess      Op = "<"
	OpLessEq    Op = "<="
)

type matchAll struct{}

func (matchAll) Match(Doc) bool  { return true }
func (matchAll) String() string  { return "" }
func (matchAll) precedence() int { return 3 }

type and []Expr

func (a and) Match(d Doc) bool {
	for _, e := range a {
		if !e.Match(d) {
			return false
		}
	}
	return true
}

func (a and) String() string { return join(a, " AND ", 2) }
func (and) precedence() int  { return 1 }

type or []Expr

func (o or) Match(d Doc) bool {
	for _, e := range o {
		if e.Match(d) {
			return true
		}
	}
	return false
}

func (o or) String() string { return join(o, " OR ", 1) }
func (or) precedence() int  { return 0 }

type not struct{ e Expr }

func (n not) Match(d Doc) bool { return !n.e.Match(d) }
func (n not) String() string   { return "NOT " + wrap(n.e, 2) }
func (not) precedence() int    { return 2 }

// precedence orders nodes for printing: a child binding looser than (or as
// loose as) its parent's level gets parentheses, so String round-trips.
type precedenced interface{ precedence() int }

func wrap(e Expr, level int) string {
	if p, ok := e.(precedenced); ok && p.precedence() < level {
		return "(" + e.String() + ")"
	}
	return e.String()
}

func join(es []Expr, sep string, level int) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = wrap(e, level)
	}
	return strings.Join(parts, sep)
}

// cmp is "field op value".
type cmp struct {
	field  string
	op     Op
	kind   Kind
	val    value
	num    float64
	lo, hi time.Time
}

func (c *cmp) precedence() int { return 3 }

func (c *cmp) String() string { return c.field + string(c.op) + c.val.String() }

func (c *cmp) Match(d Doc) bool {
	switch c.kind {
	case KindNumber:
		n, ok := d.Number(c.field)
		if !ok {
			return c.op == OpNotEq
		}
		switch c.op {
		case OpToken, OpExact:
			return n == c.num
		case OpNotEq:
			return n != c.num
		case OpGreater:
			return n > c.num
		case OpGreaterEq:
			return n >= c.num
		case OpLess:
			return n < c.num
		case OpLessEq:
			return n <= c.num
		}
	case KindTime:
		t, ok := d.Time(c.field)
		if !ok {
			return c.op == OpNotEq
		}
		within := !t.Before(c.lo) && t.Before(c.hi)
		if c.lo.Equal(c.hi) {
			within = t.Equal(c.lo)
		}
		switch c.op {
		case OpToken, OpExact:
			return within
		case OpNotEq:
			return !within
		case OpGreater:
			return t.After(c.lo)
		case OpGreaterEq:
			return !t.Before(c.lo)
		case OpLess:
			return t.Before(c.lo)
		case OpLessEq:
			if c.lo.Equal(c.hi) {
				return !t.After(c.lo)
			}
			return t.Before(c.hi)
		}
	case KindText:
		values := d.Text(c.field)
		match := false
		for _, v := range values {
			if c.matchText(v) {
				match = true
				break
			}
		}
		if c.op == OpNotEq {
			return !match
		}
		return match
	}
	return false
}

func (c *cmp) matchText(v string) bool {
	want := c.val.text
	wild := !c.val.quoted && strings.Contains(want, "*")
	folder := folderFields[c.field]
	if c.op == OpExact || c.op == OpNotEq {
		if wild {
			return folderGlob(v, want, folder)
		}
		return v == want
	}
	// Token match: case-insensitive.
	lv, lw := strings.ToLower(v), strings.ToLower(want)
	if folder {
		if wild {
			return folderGlob(lv, lw, true)
		}
		return lv == lw
	}
	return tokenMatch(lv, lw, wild)
}

// folderGlob matches a wildcard pattern against a whole value; for folder
// fields "X/*" also matches X itself, as Cloudinary's folder search does.
func folderGlob(v, pattern string, folder bool) bool {
	if folder && strings.HasSuffix(pattern, "/*") && !strings.Contains(strings.TrimSuffix(pattern, "/*"), "*") && v == strings.TrimSuffix(pattern, "/*") {
		return true
	}
	return glob(v, pattern)
}

// tokenMatch: the whole value equals want, or want's words appear in order
// among v's words. A wildcard pattern may match the whole value or any word.
func tokenMatch(lv, lw string, wild bool) bool {
	if wild {
		if glob(lv, lw) {
			return true
		}
		for _, t := range tokens(lv) {
			if glob(t, lw) {
				return true
			}
		}
		return false
	}
	if lv == lw {
		return true
	}
	want := tokens(lw)
	if len(want) == 0 {
		return false
	}
	have := tokens(lv)
	for i := 0; i+len(want) <= len(have); i++ {
		ok := true
		for j := range want {
			if have[i+j] != want[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// glob matches s against pattern where '*' is any run of characters.
func glob(s, pattern string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, last)
}

// rng is "field:[lo TO hi]".
type rng struct {
	field          string
	kind           Kind
	incLo, incHi   bool // as evaluated
	closeInclusive bool // as written, for String
	loText, hiText string
	loN, hiN       float64
	loT, hiT       time.Time
	openLo, openHi bool
}

func (r *rng) precedence() int { return 3 }

func (r *rng) String() string {
	open, closing := "{", "}"
	if r.incLo {
		open = "["
	}
	if r.closeInclusive {
		closing = "]"
	}
	return r.field + ":" + open + boundString(r.loText) + " TO " + boundString(r.hiText) + closing
}

func (r *rng) Match(d Doc) bool {
	switch r.kind {
	case KindNumber:
		n, ok := d.Number(r.field)
		if !ok {
			return false
		}
		if n < r.loN || (!r.incLo && n == r.loN) {
			return false
		}
		if n > r.hiN || (!r.incHi && n == r.hiN) {
			return false
		}
		return true
	case KindTime:
		t, ok := d.Time(r.field)
		if !ok {
			return false
		}
		if !r.openLo && (t.Before(r.loT) || (!r.incLo && t.Equal(r.loT))) {
			return false
		}
		if !r.openHi && (t.After(r.hiT) || (!r.incHi && t.Equal(r.hiT))) {
			return false
		}
		return true
	}
	return false
}

// text is a bare value: searched in the descriptive fields.
type text struct{ val value }

var textFields = []string{"public_id", "filename", "display_name", "tags", "context"}

func newText(v value) Expr { return &text{val: v} }

func (t *text) precedence() int { return 3 }

func (t *text) String() string {
	s := t.val.String()
	if !t.val.quoted {
		// A bare word must not read as a keyword, an operator or a field.
		switch s {
		case "AND", "OR", "NOT", "TO":
			return `\` + s
		}
		if s != "" && strings.ContainsRune("-+!", rune(s[0])) {
			return `\` + s
		}
	}
	return s
}

func (t *text) Match(d Doc) bool {
	lw := strings.ToLower(t.val.text)
	wild := !t.val.quoted && strings.Contains(lw, "*")
	for _, f := range textFields {
		for _, v := range d.Text(f) {
			if tokenMatch(strings.ToLower(v), lw, wild) {
				return true
			}
		}
	}
	return false
}

// String prints a value so that the parser reads it back unchanged.
func (v value) String() string {
	if v.quoted {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range v.text {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
		return b.String()
	}
	var b strings.Builder
	for i, r := range v.text {
		if unicode.IsSpace(r) || strings.ContainsRune(`()"\:=<>!`, r) || (i == 0 && (r == '[' || r == '{')) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func boundString(s string) string {
	simple := s != "" && s != "TO"
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '\\' || r == ']' || r == '}' {
			simple = false
		}
	}
	if simple {
		return s
	}
	return value{text: s, quoted: true}.String()
}

// And is the conjunction of es; expressions that match everything (an empty
// search) drop out. It is how a restriction is put on top of a parsed
// expression as a tree, so no text in either can change the other's meaning.
func And(es ...Expr) Expr {
	var out and
	for _, e := range es {
		switch e := e.(type) {
		case matchAll:
		case and:
			out = append(out, e...)
		default:
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return matchAll{}
	case 1:
		return out[0]
	}
	return out
}

// Or is the disjunction of first and rest.
func Or(first Expr, rest ...Expr) Expr {
	if len(rest) == 0 {
		return first
	}
	return append(or{first}, rest...)
}

// Under matches assets whose field (public_id, folder or asset_folder) is
// inside folder: folder itself and everything below it ("field:folder/*").
// The folder is taken literally: a "*" in it is refused, not a wildcard.
func Under(field, folder string) (Expr, error) {
	kind, ok := FieldKind(field)
	if !ok || kind != KindText {
		return nil, fmt.Errorf("%q is not a text field", field)
	}
	if folder == "" || strings.Contains(folder, "*") || !utf8.ValidString(folder) {
		return nil, fmt.Errorf("folder %q cannot be searched literally", folder)
	}
	return &cmp{field: field, op: OpToken, kind: KindText, val: value{text: strings.TrimSuffix(folder, "/") + "/*"}}, nil
}
