//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keychain_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
)

// Each failure of §A2 in shared/reference/keychain-and-camera.md is
// reproduced for real: a private dbus-daemon, with or without a
// gnome-keyring-daemon on it, in a state that fails the way users' machines
// do. The keychain call runs in a child process (this test binary again)
// because godbus keeps one session-bus connection per process.

const helperEnv = "CLOUDUP_KEYCHAIN_HELPER"

// TestHelperProcess is the child: it performs one keychain call and prints
// the kind of error it got.
func TestHelperProcess(t *testing.T) {
	op := os.Getenv(helperEnv)
	if op == "" {
		t.Skip("only runs as a child of the failure-mode tests")
	}
	k := keychain.NewSystem()
	if ms, err := strconv.Atoi(os.Getenv("HELPER_TIMEOUT_MS")); err == nil {
		k.Timeout = time.Duration(ms) * time.Millisecond
	}
	ctx := context.Background()
	var err error
	switch op {
	case "set":
		err = k.Set(ctx, "helper", keychain.Secret(os.Getenv("HELPER_SECRET")))
	case "get":
		var s keychain.Secret
		s, err = k.Get(ctx, "helper")
		if err == nil && s.Reveal() != os.Getenv("HELPER_SECRET") {
			err = errors.New("read back a different secret")
		}
	}
	fmt.Printf("kind=%s\nerror=%v\n", kindName(err), err)
	os.Exit(0) // a call stuck at a prompt must not keep the child alive
}

func kindName(err error) string {
	for _, k := range []struct {
		name string
		err  error
	}{
		{"NotFound", keychain.ErrNotFound}, {"NoSessionBus", keychain.ErrNoSessionBus},
		{"NoProvider", keychain.ErrNoProvider}, {"Locked", keychain.ErrLocked},
		{"NoKeyring", keychain.ErrNoKeyring}, {"Timeout", keychain.ErrTimeout},
		{"Unavailable", keychain.ErrUnavailable},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	if err == nil {
		return "ok"
	}
	return "other"
}

type childResult struct{ kind, err string }

// runChild runs one keychain call with exactly env (plus PATH and HOME) and
// returns what it reported.
func runChild(t *testing.T, op string, env ...string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append([]string{helperEnv + "=" + op, "HOME=" + t.TempDir()}, env...)
	if !hasKey(env, "PATH") {
		cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var r childResult
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "kind="); ok {
			r.kind = v
		}
		if v, ok := strings.CutPrefix(line, "error="); ok {
			r.err = v
		}
	}
	if r.kind == "" {
		t.Fatalf("helper printed no result:\n%s", out)
	}
	return r
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

func TestNoSessionBusFailsFastWithoutLaunchingADaemon(t *testing.T) {
	run := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(run, f)); err == nil {
			t.Skipf("%s exists, so this machine always has a session bus", filepath.Join(run, f))
		}
	}
	// A dbus-launch that leaves a mark: godbus would run it to start a bus
	// that outlives us. The check must stop before that.
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "dbus-launch-ran")
	script := "#!/bin/sh\ntouch " + marker + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runChild(t, "set", "PATH="+bin+":"+os.Getenv("PATH"), "HELPER_SECRET=x")
	if r.kind != "NoSessionBus" || !strings.Contains(r.err, "DBUS_SESSION_BUS_ADDRESS is not set") {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("dbus-launch was run; its daemon would outlive the app")
	}
}

func TestUnreachableBusAddressIsNoSessionBus(t *testing.T) {
	r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"), "HELPER_SECRET=x")
	if r.kind != "NoSessionBus" {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
}

func TestBusWithoutSecretServiceIsNoProvider(t *testing.T) {
	keychaintest.NeedTools(t, "dbus-daemon")
	bus := startBus(t, "", "")
	r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS="+bus.addr, "HELPER_SECRET=x")
	if r.kind != "NoProvider" || !strings.Contains(r.err, "gnome-keyring") {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
}

func TestSecretServiceWithoutAnyKeyringIsNoKeyring(t *testing.T) {
	keychaintest.NeedTools(t, "dbus-daemon", "gnome-keyring-daemon", "dbus-send")
	bus := startBus(t, "", "")
	kr := newKeyringHome(t)
	bus.startKeyring(t, kr, "", "")
	r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS="+bus.addr, "HELPER_SECRET=x", "HELPER_TIMEOUT_MS=20000")
	if r.kind != "NoKeyring" {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
}

func TestLockedKeyringWithNoDisplayForAPromptIsLocked(t *testing.T) {
	keychaintest.NeedTools(t, "dbus-daemon", "gnome-keyring-daemon", "dbus-send")
	kr := newKeyringHome(t)
	secret := "locked-" + keychaintest.RandomHex(8)

	first := startBus(t, "", "")
	stop := first.startKeyring(t, kr, "pw", "")
	if r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS="+first.addr, "HELPER_SECRET="+secret); r.kind != "ok" {
		t.Fatalf("storing into the unlocked keyring: %s: %s", r.kind, r.err)
	}
	stop()
	first.stop()

	// Same keyring file, daemon started without the password: locked.
	second := startBus(t, "", "")
	second.startKeyring(t, kr, "", "")
	r := runChild(t, "get", "DBUS_SESSION_BUS_ADDRESS="+second.addr, "HELPER_SECRET="+secret, "HELPER_TIMEOUT_MS=20000")
	if r.kind != "Locked" || !strings.Contains(r.err, "unlock") {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
}

func TestUnansweredUnlockPromptTimesOut(t *testing.T) {
	keychaintest.NeedTools(t, "dbus-daemon", "gnome-keyring-daemon", "dbus-send", "Xvfb", "/usr/libexec/gcr-prompter")
	kr := newKeyringHome(t)
	first := startBus(t, "", "")
	stop := first.startKeyring(t, kr, "pw", "")
	if r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS="+first.addr, "HELPER_SECRET=x"); r.kind != "ok" {
		t.Fatalf("storing into the unlocked keyring: %s: %s", r.kind, r.err)
	}
	stop()
	first.stop()

	// With a display, gnome-keyring shows an unlock prompt (gcr-prompter,
	// started by the bus) that nobody answers: go-keyring would wait for
	// ever.
	display := keychaintest.StartXvfb(t, "800x600x24")
	services := t.TempDir()
	prompter := "[D-BUS Service]\nName=org.gnome.keyring.SystemPrompter\nExec=/usr/libexec/gcr-prompter\n"
	if err := os.WriteFile(filepath.Join(services, "org.gnome.keyring.SystemPrompter.service"), []byte(prompter), 0o644); err != nil {
		t.Fatal(err)
	}
	second := startBus(t, services, display)
	second.startKeyring(t, kr, "", display)
	start := time.Now()
	r := runChild(t, "get", "DBUS_SESSION_BUS_ADDRESS="+second.addr, "DISPLAY="+display, "HELPER_TIMEOUT_MS=1500")
	if r.kind != "Timeout" || !strings.Contains(r.err, "unlock") {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the call took %s to give up", time.Since(start))
	}
}

// --- private bus and keyring daemons, each stopped by its own test ---

type bus struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func startBus(t *testing.T, serviceDir, display string) *bus {
	t.Helper()
	// Short path: a unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "cloudup-bus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bus")
	svc := ""
	if serviceDir != "" {
		svc = "<servicedir>" + serviceDir + "</servicedir>"
	}
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=` + sock + `</listen>
  <auth>EXTERNAL</auth>` + svc + `
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>`
	confPath := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &bus{addr: "unix:path=" + sock, done: make(chan struct{})}
	b.cmd = exec.Command("dbus-daemon", "--config-file="+confPath, "--nofork", "--nopidfile")
	// Services the bus starts (the unlock prompter) inherit its environment.
	b.cmd.Env = append(os.Environ(), "DISPLAY="+display)
	b.cmd.Stderr = io.Discard
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	t.Cleanup(b.stop)
	waitFor(t, "the private bus", func() bool { _, err := os.Stat(sock); return err == nil })
	return b
}

func (b *bus) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	b.cmd.Process.Kill()
	<-b.done
}

type keyringHome struct{ home, data, run string }

func newKeyringHome(t *testing.T) keyringHome {
	d := t.TempDir()
	k := keyringHome{filepath.Join(d, "home"), filepath.Join(d, "data"), filepath.Join(d, "run")}
	for _, p := range []string{k.home, k.data, k.run} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// startKeyring runs gnome-keyring-daemon on the bus; with a password it
// unlocks (creating if needed) the login keyring. It returns a stop func.
func (b *bus) startKeyring(t *testing.T, kr keyringHome, password, display string) func() {
	t.Helper()
	args := []string{"--foreground", "--components=secrets"}
	if password != "" {
		args = append(args, "--unlock")
	}
	cmd := exec.Command("gnome-keyring-daemon", args...)
	cmd.Env = []string{
		"DBUS_SESSION_BUS_ADDRESS=" + b.addr, "HOME=" + kr.home, "XDG_DATA_HOME=" + kr.data,
		"XDG_RUNTIME_DIR=" + kr.run, "PATH=" + os.Getenv("PATH"), "DISPLAY=" + display,
	}
	cmd.Stdin = strings.NewReader(password)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		select {
		case <-done:
			return
		default:
		}
		cmd.Process.Kill()
		<-done
	}
	t.Cleanup(stop)
	waitFor(t, "gnome-keyring-daemon on the private bus", func() bool {
		out, _ := exec.Command("dbus-send", "--bus="+b.addr, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets").Output()
		return strings.Contains(string(out), "boolean true")
	})
	return stop
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDisabledBusAutolaunchIsReportedAsNoSessionBus(t *testing.T) {
	r := runChild(t, "set", "DBUS_SESSION_BUS_ADDRESS=disabled:", "HELPER_SECRET=x")
	if r.kind != "NoSessionBus" || !strings.Contains(r.err, "no D-Bus session bus") {
		t.Fatalf("got %s: %s", r.kind, r.err)
	}
}
