//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package main

// openDisplay: macOS and Windows always have a display for a desktop app.
func openDisplay() (release func(), problem string) { return func() {}, "" }
