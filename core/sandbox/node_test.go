package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeSDKWorksAgainstTheSandbox runs the official npm cloudinary
// package (pinned in testdata/node) as an independent client: upload,
// upload_large, search (which Node posts to resources%2Fsearch), listing,
// tags, presets, unsigned upload, destroy and delete.
func TestNodeSDKWorksAgainstTheSandbox(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are not both on PATH: install Node.js (apt install nodejs npm) to run the Node SDK check")
	}
	if testing.Short() {
		t.Skip("the Node SDK check installs a package with npm ci")
	}
	work := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json", "sdk_check.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "node", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// npm and node get a private HOME and cache: tests never touch the
	// user's, and the only secret they see is the sandbox's own.
	home := filepath.Join(work, "home")
	os.MkdirAll(home, 0o700)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"npm_config_cache=" + filepath.Join(work, "npm-cache"),
		"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false",
	}
	// How this machine reaches the npm registry (a proxy, a private mirror,
	// an extra CA) passes through; nothing else of the parent's does.
	for _, name := range []string{
		"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
		"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "npm_config_registry",
	} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	install.Dir, install.Env = work, env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci (needs the npm registry): %v\n%s", err, out)
	}

	s := startSandbox(t, Config{Limits: Limits{MaxRawBytes: 50 * mb}})
	img := writeFile(t, "node.jpg", jpegBytes(t, 320, 200))
	large, largeSum := bigFile(t, 13*mb+777)

	run := exec.CommandContext(ctx, node, "sdk_check.js", img, large)
	run.Dir = work
	run.Env = append(env, "CLOUDINARY_URL="+s.CloudinaryURL())
	var stderr strings.Builder
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("node sdk_check.js: %v\n%s", err, stderr.String())
	}
	var got struct {
		Upload struct {
			PublicID    string         `json:"public_id"`
			Width       int            `json:"width"`
			Format      string         `json:"format"`
			Etag        string         `json:"etag"`
			Tags        []string       `json:"tags"`
			SecureURL   string         `json:"secure_url"`
			SignatureOK bool           `json:"signature_ok"`
			Context     map[string]any `json:"context"`
		} `json:"upload"`
		Large struct {
			PublicID     string `json:"public_id"`
			Bytes        int64  `json:"bytes"`
			Etag         string `json:"etag"`
			ResourceType string `json:"resource_type"`
		} `json:"large"`
		Search struct {
			TotalCount int               `json:"total_count"`
			IDs        []string          `json:"ids"`
			Context    map[string]string `json:"context"`
		} `json:"search"`
		Listed   []string `json:"listed"`
		Tagged   []string `json:"tagged"`
		Unsigned struct {
			PublicID string `json:"public_id"`
		} `json:"unsigned"`
		BadPreset *struct {
			Message  string `json:"message"`
			HTTPCode int    `json:"http_code"`
		} `json:"bad_preset"`
		Destroy string            `json:"destroy"`
		Deleted map[string]string `json:"deleted"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if got.Upload.PublicID != "node/photo" || got.Upload.Width != 320 || got.Upload.Format != "jpg" || !got.Upload.SignatureOK || strings.Join(got.Upload.Tags, ",") != "node,sdk" {
		t.Errorf("upload: %+v", got.Upload)
	}
	if custom, _ := got.Upload.Context["custom"].(map[string]any); custom["alt"] != "A=b|c" {
		t.Errorf("Node's escaped context came back as %v", got.Upload.Context)
	}
	if !strings.HasPrefix(got.Upload.SecureURL, s.URL()) {
		t.Errorf("secure_url %s does not point at the sandbox", got.Upload.SecureURL)
	}
	if got.Large.PublicID != "node/large.bin" || got.Large.Bytes != 13*mb+777 || got.Large.Etag != largeSum || got.Large.ResourceType != "raw" {
		t.Errorf("upload_large: %+v (want %d bytes, md5 %s)", got.Large, 13*mb+777, largeSum)
	}
	if n := s.Requests(EndpointUploadChunk); n != 3 {
		t.Errorf("upload_large sent %d chunk requests, want 3", n)
	}
	if got.Search.TotalCount != 1 || len(got.Search.IDs) != 1 || got.Search.IDs[0] != "node/photo" || got.Search.Context["caption"] != "From Node" {
		t.Errorf("search: %+v", got.Search)
	}
	if strings.Join(got.Listed, ",") != "node/photo" {
		t.Errorf("listing with prefix node/ (images): %v", got.Listed)
	}
	if strings.Join(got.Tagged, ",") != "node/photo" {
		t.Errorf("add_tag: %v", got.Tagged)
	}
	if got.Unsigned.PublicID != "guests/visitor" {
		t.Errorf("unsigned upload: %+v", got.Unsigned)
	}
	if got.BadPreset == nil || got.BadPreset.Message != "Upload preset not found" || got.BadPreset.HTTPCode != 400 {
		t.Errorf("unknown preset: %+v", got.BadPreset)
	}
	if got.Destroy != "ok" || got.Deleted["guests/visitor"] != "deleted" {
		t.Errorf("destroy %q, delete_resources %v", got.Destroy, got.Deleted)
	}
	if s.Requests(EndpointAdminSearch) != 1 {
		t.Errorf("search requests = %d", s.Requests(EndpointAdminSearch))
	}
}
