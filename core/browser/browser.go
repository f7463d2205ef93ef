// Package browser opens a link in the user's browser on Linux and the BSDs
// through xdg-open, and waits for its answer.
//
// Fyne's App.OpenURL starts xdg-open and never waits for it: when xdg-open
// finds no browser it exits 3 and nobody hears, so the app cannot offer the
// link to copy instead; and every link opened leaves a zombie process until
// the app exits. Open waits, for a moment, for the answer.
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/childenv"
)

// Supported reports whether Open works here. On macOS and Windows the
// toolkit's own opener (open, the URL handler) already answers, and in a
// Flatpak sandbox links go through a portal: use the toolkit's there.
func Supported() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return os.Getenv("FLATPAK_ID") == ""
	}
	return false
}

// OpenOr opens link with Open where Supported, else with fallback (the
// toolkit's opener, which the other systems answer themselves).
func OpenOr(ctx context.Context, link string, fallback func(*url.URL) error) error {
	if Supported() {
		return Open(ctx, link, 0)
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	return fallback(u)
}

// Settle is how long Open waits for xdg-open to answer. Without a desktop
// environment xdg-open runs the browser itself in the foreground; one still
// running after Settle has started a browser, and counts as opened.
const Settle = 3 * time.Second

// Open opens link with xdg-open and returns its failure, if it fails
// within settle (0 means Settle). Whatever happens, xdg-open is waited for
// in the background, so it leaves no zombie behind.
func Open(ctx context.Context, link string, settle time.Duration) error {
	if settle <= 0 {
		settle = Settle
	}
	path, err := exec.LookPath("xdg-open")
	if err != nil {
		return errors.New("xdg-open is not installed (Debian/Ubuntu: sudo apt install xdg-utils)")
	}
	cmd := exec.Command(path, link)
	// The browser it starts inherits this: the desktop's variables, not
	// ours (which may hold CLOUDINARY_URL).
	cmd.Env = childenv.For(childenv.Desktop)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run xdg-open: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(settle)
	defer timer.Stop()
	select {
	case err := <-done:
		return describe(err, stderr.String())
	case <-timer.C:
		return nil // a browser in the foreground: opened
	case <-ctx.Done():
		return ctx.Err()
	}
}

// describe says in words why xdg-open failed (its exit codes are in its
// manual page).
func describe(err error, stderr string) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return err
	}
	switch exit.ExitCode() {
	case 0:
		return nil
	case 3:
		return errors.New("no browser was found: set one as the default, or set BROWSER")
	case 4:
		return errors.New("the browser did not open it")
	}
	if line := lastLine(stderr); line != "" {
		return fmt.Errorf("xdg-open failed (exit %d): %s", exit.ExitCode(), line)
	}
	return fmt.Errorf("xdg-open failed (exit %d)", exit.ExitCode())
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
