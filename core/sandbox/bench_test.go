package sandbox

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudup/cloudup/assets"
)

// BenchmarkChunkedUpload pushes a large file through the sandbox with
// cloudinary-go (20 MB chunks, each streamed to disk and hashed) and
// compares it with the same chunked multipart requests sent to a handler
// on 127.0.0.1 that only reads and discards them. It reports the ratio of
// the two times and the peak heap growth of the whole process (client
// included), which must stay flat however large the file is.
//
//	CLOUDUP_BENCH_UPLOAD_MB=2048 go test -run '^$' -bench ChunkedUpload -benchtime 1x ./core/sandbox/
func BenchmarkChunkedUpload(b *testing.B) {
	sizeMB := 256
	if v, err := strconv.Atoi(os.Getenv("CLOUDUP_BENCH_UPLOAD_MB")); err == nil && v > 0 {
		sizeMB = v
	}
	size := int64(sizeMB) * mb
	path, _ := bigFile(b, size)
	const chunk = 20_000_000

	discard := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			io.Copy(io.Discard, p)
		}
		w.Write([]byte(`{"done":false}`))
	}))
	defer discard.Close()
	baseline := func() time.Duration {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		start := time.Now()
		for off := int64(0); off < size; off += chunk {
			n := min(chunk, size-off)
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				mw.WriteField("public_id", "baseline")
				fw, _ := mw.CreateFormFile("file", "big.bin")
				io.Copy(fw, io.NewSectionReader(f, off, n))
				mw.Close()
				pw.Close()
			}()
			req, _ := http.NewRequest(http.MethodPost, discard.URL, pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, size))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return time.Since(start)
	}

	s := startSandbox(b, Config{Limits: NoLimits()})
	cld := sdk(b, s)
	var base, took time.Duration
	var peak int64
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		base += baseline()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := int64(ms.HeapInuse)
		var max atomic.Int64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if d := int64(m.HeapInuse) - before; d > max.Load() {
						max.Store(d)
					}
				}
			}
		}()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := cld.Upload.Upload(context.Background(), f, uploader.UploadParams{PublicID: fmt.Sprint("bench/", i), ResourceType: "raw"})
		took += time.Since(start)
		b.StopTimer()
		close(stop)
		<-sampled
		f.Close()
		if err != nil || res.Error.Message != "" || res.Bytes != int(size) {
			b.Fatalf("upload: %v %+v", err, res)
		}
		if m := max.Load(); m > peak {
			peak = m
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(took)/float64(base), "x-discard-baseline")
	b.ReportMetric(float64(peak)/mb, "peak-heap-MB")
	b.ReportMetric(float64(size)/mb/(took.Seconds()/float64(b.N)), "MB/s")
}

// BenchmarkSeedSamples times what the app does at a first launch: seeding
// an empty account with the bundled photos (the target is well under a
// second). The baseline, measured in the same run, writes the same files
// into a directory without syncing, the least any seeding can do; the
// ratio shows what the database and the image checks add.
//
//	go test -run '^$' -bench SeedSamples ./core/sandbox/
func BenchmarkSeedSamples(b *testing.B) {
	files, err := fs.Glob(assets.Samples, "samples/*")
	if err != nil || len(files) == 0 {
		b.Fatalf("no bundled samples: %v", err)
	}
	baseline := func() time.Duration {
		dir := b.TempDir()
		start := time.Now()
		for _, f := range files {
			data, err := fs.ReadFile(assets.Samples, f)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	var base, took, starting time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		base += baseline()
		began := time.Now()
		s, err := Start(context.Background(), Config{Dir: b.TempDir()})
		starting += time.Since(began)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := s.SeedSamples(context.Background()); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		b.StopTimer()
		if st := s.Stats(); st.Assets != len(files) {
			b.Fatalf("%d assets seeded, want %d", st.Assets, len(files))
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(took)/float64(base), "x-copy-baseline")
	b.ReportMetric(float64(took.Microseconds())/1000/float64(b.N), "ms/seed")
	// Start on a new Dir (database created, credentials generated) comes
	// before seeding at a first launch; reported so the two can be added.
	b.ReportMetric(float64(starting.Microseconds())/1000/float64(b.N), "ms/start")
}
