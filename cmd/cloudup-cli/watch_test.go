package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
)

// watching is a `cloudup-cli watch` process started by a test: its JSON
// lines as they come, and its stderr.
type watching struct {
	t       *testing.T
	cmd     *exec.Cmd
	records chan uploadRecord
	mu      sync.Mutex
	stderr  bytes.Buffer
	h       *cliHarness
	stdout  bytes.Buffer
}

func (w *watching) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.Write(p)
}

func (w *watching) errText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.String()
}

// startWatch runs `cloudup-cli watch ARGS` with the harness's dirs.
func startWatch(t *testing.T, h *cliHarness, env []string, args ...string) *watching {
	t.Helper()
	cmd := exec.Command(cliBin, append([]string{"watch"}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(h.root, "home"),
		"CLOUDUP_CONFIG_DIR=" + h.config,
		"CLOUDUP_DATA_DIR=" + filepath.Join(h.root, "data"),
	}, env...)
	w := &watching{t: t, cmd: cmd, records: make(chan uploadRecord, 100), h: h}
	cmd.Stderr = w
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() {
		defer close(w.records)
		sc := bufio.NewScanner(io.TeeReader(stdout, &w.stdout))
		for sc.Scan() {
			var r uploadRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Errorf("stdout line %q is not JSON: %v", sc.Text(), err)
				continue
			}
			w.records <- r
		}
	}()
	w.waitErr("watching ", 30*time.Second)
	return w
}

// waitErr waits until stderr holds s.
func (w *watching) waitErr(s string, limit time.Duration) {
	w.t.Helper()
	for deadline := time.Now().Add(limit); !strings.Contains(w.errText(), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			w.t.Fatalf("stderr never said %q: %s", s, w.errText())
		}
	}
}

// next reads n records.
func (w *watching) next(n int) []uploadRecord {
	w.t.Helper()
	var out []uploadRecord
	for len(out) < n {
		select {
		case r, ok := <-w.records:
			if !ok {
				w.t.Fatalf("stdout ended after %d records; stderr: %s", len(out), w.errText())
			}
			out = append(out, r)
		case <-time.After(30 * time.Second):
			w.t.Fatalf("%d of %d records after 30 s; stderr: %s", len(out), n, w.errText())
		}
	}
	return out
}

// stop interrupts it like Ctrl-C and returns its exit code.
func (w *watching) stop() int {
	w.t.Helper()
	w.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		w.h.seen.WriteString(w.errText())
		w.h.seen.Write(w.stdout.Bytes())
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			w.t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		w.t.Fatalf("watch did not stop on Ctrl-C; stderr: %s", w.errText())
	}
	return -1
}

func recordNames(recs []uploadRecord) string {
	var out []string
	for _, r := range recs {
		out = append(out, filepath.Base(r.Path)+":"+r.Status)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestWatchUploadsWhatLandsOnceAndCatchesUpAfterARestart(t *testing.T) {
	sb, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	dir := filepath.Join(h.root, "Exports")
	writePhoto(t, filepath.Join(dir, "already-there.jpg"), 1)

	w := startWatch(t, h, []string{cu}, "--json", "--folder", "exports", "--tags", "watched", "--settle", "300ms", dir)
	if !strings.Contains(w.errText(), "1 file(s) already there left alone") {
		t.Errorf("stderr does not say what was left alone: %s", w.errText())
	}
	// A browser's download: written as .part, then renamed.
	sum := writePhoto(t, filepath.Join(dir, "download.jpg.part"), 50)
	if err := os.Rename(filepath.Join(dir, "download.jpg.part"), filepath.Join(dir, "download.jpg")); err != nil {
		t.Fatal(err)
	}
	writePhoto(t, filepath.Join(dir, "screenshot.jpg"), 90)
	recs := w.next(2)
	if got := recordNames(recs); got != "download.jpg:done screenshot.jpg:done" {
		t.Fatalf("records: %s", got)
	}
	for _, r := range recs {
		if !strings.HasPrefix(r.PublicID, "exports/") || r.SecureURL == "" {
			t.Errorf("%+v", r)
		}
		if filepath.Base(r.Path) == "download.jpg" && r.ETag != sum {
			t.Errorf("download.jpg uploaded with etag %s, want the complete file's %s", r.ETag, sum)
		}
	}
	if code := w.stop(); code != 0 {
		t.Fatalf("exit %d after Ctrl-C; stderr: %s", code, w.errText())
	}
	if !strings.Contains(w.errText(), "2 done, 0 skipped, 0 failed") {
		t.Errorf("no summary on stderr: %s", w.errText())
	}

	// While it is not running.
	writePhoto(t, filepath.Join(dir, "meanwhile.jpg"), 130)
	uploads := sb.Requests(sandbox.EndpointUpload)
	again := startWatch(t, h, []string{cu}, "--json", "--folder", "exports", "--settle", "300ms", dir)
	if got := recordNames(again.next(1)); got != "meanwhile.jpg:done" {
		t.Fatalf("after the restart: %s", got)
	}
	time.Sleep(time.Second)
	if code := again.stop(); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, again.errText())
	}
	if n := sb.Requests(sandbox.EndpointUpload) - uploads; n != 1 {
		t.Fatalf("%d upload requests after the restart, want 1 (meanwhile.jpg)", n)
	}
	if extra := again.stdout.String(); strings.Count(extra, "\n") != 1 {
		t.Fatalf("the second run printed more than one record: %s", extra)
	}
}

func TestWatchBadUsageExitsTwoWithOneLine(t *testing.T) {
	_, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	file := filepath.Join(h.root, "photo.jpg")
	writePhoto(t, file, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"watch"}, "nothing to watch"},
		{[]string{"watch", file}, "is not a folder"},
		{[]string{"watch", filepath.Join(h.root, "nope")}, "no such file or directory"},
		{[]string{"watch", "--settle", "1ms", h.root}, "--settle must be"},
		{[]string{"watch", "--include", "[x", h.root}, "[x"},
	} {
		r := h.run("", tc.args, cu)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestWatchWithAWrongSecretStopsAndExitsTwo(t *testing.T) {
	sb, _ := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	dir := filepath.Join(h.root, "in")
	os.MkdirAll(dir, 0o755)
	bad := "CLOUDINARY_URL=cloudinary://" + sb.APIKey() + ":" + h.secret + "@" + sb.Cloud() + "?upload_prefix=" + sb.URL()
	w := startWatch(t, h, []string{bad}, "--json", "--settle", "200ms", dir)
	writePhoto(t, filepath.Join(dir, "a.jpg"), 3)
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Fatalf("exit %v, want 2; stderr: %s", err, w.errText())
		}
	case <-time.After(30 * time.Second):
		w.cmd.Process.Signal(syscall.SIGTERM)
		t.Fatalf("watch kept running with a wrong secret; stderr: %s", w.errText())
	}
	h.seen.WriteString(w.errText())
	if !strings.Contains(w.errText(), "secret") {
		t.Errorf("stderr does not say what is wrong: %s", w.errText())
	}
}
