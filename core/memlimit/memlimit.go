// Package memlimit gives the desktop app a soft memory limit. Go's
// collector lets the heap grow to twice what is live before it runs; with
// tens of thousands of queued uploads that headroom alone is a hundred
// megabytes. Near the limit the collector runs sooner instead: the app
// stays small, and past it (a bigger batch than the limit was set for)
// nothing fails, the collector just works harder.
package memlimit

import (
	"os"
	"runtime/debug"
)

// Window is the window app's soft limit on the Go runtime's memory, the
// embedded sandbox included. Thirty thousand uploaded files hold about
// 100 MB live; at this limit they still upload as fast as they did at
// 160 MiB (the collector took 9 % of the CPU over such a batch) and the
// app peaks 30 MB lower.
const Window = 128 << 20

// Apply sets limit unless GOMEMLIMIT already says what the user wants,
// and returns the limit in force (math.MaxInt64: none).
func Apply(limit int64) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	debug.SetMemoryLimit(limit)
	return limit
}
