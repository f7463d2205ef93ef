package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/transfer"
)

// BenchmarkAppMemory runs the real window (under Xvfb) with one folder of
// N small PNGs named on its command line, against its embedded sandbox, and
// reports the app process's peak RSS (VmHWM, read just before it quits)
// once all N are uploaded: peak-MB, with s the seconds that took. The
// target for N=30,000 is under 250 MB.
func BenchmarkAppMemory(b *testing.B) {
	keychaintest.NeedTools(b, "Xvfb", "dbus-run-session", "gnome-keyring-daemon")
	withKeyring, err := filepath.Abs("../../.ci/with-keyring")
	if err != nil {
		b.Fatal(err)
	}
	display := keychaintest.StartXvfb(b, "1280x800x24")
	sizes := []int{3000, 30000}
	if s := os.Getenv("CLOUDUP_BENCH_FILES"); s != "" {
		n, _ := strconv.Atoi(s)
		sizes = []int{n}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			folder := filepath.Join(b.TempDir(), "pngs")
			writeSmallPNGs(b, folder, n)
			for range b.N {
				peak, took := appMemoryRun(b, display, withKeyring, folder, n)
				b.ReportMetric(peak, "peak-MB")
				b.ReportMetric(took.Seconds(), "s")
			}
		})
	}
}

// writeSmallPNGs writes n distinct 8×8 PNGs.
func writeSmallPNGs(b *testing.B, dir string, n int) {
	os.MkdirAll(dir, 0o755)
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	var buf bytes.Buffer
	for i := range n {
		for p := range 64 {
			img.Set(p%8, p/8, color.NRGBA{uint8(i), uint8(i >> 8), uint8(i >> 16), uint8(p * 4)})
		}
		buf.Reset()
		png.Encode(&buf, img)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("IMG_%05d.png", i)), buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func appMemoryRun(b *testing.B, display, withKeyring, folder string, n int) (peakMB float64, took time.Duration) {
	b.StopTimer()
	// Not b.TempDir: the keyring daemon and the session bus the app ran
	// under may still be letting go of files here for a moment after it
	// quits, and TempDir fails the benchmark when its cleanup finds that.
	root, err := os.MkdirTemp("", "cloudup-appmemory-")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for range 40 {
			if os.RemoveAll(root) == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		b.Logf("could not remove %s", root)
	}()
	dirs := map[string]string{}
	for _, d := range []string{"home", "xdg-config", "xdg-data", "xdg-cache", "run", "data", "config"} {
		dirs[d] = filepath.Join(root, d)
		os.MkdirAll(dirs[d], 0o700)
	}
	marker := "CLOUDUP_BENCH_MARKER=" + keychaintest.RandomHex(8)
	cmd := exec.Command("dbus-run-session", "--", withKeyring, appBin, folder)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "DISPLAY=" + display,
		"HOME=" + dirs["home"], "XDG_CONFIG_HOME=" + dirs["xdg-config"], "XDG_DATA_HOME=" + dirs["xdg-data"],
		"XDG_CACHE_HOME=" + dirs["xdg-cache"], "XDG_RUNTIME_DIR=" + dirs["run"],
		"CLOUDUP_CONFIG_DIR=" + dirs["config"], "CLOUDUP_DATA_DIR=" + dirs["data"], marker,
	}
	for _, k := range []string{"GODEBUG", "GOMEMLIMIT", "GOGC"} {
		// Passed on to compare runtime settings (gctrace=1 goes to app.log).
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if dir := os.Getenv("CLOUDUP_BENCH_APPLOG"); dir != "" {
		defer func() {
			data, _ := os.ReadFile(filepath.Join(root, "app.log"))
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("app-%d.log", n)), data, 0o644)
		}()
	}
	log, _ := os.Create(filepath.Join(root, "app.log"))
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.StartTimer()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	fail := func(format string, args ...any) {
		stop()
		appLog, _ := os.ReadFile(filepath.Join(root, "app.log"))
		b.Fatalf(format+"\napp log:\n%s", append(args, appLog)...)
	}

	var pid int
	var j *transfer.Journal
	deadline := start.Add(20 * time.Minute)
	for {
		if time.Now().After(deadline) {
			fail("after 20 min")
		}
		select {
		case err := <-exited:
			exited <- err
			fail("the app exited: %v", err)
		case <-time.After(time.Second):
		}
		if pid == 0 {
			pid = appPID(marker)
			continue
		}
		if j == nil {
			if _, err := os.Stat(filepath.Join(dirs["data"], "journal.db")); err != nil {
				continue
			}
			var err error
			if j, err = transfer.OpenJournal(filepath.Join(dirs["data"], "journal.db")); err != nil {
				fail("%v", err)
			}
			defer j.Close()
		}
		h, err := j.History(context.Background(), transfer.HistoryQuery{Profile: account.SandboxName, Limit: n + 100})
		if err != nil {
			continue
		}
		done := 0
		for _, e := range h {
			if e.Outcome == transfer.Done {
				done++
			}
		}
		if done >= n {
			break
		}
	}
	took = time.Since(start)
	b.StopTimer()
	peakMB = float64(statusKB(pid, "VmHWM:")) / 1024
	stop()
	return peakMB, took
}

// appPID finds the app's own process (not the shells around it).
func appPID(marker string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if exe != appBin {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if bytes.Contains(env, []byte(marker+"\x00")) {
			return pid
		}
	}
	return 0
}

func statusKB(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
