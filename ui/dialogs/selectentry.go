package dialogs

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// SelectEntry is widget.SelectEntry (a field with suggestions) that passes
// Esc on.
type SelectEntry struct{ widget.SelectEntry }

// NewSelectEntry is widget.NewSelectEntry that passes Esc on.
func NewSelectEntry(options []string) *SelectEntry {
	e := &SelectEntry{}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.SetOptions(options)
	return e
}

// TypedKey passes Esc on and leaves every other key to the field.
func (e *SelectEntry) TypedKey(ev *fyne.KeyEvent) {
	if !passEscape(e, ev) {
		e.SelectEntry.TypedKey(ev)
	}
}
