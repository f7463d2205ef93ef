package source

import (
	"path"
	"strings"
	"testing"
	"time"
)

// FuzzMatcher: include and exclude patterns come from the command line
// and the window. Any pattern is either refused with a message or matches
// without panicking, in well under a second even against deep paths, and
// case never matters.
func FuzzMatcher(f *testing.F) {
	for _, s := range []struct{ glob, rel string }{
		{"*.jpg", "trip/IMG_0001.JPG"},
		{"raw/**", "raw/2024/a.cr3"},
		{"**/*.{jpg,png}", "a/b/c.png"},
		{"[a-", "x"},
		{"{a,{b,c}}/*", "b/x"},
		{strings.Repeat("**/", 30) + "x", strings.Repeat("a/", 200) + "y"},
		{strings.Repeat("*a", 40) + "*b", strings.Repeat("a", 300)},
		{"\\*", "*"},
	} {
		f.Add(s.glob, s.rel)
	}
	f.Fuzz(func(t *testing.T, glob, rel string) {
		m, err := newMatcher([]string{glob}, []string{glob})
		if err != nil {
			if !strings.Contains(err.Error(), "not a valid glob") {
				t.Fatalf("refused with %q", err)
			}
			return
		}
		name := path.Base(rel)
		start := time.Now()
		in := m.included(rel, name)
		ex := m.excluded(rel, name)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("matching %q against %q took %v", glob, rel, d)
		}
		// A blank pattern is no pattern: everything is included, nothing
		// excluded. Any other one includes exactly what it excludes.
		if blank := strings.TrimSpace(glob) == ""; (blank && (!in || ex)) || (!blank && in != ex) {
			t.Fatalf("%q includes %q (%v) and excludes it (%v)", glob, rel, in, ex)
		}
		ascii := strings.IndexFunc(rel, func(r rune) bool { return r > 127 }) < 0
		if ascii && in != m.included(strings.ToUpper(rel), strings.ToUpper(name)) {
			t.Fatalf("case changed the match of %q against %q", glob, rel)
		}
	})
}
