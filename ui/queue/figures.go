package queue

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// figureLine is a label whose figures are drawn apart from its words.
// Fyne keeps a texture of every distinct text it draws for a minute; the
// footer's line changes ten times a second during a batch ("1,234 of
// 30,000 uploaded · 343.5 kB/s"), and drawn whole it left some 600
// textures of the whole line behind: 20 MB of the window, measured. A
// row's speed and bytes sent change as often. In pieces, the words are
// drawn once and each new figure is a texture a few characters wide.
//
// Like a Label: set Text, Importance, Alignment or SizeName (or the
// RichText's Truncation and Wrapping), then Refresh; or SetText.
type figureLine struct {
	*widget.RichText
	Text       string
	Importance widget.Importance
	Alignment  fyne.TextAlign
	SizeName   fyne.ThemeSizeName

	drawn figureStyle // what the segments show
}

type figureStyle struct {
	text       string
	importance widget.Importance
	align      fyne.TextAlign
	size       fyne.ThemeSizeName
}

func newFigureLine() *figureLine {
	l := &figureLine{RichText: widget.NewRichText(), Importance: widget.MediumImportance}
	l.Truncation = fyne.TextTruncateEllipsis
	l.Wrapping = fyne.TextWrapOff
	return l
}

// SetText shows s, when it is new.
func (l *figureLine) SetText(s string) {
	if s != l.Text {
		l.Text = s
		l.Refresh()
	}
}

// Refresh draws the line again after its fields changed.
func (l *figureLine) Refresh() {
	want := figureStyle{l.Text, l.Importance, l.Alignment, l.SizeName}
	if want != l.drawn {
		l.drawn = want
		size := l.SizeName
		if size == "" {
			size = theme.SizeNameText
		}
		style := widget.RichTextStyle{Alignment: l.Alignment, ColorName: importanceColor(l.Importance), Inline: true, SizeName: size}
		segs := make([]widget.RichTextSegment, 0, 8)
		for _, part := range figureParts(l.Text) {
			segs = append(segs, &widget.TextSegment{Text: part, Style: style})
		}
		l.Segments = segs
	}
	l.RichText.Refresh()
}

// importanceColor is the text colour a Label gives an importance.
func importanceColor(i widget.Importance) fyne.ThemeColorName {
	switch i {
	case widget.LowImportance:
		return theme.ColorNameDisabled
	case widget.HighImportance:
		return theme.ColorNamePrimary
	case widget.DangerImportance:
		return theme.ColorNameError
	case widget.WarningImportance:
		return theme.ColorNameWarning
	case widget.SuccessImportance:
		return theme.ColorNameSuccess
	}
	return theme.ColorNameForeground
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
