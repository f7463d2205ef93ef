package dialogs

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func newWindow(t *testing.T) fyne.Window {
	t.Helper()
	test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel("behind"))
	win.Resize(fyne.NewSize(600, 400))
	t.Cleanup(func() { Forget(win) })
	return win
}

func TestADialogIsNotStackedOnAnother(t *testing.T) {
	win := newWindow(t)
	s := For(win)
	first := dialog.NewInformation("First", "one", win)
	if !s.Show(first) {
		t.Fatal("the first dialog was refused")
	}
	if s.Show(dialog.NewInformation("Second", "two", win)) {
		t.Error("a second dialog was shown over the first")
	}
	if n := len(win.Canvas().Overlays().List()); n != 1 {
		t.Errorf("%d overlays, want 1", n)
	}
	confirm := dialog.NewConfirm("Sure?", "really", func(bool) {}, win)
	s.ShowOver(confirm)
	if s.Len() != 2 {
		t.Errorf("the first dialog's confirmation was not shown over it: %d open", s.Len())
	}
}

func TestEscClosesTheTopDialogOnlyAndRunsItsCloseHandlers(t *testing.T) {
	win := newWindow(t)
	HandleKeys(win, nil)
	s := For(win)
	var closed []string
	outer := dialog.NewCustom("Outer", "Close", widget.NewLabel("x"), win)
	outer.SetOnClosed(func() { closed = append(closed, "outer") })
	s.Show(outer)
	inner := dialog.NewConfirm("Inner", "y", func(ok bool) {
		if !ok {
			closed = append(closed, "inner canceled")
		}
	}, win)
	s.ShowOver(inner)

	esc := func() { win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) }
	esc()
	if len(closed) != 1 || closed[0] != "inner canceled" || s.Len() != 1 {
		t.Fatalf("after one Esc: closed %v, %d open", closed, s.Len())
	}
	esc()
	if len(closed) != 2 || closed[1] != "outer" || s.Len() != 0 || len(win.Canvas().Overlays().List()) != 0 {
		t.Fatalf("after two: closed %v, %d open, %d overlays", closed, s.Len(), len(win.Canvas().Overlays().List()))
	}
	// A dialog closed by its own button leaves the stack too.
	again := dialog.NewInformation("Again", "z", win)
	s.Show(again)
	again.Hide()
	if s.Len() != 0 {
		t.Error("a dialog closed by its button stayed on the stack")
	}
}

func TestEscFromAFocusedFieldReachesTheWindow(t *testing.T) {
	win := newWindow(t)
	var handed []fyne.KeyName
	HandleKeys(win, func(ev *fyne.KeyEvent) { handed = append(handed, ev.Name) })
	entry, pass, multi := NewEntry(), NewPasswordEntry(), NewMultiLineEntry()
	sel := NewSelect([]string{"a", "b"}, nil)
	suggest := NewSelectEntry([]string{"blog", "blog/2026"})
	check := NewCheck("c", nil)
	list := NewList(func() int { return 2 }, func() fyne.CanvasObject { return widget.NewLabel("row") }, func(widget.ListItemID, fyne.CanvasObject) {})
	list.Resize(fyne.NewSize(100, 80))
	fields := []fyne.Focusable{entry, pass, multi, sel, suggest, check, list}
	box := widget.NewForm(widget.NewFormItem("e", entry), widget.NewFormItem("p", pass), widget.NewFormItem("m", multi),
		widget.NewFormItem("s", sel), widget.NewFormItem("se", suggest), widget.NewFormItem("c", check), widget.NewFormItem("l", list))
	for _, f := range fields {
		d := dialog.NewCustom("Fields", "Close", box, win)
		For(win).Show(d)
		win.Canvas().Focus(f)
		if win.Canvas().Focused() != f {
			t.Fatalf("%T did not take the focus", f)
		}
		win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if For(win).Len() != 0 {
			t.Errorf("Esc in a focused %T did not close the dialog", f)
			For(win).CloseTop()
		}
		if win.Canvas().Focused() != nil {
			t.Errorf("the %T kept the focus after Esc", f)
		}
	}
	// With no dialog open, Esc and other keys go on to the window.
	win.Canvas().Focus(entry)
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if len(handed) != 1 || handed[0] != fyne.KeyEscape {
		t.Errorf("the window's handler got %v, want one Esc", handed)
	}
}

func TestPasswordEntryShowsAndHidesTheSecret(t *testing.T) {
	win := newWindow(t)
	pass := NewPasswordEntry()
	win.SetContent(pass)
	test.Type(pass, "s3cret")
	if !pass.Password {
		t.Fatal("a password entry shows what was typed")
	}
	test.Tap(pass.ActionItem.(fyne.Tappable))
	if pass.Password || pass.Text != "s3cret" {
		t.Errorf("after the eye: hidden %v, text %q", pass.Password, pass.Text)
	}
	test.Tap(pass.ActionItem.(fyne.Tappable))
	if !pass.Password {
		t.Error("the eye did not hide the secret again")
	}
}
