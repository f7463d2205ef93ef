//go:build !darwin

package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// menuShortcut is a drawn menu's label and shortcut: the keys in the label
// in the text's own colour (see keyName).
func menuShortcut(label string, sc *desktop.CustomShortcut) (string, fyne.Shortcut) {
	return label + "   (" + keysWords(sc) + ")", keyName(sc.ShortcutName())
}
