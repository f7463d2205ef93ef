// Package searchexpr parses and evaluates the Lucene-like expressions of
// Cloudinary's Search API (`tags:cat AND bytes>1000000`, `folder:demo/*`,
// `created_at>1d`, `public_id:sam*`, `-format:gif`, ranges `[a TO b]`).
// It owns the grammar, the list of searchable fields and the matching rules;
// it knows nothing of HTTP, storage or sorting, and it never evaluates
// anything but the parsed tree against the Doc it is given.
//
// Grammar (keywords are upper case, as in Cloudinary):
//
//	expr    = and { ("OR" | "||") and }
//	and     = unary { ["AND" | "&&"] unary }        // juxtaposition means AND
//	unary   = ("NOT" | "-" | "!") unary | ["+"] primary
//	primary = "(" expr ")" | field op value | field (":" | "=") range | value
//	op      = ":" | "=" | "!=" | ">" | ">=" | "<" | "<="
//	range   = ("[" | "{") value "TO" value ("]" | "}")  // [] inclusive, {} exclusive
//	value   = "quoted \"text\"" | word                   // word may use \ to escape
//
// Matching: "field:value" is a case-insensitive token match (the value's
// words must appear in order among the field's words, or equal the whole
// value); "field=value" is an exact, case-sensitive match; "*" in a value is
// a wildcard (so "public_id:sam*" is a prefix match and "folder:demo/*" means
// demo and everything below it). Numbers and dates compare numerically; a
// date is 2006-01-02, RFC 3339, or relative to now: 30s, 15m, 12h, 1d, 2w, 1y
// ("created_at>1d" means created within the last day). A bare value searches
// public_id, filename, display_name, tags and context values.
package searchexpr

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind says how a field's values compare.
type Kind int

const (
	// KindText fields hold words: public ids, names, tags, context values.
	KindText Kind = iota
	// KindNumber fields hold numbers: bytes, width, height...
	KindNumber
	// KindTime fields hold instants: created_at, uploaded_at.
	KindTime
)

// fields lists what can be searched. Context keys are searched as
// "context.KEY" (text) and "context:KEY" is not special.
var fields = map[string]Kind{
	"public_id":         KindText,
	"asset_id":          KindText,
	"filename":          KindText,
	"display_name":      KindText,
	"folder":            KindText,
	"asset_folder":      KindText,
	"format":            KindText,
	"resource_type":     KindText,
	"type":              KindText,
	"tags":              KindText,
	"context":           KindText,
	"status":            KindText,
	"access_mode":       KindText,
	"etag":              KindText,
	"original_filename": KindText,
	"bytes":             KindNumber,
	"width":             KindNumber,
	"height":            KindNumber,
	"pixels":            KindNumber,
	"aspect_ratio":      KindNumber,
	"duration":          KindNumber,
	"version":           KindNumber,
	"pages":             KindNumber,
	"created_at":        KindTime,
	"uploaded_at":       KindTime,
}

// folderFields treat "X/*" as "X and everything below it".
var folderFields = map[string]bool{"folder": true, "asset_folder": true}

// FieldKind reports the kind of a searchable field (context.KEY is text).
func FieldKind(name string) (Kind, bool) {
	if k, ok := fields[name]; ok {
		return k, true
	}
	if strings.HasPrefix(name, "context.") && len(name) > len("context.") {
		return KindText, true
	}
	return 0, false
}

// Doc is one searchable item. Absent fields return nil / false.
type Doc interface {
	// Text returns the values of a text field: several for tags, one for
	// scalars. "context" returns every context value; "context.KEY" one.
	Text(field string) []string
	// Number returns a numeric field.
	Number(field string) (float64, bool)
	// Time returns a date field.
	Time(field string) (time.Time, bool)
}

// Expr is a parsed expression.
type Expr interface {
	// Match reports whether doc satisfies the expression.
	Match(doc Doc) bool
	// String is a canonical form; parsing it again yields the same String.
	String() string
}

// SyntaxError describes what is wrong with an expression and where.
type SyntaxError struct {
	Pos int // byte offset into the expression
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid search expression at position %d: %s", e.Pos, e.Msg)
}

// ErrSyntax is what every *SyntaxError unwraps to.
var ErrSyntax = errors.New("invalid search expression")

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Limits that keep a hostile expression from exhausting the server.
const (
	MaxLength = 8192
	MaxDepth  = 64
)

// Parse parses expr with relative dates ("1d") measured from now.
func Parse(expr string) (Expr, error) { return ParseAt(expr, time.Now()) }

// ParseAt parses expr with relative dates measured from now. An empty (or
// all-blank) expression matches everything.
func ParseAt(expr string, now time.Time) (Expr, error) {
	if len(expr) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Msg: fmt.Sprintf("expression is %d bytes long; the limit is %d", len(expr), MaxLength)}
	}
	if !utf8.ValidString(expr) {
		return nil, &SyntaxError{Msg: "expression is not valid UTF-8"}
	}
	p := &parser{src: expr, now: now}
	p.skipSpace()
	if p.eof() {
		return matchAll{}, nil
	}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		if p.peekByte() == ')' {
			return nil, p.errf("unbalanced ')'")
		}
		return nil, p.errf("unexpected %q", p.rest(12))
	}
	return e, nil
}

type parser struct {
	src string
	pos int
	now time.Time
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peekByte() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) rest(n int) string {
	r := p.src[p.pos:]
	if len(r) > n {
		r = r[:n] + "…"
	}
	return r
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// keyword reports whether the upcoming word is kw followed by a delimiter,
// and consumes it if so.
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	if end < len(p.src) {
		c := p.src[end]
		if kw != "&&" && kw != "||" && !isSpaceByte(c) && c != '(' && c != ')' && c != '"' {
			return false
		}
	}
	p.pos = end
	return true
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func (p *parser) parseOr(depth int) (Expr, error) {
	if depth > MaxDepth {
		return nil, p.errf("expression nests deeper than %d levels", MaxDepth)
	}
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	terms := []Expr{left}
	for {
		p.skipSpace()
		if !p.keyword("OR") && !p.keyword("||") {
			break
		}
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, right)
	}
	if len(terms) == 1 {
		return left, nil
	}
	return or(terms), nil
}

func (p *parser) parseAnd(depth int) (Expr, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	terms := []Expr{left}
	for {
		p.skipSpace()
		if p.eof() || p.peekByte() == ')' {
			break
		}
		save := p.pos
		if p.keyword("OR") || p.keyword("||") {
			p.pos = save
			break
		}
		explicit := p.keyword("AND") || p.keyword("&&")
		p.skipSpace()
		if explicit && (p.eof() || p.peekByte() == ')') {
			return nil, p.errf("AND needs a term after it")
		}
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, right)
	}
	if len(terms) == 1 {
		return left, nil
	}
	return and(terms), nil
}

func (p *parser) parseUnary(depth int) (Expr, error) {
	if depth > MaxDepth {
		return nil, p.errf("expression nests deeper than %d levels", MaxDepth)
	}
	p.skipSpace()
	if p.eof() {
		return nil, p.errf("expression ends where a term was expected")
	}
	if p.keyword("NOT") {
		inner, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return not{inner}, nil
	}
	switch c := p.peekByte(); c {
	case '-', '!':
		if p.pos+1 < len(p.src) && !isSpaceByte(p.src[p.pos+1]) && !(c == '!' && p.src[p.pos+1] == '=') {
			p.pos++
			inner, err := p.parseUnary(depth + 1)
			if err != nil {
				return nil, err
			}
			return not{inner}, nil
		}
	case '+':
		if p.pos+1 < len(p.src) && !isSpaceByte(p.src[p.pos+1]) {
			p.pos++
		}
	}
	return p.parsePrimary(depth)
}

func (p *parser) parsePrimary(depth int) (Expr, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.errf("expression ends where a term was expected")
	}
	switch p.peekByte() {
	case '(':
		open := p.pos
		p.pos++
		p.skipSpace()
		if p.peekByte() == ')' {
			return nil, p.errf("empty parentheses")
		}
		e, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peekByte() != ')' {
			return nil, &SyntaxError{Pos: open, Msg: "'(' is never closed"}
		}
		p.pos++
		return e, nil
	case ')':
		return nil, p.errf("unbalanced ')'")
	}
	start := p.pos
	if name, ok := p.fieldName(); ok {
		if op, ok := p.operator(); ok {
			return p.parseTerm(start, name, op)
		}
	}
	p.pos = start
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if v.text == "" && !v.quoted {
		return nil, p.errf("unexpected %q", p.rest(12))
	}
	return newText(v), nil
}

// fieldName scans an identifier (letters, digits, '_', '.', '-').
func (p *parser) fieldName() (string, bool) {
	start := p.pos
	for !p.eof() {
		c := p.src[p.pos]
		if c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			p.pos++
			continue
		}
		break
	}
	if p.pos == start {
		return "", false
	}
	return p.src[start:p.pos], true
}

func (p *parser) operator() (Op, bool) {
	for _, op := range []Op{OpGreaterEq, OpLessEq, OpNotEq, OpToken, OpExact, OpGreater, OpLess} {
		if strings.HasPrefix(p.src[p.pos:], string(op)) {
			p.pos += len(op)
			return op, true
		}
	}
	return "", false
}

func (p *parser) parseTerm(start int, name string, op Op) (Expr, error) {
	kind, ok := FieldKind(name)
	if !ok {
		return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("unknown field %q (searchable: public_id, folder, asset_folder, tags, context.KEY, format, resource_type, type, bytes, width, height, created_at, uploaded_at, …)", name)}
	}
	if (op == OpToken || op == OpExact) && (p.peekByte() == '[' || p.peekByte() == '{') {
		return p.parseRange(name, kind)
	}
	vpos := p.pos
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if v.text == "" && !v.quoted {
		return nil, &SyntaxError{Pos: vpos, Msg: fmt.Sprintf("%s%s needs a value", name, op)}
	}
	c := &cmp{field: name, op: op, kind: kind, val: v}
	switch kind {
	case KindText:
		if op != OpToken && op != OpExact && op != OpNotEq {
			return nil, &SyntaxError{Pos: vpos, Msg: fmt.Sprintf("%s is a text field; %s works only on numbers and dates", name, op)}
		}
	case KindNumber:
		n, err := parseNumber(v.text)
		if err != nil {
			return nil, &SyntaxError{Pos: vpos, Msg: fmt.Sprintf("%s needs a number, not %q", name, v.text)}
		}
		c.num = n
	case KindTime:
		lo, hi, err := parseTime(v.text, p.now)
		if err != nil {
			return nil, &SyntaxError{Pos: vpos, Msg: fmt.Sprintf("%s needs a date (2024-01-31, RFC 3339, or relative like 1d), not %q", name, v.text)}
		}
		c.lo, c.hi = lo, hi
	}
	return c, nil
}

func (p *parser) parseRange(name string, kind Kind) (Expr, error) {
	open := p.pos
	if kind == KindText {
		return nil, &SyntaxError{Pos: open, Msg: fmt.Sprintf("%s is a text field; ranges work only on numbers and dates", name)}
	}
	r := &rng{field: name, kind: kind, incLo: p.src[p.pos] == '['}
	p.pos++
	p.skipSpace()
	lo, err := p.rangeValue()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.keyword("TO") {
		return nil, p.errf("range needs TO between its bounds")
	}
	p.skipSpace()
	hi, err := p.rangeValue()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	switch p.peekByte() {
	case ']':
		r.incHi = true
		r.closeInclusive = true
	case '}':
	default:
		return nil, &SyntaxError{Pos: open, Msg: "range is never closed with ']' or '}'"}
	}
	p.pos++
	r.loText, r.hiText = lo, hi
	switch kind {
	case KindNumber:
		if r.loN, err = parseRangeNumber(lo, math.Inf(-1)); err != nil {
			return nil, &SyntaxError{Pos: open, Msg: fmt.Sprintf("%s range needs numbers, not %q", name, lo)}
		}
		if r.hiN, err = parseRangeNumber(hi, math.Inf(1)); err != nil {
			return nil, &SyntaxError{Pos: open, Msg: fmt.Sprintf("%s range needs numbers, not %q", name, hi)}
		}
	case KindTime:
		if lo == "*" {
			r.loT = time.Time{}
			r.openLo = true
		} else if r.loT, _, err = parseTime(lo, p.now); err != nil {
			return nil, &SyntaxError{Pos: open, Msg: fmt.Sprintf("%s range needs dates, not %q", name, lo)}
		}
		if hi == "*" {
			r.openHi = true
		} else {
			var start, end time.Time
			if start, end, err = parseTime(hi, p.now); err != nil {
				return nil, &SyntaxError{Pos: open, Msg: fmt.Sprintf("%s range needs dates, not %q", name, hi)}
			}
			// An inclusive date-only upper bound covers the whole day.
			if r.incHi {
				r.hiT = end
				r.incHi = false
			} else {
				r.hiT = start
			}
		}
	}
	return r, nil
}

// rangeValue reads one bound: quoted, or a word that stops at whitespace
// and at the closing bracket.
func (p *parser) rangeValue() (string, error) {
	if p.peekByte() == '"' {
		v, err := p.quoted()
		return v.text, err
	}
	start := p.pos
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsSpace(r) || r == ']' || r == '}' {
			break
		}
		p.pos += n
	}
	if p.pos == start {
		return "", p.errf("range needs a bound here")
	}
	return p.src[start:p.pos], nil
}

type value struct {
	text   string
	quoted bool
}

// value reads a quoted string or a word. A word ends at whitespace, a
// parenthesis or a quote ("(format:png OR format:jpg)"); a backslash
// escapes the next character.
func (p *parser) value() (value, error) {
	if p.peekByte() == '"' {
		return p.quoted()
	}
	var b strings.Builder
	for !p.eof() {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsSpace(r) || r == ')' || r == '(' || r == '"' {
			break
		}
		if r == '\\' {
			if p.pos+1 >= len(p.src) {
				return value{}, p.errf("expression ends with a lone backslash")
			}
			r2, n2 := utf8.DecodeRuneInString(p.src[p.pos+1:])
			b.WriteRune(r2)
			p.pos += 1 + n2
			continue
		}
		b.WriteRune(r)
		p.pos += n
	}
	return value{text: b.String()}, nil
}

func (p *parser) quoted() (value, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch c {
		case '"':
			p.pos++
			return value{text: b.String(), quoted: true}, nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return value{}, &SyntaxError{Pos: open, Msg: "quoted value is never closed"}
			}
			r, n := utf8.DecodeRuneInString(p.src[p.pos+1:])
			b.WriteRune(r)
			p.pos += 1 + n
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return value{}, &SyntaxError{Pos: open, Msg: "quoted value is never closed"}
}

func parseNumber(s string) (float64, error) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return n, nil
}

func parseRangeNumber(s string, open float64) (float64, error) {
	if s == "*" {
		return open, nil
	}
	return parseNumber(s)
}

// parseTime returns the instant a date names and the end of the period it
// covers: a whole day for "2024-01-31", one second for full timestamps, and
// a single instant (lo == hi) for relative times.
func parseTime(s string, now time.Time) (lo, hi time.Time, err error) {
	if d, ok := relative(s); ok {
		t := now.Add(-d)
		return t, t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, t.AddDate(0, 0, 1), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, t.Add(time.Second), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 100000000 {
		t := time.Unix(n, 0).UTC()
		return t, t.Add(time.Second), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("not a date: %q", s)
}

func relative(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	unit := s[len(s)-1]
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 32)
	if err != nil || n < 0 {
		return 0, false
	}
	var d time.Duration
	switch unit {
	case 's':
		d = time.Second
	case 'm':
		d = time.Minute
	case 'h':
		d = time.Hour
	case 'd':
		d = 24 * time.Hour
	case 'w':
		d = 7 * 24 * time.Hour
	case 'y':
		d = 365 * 24 * time.Hour
	default:
		return 0, false
	}
	return time.Duration(n) * d, true
}
