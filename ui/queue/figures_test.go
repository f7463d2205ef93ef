package queue

import (
	"slices"
	"strings"
	"testing"
)

func TestFigurePartsSplitFiguresFromWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"1,234 of 30,000 uploaded · 343.5 kB/s · 1 min left", []string{"1,234", " of ", "30,000", " uploaded · ", "343.5", " kB/s · ", "1", " min left"}},
		{"0 of 1 uploaded · 1 failed", []string{"0", " of ", "1", " uploaded · ", "1", " failed"}},
		{"paused, 3 left.", []string{"paused, ", "3", " left."}},
		{"", nil},
	} {
		got := figureParts(c.in)
		if !slices.Equal(got, c.want) || strings.Join(got, "") != c.in {
			t.Errorf("figureParts(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
