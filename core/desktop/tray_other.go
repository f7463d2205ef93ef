//go:build !linux && !freebsd && !openbsd && !netbsd

package desktop

import "context"

// Tray reports whether there is a status area for an icon: macOS's menu
// bar and Windows' notification area always exist.
func Tray(context.Context) (ok bool, why string) { return true, "" }
