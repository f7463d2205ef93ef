package queue

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
)

// BenchmarkQueueMemory names one folder of N small PNGs to the Upload tab
// (as the command line does), against a sandbox in this process (as the
// window embeds one), and reports:
//   - queued-B/item: live heap per queued item once all N are rows (the
//     engine paused), after a GC;
//   - done-B/item: the same once all N are uploaded;
//   - peak-MB: this process's peak RSS (VmHWM, reset before each size) over
//     the whole run: test driver, view, engine, journal and sandbox, which is
//     the closest proxy of the app's own peak that runs without a display;
//   - s: seconds until all N were uploaded.
func BenchmarkQueueMemory(b *testing.B) {
	runtime.MemProfileRate = 4096
	sizes := []int{3000, 30000}
	if s := os.Getenv("CLOUDUP_BENCH_FILES"); s != "" {
		n, _ := strconv.Atoi(s)
		sizes = []int{n}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			folder := filepath.Join(dir, "pngs")
			writePNGs(b, folder, n)
			for range b.N {
				queued, done, peak, took := queueMemoryRun(b, dir, folder, n)
				b.ReportMetric(queued, "queued-B/item")
				b.ReportMetric(done, "done-B/item")
				b.ReportMetric(peak, "peak-MB")
				b.ReportMetric(took.Seconds(), "s")
			}
		})
	}
}

// writePNGs writes n distinct 8×8 PNGs (a few hundred bytes each).
func writePNGs(b *testing.B, dir string, n int) {
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

func queueMemoryRun(b *testing.B, dir, folder string, n int) (queuedPerItem, donePerItem, peakMB float64, took time.Duration) {
	var peakHeap, peakSys int64
	defer func() {
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakSys)/(1<<20), "peak-go-MB")
	}()
	b.StopTimer()
	run := b.TempDir()
	sb := sandboxtest.Start(b, sandbox.Config{Dir: filepath.Join(run, "sandbox")})
	j, err := transfer.OpenJournal(filepath.Join(run, "journal.db"))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := transfer.New(transfer.Config{Client: sandboxtest.Client(b, sb), Journal: j, Profile: "sandbox"})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	defer eng.Close()
	h := newHarness(b, false)
	// Rows drawn once first: fonts and icons load then, not per item.
	warm := NewFakeEngine()
	for i := range 40 {
		warm.Add(transfer.Item{URL: fmt.Sprintf("https://example.com/warm-%d.jpg", i)})
	}
	h.eng = warm
	h.v.SetAccount(AccountWith(warm, nil))
	h.settle()
	h.eng = nil
	h.v.SetAccount(AccountFrom(eng, nil))
	eng.Pause()
	h.settle()
	base := heapInuse()
	resetPeakRSS()
	b.ReportMetric(float64(procStatusKB("VmRSS:"))/1024, "start-MB")
	b.StartTimer()
	start := time.Now()

	h.v.AddInputs([]string{folder})
	deadline := start.Add(10 * time.Minute)
	for h.v.Len() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d rows after 10 min", h.v.Len(), n)
		}
		h.tasks.Drain()
		h.v.sync()
		time.Sleep(5 * time.Millisecond)
	}
	h.settle()
	queuedPerItem = float64(heapInuse()-base) / float64(n)
	// A profile asked for is not upload time.
	b.StopTimer()
	profiling := time.Now()
	writeHeapProfile(b, os.Getenv("CLOUDUP_BENCH_QUEUED_HEAPPROFILE"))
	start = start.Add(time.Since(profiling))
	b.StartTimer()
	eng.Resume()
	var ms runtime.MemStats
	for i := 0; ; i++ {
		if i%25 == 0 {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, int64(ms.HeapInuse))
			peakSys = max(peakSys, int64(ms.Sys-ms.HeapReleased))
		}
		h.tasks.Drain()
		h.v.sync()
		bs := h.v.batch
		if bs.Done+bs.Skipped+bs.Failed+bs.Canceled == n && bs.Active == 0 {
			if bs.Done != n {
				b.Fatalf("%+v: not every file uploaded", bs)
			}
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("after 10 min: %+v", bs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took = time.Since(start)
	b.StopTimer()
	h.settle()
	donePerItem = float64(heapInuse()-base) / float64(n)
	b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
	writeHeapProfile(b, os.Getenv("CLOUDUP_BENCH_HEAPPROFILE"))
	peakMB = float64(peakRSSKB()) / 1024
	return
}

// writeHeapProfile writes what the heap holds now to out, when out is set,
// for `go tool pprof -sample_index=inuse_space`.
func writeHeapProfile(b *testing.B, out string) {
	if out == "" {
		return
	}
	f, err := os.Create(out)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.Logf("heap profile not written: %v", err)
	}
}

func heapInuse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// resetPeakRSS starts VmHWM again from the current RSS (Linux).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSSKB() int64 { return procStatusKB("VmHWM:") }

// procStatusKB reads one kB figure of /proc/self/status.
func procStatusKB(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
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
