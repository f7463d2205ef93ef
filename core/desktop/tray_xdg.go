//go:build linux || freebsd || openbsd || netbsd

package desktop

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcherName is the StatusNotifierWatcher: the part of a desktop's panel
// (KDE, XFCE, Cinnamon, GNOME with the AppIndicator extension…) that tray
// icons register with. Fyne's tray (fyne.io/systray) speaks this protocol
// only, so without it an icon would go nowhere.
const watcherName = "org.kde.StatusNotifierWatcher"

// Tray reports whether the session shows status-area (tray) icons. When it
// does not, why says so in words. It asks the session bus, with a short
// timeout: call it off the UI goroutine.
func Tray(ctx context.Context) (ok bool, why string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return false, "There is no tray here: the desktop session has no message bus."
	}
	defer conn.Close()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned); err != nil || !owned {
		return false, "There is no tray here: this desktop shows no status icons (on GNOME, the AppIndicator extension adds them)."
	}
	v, err := conn.Object(watcherName, "/StatusNotifierWatcher").GetProperty(watcherName + ".IsStatusNotifierHostRegistered")
	if registered, isBool := v.Value().(bool); err == nil && isBool && !registered {
		return false, "There is no tray here: no panel shows status icons right now."
	}
	return true, ""
}
