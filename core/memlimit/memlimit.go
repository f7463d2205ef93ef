// Package memlimit gives the desktop app a soft memory limit. Go's
// collector lets the heap grow to twice what is live before it runs; with
// tens of thousands of queued uploads that headroom alone is a hundred
// megabytes. Near the limit the collector runs sooner instead: the app
// stays small. The limit follows what is live, so a bigger batch than it
// was set for makes the collector work a little harder, never thrash.
package memlimit

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Window is the window app's soft limit on the Go runtime's memory, the
// embedded sandbox included. Thirty thousand files hold about 50 MB live
// while they upload; measured on that batch against the 128 MiB this was
// before, the app peaked 50 MB lower (256 against 306 MB) and took no
// longer, with the collector running about every 30 MB allocated.
const Window = 80 << 20

// headroom is how far above the live heap the limit stays, at least, when
// it follows a live heap that outgrew Window.
const headroom = 1.5

// Apply sets limit unless GOMEMLIMIT already says what the user wants,
// and returns the limit in force (math.MaxInt64: none).
func Apply(limit int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// Follow keeps the limit at least headroom times the live heap, never
// below floor, checking every interval until ctx ends. Without it a batch
// whose live heap nears the limit (say 60,000 files) would have the
// collector run all the time. A limit the user set (GOMEMLIMIT) is left
// alone.
func Follow(ctx context.Context, floor int64, every time.Duration) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			adjust(floor)
		}
	}
}

// adjust sets the limit for the live heap now and returns it.
func adjust(floor int64) int64 {
	want := max(floor, int64(float64(liveHeap())*headroom))
	if cur := debug.SetMemoryLimit(-1); cur != want {
		debug.SetMemoryLimit(want)
	}
	return want
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
