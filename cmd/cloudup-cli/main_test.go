package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/keychain/keychaintest"
)

// cliBin is the real cloudup-cli, built once with CGO_ENABLED=0 by TestMain.
// End-to-end tests of every subcommand run it (add yours here rather than a
// second TestMain).
var cliBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudup-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cliBin = filepath.Join(dir, "cloudup-cli")
	build := exec.Command("go", "build", "-o", cliBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building cloudup-cli: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliHarness runs the binary against its own config, data and home dirs,
// with a distinctive secret. When the test ends it checks that the secret
// is in no file under those dirs and in no output of any run.
type cliHarness struct {
	t      *testing.T
	root   string
	config string
	secret string
	env    []string // extra KEY=VALUE for every run
	seen   bytes.Buffer
}

func newHarness(t *testing.T) *cliHarness {
	t.Helper()
	root := t.TempDir()
	h := &cliHarness{
		t: t, root: root, config: filepath.Join(root, "config"),
		secret: "cupTEST" + keychaintest.RandomHex(12),
	}
	t.Cleanup(h.assertSecretNowhere)
	return h
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs cloudup-cli with args, stdin and extra environment entries.
func (h *cliHarness) run(stdin string, args []string, env ...string) result {
	h.t.Helper()
	cmd := exec.Command(cliBin, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(h.root, "home"),
		"CLOUDUP_CONFIG_DIR=" + h.config,
		"CLOUDUP_DATA_DIR=" + filepath.Join(h.root, "data"),
	}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, h.env...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("running cloudup-cli: %v", err)
	}
	h.seen.Write(out.Bytes())
	h.seen.Write(errOut.Bytes())
	return result{code, out.String(), errOut.String()}
}

// ok runs and fails the test unless the command exits 0.
func (h *cliHarness) ok(stdin string, args ...string) result {
	h.t.Helper()
	r := h.run(stdin, args)
	if r.code != 0 {
		h.t.Fatalf("cloudup-cli %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func (h *cliHarness) assertSecretNowhere() {
	t := h.t
	if strings.Contains(h.seen.String(), h.secret) {
		t.Errorf("the secret appeared on stdout or stderr")
	}
	filepath.WalkDir(h.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(h.secret)) {
			t.Errorf("the secret is in %s", path)
		}
		return nil
	})
}

// configFiles lists what is under the config dir.
func (h *cliHarness) configFiles() []string {
	var files []string
	filepath.WalkDir(h.config, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	return files
}
