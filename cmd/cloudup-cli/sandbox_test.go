package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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

func TestSandboxCommandPrintsCloudinaryURLFirstAndStopsCleanly(t *testing.T) {
	root := t.TempDir()
	cmd := sandboxCmd(t, root, "--addr", "127.0.0.1:0", "--quiet")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no first line; stderr: %s", stderr.String())
	}
	u, ok := strings.CutPrefix(strings.TrimSpace(first), "CLOUDINARY_URL=")
	if !ok || !strings.HasPrefix(u, "cloudinary://") || !strings.Contains(u, "@sandbox?upload_prefix=http://127.0.0.1:") {
		t.Fatalf("first line %q is not CLOUDINARY_URL=cloudinary://K:S@sandbox?upload_prefix=http://127.0.0.1:PORT", first)
	}
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The default data dir is CLOUDUP_DATA_DIR/sandbox, seeded with samples.
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
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v (want exit 0); stderr: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the sandbox did not stop on SIGINT")
	}
}

// TestSandboxCommandStopsCleanlyOnSIGTERM is how service managers and CI
// scripts stop it: exit 0, the account intact for the next run, and the
// secret nowhere on stderr (the request log).
func TestSandboxCommandStopsCleanlyOnSIGTERM(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "account")
	start := func() (*exec.Cmd, string, *bytes.Buffer) {
		cmd := sandboxCmd(t, root, "--addr", "127.0.0.1:0", "--dir", dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stderr := &bytes.Buffer{}
		cmd.Stderr = stderr
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
		case first := <-lines:
			u, ok := strings.CutPrefix(strings.TrimSpace(first), "CLOUDINARY_URL=")
			if !ok {
				t.Fatalf("first line %q", first)
			}
			return cmd, u, stderr
		case <-time.After(30 * time.Second):
			t.Fatal("no first line")
		}
		return nil, "", nil
	}
	stop := func(cmd *exec.Cmd, stderr *bytes.Buffer) {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after SIGTERM: %v (want exit 0); stderr: %s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the sandbox did not stop on SIGTERM")
		}
	}

	cmd, u, stderr := start()
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := cld.Upload.Upload(ctx, strings.NewReader("kept across runs"), uploader.UploadParams{PublicID: "kept.txt", ResourceType: "raw"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("upload: %v %+v", err, res)
	}
	stop(cmd, stderr)
	secret := cld.Config.Cloud.APISecret
	if secret == "" || strings.Contains(stderr.String(), secret) {
		t.Errorf("stderr of the first run shows the secret (or the URL had none): %q", stderr.String())
	}

	// The next run on the same dir: same credentials, same account.
	cmd, u2, stderr := start()
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
	stop(cmd, stderr)
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
