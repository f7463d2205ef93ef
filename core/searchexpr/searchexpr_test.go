package searchexpr

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// doc is a plain searchable asset for tests.
type doc struct {
	text    map[string][]string
	numbers map[string]float64
	times   map[string]time.Time
}

func (d doc) Text(f string) []string {
	if f == "context" {
		var all []string
		for k, v := range d.text {
			if strings.HasPrefix(k, "context.") {
				all = append(all, v...)
			}
		}
		return all
	}
	return d.text[f]
}

func (d doc) Number(f string) (float64, bool) { n, ok := d.numbers[f]; return n, ok }
func (d doc) Time(f string) (time.Time, bool) { t, ok := d.times[f]; return t, ok }

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func sample() doc {
	return doc{
		text: map[string][]string{
			"public_id":       {"demo/Sample_Beach-2"},
			"filename":        {"Sample_Beach-2"},
			"display_name":    {"Sample beach"},
			"folder":          {"demo/trips"},
			"asset_folder":    {"demo/trips"},
			"format":          {"jpg"},
			"resource_type":   {"image"},
			"type":            {"upload"},
			"tags":            {"summer", "Sea side", "service:mantels"},
			"context.caption": {"A sunny day"},
			"context.alt":     {"waves"},
		},
		numbers: map[string]float64{"bytes": 2_500_000, "width": 1600, "height": 900},
		times: map[string]time.Time{
			"created_at":  now.Add(-3 * time.Hour),
			"uploaded_at": now.Add(-3 * time.Hour),
		},
	}
}

func TestExpressionsMatchAssetsLikeCloudinarySearch(t *testing.T) {
	d := sample()
	cases := []struct {
		expr string
		want bool
	}{
		{"", true},
		{"   ", true},
		{"resource_type:image", true},
		{"resource_type:video", false},
		{"tags:summer", true},
		{"tags:SUMMER", true},
		{"tags=SUMMER", false},
		{"tags=summer", true},
		{`tags:"sea side"`, true},
		{`tags:"service:mantels"`, true},
		{`tags:service\:mantels`, true},
		{"tags:winter", false},
		{"public_id:sam*", true},
		{"public_id:demo/sam*", true},
		{"public_id=demo/Sample*", true},
		{"public_id=demo/sample*", false},
		{"public_id:beach", true},
		{"public_id:zzz*", false},
		{"folder:demo/*", true},
		{"folder:demo", false},
		{"folder:demo/trips", true},
		{"folder:demo/trips/*", true},
		{"folder:other/*", false},
		{"asset_folder=demo/trips", true},
		{"bytes>1000000", true},
		{"bytes>=2500000", true},
		{"bytes>2500000", false},
		{"bytes<1000", false},
		{"bytes<=2500000", true},
		{"width=1600", true},
		{"width!=1600", false},
		{"format!=png", true},
		{"width:[1000 TO 1600]", true},
		{"width:[1000 TO 1600}", false},
		{"width:{1600 TO *]", false},
		{"height:[* TO 900]", true},
		{"created_at>2026-03-01", true},
		{"created_at<2026-03-01", false},
		{"created_at:2026-03-10", true},
		{"created_at<=2026-03-10", true},
		{"created_at>1d", true},
		{"created_at>1h", false},
		{"created_at<1h", true},
		{"uploaded_at>2026-03-10T08:00:00Z", true},
		{"uploaded_at>2026-03-10T10:00:00Z", false},
		{"created_at:[2026-03-01 TO 2026-03-10]", true},
		{"created_at:[2026-03-01 TO 2026-03-09]", false},
		{"context.caption:sunny", true},
		{"context.alt=waves", true},
		{"context.alt:sunny", false},
		{"sunny", true},
		{"beach", true},
		{"nothing", false},
		{"resource_type:image AND tags:summer", true},
		{"resource_type:image AND tags:winter", false},
		{"resource_type:image tags:winter", false},
		{"tags:winter OR tags:summer", true},
		{"tags:winter || tags:summer", true},
		{"tags:summer && format:jpg", true},
		{"NOT tags:winter", true},
		{"-tags:summer", false},
		{"!tags:summer", false},
		{"+tags:summer", true},
		{"resource_type:image AND (format:png OR format:jpg)", true},
		{"resource_type:image AND (format:png OR format:gif)", false},
		{"tags:winter OR tags:summer AND format:png", false},
		{"(tags:winter OR tags:summer) AND format:jpg", true},
		{"NOT (tags:winter OR format:png)", true},
		{"bytes>1000000 AND -format:gif AND folder:demo/*", true},
	}
	for _, c := range cases {
		e, err := ParseAt(c.expr, now)
		if err != nil {
			t.Errorf("ParseAt(%q): %v", c.expr, err)
			continue
		}
		if got := e.Match(d); got != c.want {
			t.Errorf("%q matched = %v, want %v (parsed as %q)", c.expr, got, c.want, e.String())
		}
	}
}

func TestMalformedExpressionsAreRejectedWithPosition(t *testing.T) {
	cases := []struct {
		expr string
		msg  string
	}{
		{"tags:", "needs a value"},
		{"(tags:a", "never closed"},
		{"tags:a)", "unbalanced"},
		{"()", "empty parentheses"},
		{`tags:"open`, "never closed"},
		{"colour:red", "unknown field"},
		{"bytes>big", "needs a number"},
		{"created_at>yesterday", "needs a date"},
		{"tags>3", "text field"},
		{"tags:[a TO b]", "text field"},
		{"width:[1 2]", "TO"},
		{"width:[1 TO 2", "never closed"},
		{"tags:a AND", "AND needs a term"},
		{"tags:a OR", "term was expected"},
		{"NOT", "term was expected"},
		{`tags:a\`, "lone backslash"},
		{strings.Repeat("(", MaxDepth+5) + "a" + strings.Repeat(")", MaxDepth+5), "nests deeper"},
		{strings.Repeat("a ", MaxLength), "limit"},
	}
	for _, c := range cases {
		_, err := ParseAt(c.expr, now)
		if err == nil {
			t.Errorf("ParseAt(%q) succeeded, want an error about %q", c.expr, c.msg)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseAt(%q) error %T is not a *SyntaxError wrapping ErrSyntax", c.expr, err)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseAt(%q) = %q, want it to mention %q", c.expr, err, c.msg)
		}
	}
}

func TestStringIsCanonicalAndReparsesToTheSameTree(t *testing.T) {
	cases := map[string]string{
		"tags:a tags:b":                        "tags:a AND tags:b",
		"a OR b AND c":                         "a OR b AND c",
		"(a OR b) AND c":                       "(a OR b) AND c",
		"-(a OR b)":                            "NOT (a OR b)",
		`tags:"x y"`:                           `tags:"x y"`,
		`tags:x\ y`:                            `tags:x\ y`,
		"width:[1 TO 5}":                       "width:[1 TO 5}",
		"created_at:[2024-01-01 TO *]":         "created_at:[2024-01-01 TO *]",
		"bytes>=10 && (format:png || x)":       "bytes>=10 AND (format:png OR x)",
		"((a))":                                "a",
		`\AND`:                                 `\AND`,
		`a\:b`:                                 `a\:b`,
		"public_id:sam* NOT resource_type:raw": "public_id:sam* AND NOT resource_type:raw",
	}
	for in, want := range cases {
		e, err := ParseAt(in, now)
		if err != nil {
			t.Errorf("ParseAt(%q): %v", in, err)
			continue
		}
		if got := e.String(); got != want {
			t.Errorf("ParseAt(%q).String() = %q, want %q", in, got, want)
		}
		again, err := ParseAt(e.String(), now)
		if err != nil || again.String() != e.String() {
			t.Errorf("String of %q does not round-trip: %q → %v %v", in, e.String(), again, err)
		}
	}
}

func TestFieldKindKnowsContextKeys(t *testing.T) {
	if k, ok := FieldKind("context.alt"); !ok || k != KindText {
		t.Errorf("context.alt = %v %v, want text", k, ok)
	}
	if _, ok := FieldKind("context."); ok {
		t.Error("context. with no key must not be a field")
	}
	if k, ok := FieldKind("bytes"); !ok || k != KindNumber {
		t.Errorf("bytes = %v %v, want number", k, ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "tags:a", "resource_type:image AND (format:png OR format:jpg)", "folder:demo/*",
		`tags:"service:mantels" AND -tags:discontinued`, "bytes>1000000", "created_at>1d",
		"width:[1 TO *}", `a\:b`, "NOT NOT x", "((((", "tags:", `"`, "\u00a0AND\u00a0", "x:=y",
		"created_at:[2024-01-01 TO 2024-02-01]", "public_id:sam* OR public_id=demo/x",
	} {
		f.Add(s)
	}
	d := sample()
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseAt(s, now)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("error position %d outside expression of %d bytes", se.Pos, len(s))
			}
			return
		}
		e.Match(d)
		canon := e.String()
		again, err := ParseAt(canon, now)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q → %q", canon, again.String())
		}
		if again.Match(d) != e.Match(d) {
			t.Fatalf("canonical form %q matches differently from %q", canon, s)
		}
	})
}
