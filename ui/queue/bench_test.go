package queue

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/cloudup/cloudup/core/source"
)

// BenchmarkDrop10000 drops 10,000 files on the Upload tab and reports how
// long HandleDrop blocked the UI goroutine (drop-ms) and how long until the
// list model showed every file (ms-to-visible; the target is under 1000),
// through the real path: core/source expansion on a goroutine, the engine's
// ItemsAdded events, the coalescing pump and its flushes. x-expansion is
// ms-to-visible over the time core/source alone takes to list the same
// drop, measured in the same run.
func BenchmarkDrop10000(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	uris := make([]fyne.URI, n)
	paths := make([]string, n)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("IMG_%05d.jpg", i))
		if err := os.WriteFile(p, []byte{0xFF, 0xD8, 0xFF, 0xD9}, 0o644); err != nil {
			b.Fatal(err)
		}
		uris[i], paths[i] = storage.NewFileURI(p), p
	}
	for _, engine := range []string{"fake", "real-paused"} {
		b.Run("engine="+engine, func(b *testing.B) {
			var dropTotal, visibleTotal, baseTotal time.Duration
			for range b.N {
				b.StopTimer()
				// Baseline: core/source alone lists the same drop.
				baseStart := time.Now()
				x, err := source.ExpandStrings(context.Background(), paths, source.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if items, _, _, err := x.Collect(); err != nil || len(items) != n {
					b.Fatalf("baseline expansion: %d items, %v", len(items), err)
				}
				baseTotal += time.Since(baseStart)
				h := newHarness(b, false)
				if engine == "fake" {
					h.eng = NewFakeEngine()
					h.v.SetAccount(AccountWith(h.eng, nil))
				} else {
					eng, _ := realEngine(b)
					eng.Pause() // measure the queue, not the uploads
					h.v.SetAccount(AccountFrom(eng, nil))
				}
				h.settle()
				b.StartTimer()

				start := time.Now()
				h.v.HandleDrop(fyne.NewPos(0, 0), uris)
				dropTotal += time.Since(start)
				deadline := start.Add(30 * time.Second)
				for h.v.Len() < n {
					if time.Now().After(deadline) {
						b.Fatalf("only %d of %d rows after 30 s", h.v.Len(), n)
					}
					h.tasks.Drain()
					time.Sleep(time.Millisecond)
				}
				visibleTotal += time.Since(start)
				b.StopTimer()
				h.tasks.Close()
			}
			b.ReportMetric(float64(dropTotal.Microseconds())/1000/float64(b.N), "drop-ms")
			b.ReportMetric(float64(visibleTotal.Milliseconds())/float64(b.N), "ms-to-visible")
			// How much the view adds over expanding the drop by itself.
			b.ReportMetric(float64(visibleTotal)/float64(baseTotal), "x-expansion")
		})
	}
}
