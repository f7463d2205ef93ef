package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/admin/search"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

func sandboxCmd(t *testing.T, root string, args ...string) *exec.Cmd {
	cmd := exec.Command(cliBin, append([]string{"sandbox"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(root, "home"),
		"CLOUDUP_CONFIG_DIR=" + filepath.Join(root, "config"),
		"CLOUDUP_DATA_DIR=" + filepath.Join(root, "data"),
	}
	return cmd
}

// runningSandbox is a `cloudup-cli sandbox` process started by a test.
type runningSandbox struct {
	cmd    *exec.Cmd
	first  string // its first line of standard output
	stderr *bytes.Buffer
}

// startSandboxCmd starts `cloudup-cli sandbox ARGS` and waits for its first
// line of standard output.
func startSandboxCmd(t *testing.T, root string, args ...string) *runningSandbox {
	t.Helper()
	cmd := sandboxCmd(t, root, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &runningSandbox{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case r.first = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no first line; stderr: %s", r.stderr.String())
	}
	return r
}

// url is the CLOUDINARY_URL of the first line.
func (r *runningSandbox) url(t *testing.T) string {
	t.Helper()
	u, ok := strings.CutPrefix(strings.TrimSpace(r.first), "CLOUDINARY_URL=")
	if !ok {
		t.Fatalf("first line %q", r.first)
	}
	return u
}

// stop sends sig and expects a clean exit 0.
func (r *runningSandbox) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after %v: %v (want exit 0); stderr: %s", sig, err, r.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the sandbox did not stop on %v", sig)
	}
}

func TestSandboxCommandPrintsCloudinaryURLFirstAndStopsCleanly(t *testing.T) {
	root := t.TempDir()
	sb := startSandboxCmd(t, root, "--addr", "127.0.0.1:0", "--quiet")
	u := sb.url(t)
	if !strings.HasPrefix(u, "cloudinary://") || !strings.Contains(u, "@sandbox?upload_prefix=http://127.0.0.1:") {
		t.Fatalf("first line %q is not CLOUDINARY_URL=cloudinary://K:S@sandbox?upload_prefix=http://127.0.0.1:PORT", sb.first)
	}
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The default data dir is CLOUDUP_DATA_DIR/sandbox-server, seeded with samples.
	found, err := cld.Admin.Search(ctx, search.Query{Expression: "tags:sample", MaxResults: 50})
	if err != nil || found.TotalCount < 4 {
		t.Errorf("samples: %v %+v", err, found)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "sandbox-server", "sandbox.db")); err != nil {
		t.Errorf("default data dir not used: %v", err)
	}
	res, err := cld.Upload.Upload(ctx, strings.NewReader("hello from the CLI test"), uploader.UploadParams{PublicID: "cli.txt", ResourceType: "raw"})
	if err != nil || res.Error.Message != "" || res.Bytes != 23 {
		t.Fatalf("upload: %v %+v", err, res)
	}
	if _, err := cld.Admin.Asset(ctx, admin.AssetParams{AssetType: "raw", PublicID: "cli.txt"}); err != nil {
		t.Error(err)
	}
	sb.stop(t, os.Interrupt)
}

// TestSandboxCommandStopsCleanlyOnSIGTERM is how service managers and CI
// scripts stop it: exit 0, the account intact for the next run, and the
// secret nowhere on stderr (the request log).
func TestSandboxCommandStopsCleanlyOnSIGTERM(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "account")

	first := startSandboxCmd(t, root, "--addr", "127.0.0.1:0", "--dir", dir)
	u := first.url(t)
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := cld.Upload.Upload(ctx, strings.NewReader("kept across runs"), uploader.UploadParams{PublicID: "kept.txt", ResourceType: "raw"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("upload: %v %+v", err, res)
	}
	first.stop(t, syscall.SIGTERM)
	secret := cld.Config.Cloud.APISecret
	if secret == "" || strings.Contains(first.stderr.String(), secret) {
		t.Errorf("stderr of the first run shows the secret (or the URL had none): %q", first.stderr.String())
	}

	// The next run on the same dir: same credentials, same account.
	next := startSandboxCmd(t, root, "--addr", "127.0.0.1:0", "--dir", dir)
	u2 := next.url(t)
	if u2[:strings.Index(u2, "?")] != u[:strings.Index(u, "?")] {
		t.Errorf("credentials changed between runs on one dir")
	}
	cld2, err := cloudinary.NewFromURL(u2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cld2.Admin.Asset(ctx, admin.AssetParams{AssetType: "raw", PublicID: "kept.txt"}); err != nil {
		t.Errorf("the upload of the first run is gone: %v", err)
	}
	next.stop(t, syscall.SIGTERM)
}

func TestSandboxCommandHelpAndBadFlags(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	help := sandboxCmd(t, root, "-h")
	help.Stderr = &out
	if err := help.Run(); err != nil {
		t.Errorf("sandbox -h: %v", err)
	}
	for _, want := range []string{"--faults", "rate=F", "schedule=", "reset-after", "--latency", "--bandwidth", "--seed"} {
		if !strings.Contains(strings.ReplaceAll(out.String(), "\n", " "), strings.TrimPrefix(want, "--")) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, args := range [][]string{{"--faults", "rate=9"}, {"--limits", "huge"}, {"--addr", "256.1.1.1:99999"}, {"stray"}} {
		cmd := sandboxCmd(t, root, append(args, "--dir", filepath.Join(root, "d"))...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || stderr.Len() == 0 {
			t.Errorf("%v: %v %q, want exit 2 with a message", args, err, stderr.String())
		}
	}
}

// TestSandboxCommandKeepsAnOpenFolderPrivateAndFetchesLocallyOnlyWhenTold
// runs the command as a tester would: --dir naming a folder everyone can
// read, a remote upload of a file served on 127.0.0.1 refused by default
// and fetched with --allow-private-fetch.
func TestSandboxCommandKeepsAnOpenFolderPrivateAndFetchesLocallyOnlyWhenTold(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "shared")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	served := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	}))
	defer served.Close()
	for _, allow := range []bool{false, true} {
		args := []string{"--addr", "127.0.0.1:0", "--dir", dir, "--quiet", "--seed-samples=false"}
		if allow {
			args = append(args, "--allow-private-fetch")
		}
		sb := startSandboxCmd(t, root, args...)
		cld, err := cloudinary.NewFromURL(sb.url(t))
		if err != nil {
			t.Fatal(err)
		}
		res, err := cld.Upload.Upload(context.Background(), served.URL+"/dot.gif", uploader.UploadParams{PublicID: fmt.Sprint("dot-", allow)})
		switch {
		case err != nil:
			t.Fatal(err)
		case allow && res.Error.Message != "":
			t.Errorf("with --allow-private-fetch: %q", res.Error.Message)
		case !allow && !strings.Contains(res.Error.Message, "--allow-private-fetch"):
			t.Errorf("without it: %q, want a refusal naming the flag", res.Error.Message)
		}
		sb.stop(t, os.Interrupt)
	}
	for _, p := range []string{dir, filepath.Join(dir, "sandbox.db")} {
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v %v, want private to the user", p, info.Mode().Perm(), err)
		}
	}
}
