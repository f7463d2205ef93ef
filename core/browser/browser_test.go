package browser

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/keychain/keychaintest"
)

// These run the real xdg-open (xdg-utils) in its generic mode, with BROWSER
// naming a small script in place of a browser.

func genericDesktop(t *testing.T, browser string) {
	t.Helper()
	keychaintest.NeedTools(t, "xdg-open")
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID", "FLATPAK_ID"} {
		t.Setenv(k, "")
	}
	t.Setenv("BROWSER", browser)
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-browser")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const link = "http://127.0.0.1:9/demo/image/upload/e_grayscale/v1/photos/cat.jpg?x=1&y=2"

func TestOpenHandsTheLinkToTheBrowser(t *testing.T) {
	got := filepath.Join(t.TempDir(), "opened")
	genericDesktop(t, script(t, `printf '%s' "$1" > `+got))
	if err := Open(context.Background(), link, 10*time.Second); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if b, _ := os.ReadFile(got); string(b) != link {
		t.Errorf("the browser got %q, want %q", b, link)
	}
}

func TestOpenSaysWhenNoBrowserIsFound(t *testing.T) {
	genericDesktop(t, script(t, "exit 1"))
	err := Open(context.Background(), link, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "no browser was found") {
		t.Fatalf("Open = %v, want the no-browser error", err)
	}
}

func TestOpenCountsABrowserInTheForegroundAsOpenedAndLeavesNoZombie(t *testing.T) {
	ended := filepath.Join(t.TempDir(), "ended")
	genericDesktop(t, script(t, "sleep 1; touch "+ended))
	start := time.Now()
	if err := Open(context.Background(), link, 200*time.Millisecond); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("Open waited %s for a browser that stays open", took)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(ended)
		zombies := zombieChildren()
		if err == nil && len(zombies) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the browser ended: zombie children %v (browser ended: %v)", zombies, err == nil)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOpenWithoutXdgOpenSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Open(context.Background(), link, time.Second)
	if err == nil || !strings.Contains(err.Error(), "xdg-utils") {
		t.Fatalf("Open = %v, want a hint to install xdg-utils", err)
	}
}

// zombieChildren are this process's children that ended and were not
// waited for.
func zombieChildren() []string {
	var out []string
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[0] == "Z" && f[1] == me {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestTheBrowserGetsTheDesktopsEnvironmentNotOurs(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "env")
	genericDesktop(t, script(t, "env > "+dump))
	t.Setenv("CLOUDINARY_URL", "cloudinary://key:not-for-children@demo")
	t.Setenv("CLOUDUP_SIGNER_TOKEN", "team-token")
	t.Setenv("LANG", "de_DE.UTF-8")
	if err := Open(context.Background(), link, 10*time.Second); err != nil {
		t.Fatalf("Open: %v", err)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	for _, leak := range []string{"not-for-children", "team-token"} {
		if strings.Contains(env, leak) {
			t.Errorf("the browser's environment carries %q:\n%s", leak, env)
		}
	}
	for _, need := range []string{"PATH=", "HOME=", "LANG=de_DE.UTF-8", "BROWSER="} {
		if !strings.Contains(env, need) {
			t.Errorf("the browser's environment lacks %s:\n%s", need, env)
		}
	}
}
