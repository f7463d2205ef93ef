//go:build linux

package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkAdaptive100SmallJPEGs is issue 10's speed target: 100 JPEGs of
// about 70 KB over a 40 ms link, the CLI with default settings (concurrency
// chosen by the engine) against the official Node SDK six at a time and
// against a sequential cloudinary-go loop, all in the same run. Targets:
// ≥ 1.5× the Node SDK, ≥ 4× the Go loop.
func BenchmarkAdaptive100SmallJPEGs(b *testing.B) {
	dir := b.TempDir()
	files := smallJPEGs(b, filepath.Join(dir, "photos"), 100)
	sb := benchSandbox(b, dir)
	cli := cliBinary(b)
	node := nodeSDK(b)
	b.ResetTimer()
	var engine, nodeTook, sdk time.Duration
	var chosen int
	for range b.N {
		nodeTook = timeIt(func() { node.upload(b, sb, files, 6) })
		sdk = timeIt(func() { sdkLoop(b, sb, files) })
		engine, chosen = engineRunConcurrency(b, cli, sb, dir, files)
	}
	b.StopTimer()
	b.ReportMetric(engine.Seconds(), "engine-s")
	b.ReportMetric(nodeTook.Seconds(), "node-sdk-6-s")
	b.ReportMetric(sdk.Seconds(), "go-sdk-loop-s")
	b.ReportMetric(nodeTook.Seconds()/engine.Seconds(), "x-faster-than-node-6")
	b.ReportMetric(sdk.Seconds()/engine.Seconds(), "x-faster-than-go-loop")
	b.ReportMetric(float64(chosen), "concurrency-chosen")
	b.Logf("100 JPEGs at %s latency: engine %s (settled at %d at once), Node SDK ×6 %s, Go SDK loop %s",
		benchLatency, engine.Round(time.Millisecond), chosen, nodeTook.Round(time.Millisecond), sdk.Round(time.Millisecond))
}

// BenchmarkAdaptiveUnder420Above8 runs the same batch against a sandbox that
// answers 420 to a ninth concurrent upload: the engine must finish every
// file (engineRunConcurrency fails the benchmark otherwise) and settle at 8
// or below. It reports where it settled, the refusals it took, and its time
// against the engine pinned at 8.
func BenchmarkAdaptiveUnder420Above8(b *testing.B) {
	dir := b.TempDir()
	files := smallJPEGs(b, filepath.Join(dir, "photos"), 100)
	sb := benchSandbox(b, dir)
	if err := sb.sb.SetFaults("on=upload,above=8,rate=1,kinds=420,retry=1s"); err != nil {
		b.Fatal(err)
	}
	cli := cliBinary(b)
	b.ResetTimer()
	var auto, pinned time.Duration
	var chosen int
	var refused int64
	for range b.N {
		pinned, _ = engineRunConcurrency(b, cli, sb, dir, files, "--concurrency", "8")
		sb.sb.ResetStats()
		auto, chosen = engineRunConcurrency(b, cli, sb, dir, files)
		refused = sb.sb.Stats().Faults["420"]
	}
	b.StopTimer()
	if chosen > 8 {
		b.Errorf("the engine settled at %d at once, above the account's 8", chosen)
	}
	b.ReportMetric(float64(chosen), "concurrency-chosen")
	b.ReportMetric(float64(refused), "420s")
	b.ReportMetric(auto.Seconds(), "engine-s")
	b.ReportMetric(pinned.Seconds(), "pinned-8-s")
	b.ReportMetric(pinned.Seconds()/auto.Seconds(), "x-vs-pinned-8")
	b.Logf("420 above 8 at once: engine settled at %d after %d refusals, %s (pinned at 8: %s), no item failed",
		chosen, refused, auto.Round(time.Millisecond), pinned.Round(time.Millisecond))
}

// engineRunConcurrency runs `cloudup-cli upload --json` (with extra flags)
// and returns its wall time and the concurrency the last item finished at.
// Every file must be uploaded.
func engineRunConcurrency(b *testing.B, cli string, sb benchNet, dir string, files []string, extra ...string) (time.Duration, int) {
	root, err := os.MkdirTemp(dir, "engine")
	if err != nil {
		b.Fatal(err)
	}
	args := append(append([]string{"upload", "--json", "--folder", filepath.Base(root)}, extra...), files...)
	cmd := exec.Command(cli, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + root,
		"CLOUDUP_CONFIG_DIR=" + filepath.Join(root, "config"),
		"CLOUDUP_DATA_DIR=" + filepath.Join(root, "data"),
		"CLOUDINARY_URL=" + sb.cloudinaryURL(),
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("cloudup-cli upload: %v\n%s", err, stderr.String())
	}
	done, last := 0, 0
	for line := range strings.Lines(stdout.String()) {
		var rec struct {
			Status      string
			Concurrency int
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Status == "done" {
			done++
			last = rec.Concurrency
		}
	}
	if done != len(files) {
		b.Fatalf("the engine uploaded %d of %d files\n%s", done, len(files), stderr.String())
	}
	return elapsed, last
}

// nodeRunner is the official Node SDK installed with npm ci from the
// package lock pinned in core/sandbox/testdata/node.
type nodeRunner struct {
	node, work string
	env        []string
}

func nodeSDK(b *testing.B) nodeRunner {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		b.Skip("node and npm are not both on PATH: install Node.js (apt install nodejs npm) to compare with the Node SDK")
	}
	work := b.TempDir()
	copyFile := func(from, name string) {
		data, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	copyFile(filepath.Join("..", "sandbox", "testdata", "node"), "package.json")
	copyFile(filepath.Join("..", "sandbox", "testdata", "node"), "package-lock.json")
	copyFile("testdata", "node_upload.js")
	home := filepath.Join(work, "home")
	os.MkdirAll(home, 0o700)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"npm_config_cache=" + filepath.Join(work, "npm-cache"),
		"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false",
	}
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
		b.Fatalf("npm ci (needs the npm registry): %v\n%s", err, out)
	}
	return nodeRunner{node: node, work: work, env: env}
}

// upload runs node_upload.js on files, concurrency at a time.
func (n nodeRunner) upload(b *testing.B, sb benchNet, files []string, concurrency int) {
	cmd := exec.Command(n.node, append([]string{"node_upload.js"}, files...)...)
	cmd.Dir = n.work
	cmd.Env = append(n.env, "CLOUDINARY_URL="+sb.cloudinaryURL(), fmt.Sprintf("CONCURRENCY=%d", concurrency))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("node node_upload.js: %v\n%s", err, stderr.String())
	}
	var res struct{ Done int }
	if err := json.Unmarshal(out, &res); err != nil || res.Done != len(files) {
		b.Fatalf("the Node SDK uploaded %q of %d files (%v)", out, len(files), err)
	}
}

// smallJPEGs writes n distinct JPEGs of about 70 KB: one noisy photo, each
// copy with its own bytes after the end-of-image marker.
func smallJPEGs(b *testing.B, dir string, n int) []string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	img := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = uint8(rnd.IntN(256))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	base := buf.Bytes()
	files := make([]string, n)
	for i := range n {
		tail := make([]byte, max(70<<10-len(base), 16))
		for j := range tail {
			tail[j] = byte(rnd.Uint32())
		}
		p := filepath.Join(dir, fmt.Sprintf("IMG_%04d.jpg", i))
		if err := os.WriteFile(p, append(append([]byte(nil), base...), tail...), 0o644); err != nil {
			b.Fatal(err)
		}
		files[i] = p
	}
	return files
}
