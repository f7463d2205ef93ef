package transfer

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// BenchmarkAckedProgressCost uploads the same files through the metered
// transport (HTTP/1.1, progress read from the bytes TCP acknowledged, polled
// as the engine's ticker does) and through a plain one counting nothing,
// alternately, and reports the metered time as a ratio of the plain one:
// honest progress must not cost speed.
func BenchmarkAckedProgressCost(b *testing.B) {
	dir := b.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Config{Dir: filepath.Join(dir, "sandbox")})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	const files, size = 8, 9 << 20 // under the free plan's 10 MB for raw files
	var paths []string
	for i := range files {
		p := filepath.Join(dir, "f"+string(rune('a'+i))+".bin")
		buf := make([]byte, size)
		for j := range buf {
			buf[j] = byte(j*31 + i*7 + j>>9)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	client := func(plain bool) *cloud.Client {
		cfg := cloud.Config{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: cloud.Secret(sb.APISecret()), APIBase: sb.URL()}
		if plain {
			cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		}
		c, err := cloud.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	run := func(c *cloud.Client, metered bool, round int) time.Duration {
		start := time.Now()
		for i, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			req := cloud.UploadRequest{File: cloud.File{Name: filepath.Base(p), Data: f, Size: size}, ResourceType: "raw",
				Params: cloud.UploadParams{PublicID: "bench-" + string(rune('a'+round)) + string(rune('a'+i)) + map[bool]string{true: "m", false: "p"}[metered]}}
			stop := make(chan struct{})
			if metered {
				req.Meter = &cloud.Meter{}
				go func() {
					t := time.NewTicker(100 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
							req.Meter.Acked()
						}
					}
				}()
			}
			_, err = c.Upload(context.Background(), req)
			close(stop)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	metered, plain := client(false), client(true)
	var tm, tp time.Duration
	for i := range 3 {
		tp += run(plain, false, i)
		tm += run(metered, true, i)
	}
	mb := float64(3*files*size) / 1e6
	b.ReportMetric(mb/tm.Seconds(), "metered-MB/s")
	b.ReportMetric(mb/tp.Seconds(), "plain-MB/s")
	b.ReportMetric(tm.Seconds()/tp.Seconds(), "metered/plain-time")
}
