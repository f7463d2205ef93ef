// Package keychaintest hands tests the real system keychain when the machine
// has one, and decides what happens when it does not: with
// CLOUDUP_REQUIRE_KEYCHAIN=1 (set by `make test`, which starts a throwaway
// gnome-keyring on a private session bus) the test fails; otherwise it is
// skipped with a one-line reason. It stores nothing itself.
package keychaintest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/keychain"
)

// RequireEnv names the variable that turns a missing keychain into a failure.
const RequireEnv = "CLOUDUP_REQUIRE_KEYCHAIN"

// Required reports whether this run must have a real keychain.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Available reports whether the system keychain answers, and why not.
func Available() error {
	k := keychain.NewSystem()
	k.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return k.Check(ctx)
}

// System returns the real system keychain, or skips or fails the test when
// there is none (see the package comment).
func System(t testing.TB) *keychain.System {
	t.Helper()
	if err := Available(); err != nil {
		if Required() {
			t.Fatalf("%s=1 but the system keychain is unavailable: %v", RequireEnv, err)
		}
		t.Skipf("no system keychain here (%v); `make test` provides one", err)
	}
	k := keychain.NewSystem()
	k.Timeout = 10 * time.Second
	return k
}

// Account returns an account name no other test uses and removes whatever
// is stored under it when the test ends, so test runs leave nothing in the
// user's keyring.
func Account(t testing.TB, k keychain.Keychain) string {
	t.Helper()
	name := "cloudup-test-" + RandomHex(6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := k.Delete(ctx, name); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return name
}

// RandomHex returns 2n random hex digits: distinctive test secrets that a
// later grep of files and logs can find if they leak.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// NeedTools skips the test when a program it runs is not on PATH, or fails
// it when the harness requires everything (make test installs them all).
func NeedTools(t testing.TB, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if Required() {
				t.Fatalf("%s is not installed (make test installs it)", b)
			}
			t.Skipf("%s is not installed", b)
		}
	}
}

// StartXvfb starts a virtual display of screen (e.g. "800x600x24") on a
// free number for the test (the keychain's unlock prompter, the clipboard
// and the app's window need one) and returns ":N" once it accepts clients.
// Its log goes to the test's artifacts as xvfb.log. -noreset keeps the
// server from resetting whenever its last client leaves, which a client
// connecting at that moment would see as no display.
func StartXvfb(t testing.TB, screen string) string {
	t.Helper()
	NeedTools(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	xlog, err := os.Create(filepath.Join(t.ArtifactDir(), "xvfb.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer xlog.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = xlog, xlog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	line := make(chan string, 1)
	go func() {
		// Read the whole line: Xvfb exits when the pipe closes in between.
		s, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		line <- strings.TrimSpace(s)
	}()
	var n string
	select {
	case n = <-line:
		if n == "" {
			t.Fatalf("Xvfb did not report a display number (its log: %s)", xlog.Name())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("Xvfb did not start (its log: %s)", xlog.Name())
	}
	// Under load the server was seen to report its number before clients
	// could connect: wait until its socket takes a connection.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("unix", "/tmp/.X11-unix/X"+n)
		if err == nil {
			c.Close()
			return ":" + n
		}
		if time.Now().After(deadline) {
			t.Fatalf("Xvfb on :%s accepts no clients: %v (its log: %s)", n, err, xlog.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
