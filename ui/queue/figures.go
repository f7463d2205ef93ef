package queue

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// figureLine is a one-line label whose figures are drawn apart from its
// words. Fyne keeps a texture of every distinct text it draws for a
// minute; the footer's line changes ten times a second during a batch
// ("1,234 of 30,000 uploaded · 343.5 kB/s"), and drawn whole it left some
// 600 textures of the whole line behind: 20 MB of the window, measured.
// In pieces, the words are drawn once and each new figure is a texture a
// few characters wide.
type figureLine struct {
	*widget.RichText
	text string
}

func newFigureLine() *figureLine {
	l := &figureLine{RichText: widget.NewRichText()}
	l.Truncation = fyne.TextTruncateEllipsis
	l.Wrapping = fyne.TextWrapOff
	return l
}

// Text is the whole line.
func (l *figureLine) Text() string { return l.text }

// SetText shows s, when it is new.
func (l *figureLine) SetText(s string) {
	if s == l.text {
		return
	}
	l.text = s
	segs := make([]widget.RichTextSegment, 0, 8)
	for _, part := range figureParts(s) {
		segs = append(segs, &widget.TextSegment{Text: part, Style: widget.RichTextStyle{
			ColorName: theme.ColorNameForeground, Inline: true, SizeName: theme.SizeNameText,
		}})
	}
	l.Segments = segs
	l.Refresh()
}

// figureParts splits s into runs of figures (digits with the separators
// between them: "30,000", "343.5") and runs of everything else.
func figureParts(s string) []string {
	var parts []string
	start, inFigure := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		digit := c >= '0' && c <= '9'
		sep := (c == ',' || c == '.') && inFigure && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'
		figure := digit || sep
		if i > start && figure != inFigure {
			parts = append(parts, s[start:i])
			start = i
		}
		inFigure = figure
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	return parts
}
