// Package dialogs is how Cloudup's dialogs behave: one at a time on a
// window (a dialog's own confirmation may sit on top of it), and Esc closes
// the one on top, also while the cursor is in one of its fields.
//
// Fyne's dialogs know nothing of Esc, and its text fields, selects, checks
// and lists swallow the key while they have the focus. The widgets in this
// package are those widgets with one change: Esc leaves the field and goes
// on to the window, whose key handler calls Stack.CloseTop. Views build
// their dialogs' fields from here and show every dialog through For(win).
//
// It owns no goroutine and runs on the UI goroutine only.
package dialogs

import (
	"sync"

	"fyne.io/fyne/v2"
)

// Dialog is what the stack needs of a dialog: every fyne dialog, the file
// pickers included, is one.
type Dialog interface {
	Show()
	Hide()
	// SetOnClosed adds a function run when the dialog closes, however it
	// closes (fyne chains them).
	SetOnClosed(func())
}

// Stack is the dialogs open on one window, the newest last.
type Stack struct {
	open []Dialog
}

var (
	mu     sync.Mutex
	stacks = map[fyne.Window]*Stack{}
)

// For is the stack of win's dialogs.
func For(win fyne.Window) *Stack {
	mu.Lock()
	defer mu.Unlock()
	s, ok := stacks[win]
	if !ok {
		s = &Stack{}
		stacks[win] = s
	}
	return s
}

// Forget drops win's stack (when the window is gone).
func Forget(win fyne.Window) {
	mu.Lock()
	defer mu.Unlock()
	delete(stacks, win)
}

// Show shows d unless another dialog is open: a dialog is never stacked on
// an unrelated one (a shortcut pressed while Settings is open does not
// bring the file picker over it). It reports whether d was shown.
func (s *Stack) Show(d Dialog) bool {
	if len(s.open) > 0 {
		return false
	}
	s.push(d)
	return true
}

// ShowOver shows d on top of the dialog it belongs to: a confirmation or a
// fallback the open dialog asked for.
func (s *Stack) ShowOver(d Dialog) { s.push(d) }

func (s *Stack) push(d Dialog) {
	s.open = append(s.open, d)
	d.SetOnClosed(func() { s.remove(d) })
	d.Show()
}

func (s *Stack) remove(d Dialog) {
	for i := len(s.open) - 1; i >= 0; i-- {
		if s.open[i] == d {
			s.open = append(s.open[:i], s.open[i+1:]...)
			return
		}
	}
}

// CloseTop closes the newest open dialog as its Cancel or Close button
// would, and reports whether there was one.
func (s *Stack) CloseTop() bool {
	if len(s.open) == 0 {
		return false
	}
	d := s.open[len(s.open)-1]
	s.remove(d)
	d.Hide()
	return true
}

// Len is how many dialogs are open.
func (s *Stack) Len() int { return len(s.open) }

// HandleKeys makes handle win's key handler for keys no widget has taken,
// with Esc first closing the dialog on top. The window calls it once; view
// tests call it on their own windows.
func HandleKeys(win fyne.Window, handle func(*fyne.KeyEvent)) {
	s := For(win)
	win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape && s.CloseTop() {
			return
		}
		if handle != nil {
			handle(ev)
		}
	})
}
