package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// The limit rises with a live heap that outgrew the floor, and comes back
// down to it when that heap is gone.
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(math.MaxInt64)
	const floor = 64 << 20
	if got := adjust(floor); got != floor {
		t.Fatalf("with a small live heap the limit is %d MiB, want the floor, %d MiB", got>>20, floor>>20)
	}
	live := make([][]byte, 0, 160)
	for range 160 {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1 // touched: really live
		}
		live = append(live, b)
	}
	runtime.GC()
	got := adjust(floor)
	if got < 240<<20 || debug.SetMemoryLimit(-1) != got {
		t.Fatalf("with 160 MiB live the limit is %d MiB (in force: %d MiB), want at least 1.5 times that", got>>20, debug.SetMemoryLimit(-1)>>20)
	}
	runtime.KeepAlive(live)
	live = nil
	runtime.GC()
	if got := adjust(floor); got != floor {
		t.Fatalf("once the heap is gone the limit is %d MiB, want the floor again", got>>20)
	}
}
