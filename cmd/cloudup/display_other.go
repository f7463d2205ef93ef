//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package main

// displayProblem: macOS and Windows always have a display for a desktop app.
func displayProblem() string { return "" }
