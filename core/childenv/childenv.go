// Package childenv builds the environment of every program Cloudup starts
// (xdg-open, xclip, wl-paste, ffmpeg, ffprobe): the few variables the kind
// of program needs, copied from ours, and nothing else. Our environment may
// hold CLOUDINARY_URL (with the API secret), tokens and settings a child
// has no business with; a child that logs or crashes with its environment
// must have none of them to leak.
//
// It only reads the environment; it does not start processes.
package childenv

import (
	"os"
	"runtime"
	"strings"
)

// Need is what a child does, which decides what it needs.
type Need int

const (
	// Tool is a command-line tool whose output is parsed (ffmpeg,
	// ffprobe): PATH, the temporary folder, and the C locale, so its
	// messages are the English ones the parser knows.
	Tool Need = iota
	// Display reads the desktop's clipboard (xclip, wl-paste): Tool's
	// variables with the user's locale, the user (HOME holds
	// ~/.Xauthority when XAUTHORITY is unset), and the display connection:
	// X11 (DISPLAY, XAUTHORITY) or Wayland (WAYLAND_DISPLAY,
	// XDG_RUNTIME_DIR).
	Display
	// Desktop hands something to the user's desktop (xdg-open): Display's
	// variables, and what it takes to find the user's chosen browser: the
	// session bus (portals, the running browser), which desktop this is
	// (xdg-open asks each desktop its own way), the XDG folders where the
	// default applications are set, and BROWSER.
	Desktop
)

var (
	base = []string{"PATH", "TMPDIR"}
	// Windows programs need these to start at all (SystemRoot) and to find
	// the user's folders and temporary space.
	windows = []string{"SystemRoot", "WINDIR", "SystemDrive", "TEMP", "TMP", "PATHEXT", "COMSPEC",
		"USERPROFILE", "APPDATA", "LOCALAPPDATA", "ProgramData", "ProgramFiles", "ProgramFiles(x86)"}
	display = []string{"HOME", "USER", "LOGNAME", "DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR"}
	desktop = []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_CURRENT_DESKTOP", "XDG_SESSION_DESKTOP", "XDG_SESSION_TYPE",
		"DESKTOP_SESSION", "KDE_FULL_SESSION", "KDE_SESSION_VERSION", "GNOME_DESKTOP_SESSION_ID",
		"XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_DATA_DIRS", "BROWSER"}
)

// For is the environment for a child with need on this system.
func For(need Need) []string {
	return Build(need, runtime.GOOS, os.Environ())
}

// Build is For from a given parent environment ("KEY=value" entries) on
// goos, for tests.
func Build(need Need, goos string, parent []string) []string {
	keys := append([]string{}, base...)
	if goos == "windows" {
		keys = append(keys, windows...)
	}
	if need >= Display {
		keys = append(keys, display...)
	}
	if need >= Desktop {
		keys = append(keys, desktop...)
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var env []string
	if need == Tool {
		env = append(env, "LC_ALL=C", "LANG=C")
	}
	for _, kv := range parent {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		locale := need != Tool && (k == "LANG" || k == "LANGUAGE" || strings.HasPrefix(k, "LC_"))
		if want[k] || locale {
			env = append(env, kv)
		}
	}
	return env
}
