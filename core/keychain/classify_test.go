//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keychain

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// The inputs are the errors go-keyring and godbus really return in each
// situation of shared/reference/keychain-and-camera.md §A2.
func TestClassifyNamesEachSecretServiceFailure(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENOENT}}
	tests := []struct {
		name        string
		in          error
		kind        error
		unavailable bool
		words       string
	}{
		{"item missing", keyring.ErrNotFound, ErrNotFound, false, "nothing is stored"},
		{"too big", keyring.ErrSetDataTooBig, ErrTooBig, false, "larger than"},
		{"no bus, no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, ErrNoSessionBus, true, "no D-Bus session bus"},
		{"bad bus address", dialErr, ErrNoSessionBus, true, "cannot connect to the D-Bus session bus"},
		{"bus auth failure", errors.New("dbus: authentication failed"), ErrNoSessionBus, true, "cannot connect"},
		{"no provider (value)", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}, ErrNoProvider, true, "gnome-keyring"},
		{"no provider (pointer)", &dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, ErrNoProvider, true, "Secret Service"},
		{"no default collection", fmt.Errorf("failed to unlock correct collection '%v'", "/org/freedesktop/secrets/aliases/default"), ErrNoKeyring, true, "no login keyring"},
		{"locked login collection", fmt.Errorf("failed to unlock correct collection '%v'", "/org/freedesktop/secrets/collection/login"), ErrLocked, true, "locked"},
		{"locked item", dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, ErrLocked, true, "locked"},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, ErrTimeout, true, "did not reply"},
		{"unknown failure", errors.New("something new"), ErrUnavailable, true, "something new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := classify("save", "work", tc.in)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("classify(%v) = %v, want kind %v", tc.in, err, tc.kind)
			}
			if got := errors.Is(err, ErrUnavailable); got != tc.unavailable {
				t.Errorf("errors.Is(ErrUnavailable) = %v, want %v", got, tc.unavailable)
			}
			if !errors.Is(err, tc.in) && !errors.As(err, new(dbus.Error)) {
				t.Errorf("the backend's error is not reachable through %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.words) || !strings.Contains(msg, `"work"`) || strings.Contains(msg, "\n") {
				t.Errorf("message %q should be one line naming the account and saying %q", msg, tc.words)
			}
		})
	}
}

func TestClassifyPassesSuccessThrough(t *testing.T) {
	if err := classify("read", "work", nil); err != nil {
		t.Fatal(err)
	}
}
