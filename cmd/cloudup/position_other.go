//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package main

import "fyne.io/fyne/v2"

// windowPosition is not known here yet (macOS and Windows would need
// their own native calls): only the window's size is remembered.
func windowPosition(fyne.Window) (x, y int, ok bool) { return 0, 0, false }
