//go:build linux || freebsd || openbsd || netbsd || dragonfly

package main

/*
#cgo linux LDFLAGS: -lX11
#cgo freebsd openbsd netbsd dragonfly pkg-config: x11
#include <X11/Xlib.h>

// window_position puts the top-left corner of window win (its content, as
// GLFW places windows) in root coordinates into x and y.
static int window_position(unsigned long win, int *x, int *y) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		return 0;
	}
	Window child;
	int ok = XTranslateCoordinates(d, (Window)win, DefaultRootWindow(d), 0, 0, x, y, &child);
	XCloseDisplay(d);
	return ok;
}
*/
import "C"

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// windowPosition says where w is on an X11 screen. Fyne 2.8 can place a
// window (RequestPosition) but not say where it is, so Xlib is asked.
// On Wayland the compositor keeps window places to itself: ok is false
// and only the size is remembered.
func windowPosition(w fyne.Window) (x, y int, ok bool) {
	nw, native := w.(driver.NativeWindow)
	if !native {
		return 0, 0, false
	}
	nw.RunNative(func(ctx any) {
		xc, isX11 := ctx.(driver.X11WindowContext)
		if !isX11 || xc.WindowHandle == 0 {
			return
		}
		var cx, cy C.int
		if C.window_position(C.ulong(xc.WindowHandle), &cx, &cy) != 0 {
			x, y, ok = int(cx), int(cy), true
		}
	})
	return x, y, ok
}
