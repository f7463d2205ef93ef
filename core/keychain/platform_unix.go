//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keychain

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
)

var sessionBusCheck = checkSessionBus

// checkSessionBus mirrors how godbus finds the session bus
// (getSessionBusAddress): DBUS_SESSION_BUS_ADDRESS, else /run/user/UID/bus or
// /run/user/UID/dbus-session. When none exists godbus would run dbus-launch,
// so we stop before it does.
func checkSessionBus() *Error {
	if hasSessionBus() {
		return nil
	}
	return &Error{
		Backend: systemBackend, Kind: ErrNoSessionBus,
		Reason: "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
		Fix:    fixNoBus,
	}
}

func hasSessionBus() bool {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == noBusAddress {
		return false
	}
	if addr != "" && addr != "autolaunch:" {
		return true
	}
	run := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(run, name)); err == nil {
			return true
		}
	}
	return false
}

// noBusAddress names no transport godbus knows, so connecting fails at once.
const noBusAddress = "disabled:"

// DisableBusAutolaunch keeps this process from starting a D-Bus session bus
// of its own. Without one, godbus (used by go-keyring, and by Fyne for
// notifications and the desktop portal) runs dbus-launch, whose dbus-daemon
// outlives the app (godbus/dbus#268). When there is no session bus it sets
// DBUS_SESSION_BUS_ADDRESS to an address with no transport, so every godbus
// connection fails at once instead, and reports true. Call it before
// anything uses D-Bus.
func DisableBusAutolaunch() bool {
	if hasSessionBus() {
		return false
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", noBusAddress)
	return true
}

// classifyPlatform recognises the Secret Service failures listed in
// shared/reference/keychain-and-camera.md §A2. go-keyring passes godbus
// errors through and reports a collection it could not unlock only as text
// ("failed to unlock correct collection '<path>'"), so that text is matched.
func classifyPlatform(e *Error, err error) bool {
	var dbusErr dbus.Error
	var dbusErrPtr *dbus.Error
	var opErr *net.OpError
	name := ""
	switch {
	case errors.As(err, &dbusErr):
		name = dbusErr.Name
	case errors.As(err, &dbusErrPtr):
		name = dbusErrPtr.Name
	}
	text := err.Error()
	switch {
	case name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner":
		e.Kind = ErrNoProvider
		e.Reason = "nothing on the D-Bus session bus provides the Secret Service (org.freedesktop.secrets)"
		e.Fix = "install and start a keyring such as gnome-keyring or KeePassXC (with Secret Service integration on), or set CLOUDINARY_URL instead"
	case name == "org.freedesktop.DBus.Error.NoReply" || name == "org.freedesktop.DBus.Error.Timeout":
		e.Kind = ErrTimeout
		e.Reason = "the Secret Service did not reply"
		e.Fix = "check that your keyring service is running and unlocked, then try again"
	case name == "org.freedesktop.Secret.Error.IsLocked":
		e.Kind = ErrLocked
		e.Reason = "the keyring is locked"
		e.Fix = fixLocked
	case errors.As(err, &opErr) || strings.HasPrefix(text, "dbus: "):
		e.Kind = ErrNoSessionBus
		e.Reason = "cannot connect to the D-Bus session bus named by DBUS_SESSION_BUS_ADDRESS"
		e.Fix = fixNoBus
	case strings.Contains(text, "failed to unlock correct collection") && strings.Contains(text, "/aliases/default"):
		e.Kind = ErrNoKeyring
		e.Reason = "there is no login keyring, or the default keyring is locked and could not be unlocked"
		e.Fix = "create or unlock a default keyring (for example in Passwords and Keys) and try again"
	case strings.Contains(text, "failed to unlock correct collection"):
		e.Kind = ErrLocked
		e.Reason = "the login keyring is locked and could not be unlocked (no unlock prompt could be shown, or it was dismissed)"
		e.Fix = fixLocked
	case name != "":
		e.Kind = ErrUnavailable
		e.Reason = "the Secret Service answered " + name
		e.Fix = "check that your keyring service is running and unlocked"
	default:
		return false
	}
	return true
}

const fixLocked = "unlock it (log in to your desktop session, or open Passwords and Keys) and try again"
