package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/imageguard/imageguardtest"
	"github.com/cloudup/cloudup/core/signing"
)

// BenchmarkHostileInput runs `cloudup-cli sandbox` as a child process and
// attacks it, reporting the child's own peak RSS (it is the sandbox that
// must stay small, not this process):
//
//   - baseline: a small signed upload and a w_100 rendering of it;
//   - bomb: a 30000×30000 PNG (110 KB) uploaded, then the same bomb stored
//     while limits were off and delivered with w_100, c_fill and f_webp;
//   - flood: 64 unauthenticated clients at once, each sending 64 MB of
//     parameters (multipart, url-encoded, JSON) or a 64 MB file with no
//     signature.
//
// Each peak is also given as a ratio of the baseline measured in the same
// run. CLOUDUP_BENCH_CLI names the binary (make bench builds it); pointing
// it at an older build measures that one (CLOUDUP_BENCH_LENIENT=1 then
// reports what the client was told instead of failing on it).
//
//	make bench   or   go test -run '^$' -bench HostileInput -benchtime 1x ./core/sandbox/
func BenchmarkHostileInput(b *testing.B) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		b.Skip("peak RSS of a child comes from getrusage")
	}
	cli := sandboxCLI(b)
	lenient := os.Getenv("CLOUDUP_BENCH_LENIENT") != ""
	clients, perClientMB := envInt("CLOUDUP_BENCH_FLOOD_CLIENTS", 64), envInt("CLOUDUP_BENCH_FLOOD_MB", 64)
	bombSide := envInt("CLOUDUP_BENCH_BOMB_SIDE", 30000)
	bomb := imageguardtest.PNGBomb(bombSide, bombSide, 1)
	for i := 0; i < b.N; i++ {
		// Baseline: ordinary work.
		c := startChild(b, cli, b.TempDir())
		c.upload(b, "small", jpegBytes(b, 800, 600), true)
		c.deliver(b, "w_100/small.jpg")
		base := c.stop(b)

		// The bomb at upload, then stored earlier and delivered.
		dir := b.TempDir()
		c = startChild(b, cli, dir)
		start := time.Now()
		code, told := c.upload(b, "bomb", bomb, false)
		upMS := time.Since(start).Milliseconds()
		b.Logf("bomb upload: %d %q after %d ms", code, told, upMS)
		if !lenient && (code != 400 || !strings.HasPrefix(told, "Resolution too large.")) {
			b.Fatalf("bomb upload answered %d %q", code, told)
		}
		upPeak := c.stop(b)

		if code != 200 { // refused: store it the way an older account has it
			c = startChild(b, cli, dir, "--max-image-pixels", "-1")
			if code, told := c.upload(b, "bomb", bomb, false); code != 200 {
				b.Fatalf("storing the bomb with limits off: %d %q", code, told)
			}
			c.stop(b)
		}
		c = startChild(b, cli, dir)
		start = time.Now()
		var deliveredMS int64
		for _, tr := range []string{"w_100", "c_fill,w_100,h_100", "f_webp"} {
			code, told := c.deliver(b, tr+"/bomb.png")
			b.Logf("bomb delivery %s: %d %q", tr, code, told)
			if !lenient && (code != 400 || !strings.HasPrefix(told, "Resolution too large.")) {
				b.Fatalf("bomb delivery %s answered %d %q", tr, code, told)
			}
		}
		deliveredMS = time.Since(start).Milliseconds() / 3
		downPeak := c.stop(b)

		// The unauthenticated flood.
		c = startChild(b, cli, b.TempDir())
		start = time.Now()
		refused := c.flood(b, clients, int64(perClientMB)<<20)
		floodMS := time.Since(start).Milliseconds()
		b.Logf("flood: %d of %d clients refused with 400 in %d ms", refused, clients, floodMS)
		if !lenient && refused < clients*9/10 {
			b.Fatalf("only %d of %d flood requests were refused with a 400", refused, clients)
		}
		floodPeak := c.stop(b)

		mbf := func(n int64) float64 { return float64(n) / (1 << 20) }
		b.ReportMetric(mbf(base), "baseline-peak-MB")
		b.ReportMetric(mbf(upPeak), "bomb-upload-peak-MB")
		b.ReportMetric(mbf(downPeak), "bomb-delivery-peak-MB")
		b.ReportMetric(mbf(floodPeak), "flood-peak-MB")
		b.ReportMetric(float64(max(upPeak, downPeak))/float64(base), "bomb-x-baseline")
		b.ReportMetric(float64(floodPeak)/float64(base), "flood-x-baseline")
		b.ReportMetric(float64(upMS), "bomb-upload-ms")
		b.ReportMetric(float64(deliveredMS), "bomb-delivery-ms")
		b.ReportMetric(float64(floodMS), "flood-ms")
		if !lenient && (max(upPeak, downPeak) > 256<<20 || floodPeak > 256<<20) {
			b.Errorf("peak RSS over 256 MB: bomb %.0f MB, flood %.0f MB", mbf(max(upPeak, downPeak)), mbf(floodPeak))
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// sandboxCLI is $CLOUDUP_BENCH_CLI or a fresh build of cloudup-cli.
func sandboxCLI(b *testing.B) string {
	if p := os.Getenv("CLOUDUP_BENCH_CLI"); p != "" {
		return p
	}
	out := filepath.Join(b.TempDir(), "cloudup-cli")
	cmd := exec.Command("go", "build", "-o", out, "github.com/cloudup/cloudup/cmd/cloudup-cli")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building cloudup-cli: %v\n%s", err, msg)
	}
	return out
}

// child is a `cloudup-cli sandbox` process.
type child struct {
	cmd                      *exec.Cmd
	base, cloud, key, secret string
	client                   *http.Client
}

func startChild(b *testing.B, cli, dir string, extra ...string) *child {
	b.Helper()
	args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--dir", dir, "--quiet", "--seed-samples=false"}, extra...)
	cmd := exec.Command(cli, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatalf("the sandbox printed no CLOUDINARY_URL: %v", err)
	}
	u, err := url.Parse(strings.TrimSpace(strings.TrimPrefix(line, "CLOUDINARY_URL=")))
	if err != nil {
		b.Fatal(err)
	}
	secret, _ := u.User.Password()
	go io.Copy(io.Discard, out)
	return &child{cmd: cmd, base: u.Query().Get("upload_prefix"), cloud: u.Host, key: u.User.Username(), secret: secret,
		client: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
}

// stop interrupts the child and returns its peak RSS in bytes.
func (c *child) stop(b *testing.B) int64 {
	b.Helper()
	c.client.CloseIdleConnections()
	c.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no resource usage for the child")
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes there, KB on Linux
	}
	return ru.Maxrss << 10
}

func (c *child) alive() bool { return c.cmd.ProcessState == nil }

// upload sends a signed multipart upload, parameters first as the SDKs
// do, and returns the status and error message ("" on success).
func (c *child) upload(b *testing.B, publicID string, data []byte, mustSucceed bool) (int, string) {
	b.Helper()
	p := url.Values{"public_id": {publicID}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}}
	p.Set("signature", signing.Sign(p, c.secret, signing.SHA1))
	p.Set("api_key", c.key)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k := range p {
		mw.WriteField(k, p.Get(k))
	}
	fw, _ := mw.CreateFormFile("file", publicID)
	fw.Write(data)
	mw.Close()
	resp, err := c.client.Post(c.base+"/v1_1/"+c.cloud+"/image/upload", mw.FormDataContentType(), &body)
	if err != nil {
		return 0, "no answer: " + err.Error()
	}
	defer resp.Body.Close()
	var m struct {
		Error struct{ Message string } `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&m)
	if mustSucceed && resp.StatusCode != 200 {
		b.Fatalf("upload %s: %d %q", publicID, resp.StatusCode, m.Error.Message)
	}
	return resp.StatusCode, m.Error.Message
}

// deliver fetches a delivery path and returns the status and x-cld-error.
func (c *child) deliver(b *testing.B, path string) (int, string) {
	resp, err := c.client.Get(c.base + "/" + c.cloud + "/image/upload/" + path)
	if err != nil {
		return 0, "no answer: " + err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("x-cld-error")
}

// flood sends clients unauthenticated requests at once, each trying to
// push size bytes, and counts those refused with a 400.
func (c *child) flood(b *testing.B, clients int, size int64) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	upload := c.base + "/v1_1/" + c.cloud + "/image/upload"
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body io.Reader
			ct := ""
			switch i % 4 {
			case 0: // parameters of just under 1 MB each, as many as it takes
				pr, pw := io.Pipe()
				mw := multipart.NewWriter(pw)
				ct = mw.FormDataContentType()
				go func() {
					for sent := int64(0); sent < size; sent += 1 << 20 {
						w, err := mw.CreateFormField(fmt.Sprintf("context%d", sent>>20))
						if err == nil {
							_, err = io.Copy(w, &repeatReader{b: 'a', n: 1<<20 - 1})
						}
						if err != nil {
							pw.CloseWithError(err)
							return
						}
					}
					pw.CloseWithError(mw.Close())
				}()
				body = pr
			case 1: // url-encoded parameters
				var parts []io.Reader
				for sent := int64(0); sent < size; sent += 1 << 20 {
					parts = append(parts, strings.NewReader(fmt.Sprintf("&tags%d=", sent>>20)), &repeatReader{b: 'a', n: 1<<20 - 16})
				}
				body = io.MultiReader(parts...)
			case 2: // one JSON body
				ct = "application/json"
				body = io.MultiReader(strings.NewReader(`{"tags":"`), &repeatReader{b: 'a', n: size}, strings.NewReader(`"}`))
			case 3: // a file with no signature
				pr, pw := io.Pipe()
				mw := multipart.NewWriter(pw)
				ct = mw.FormDataContentType()
				go func() {
					w, err := mw.CreateFormFile("file", "f.bin")
					if err == nil {
						_, err = io.Copy(w, &repeatReader{b: 'f', n: size})
					}
					if err != nil {
						pw.CloseWithError(err)
						return
					}
					pw.CloseWithError(mw.Close())
				}()
				body = pr
			}
			req, _ := http.NewRequest(http.MethodPost, upload, body)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := c.client.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusBadRequest {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return refused
}
