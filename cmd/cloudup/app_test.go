package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
)

// These tests run the real app binary (cgo, GL) under a virtual display.

var appBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudup-app-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "cloudup")
	if out, err := exec.Command("go", "build", "-o", appBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building cloudup: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestAppWithoutADisplaySaysSoInOneLine(t *testing.T) {
	stale := ""
	for n := 90; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, fs.ErrNotExist) {
			stale = fmt.Sprintf(":%d", n)
			break
		}
	}
	home := t.TempDir()
	for _, c := range []struct{ name, env, want string }{
		{"none set", "", "neither DISPLAY nor WAYLAND_DISPLAY"},
		// An ssh login or a stale DISPLAY: GLFW would panic with
		// PlatformUnavailable.
		{"no X server there", "DISPLAY=" + stale, "cannot open the X display DISPLAY=" + stale},
		{"no compositor there", "WAYLAND_DISPLAY=wayland-cloudup-test", "WAYLAND_DISPLAY=wayland-cloudup-test does not answer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(appBin)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_RUNTIME_DIR=" + home, "CLOUDUP_CONFIG_DIR=" + filepath.Join(home, "cfg")}
			if c.env != "" {
				cmd.Env = append(cmd.Env, c.env)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("exit: %v, want code 2 (stderr %q)", err, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "no display") || !strings.Contains(msg, c.want) || strings.Contains(msg, "panic") {
				t.Errorf("stderr = %q, want one line about the display saying %q", msg, c.want)
			}
		})
	}
}

// appRun is one run of the app with its own home, config and data dirs,
// a virtual display, and a marker in its environment that every process it
// starts inherits, so leftovers can be found.
type appRun struct {
	t       *testing.T
	root    string
	config  string
	display string
	marker  string
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error
	artDir  string
	// relaunch starts the app again as it was started; relaunched says it
	// has been, once.
	relaunch   func()
	relaunched bool
}

func TestAppOpensSavesASecretFromSettingsAndQuitsCleanly(t *testing.T) {
	keychaintest.NeedTools(t, "Xvfb", "xdotool", "import", "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	s := &appRun{t: t, root: t.TempDir(), marker: "e2e-" + keychaintest.RandomHex(8), artDir: t.ArtifactDir()}
	s.config = filepath.Join(s.root, "config")
	s.display = keychaintest.StartXvfb(t, "1280x800x24")

	// A first run: no profile yet, so the window offers the Sandbox and
	// Settings opens on an empty form.
	store := account.NewStore(s.config)

	name := "e2e-" + keychaintest.RandomHex(4)
	secret := "guiSECRET" + keychaintest.RandomHex(10)
	lookup := filepath.Join(s.root, "lookup.txt")
	s.start(name, lookup)

	wid := s.waitForWindow()
	s.waitForPixels("01-window.png", nil)

	s.xdotool("windowfocus", "--sync", wid)
	s.xdotool("key", "ctrl+comma")
	main := s.screenshot()
	s.waitForPixels("02-settings.png", main)

	// Settings opens with the cursor in the new profile's name.
	s.xdotool("type", "--delay", "15", name)
	s.xdotool("key", "Tab")
	s.xdotool("type", "--delay", "15", "democloud")
	s.xdotool("key", "Tab")
	s.xdotool("type", "--delay", "15", "123456789012345")
	s.xdotool("key", "Tab")
	s.xdotool("type", "--delay", "15", secret)
	s.xdotool("key", "Return")

	var saved account.Profile
	waitUntil(t, 60*time.Second, "the profile saved from Settings", func() bool {
		p, err := store.Get(name)
		saved = p
		return err == nil
	})
	if saved.Cloud != "democloud" || saved.APIKey != "123456789012345" || saved.Mode != account.Signed {
		t.Errorf("saved profile = %+v", saved)
	}
	time.Sleep(500 * time.Millisecond) // the status line is drawn after the save
	s.save("03-saved.png", s.screenshot())
	s.xdotool("key", "Escape") // closes Settings from its focused field

	s.xdotool("key", "ctrl+q")
	s.waitForExit()
	if s.exitErr != nil {
		t.Fatalf("the app exited with %v\n%s", s.exitErr, tail(filepath.Join(s.artDir, "app.log"), 40))
	}
	got, _ := os.ReadFile(lookup)
	if string(got) != secret {
		t.Errorf("the keychain holds %d bytes for %q, not the secret typed in Settings", len(got), name)
	}
	s.assertNothingLeftRunning()
	s.assertSecretNowhere(secret)
}

// start launches the app. With a Secret Service on the session bus (as
// `make test` provides) it uses that bus; otherwise it runs the app inside
// its own dbus-run-session with a throwaway keyring (.ci/with-keyring).
// After the app exits, secret-tool reads back what it stored for account.
func (s *appRun) start(acct, lookup string) { s.startWith(nil, acct, lookup) }

// startWith launches the app with args on its command line.
func (s *appRun) startWith(appArgs []string, acct, lookup string) {
	t := s.t
	s.relaunch = func() { s.startWith(appArgs, acct, lookup) }
	dirs := map[string]string{}
	for _, d := range []string{"home", "home/.cache", "xdg-config", "xdg-data", "xdg-cache", "run", "data"} {
		p := filepath.Join(s.root, d)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		dirs[d] = p
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "DISPLAY=" + s.display,
		"HOME=" + dirs["home"], "XDG_CONFIG_HOME=" + dirs["xdg-config"], "XDG_DATA_HOME=" + dirs["xdg-data"],
		"XDG_CACHE_HOME=" + dirs["xdg-cache"], "XDG_RUNTIME_DIR=" + dirs["run"],
		"CLOUDUP_CONFIG_DIR=" + s.config, "CLOUDUP_DATA_DIR=" + dirs["data"],
		"CLOUDUP_E2E_MARKER=" + s.marker, "E2E_APP=" + appBin, "E2E_ACCOUNT=" + acct, "E2E_LOOKUP=" + lookup,
	}
	script := `"$E2E_APP" "$@"; rc=$?; secret-tool lookup service cloudup username "$E2E_ACCOUNT" > "$E2E_LOOKUP"; exit $rc`
	args := append([]string{"sh", "-c", script, "cloudup-e2e"}, appArgs...)
	if bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); bus != "" && keychaintest.Available() == nil {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
		t.Cleanup(func() {
			exec.Command("secret-tool", "clear", "service", "cloudup", "username", acct).Run()
		})
	} else {
		withKeyring, err := filepath.Abs("../../.ci/with-keyring")
		if err != nil {
			t.Fatal(err)
		}
		args = append([]string{"dbus-run-session", "--", withKeyring}, args...)
	}
	logFile, err := os.Create(filepath.Join(s.artDir, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(args[0], args[1:]...)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() {
		s.exitErr = s.cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
}

// waitForExit waits for the app to end after it was asked to quit. If it
// hangs, a SIGQUIT makes the Go runtime write every goroutine's stack into
// app.log, which says what held it.
func (s *appRun) waitForExit() {
	s.t.Helper()
	select {
	case <-s.done:
		return
	case <-time.After(30 * time.Second):
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGQUIT)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
	s.t.Fatalf("the app did not quit on ctrl+q (goroutine dump in %s/app.log)\n%s", s.artDir, tail(filepath.Join(s.artDir, "app.log"), 40))
}

func (s *appRun) xdotool(args ...string) string {
	s.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = []string{"DISPLAY=" + s.display, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (s *appRun) waitForWindow() string {
	var wid string
	waitUntil(s.t, 60*time.Second, "the Cloudup window", func() bool {
		select {
		case <-s.done:
			logPath := filepath.Join(s.artDir, "app.log")
			log := tail(logPath, 20)
			if !s.relaunched && strings.Contains(log, "cannot open the X display") {
				// The virtual display, not the app, failed: CI once saw
				// the app exit this early. Try once more on a new one.
				s.relaunched = true
				s.t.Logf("the virtual display %s refused the app; once more on a new one.\n%s", s.display, log)
				os.Rename(logPath, filepath.Join(s.artDir, "app-first-try.log"))
				s.display = keychaintest.StartXvfb(s.t, "1280x800x24")
				s.relaunch()
				return false
			}
			s.t.Fatalf("the app exited before its window appeared: %v\n%s", s.exitErr, log)
		default:
		}
		cmd := exec.Command("xdotool", "search", "--name", "^Cloudup$")
		cmd.Env = []string{"DISPLAY=" + s.display}
		out, err := cmd.Output()
		ids := strings.Fields(string(out))
		if err != nil || len(ids) == 0 {
			return false
		}
		wid = ids[0]
		return true
	})
	return wid
}

func (s *appRun) screenshot() image.Image {
	s.t.Helper()
	cmd := exec.Command("import", "-display", s.display, "-window", "root", "png:-")
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("import: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		s.t.Fatalf("decoding the screenshot: %v", err)
	}
	return img
}

func (s *appRun) save(name string, img image.Image) {
	f, err := os.Create(filepath.Join(s.artDir, name))
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		s.t.Fatal(err)
	}
}

// waitForPixels waits until the screen shows a drawn window (many colours,
// and a header row that is not one flat colour) and, when before is given,
// until it differs from before. The last screenshot is saved as name.
func (s *appRun) waitForPixels(name string, before image.Image) {
	s.t.Helper()
	var img image.Image
	var why string
	deadline := time.Now().Add(60 * time.Second)
	for {
		img = s.screenshot()
		why = drawnWindowProblem(img, before)
		if why == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	s.save(name, img)
	if why != "" {
		s.t.Fatalf("%s: %s", name, why)
	}
}

func drawnWindowProblem(img image.Image, before image.Image) string {
	b := img.Bounds()
	all := map[uint32]bool{}
	header := map[uint32]bool{}
	changed := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := (r>>8)<<16 | (g>>8)<<8 | bl>>8
			all[c] = true
			if y < 50 && x < 1000 {
				header[c] = true
			}
			if before != nil {
				r0, g0, b0, _ := before.At(x, y).RGBA()
				if r0 != r || g0 != g || b0 != bl {
					changed++
				}
			}
		}
	}
	switch {
	case len(all) < 50:
		return fmt.Sprintf("only %d distinct colours: the window is not drawn", len(all))
	case len(header) < 10:
		return fmt.Sprintf("the header row has %d colours: it is blank", len(header))
	case before != nil && changed < b.Dx()*b.Dy()/20:
		return fmt.Sprintf("only %d pixels changed: the dialog did not open", changed)
	}
	return ""
}

// assertNothingLeftRunning looks for any process that carries this run's
// marker in its environment: the app, a bus or keyring daemon, a prompter.
func (s *appRun) assertNothingLeftRunning() {
	s.t.Helper()
	var left []string
	waitUntil(s.t, 10*time.Second, "the app's processes to end", func() bool {
		left = processesWithEnv("CLOUDUP_E2E_MARKER=" + s.marker)
		return len(left) == 0
	})
	if len(left) > 0 {
		s.t.Errorf("processes left behind: %v", left)
	}
}

func processesWithEnv(kv string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, v := range bytes.Split(env, []byte{0}) {
			if string(v) == kv {
				cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				state, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
				if f := strings.Fields(string(state)); len(f) > 2 && f[2] == "Z" {
					break // a zombie has ended; only its parent's reaping is pending
				}
				found = append(found, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
				break
			}
		}
	}
	return found
}

// assertSecretNowhere checks every file the app could have written (home,
// config, data, logs) for the secret.
func (s *appRun) assertSecretNowhere(secret string) {
	for _, dir := range []string{s.root, s.artDir} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Base(path) == "lookup.txt" {
				return nil
			}
			if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(secret)) {
				s.t.Errorf("the secret is in %s", path)
			}
			return nil
		})
	}
}

// tail is the last n lines of a log, for a failure message: CI keeps only
// what the test prints.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return path + ":\n\t" + strings.Join(lines, "\n\t")
}

func waitUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writePhotos writes n PNG photos with random colours (so none equals a
// sample the sandbox seeds) and returns their paths and MD5s.
func writePhotos(t *testing.T, dir string, n int) ([]string, map[string]string) {
	t.Helper()
	paths, sums := []string{}, map[string]string{}
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 320, 240))
		seed := []byte(keychaintest.RandomHex(3))
		for y := range 240 {
			for x := range 320 {
				img.Set(x, y, color.RGBA{seed[0] + uint8(x/4), seed[1] + uint8(y/3), seed[2] + uint8(i*60), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("e2e-photo-%d.png", i+1))
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(buf.Bytes())
		paths = append(paths, p)
		sums[p] = hex.EncodeToString(sum[:])
	}
	return paths, sums
}

func TestAppUploadsCommandLineFilesToTheEmbeddedSandbox(t *testing.T) {
	keychaintest.NeedTools(t, "Xvfb", "xdotool", "import", "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	s := &appRun{t: t, root: t.TempDir(), marker: "e2e-" + keychaintest.RandomHex(8), artDir: t.ArtifactDir()}
	s.config = filepath.Join(s.root, "config")
	s.display = keychaintest.StartXvfb(t, "1280x800x24")
	photos := t.TempDir()
	paths, sums := writePhotos(t, photos, 3)

	// No profile is configured: the app starts its embedded sandbox in
	// CLOUDUP_DATA_DIR/sandbox and queues the three files at once.
	s.startWith(append([]string{}, paths...), "nobody", filepath.Join(s.root, "lookup.txt"))
	wid := s.waitForWindow()
	s.waitForPixels("10-sandbox-upload.png", nil)

	// The journal's history (shared with the CLI) says when all three are
	// done; the app keeps it open meanwhile, as the CLI would.
	journal, err := transfer.OpenJournal(filepath.Join(s.root, "data", session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	var done []transfer.HistoryEntry
	waitUntil(t, 90*time.Second, "three uploads in the history", func() bool {
		h, err := journal.History(context.Background(), transfer.HistoryQuery{Profile: account.SandboxName})
		done = done[:0]
		for _, e := range h {
			if e.Outcome == transfer.Done {
				done = append(done, e)
			}
		}
		return err == nil && len(done) == 3
	})
	journal.Close()
	time.Sleep(700 * time.Millisecond) // the queue redraws ten times a second
	s.save("11-uploaded.png", s.screenshot())

	s.xdotool("windowfocus", "--sync", wid)
	before := s.screenshot()
	s.xdotool("key", "ctrl+l")
	s.waitForPixels("12-library.png", before)
	time.Sleep(2 * time.Second) // thumbnails arrive one by one
	s.save("12-library.png", s.screenshot())

	s.xdotool("key", "ctrl+q")
	s.waitForExit()
	if s.exitErr != nil {
		t.Fatalf("the app exited with %v\n%s", s.exitErr, tail(filepath.Join(s.artDir, "app.log"), 40))
	}
	s.assertNothingLeftRunning()

	// The same sandbox account, started again here, holds the three files
	// byte for byte: its Search API finds each by etag (MD5).
	sb := session.NewSandbox(filepath.Join(s.root, "data", "sandbox"))
	defer sb.Close()
	creds, err := sb.Credentials(context.Background(), account.SandboxProfile())
	if err != nil {
		t.Fatal(err)
	}
	client, err := cloud.New(cloud.Config{Cloud: creds.Profile.Cloud, APIKey: creds.Profile.APIKey,
		Secret: cloud.Secret(creds.Secret.Reveal()), APIBase: creds.Profile.APIBase})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Search(context.Background(), cloud.SearchQuery{Expression: "resource_type:image", MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	etags := map[string]string{}
	for _, a := range res.Resources {
		etags[a.ETag] = a.PublicID
	}
	for _, p := range paths {
		if _, ok := etags[sums[p]]; !ok {
			t.Errorf("%s (md5 %s) is not in the sandbox; it holds %v", filepath.Base(p), sums[p], etags)
		}
	}
	for _, e := range done {
		if e.ETag != sums[e.Path] {
			t.Errorf("history: %s has etag %s, want %s", e.Name, e.ETag, sums[e.Path])
		}
	}
}

func TestAppRemembersItsSizeAndPlace(t *testing.T) {
	keychaintest.NeedTools(t, "Xvfb", "xdotool", "import", "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	s := &appRun{t: t, root: t.TempDir(), marker: "e2e-" + keychaintest.RandomHex(8), artDir: t.ArtifactDir()}
	s.config = filepath.Join(s.root, "config")
	s.display = keychaintest.StartXvfb(t, "1280x800x24")
	lookup := filepath.Join(s.root, "lookup.txt")

	s.start("nobody", lookup)
	wid := s.waitForWindow()
	s.waitForPixels("20-first-start.png", nil)
	s.xdotool("windowsize", "--sync", wid, "930", "640")
	s.xdotool("windowmove", "--sync", wid, "150", "60")
	time.Sleep(500 * time.Millisecond) // the window hears of its new size
	s.xdotool("windowfocus", "--sync", wid)
	s.xdotool("key", "ctrl+q")
	s.waitForExit()
	if s.exitErr != nil {
		t.Fatalf("the app exited with %v\n%s", s.exitErr, tail(filepath.Join(s.artDir, "app.log"), 40))
	}
	kept, err := os.ReadFile(filepath.Join(s.config, "window.json"))
	if err != nil {
		t.Fatalf("nothing kept: %v", err)
	}

	s.start("nobody", lookup)
	wid = s.waitForWindow()
	var geom string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		geom = s.xdotool("getwindowgeometry", wid)
		if strings.Contains(geom, "Position: 150,60") && strings.Contains(geom, "Geometry: 930x640") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // drawn
	s.save("21-second-start.png", s.screenshot())
	if !strings.Contains(geom, "Position: 150,60") || !strings.Contains(geom, "Geometry: 930x640") {
		t.Errorf("the second start opened at\n%s\nnot where the first left it (kept %s)", geom, kept)
	}
	s.xdotool("windowfocus", "--sync", wid)
	s.xdotool("key", "ctrl+q")
	s.waitForExit()
	s.assertNothingLeftRunning()
}
