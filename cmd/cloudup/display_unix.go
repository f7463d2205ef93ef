//go:build linux || freebsd || openbsd || netbsd || dragonfly

package main

/*
#cgo linux LDFLAGS: -lX11
#cgo freebsd openbsd netbsd dragonfly pkg-config: x11
#include <stdlib.h>
#include <X11/Xlib.h>
*/
import "C"

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
	"unsafe"
)

// openDisplay checks that a window can open before GLFW tries: GLFW panics
// ("PlatformUnavailable") when DISPLAY names no reachable X server, as on an
// ssh login without forwarding or with a stale DISPLAY. It returns a
// one-line problem, or a release func to call when the app ends.
//
// The X connection is held until then on purpose: an X server with no
// clients left resets itself (Xvfb does, by default), and a GLFW connection
// arriving during that reset fails. Holding one connection keeps the
// server up from this check until the window has its own.
func openDisplay() (release func(), problem string) {
	wayland, display := os.Getenv("WAYLAND_DISPLAY"), os.Getenv("DISPLAY")
	if wayland == "" && display == "" {
		return nil, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a desktop session, or under a virtual display (xvfb-run cloudup)"
	}
	var waylandErr error
	if wayland != "" {
		// GLFW prefers Wayland when it is there; a compositor never resets.
		if waylandErr = dialWayland(wayland); waylandErr == nil {
			return func() {}, ""
		}
		if display == "" {
			return nil, fmt.Sprintf("no display: the Wayland compositor at WAYLAND_DISPLAY=%s does not answer (%v); run it in a desktop session, or under a virtual display (xvfb-run cloudup)", wayland, waylandErr)
		}
	}
	name := C.CString(display)
	defer C.free(unsafe.Pointer(name))
	d := C.XOpenDisplay(name)
	if d == nil {
		return nil, fmt.Sprintf("no display: cannot open the X display DISPLAY=%s (no X server there, or it refuses this user); run it in a desktop session, or under a virtual display (xvfb-run cloudup)", display)
	}
	return func() { C.XCloseDisplay(d) }, ""
}

// dialWayland connects to the compositor's socket, as libwayland would.
func dialWayland(name string) error {
	path := name
	if !filepath.IsAbs(path) {
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			return fmt.Errorf("XDG_RUNTIME_DIR is not set")
		}
		path = filepath.Join(dir, name)
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
