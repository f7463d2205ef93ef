package dialogs

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// passEscape takes the focus off w and hands Esc to the window's key
// handler, as if no field had had the focus. It reports whether ev was Esc.
func passEscape(w fyne.Widget, ev *fyne.KeyEvent) bool {
	if ev.Name != fyne.KeyEscape {
		return false
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(w)
	if c == nil {
		return true
	}
	c.Unfocus()
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
	return true
}

// Entry is widget.Entry that passes Esc on.
type Entry struct{ widget.Entry }

// NewEntry is widget.NewEntry that passes Esc on.
func NewEntry() *Entry {
	e := &Entry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// NewMultiLineEntry is widget.NewMultiLineEntry that passes Esc on.
func NewMultiLineEntry() *Entry {
	e := NewEntry()
	e.MultiLine = true
	return e
}

// NewPasswordEntry is widget.NewPasswordEntry that passes Esc on, with its
// own show/hide eye (fyne's is bound to its own entry type).
func NewPasswordEntry() *Entry {
	e := NewEntry()
	e.Password = true
	e.ActionItem = newRevealer(e)
	return e
}

// TypedKey passes Esc on and leaves every other key to the entry.
func (e *Entry) TypedKey(ev *fyne.KeyEvent) {
	if !passEscape(e, ev) {
		e.Entry.TypedKey(ev)
	}
}

// Select is widget.Select that passes Esc on.
type Select struct{ widget.Select }

// NewSelect is widget.NewSelect that passes Esc on.
func NewSelect(options []string, changed func(string)) *Select {
	s := &Select{}
	s.Options, s.OnChanged, s.PlaceHolder = options, changed, "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey passes Esc on.
func (s *Select) TypedKey(ev *fyne.KeyEvent) {
	if !passEscape(s, ev) {
		s.Select.TypedKey(ev)
	}
}

// Check is widget.Check that passes Esc on.
type Check struct{ widget.Check }

// NewCheck is widget.NewCheck that passes Esc on.
func NewCheck(label string, changed func(bool)) *Check {
	c := &Check{}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// TypedKey passes Esc on.
func (c *Check) TypedKey(ev *fyne.KeyEvent) {
	if !passEscape(c, ev) {
		c.Check.TypedKey(ev)
	}
}

// List is widget.List that passes Esc on.
type List struct{ widget.List }

// NewList is widget.NewList that passes Esc on.
func NewList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *List {
	l := &List{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey passes Esc on.
func (l *List) TypedKey(ev *fyne.KeyEvent) {
	if !passEscape(l, ev) {
		l.List.TypedKey(ev)
	}
}

// NewRadioGroup is widget.NewRadioGroup whose choices give the focus back
// once picked: its radio items are fyne's own, and a focused one would
// swallow Esc.
func NewRadioGroup(options []string, changed func(string)) *widget.RadioGroup {
	var r *widget.RadioGroup
	r = widget.NewRadioGroup(options, func(s string) {
		if c := fyne.CurrentApp().Driver().CanvasForObject(r); c != nil {
			c.Unfocus()
		}
		if changed != nil {
			changed(s)
		}
	})
	return r
}

// revealer is the eye at the end of a password entry: it shows or hides
// what was typed.
type revealer struct {
	widget.BaseWidget
	entry *Entry
	icon  *canvas.Image
}

func newRevealer(e *Entry) *revealer {
	r := &revealer{entry: e, icon: canvas.NewImageFromResource(theme.VisibilityOffIcon())}
	r.ExtendBaseWidget(r)
	return r
}

func (r *revealer) CreateRenderer() fyne.WidgetRenderer {
	return &revealerRenderer{WidgetRenderer: widget.NewSimpleRenderer(r.icon), r: r}
}

// Cursor keeps the arrow over the eye, not the text cursor.
func (r *revealer) Cursor() desktop.Cursor { return desktop.DefaultCursor }

// Tapped shows or hides the secret and keeps typing in the field.
func (r *revealer) Tapped(*fyne.PointEvent) {
	if r.entry.Disabled() {
		return
	}
	r.entry.Password = !r.entry.Password
	r.entry.Refresh()
	r.Refresh()
	if c := fyne.CurrentApp().Driver().CanvasForObject(r); c != nil {
		c.Focus(r.entry)
	}
}

type revealerRenderer struct {
	fyne.WidgetRenderer
	r *revealer
}

func (rr *revealerRenderer) Layout(size fyne.Size) {
	s := theme.Size(theme.SizeNameInlineIcon)
	rr.r.icon.Resize(fyne.NewSquareSize(s))
	rr.r.icon.Move(fyne.NewPos((size.Width-s)/2, (size.Height-s)/2))
}

func (rr *revealerRenderer) MinSize() fyne.Size {
	return fyne.NewSquareSize(theme.Size(theme.SizeNameInlineIcon) + 2*theme.Size(theme.SizeNameInnerPadding))
}

func (rr *revealerRenderer) Refresh() {
	res := theme.VisibilityOffIcon()
	if !rr.r.entry.Password {
		res = theme.VisibilityIcon()
	}
	if rr.r.entry.Disabled() {
		res = theme.NewDisabledResource(res)
	}
	rr.r.icon.Resource = res
	rr.r.icon.Refresh()
}
