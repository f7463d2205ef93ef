//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package keychain

// macOS and Windows keychains need no session bus.
var sessionBusCheck func() *Error

// classifyPlatform has nothing to add on macOS and Windows: go-keyring maps
// "item not found" to ErrNotFound there, and other failures are reported as
// they come.
func classifyPlatform(*Error, error) bool { return false }

// DisableBusAutolaunch has nothing to do where the keychain needs no D-Bus.
func DisableBusAutolaunch() bool { return false }
