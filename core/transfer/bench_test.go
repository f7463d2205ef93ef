//go:build linux

package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"golang.org/x/sync/errgroup"

	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/signing"
)

// The upload benchmarks of `make bench`: Cloudup's engine against a plain
// sequential loop over cloudinary-go's Upload and against raw multipart
// POSTs of the same bytes (the ceiling: no hashing, no journal, no
// retries), all through one sandbox with a simulated WAN. The engine runs as
// the real `cloudup-cli upload` in a child process so its peak RSS is its
// own (the benchmark process holds the sandbox). Results are ratios measured
// in the same run, never timed assertions.
//
//	make bench
//	CLOUDUP_BENCH_LARGE_MB=2048 go test -run '^$' -bench Large -benchtime 1x ./core/transfer/

const (
	benchLatency   = 40 * time.Millisecond
	benchBandwidth = 16 << 20 // bytes/s per connection, each direction
)

func BenchmarkBatch200Photos(b *testing.B) {
	dir := b.TempDir()
	files := writePhotos(b, filepath.Join(dir, "photos"), 200, 1<<20)
	sb := benchSandbox(b, dir)
	runComparison(b, sb, dir, files, "image", 4)
}

func BenchmarkLargeFile500MB(b *testing.B) {
	size := int64(500) << 20
	if v := os.Getenv("CLOUDUP_BENCH_LARGE_MB"); v != "" {
		var mb int64
		if _, err := fmt.Sscan(v, &mb); err == nil && mb > 0 {
			size = mb << 20
		}
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "large", "video-master.bin")
	writeLarge(b, file, size)
	// One file: the engine uploads it alone, in chunks; the ceiling is one
	// raw POST of the whole file. The latency is the link's here, half of it
	// each way, so every answer and every next request pay a real round trip
	// (a pause in the sandbox overlaps the body still streaming in, and
	// made those round trips free); and the link as a whole carries no more
	// than one connection does, so requests side by side cannot pass for a
	// faster link.
	sb := benchSandboxWAN(b, dir, wanLink{delay: benchLatency / 2, link: benchBandwidth})
	runComparison(b, sb, dir, []string{file}, "raw", 1)
}

// runComparison uploads files three ways and reports times, throughput,
// ratios and the engine's peak RSS.
func runComparison(b *testing.B, sb benchNet, dir string, files []string, resourceType string, rawConcurrency int) {
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
	}
	cli := cliBinary(b)
	b.ResetTimer()
	var engine, sdk, raw time.Duration
	var rssKB int64
	for range b.N {
		raw = timeIt(func() { rawUpload(b, sb, files, resourceType, rawConcurrency) })
		sdk = timeIt(func() { sdkLoop(b, sb, files) })
		engine, rssKB = engineRun(b, cli, sb, dir, files)
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(total) / 1e6 / d.Seconds() }
	b.ReportMetric(engine.Seconds(), "engine-s")
	b.ReportMetric(sdk.Seconds(), "sdk-loop-s")
	b.ReportMetric(raw.Seconds(), "raw-ceiling-s")
	b.ReportMetric(mbps(engine), "engine-MB/s")
	b.ReportMetric(mbps(sdk), "sdk-loop-MB/s")
	b.ReportMetric(mbps(raw), "raw-ceiling-MB/s")
	b.ReportMetric(sdk.Seconds()/engine.Seconds(), "x-faster-than-sdk-loop")
	b.ReportMetric(100*raw.Seconds()/engine.Seconds(), "%-of-ceiling")
	b.ReportMetric(float64(rssKB)/1024, "engine-peak-RSS-MB")
	b.Logf("%d files, %.1f MB, WAN %s latency, %d MB/s per connection: engine %s, sequential SDK %s, raw ceiling %s (concurrency %d); engine peak RSS %.1f MB",
		len(files), float64(total)/1e6, benchLatency, benchBandwidth>>20, engine.Round(time.Millisecond), sdk.Round(time.Millisecond), raw.Round(time.Millisecond), rawConcurrency, float64(rssKB)/1024)
}

func timeIt(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// benchNet is the sandbox as the uploaders see it: through a WAN.
type benchNet struct {
	sb  *sandbox.Server
	url string // the WAN proxy's base URL
}

// cloudinaryURL points an SDK or the CLI at the sandbox through the WAN.
func (n benchNet) cloudinaryURL() string {
	return strings.Replace(n.sb.CloudinaryURL(), n.sb.URL(), n.url, 1)
}

// benchSandbox starts a sandbox that answers after benchLatency, behind a
// proxy that caps each connection at benchBandwidth. The sandbox's own
// bandwidth cap is not used: it paces every small read with its own timer,
// and on a busy 2-core machine the timer overshoot is lost, so a 16 MB/s cap
// delivers about 3.5 MB/s; the proxy below paces 32 KB at a time and
// carries overshoot over.
func benchSandbox(b *testing.B, dir string) benchNet {
	return benchSandboxWAN(b, dir, wanLink{})
}

// wanLink is what the proxy adds to its per-connection rate: a one-way
// delay each direction (the sandbox then answers at once rather than after
// benchLatency) and a cap on all connections together; zero: none.
type wanLink struct {
	delay time.Duration
	link  int64 // bytes/s each direction, all connections together
}

func benchSandboxWAN(b *testing.B, dir string, w wanLink) benchNet {
	latency := benchLatency
	if w.delay > 0 {
		latency = 0
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Config{
		Dir: filepath.Join(dir, "sandbox"), Latency: latency, Limits: sandbox.NoLimits(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	p, err := startWANProxy(sb.Addr(), benchBandwidth, w)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	return benchNet{sb: sb, url: "http://" + p.Addr()}
}

// wanProxy forwards TCP connections to a target, pacing each direction of
// each connection to a byte rate (and, with a wanLink, all of them together
// too, and delivering every byte a one-way delay after it left).
type wanProxy struct {
	ln     net.Listener
	target string
	rate   int64
	delay  time.Duration
	link   [2]*pacer // per direction, shared by all connections; nil: none
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// pacer schedules bytes at a rate; safe for concurrent use.
type pacer struct {
	mu   sync.Mutex
	rate int64
	next time.Time
}

// due books n bytes and says when they have left: scheduled from the
// previous due time, not from now, so a late wake-up is made up by the
// following reads. A pause banks at most 50 ms of credit, less the time
// the reader waited for these bytes (they arrived after the link had run
// dry; a read merely scheduled late loses little).
func (p *pacer) due(n int, waited time.Duration) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	credit := max(0, 50*time.Millisecond-waited)
	if now := time.Now(); p.next.Before(now.Add(-credit)) {
		p.next = now.Add(-credit)
	}
	p.next = p.next.Add(time.Duration(float64(n) / float64(p.rate) * float64(time.Second)))
	return p.next
}

func startWANProxy(target string, rate int64, w wanLink) (*wanProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &wanProxy{ln: ln, target: target, rate: rate, delay: w.delay, ctx: ctx, cancel: cancel}
	if w.link > 0 {
		p.link = [2]*pacer{{rate: w.link}, {rate: w.link}}
	}
	p.wg.Go(p.serve)
	return p, nil
}

func (p *wanProxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, cuts every connection and waits for the copies.
func (p *wanProxy) Close() {
	p.cancel()
	p.ln.Close()
	p.wg.Wait()
}

func (p *wanProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		stop := context.AfterFunc(p.ctx, func() { in.Close(); out.Close() })
		var pair sync.WaitGroup
		pair.Go(func() { p.pipe(out, in, p.link[0]) })
		pair.Go(func() { p.pipe(in, out, p.link[1]) })
		p.wg.Go(func() {
			pair.Wait()
			stop()
			in.Close()
			out.Close()
		})
	}
}

// pipe copies src to dst at p.rate (and within the link's rate, if any),
// each byte arriving p.delay after it left, then half-closes dst.
func (p *wanProxy) pipe(dst, src net.Conn, link *pacer) {
	type packet struct {
		b  []byte
		at time.Time // when it reaches dst
	}
	// What is on the wire: at most a delay's worth at the rate, and some.
	wire := make(chan packet, 8+int(p.delay.Seconds()*float64(p.rate))/(32<<10))
	var dead atomic.Bool
	var deliver sync.WaitGroup
	deliver.Go(func() {
		defer func() {
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
		}()
		for pk := range wire {
			if dead.Load() || !p.sleepUntil(pk.at) {
				dead.Store(true)
				continue // drain: the reader never blocks on a dead connection
			}
			if _, err := dst.Write(pk.b); err != nil {
				dead.Store(true)
			}
			packetBufs.Put(pk.b[:cap(pk.b)])
		}
	})
	defer deliver.Wait()
	defer close(wire)
	conn := &pacer{rate: p.rate, next: time.Now()}
	for !dead.Load() {
		buf := packetBufs.Get().([]byte)
		asked := time.Now()
		n, err := src.Read(buf)
		if n > 0 {
			// With a delay (a modelled link), time this read waited for
			// bytes was idle link: bytes that were not there cannot have
			// left earlier, so it comes off the credit; without, idle time
			// banks up to 50 ms as before.
			var waited time.Duration
			if p.delay > 0 {
				waited = time.Since(asked)
			}
			left := conn.due(n, waited)
			if link != nil {
				if l := link.due(n, waited); l.After(left) {
					left = l
				}
			}
			if !p.sleepUntil(left) {
				return
			}
			wire <- packet{b: buf[:n], at: left.Add(p.delay)}
		}
		if err != nil {
			return
		}
	}
}

var packetBufs = sync.Pool{New: func() any { return make([]byte, 32<<10) }}

// sleepUntil waits for t; false when the proxy closes first.
func (p *wanProxy) sleepUntil(t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return true
	}
	select {
	case <-time.After(wait):
		return true
	case <-p.ctx.Done():
		return false
	}
}

// cliBinary is $CLOUDUP_BENCH_CLI (make bench builds it) or a fresh build.
func cliBinary(b *testing.B) string {
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

// engineRun runs `cloudup-cli upload` on files with its own data dir and
// returns the wall time and the child's peak RSS in KB.
func engineRun(b *testing.B, cli string, sb benchNet, dir string, files []string) (time.Duration, int64) {
	root, err := os.MkdirTemp(dir, "engine")
	if err != nil {
		b.Fatal(err)
	}
	args := append([]string{"upload", "--json", "--folder", "engine"}, files...)
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
	done := 0
	for line := range strings.Lines(stdout.String()) {
		var rec struct{ Status string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Status == "done" {
			done++
		}
	}
	if done != len(files) {
		b.Fatalf("the engine uploaded %d of %d files\n%s", done, len(files), stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no resource usage for the child process")
	}
	return elapsed, ru.Maxrss // KB on Linux
}

// sdkLoop uploads the files one after another with cloudinary-go, as a
// script built on the SDK would.
func sdkLoop(b *testing.B, sb benchNet, files []string) {
	cld, err := cloudinary.NewFromURL(sb.cloudinaryURL())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i, f := range files {
		res, err := cld.Upload.Upload(ctx, f, uploader.UploadParams{PublicID: fmt.Sprintf("sdk/%04d", i)})
		// The SDK reports HTTP errors only in the body.
		if err != nil || res.Error.Message != "" {
			b.Fatalf("SDK upload of %s: %v %s", f, err, res.Error.Message)
		}
	}
}

// rawUpload sends each file as one signed multipart POST streamed from disk,
// concurrency at a time: the most the link allows.
func rawUpload(b *testing.B, sb benchNet, files []string, resourceType string, concurrency int) {
	endpoint := sb.url + "/v1_1/" + sb.sb.Cloud() + "/" + resourceType + "/upload"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	var g errgroup.Group
	g.SetLimit(concurrency)
	for i, f := range files {
		g.Go(func() error { return rawPost(client, endpoint, sb, f, fmt.Sprintf("raw/%04d", i)) })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

func rawPost(client *http.Client, endpoint string, wan benchNet, path, publicID string) error {
	sb := wan.sb
	params := url.Values{"public_id": {publicID}}
	signing.Stamp(params, time.Now())
	params.Set("signature", signing.Sign(params, sb.APISecret(), signing.SHA1))
	params.Set("api_key", sb.APIKey())
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k := range params {
				if err := mw.WriteField(k, params.Get(k)); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("file", filepath.Base(path))
			if err != nil {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, endpoint, pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("raw upload of %s: %s: %s", path, resp.Status, body)
	}
	return nil
}

// writePhotos writes n distinct JPEGs of about size bytes: one noisy photo,
// each copy with its own bytes after the end-of-image marker (decoders
// ignore them), so every file has its own MD5 without encoding n images.
func writePhotos(b *testing.B, dir string, n, size int) []string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := range 768 {
		for x := range 1024 {
			img.Set(x, y, color.RGBA{uint8(x/4) + uint8(rnd.IntN(64)), uint8(y/3) + uint8(rnd.IntN(64)), uint8(rnd.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		b.Fatal(err)
	}
	base := buf.Bytes()
	pad := max(size-len(base), 16)
	files := make([]string, n)
	for i := range n {
		tail := make([]byte, pad)
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

// writeLarge streams size pseudo-random bytes to path, 1 MB at a time.
func writeLarge(b *testing.B, path string, size int64) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rnd := rand.New(rand.NewPCG(3, 4))
	block := make([]byte, 1<<20)
	for written := int64(0); written < size; {
		for i := 0; i < len(block); i += 8 {
			v := rnd.Uint64()
			for k := range 8 {
				block[i+k] = byte(v >> (8 * k))
			}
		}
		n := min(int64(len(block)), size-written)
		if _, err := f.Write(block[:n]); err != nil {
			b.Fatal(err)
		}
		written += n
	}
	runtime.GC()
}
