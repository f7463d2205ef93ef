package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// menuShortcut: macOS draws the menu bar itself, with its own shortcut
// hints.
func menuShortcut(label string, sc *desktop.CustomShortcut) (string, fyne.Shortcut) {
	return label, sc
}
