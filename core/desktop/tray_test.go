//go:build linux || freebsd || openbsd || netbsd

package desktop_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/desktop/desktoptest"
)

func TestTrayIsThereOnlyWhenAPanelWatchesForStatusIcons(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("CLOUDUP_REQUIRE_KEYCHAIN") != "" {
			t.Fatal("no session bus")
		}
		t.Skip("no session bus (run under .ci/test-session)")
	}
	ok, why := desktop.Tray(context.Background())
	if ok || !strings.Contains(why, "no status icons") {
		t.Fatalf("before a panel: %v %q", ok, why)
	}
	desktoptest.StartTrayHost(t)
	if ok, why := desktop.Tray(context.Background()); !ok {
		t.Fatalf("with a panel: %q", why)
	}
}

func TestNoSessionBusMeansNoTray(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	ok, why := desktop.Tray(context.Background())
	if ok || !strings.Contains(why, "no message bus") {
		t.Fatalf("%v %q", ok, why)
	}
}
