package watch

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
)

// The watched-folder benchmarks of `make bench`, against the sandbox with
// every answer 40 ms late and each connection capped at 16 MiB/s (as the
// upload benchmarks in core/transfer). The baseline, measured in the same
// run, is the same files dropped on the engine (a folder expansion added in
// batches): the ratio is what watching costs over a drop, settling
// included. Exactly-once is checked, not timed: every file must be one
// upload request and one asset.
//
//	make bench
//	go test -run '^$' -bench Watch -benchtime 1x ./core/watch/

const (
	benchLatency   = 40 * time.Millisecond
	benchBandwidth = 16 << 20
)

func benchSandbox(b *testing.B) *sandbox.Server {
	return sandboxtest.Start(b, sandbox.Config{Latency: benchLatency, Bandwidth: benchBandwidth, Limits: sandbox.NoLimits()})
}

func benchEngine(b *testing.B, sb *sandbox.Server, data string) *transfer.Engine {
	b.Helper()
	j, err := transfer.OpenJournal(filepath.Join(data, "journal.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	eng, err := transfer.New(transfer.Config{Client: sandboxtest.Client(b, sb), Journal: j, Profile: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	return eng
}

func BenchmarkWatch1000FilesCopiedAtOnce(b *testing.B) {
	const n = 1000
	root := b.TempDir()
	src := filepath.Join(root, "camera-card")
	total := benchPhotos(b, src, n, 48<<10)
	sb := benchSandbox(b)
	b.ResetTimer()
	var drop, watched, firstUp time.Duration
	for i := range b.N {
		drop = dropRun(b, sb, filepath.Join(root, fmt.Sprint("drop-data-", i)), src, fmt.Sprint("drop-", i), n)
		watched, firstUp = watchRun(b, sb, root, i, src, n)
	}
	b.StopTimer()
	b.ReportMetric(watched.Seconds(), "watch-s")
	b.ReportMetric(drop.Seconds(), "drop-baseline-s")
	b.ReportMetric(watched.Seconds()/drop.Seconds(), "watch/drop")
	b.ReportMetric(firstUp.Seconds(), "s-to-first-upload")
	b.ReportMetric(float64(n)/watched.Seconds(), "files/s")
	b.Logf("%d files (%.1f MB) copied into a watched folder with cp: all %d uploaded exactly once in %s (first done after %s); the same files dropped: %s; watch/drop %.2f",
		n, float64(total)/1e6, n, watched.Round(time.Millisecond), firstUp.Round(time.Millisecond), drop.Round(time.Millisecond), watched.Seconds()/drop.Seconds())
}

// benchWatch watches a new folder named name under root (production
// settings) into a new engine, until the benchmark ends.
func benchWatch(b *testing.B, sb *sandbox.Server, root, name string) (string, *transfer.Engine) {
	b.Helper()
	data, dir := filepath.Join(root, name+"-data"), filepath.Join(root, name)
	os.MkdirAll(dir, 0o755)
	eng := benchEngine(b, sb, data)
	state, err := OpenState(filepath.Join(data, StateFile))
	if err != nil {
		b.Fatal(err)
	}
	feed, err := StartFeed(context.Background(), FeedConfig{Watch: Config{Dir: dir}, Engine: eng, State: state, Profile: "bench",
		Options: transfer.Options{Folder: name}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { feed.Close(); state.Close() })
	for feed.Status().Phase != Watching {
		time.Sleep(10 * time.Millisecond)
	}
	return dir, eng
}

// dropRun uploads src the way a drop does and returns how long it took.
func dropRun(b *testing.B, sb *sandbox.Server, data, src, folder string, n int) time.Duration {
	eng := benchEngine(b, sb, data)
	before := sb.Requests(sandbox.EndpointUpload)
	start := time.Now()
	x, err := source.Expand(context.Background(), []source.Input{{Kind: source.LocalPath, Path: src}},
		source.Options{ItemOptions: &transfer.Options{Folder: folder}, OnBatch: func(bt source.Batch) { eng.Add(bt.Items...) }})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := x.Wait(); err != nil {
		b.Fatal(err)
	}
	if err := eng.Wait(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	checkOnce(b, eng, sb.Requests(sandbox.EndpointUpload)-before, n)
	return took
}

// watchRun copies src into a watched folder with cp and waits until every
// file is uploaded; it returns the time from the copy's start to the last
// upload, and to the first.
func watchRun(b *testing.B, sb *sandbox.Server, root string, i int, src string, n int) (time.Duration, time.Duration) {
	dir, eng := benchWatch(b, sb, root, fmt.Sprint("watch-", i))
	before := sb.Requests(sandbox.EndpointUpload)
	sub := eng.Subscribe()
	defer sub.Close()
	start := time.Now()
	cp := exec.Command("cp", "-r", src+"/.", dir)
	if out, err := cp.CombinedOutput(); err != nil {
		b.Fatalf("cp: %v\n%s", err, out)
	}
	var first time.Duration
	deadline := time.After(10 * time.Minute)
	for done := 0; done < n; {
		select {
		case ev := <-sub.C:
			if ev.Kind == transfer.ItemChanged && ev.Items[0].State == transfer.Done {
				if done++; done == 1 {
					first = time.Since(start)
				}
			}
			if ev.Kind == transfer.ItemChanged && ev.Items[0].State == transfer.Failed {
				b.Fatalf("%s: %s", ev.Items[0].Name, ev.Items[0].Words)
			}
		case <-deadline:
			b.Fatalf("only %d of %d uploaded after 10 minutes", eng.Batch().Done, n)
		}
	}
	took := time.Since(start)
	time.Sleep(3 * DefaultSettle) // anything handed over twice would show now
	checkOnce(b, eng, sb.Requests(sandbox.EndpointUpload)-before, n)
	return took, first
}

// checkOnce fails unless n distinct files were each uploaded by exactly one
// request.
func checkOnce(b *testing.B, eng *transfer.Engine, requests int64, n int) {
	b.Helper()
	snap := eng.Snapshot()
	names := map[string]bool{}
	for _, it := range snap.Items {
		if it.State != transfer.Done {
			b.Fatalf("%s: %s", it.Name, it.Words)
		}
		names[it.Name] = true
	}
	if len(snap.Items) != n || len(names) != n || requests != int64(n) {
		b.Fatalf("%d items (%d distinct files) and %d upload requests; want %d of each", len(snap.Items), len(names), requests, n)
	}
}

func BenchmarkWatchSlowWriter10s(b *testing.B) {
	root := b.TempDir()
	sb := benchSandbox(b)
	b.ResetTimer()
	var lag time.Duration
	for i := range b.N {
		lag = slowWriterRun(b, sb, root, i)
	}
	b.StopTimer()
	b.ReportMetric(lag.Seconds(), "s-from-close-to-uploaded")
}

// slowWriterRun writes an 8 MB file over 10 s into a watched folder: 30
// writes 250 ms apart, with a 2.5 s pause in the middle (longer than the
// settle window) while the file stays open. It must be uploaded once, whole.
func slowWriterRun(b *testing.B, sb *sandbox.Server, root string, i int) time.Duration {
	dir, eng := benchWatch(b, sb, root, fmt.Sprint("slow-", i))
	before := sb.Requests(sandbox.EndpointUpload)
	p := filepath.Join(dir, "screen-recording.mov")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(uint64(i), 9))
	sum := md5.New()
	start := time.Now()
	for c := range 30 {
		chunk := make([]byte, 8<<20/30)
		for j := range chunk {
			chunk[j] = byte(rnd.Uint32())
		}
		f.Write(chunk)
		sum.Write(chunk)
		time.Sleep(250 * time.Millisecond)
		if c == 15 {
			time.Sleep(2500 * time.Millisecond)
		}
		if eng.Batch().Total != 0 {
			b.Fatalf("handed over after %s, while still being written", time.Since(start).Round(time.Millisecond))
		}
	}
	f.Close()
	closed := time.Now()
	b.Logf("written over %s", closed.Sub(start).Round(time.Millisecond))
	for eng.Batch().Done == 0 {
		if time.Since(closed) > time.Minute {
			b.Fatalf("not uploaded a minute after it was closed: %+v", eng.Batch())
		}
		time.Sleep(10 * time.Millisecond)
	}
	lag := time.Since(closed)
	time.Sleep(3 * DefaultSettle)
	snap := eng.Snapshot()
	if len(snap.Items) != 1 || sb.Requests(sandbox.EndpointUpload)-before != 1 {
		b.Fatalf("%d items, %d upload requests: want one of each", len(snap.Items), sb.Requests(sandbox.EndpointUpload)-before)
	}
	if want := hex.EncodeToString(sum.Sum(nil)); snap.Items[0].Asset == nil || snap.Items[0].Asset.ETag != want {
		b.Fatalf("uploaded %+v, want the whole file (MD5 %s)", snap.Items[0].Asset, want)
	}
	b.Logf("uploaded once, whole (%d bytes), %s after the writer closed it", snap.Items[0].BytesTotal, lag.Round(time.Millisecond))
	return lag
}

// benchPhotos writes n distinct JPEGs of about size bytes and returns the
// total size.
func benchPhotos(b *testing.B, dir string, n, size int) int64 {
	os.MkdirAll(dir, 0o755)
	rnd := rand.New(rand.NewPCG(3, 4))
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y * 2), uint8(rnd.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		b.Fatal(err)
	}
	var total int64
	for i := range n {
		tail := make([]byte, max(size-buf.Len(), 16))
		for j := range tail {
			tail[j] = byte(rnd.Uint32())
		}
		data := append(bytes.Clone(buf.Bytes()), tail...)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("IMG_%04d.jpg", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
	}
	return total
}
