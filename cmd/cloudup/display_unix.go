//go:build linux || freebsd || openbsd || netbsd || dragonfly

package main

import "os"

// displayProblem says why no window can open, or "" when one can.
func displayProblem() string {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a desktop session, or under a virtual display (xvfb-run cloudup)"
	}
	return ""
}
