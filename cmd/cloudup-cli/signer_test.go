package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

// teamSetup is an account (a sandbox whose secret is the harness's, so the
// harness proves it never leaves the service) and a running signing
// service for it.
type teamSetup struct {
	h      *cliHarness
	sb     *sandbox.Server
	db     string
	addr   string
	signer *exec.Cmd
	logs   *bytes.Buffer
}

func newTeam(t *testing.T, sbCfg sandbox.Config) *teamSetup {
	t.Helper()
	keychaintest.NeedTools(t, "dbus-daemon")
	h := newHarness(t)
	sbCfg.APIKey, sbCfg.APISecret = "222222222222222", h.secret
	sb := sandboxtest.Start(t, sbCfg)
	ts := &teamSetup{h: h, sb: sb, db: filepath.Join(h.root, "owner", "signer.db"), addr: "127.0.0.1:0"}
	ts.start(t)
	return ts
}

func (ts *teamSetup) url() string { return "http://" + ts.addr }

// start runs `cloudup-cli signer serve` with the secret in CLOUDINARY_URL,
// as an owner would, and waits for its first line.
func (ts *teamSetup) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(cliBin, "signer", "serve", "--addr", ts.addr, "--db", ts.db)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(ts.h.root, "owner"),
		"CLOUDINARY_URL=" + fmt.Sprintf("cloudinary://%s:%s@%s?upload_prefix=%s", ts.sb.APIKey(), ts.h.secret, ts.sb.Cloud(), ts.sb.URL()),
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ts.logs = &bytes.Buffer{}
	cmd.Stderr = ts.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on http://")
		if !ok {
			t.Fatalf("first line %q; stderr: %s", line, ts.logs)
		}
		ts.addr = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("the signing service did not start: %s", ts.logs)
	}
	ts.signer = cmd
}

func (ts *teamSetup) stop(t *testing.T) {
	t.Helper()
	ts.signer.Process.Signal(syscall.SIGTERM)
	ts.signer.Wait()
	ts.h.seen.Write(ts.logs.Bytes())
}

// grant runs `signer grant` and returns the token from its first line.
func (ts *teamSetup) grant(t *testing.T, args ...string) string {
	t.Helper()
	r := ts.h.ok("", append([]string{"signer", "grant", "--db", ts.db}, args...)...)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "cup_") {
		t.Fatalf("grant printed %q", r.stdout)
	}
	return lines[0]
}

func writeJPEGs(t *testing.T, dir string, n, seed int) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 24, 24))
		for p := range img.Pix {
			img.Pix[p] = uint8(i*7 + p + seed*13)
		}
		img.Set(1, 1, color.RGBA{uint8(i), 0, 0, 255})
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("photo-%03d.jpg", i)))
		if err != nil {
			t.Fatal(err)
		}
		jpeg.Encode(f, img, nil)
		f.Close()
	}
}

func TestTeamEditorUploadsSearchesAndSharesWithoutTheSecret(t *testing.T) {
	ts := newTeam(t, sandbox.Config{StrictDeliverySigning: true})
	h := ts.h
	token := ts.grant(t, "--editor", "ann", "--folder", "blog", "--folder", "news", "--can-edit")

	r := h.ok(token+"\n", "login", "--profile", "team", "--signer", ts.url(), "--token-stdin")
	if !strings.Contains(r.stdout, `editor "ann"`) || !strings.Contains(r.stdout, "You may upload to blog/, news/") {
		t.Errorf("login said: %s", r.stdout)
	}
	r = h.ok("", "status", "--profile", "team")
	if !strings.Contains(r.stdout, "held by the team signing service") || !strings.Contains(r.stdout, "upload to blog/, news/") {
		t.Errorf("status: %s", r.stdout)
	}

	photos := filepath.Join(h.root, "photos")
	writeJPEGs(t, photos, 6, 0)
	r = h.ok("", "upload", "--profile", "team", "--json", photos)
	var done int
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var item struct {
			Status   string `json:"status"`
			PublicID string `json:"public_id"`
		}
		json.Unmarshal([]byte(line), &item)
		if item.Status == "done" && strings.HasPrefix(item.PublicID, "blog/") {
			done++
		}
	}
	if done != 6 {
		t.Fatalf("%d of 6 uploaded into blog/: %s %s", done, r.stdout, r.stderr)
	}

	// Outside the grant: one line that says what to do; nothing sent.
	r = h.run("", []string{"upload", "--profile", "team", "--folder", "drafts", filepath.Join(photos, "photo-000.jpg")})
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "You may upload to blog/ and news/ only; ask the account owner for access to drafts/.") {
		t.Errorf("upload to drafts: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = h.ok("", "search", "--profile", "team", "--json")
	if n := strings.Count(r.stdout, `"public_id":"blog/`); n != 6 {
		t.Errorf("search found %d of 6: %s", n, r.stdout)
	}
	// The sandbox's sample photos are outside the grant.
	if strings.Contains(r.stdout, "samples/") {
		t.Errorf("search reached other folders: %s", r.stdout)
	}

	// A signed link (the account requires them) that the CDN serves.
	var first struct {
		PublicID string `json:"public_id"`
	}
	json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &first)
	r = h.ok("", "url", "--profile", "team", "--signed", "--effect", "grayscale", first.PublicID)
	link := strings.TrimSpace(r.stdout)
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: %d", link, resp.StatusCode)
	}
	if r := h.run("", []string{"url", "--profile", "team", "--signed", "samples/city"}); r.code != 2 || !strings.Contains(r.stderr, "blog/") {
		t.Errorf("signing a link outside: exit %d %s", r.code, r.stderr)
	}

	// The owner's audit shows what happened, and no secret or token.
	r = h.ok("", "signer", "audit", "--db", ts.db, "--editor", "ann", "--json")
	if !strings.Contains(r.stdout, `"outcome":"signed"`) || !strings.Contains(r.stdout, `"rule":"folder"`) {
		t.Errorf("audit: %s", r.stdout)
	}
	if strings.Contains(r.stdout, token) {
		t.Error("the token is in the audit")
	}
	r = h.ok("", "signer", "editors", "--db", ts.db)
	if !strings.Contains(r.stdout, "ann") || !strings.Contains(r.stdout, "active") || strings.Contains(r.stdout, token) {
		t.Errorf("editors: %s", r.stdout)
	}

	// Revoked: the next upload is refused at once, in words, exit 2.
	h.ok("", "signer", "revoke", "--db", ts.db, "--editor", "ann")
	writeJPEGs(t, filepath.Join(h.root, "more"), 3, 1)
	r = h.run("", []string{"upload", "--profile", "team", filepath.Join(h.root, "more")})
	if r.code != 2 || !strings.Contains(r.stderr, "revoked") {
		t.Errorf("after revocation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	ts.stop(t)
	if strings.Contains(ts.logs.String(), token) {
		t.Error("the token is in the service's log")
	}
	filepath.WalkDir(h.root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(token)) {
				t.Errorf("the token is in %s", path)
			}
		}
		return nil
	})
}

func TestTeamUploadsWaitForAServiceKilledMidBatchAndGoOn(t *testing.T) {
	ts := newTeam(t, sandbox.Config{Latency: 150 * time.Millisecond})
	h := ts.h
	token := ts.grant(t, "--editor", "ann", "--folder", "blog")
	h.ok(token+"\n", "login", "--profile", "team", "--signer", ts.url(), "--token-stdin")
	photos := filepath.Join(h.root, "photos")
	writeJPEGs(t, photos, 8, 2)

	cmd := exec.Command(cliBin, "upload", "--profile", "team", "--concurrency", "1", "--json", photos)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(h.root, "home"),
		"CLOUDUP_CONFIG_DIR=" + h.config, "CLOUDUP_DATA_DIR=" + filepath.Join(h.root, "data"),
		"DBUS_SESSION_BUS_ADDRESS=" + os.Getenv("DBUS_SESSION_BUS_ADDRESS"), "XDG_RUNTIME_DIR=" + os.Getenv("XDG_RUNTIME_DIR"),
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := bufio.NewScanner(stdout)
	var out []string
	if !lines.Scan() {
		t.Fatalf("no output: %s", stderr.String())
	}
	out = append(out, lines.Text())
	// One file is up: kill the service, and bring it back (at the same
	// address, which the profile names) two seconds later.
	ts.signer.Process.Kill()
	ts.signer.Wait()
	time.Sleep(2 * time.Second)
	ts.start(t)
	for lines.Scan() {
		out = append(out, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("upload: %v\n%s\n%s", err, strings.Join(out, "\n"), stderr.String())
	}
	if n := strings.Count(strings.Join(out, "\n"), `"status":"done"`); n != 8 {
		t.Fatalf("%d of 8 done:\n%s\n%s", n, strings.Join(out, "\n"), stderr.String())
	}
}

func TestSignerRefusesToTakeTheSecretFromAFlagOrArgument(t *testing.T) {
	h := newHarness(t)
	r := h.run("", []string{"signer", "serve", "--secret", h.secret})
	if r.code != 2 || strings.Contains(r.stderr, h.secret) {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	r = h.run("", []string{"signer", "serve", h.secret})
	if r.code != 2 || strings.Contains(r.stderr, h.secret) {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	r = h.run("", []string{"signer", "grant", "--editor", "x", "--folder", "../up"})
	if r.code != 2 || !strings.Contains(r.stderr, "folder") {
		t.Errorf("bad folder: exit %d %s", r.code, r.stderr)
	}
	r = h.run("", []string{"signer", "frobnicate"})
	if r.code != 2 {
		t.Errorf("unknown subcommand: exit %d", r.code)
	}
	// A team login refuses what is not a team token, without echoing it.
	r = h.run(h.secret+"\n", []string{"login", "--profile", "t", "--signer", "http://127.0.0.1:9", "--token-stdin"})
	if r.code != 2 || !strings.Contains(r.stderr, "not a team token") {
		t.Errorf("an API secret as a token: exit %d %s", r.code, r.stderr)
	}
}
