package childenv

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var parent = []string{
	"PATH=/usr/bin:/bin", "HOME=/home/editor", "USER=editor", "LANG=de_DE.UTF-8", "LC_TIME=en_GB.UTF-8",
	"CLOUDINARY_URL=cloudinary://key:secret@cloud", "CLOUDUP_TOKEN=team-token", "AWS_SECRET_ACCESS_KEY=x",
	"GITHUB_TOKEN=y", "LD_PRELOAD=/tmp/evil.so", "SSH_AUTH_SOCK=/run/ssh",
	"DISPLAY=:1", "XAUTHORITY=/run/user/1000/xauth", "WAYLAND_DISPLAY=wayland-0", "XDG_RUNTIME_DIR=/run/user/1000",
	"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus", "XDG_CURRENT_DESKTOP=GNOME", "BROWSER=firefox",
	"XDG_DATA_DIRS=/usr/share", `SystemRoot=C:\Windows`,
}

func TestEachKindGetsWhatItNeedsAndNothingElse(t *testing.T) {
	tests := []struct {
		need      Need
		goos      string
		want, not []string
	}{
		{Tool, "linux", []string{"LC_ALL=C", "LANG=C", "PATH=/usr/bin:/bin"},
			[]string{"HOME=/home/editor", "LANG=de_DE.UTF-8", "DISPLAY=:1", "BROWSER=firefox", `SystemRoot=C:\Windows`}},
		{Tool, "windows", []string{"LC_ALL=C", `SystemRoot=C:\Windows`, "PATH=/usr/bin:/bin"}, nil},
		{Display, "linux", []string{"HOME=/home/editor", "DISPLAY=:1", "XAUTHORITY=/run/user/1000/xauth", "WAYLAND_DISPLAY=wayland-0",
			"XDG_RUNTIME_DIR=/run/user/1000", "LANG=de_DE.UTF-8", "LC_TIME=en_GB.UTF-8"},
			[]string{"LC_ALL=C", "BROWSER=firefox", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"}},
		{Desktop, "linux", []string{"DISPLAY=:1", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
			"XDG_CURRENT_DESKTOP=GNOME", "BROWSER=firefox", "XDG_DATA_DIRS=/usr/share", "LANG=de_DE.UTF-8"}, nil},
	}
	for _, tt := range tests {
		got := Build(tt.need, tt.goos, parent)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("need %d on %s: %q missing from %q", tt.need, tt.goos, w, got)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("need %d on %s: %q passed on", tt.need, tt.goos, n)
			}
		}
		for _, kv := range got {
			for _, secret := range []string{"CLOUDINARY_URL", "CLOUDUP_", "TOKEN", "SECRET", "LD_PRELOAD", "SSH_AUTH_SOCK"} {
				if strings.Contains(kv, secret) {
					t.Errorf("need %d on %s passes %q", tt.need, tt.goos, kv)
				}
			}
		}
	}
}

func TestARealChildSeesOnlyItsEnvironment(t *testing.T) {
	t.Setenv("CLOUDINARY_URL", "cloudinary://key:not-for-children@demo")
	t.Setenv("DISPLAY", ":7")
	cmd := exec.Command("env")
	cmd.Env = For(Desktop)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("no env program: %v", err)
	}
	if strings.Contains(string(out), "not-for-children") || !strings.Contains(string(out), "DISPLAY=:7") {
		t.Errorf("the child's environment:\n%s", out)
	}
}
