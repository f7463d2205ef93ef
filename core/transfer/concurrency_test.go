package transfer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// simClock is a limiter's clock that moves only when told.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// link models a link where one request takes rtt and at most room of them
// make progress at once (a bandwidth or server bottleneck): it runs one
// window of the limiter's current limit and reports the limit afterwards.
func runWindow(l *limiter, c *simClock, rtt time.Duration, room int, fail func(i int) error) int {
	n, _ := l.current()
	toks := make([]requestToken, n)
	for i := range toks {
		toks[i] = l.begin()
	}
	// n requests sharing room slots take rtt per ceil(n/room) rounds.
	rounds := (n + room - 1) / room
	step := rtt * time.Duration(rounds) / time.Duration(n)
	for i, t := range toks {
		c.add(step)
		var err error
		if fail != nil {
			err = fail(i)
		}
		l.end(t, 70_000, err)
	}
	limit, _ := l.current()
	return limit
}

func TestLimiterGrowsWhileThroughputRises(t *testing.T) {
	c := &simClock{t: time.Unix(1e9, 0)}
	l := newLimiter(0, AutoCeiling, c.now)
	if got, auto := l.current(); got != autoStart || !auto {
		t.Fatalf("starts at %d (auto %v), want %d chosen automatically", got, auto, autoStart)
	}
	var seen []int
	for range 12 {
		seen = append(seen, runWindow(l, c, 40*time.Millisecond, 1000, nil))
	}
	if got, _ := l.current(); got != AutoCeiling {
		t.Errorf("with room for everything it went %v, want it to reach the ceiling %d", seen, AutoCeiling)
	}
}

func TestLimiterStopsWhereMoreBuysNothing(t *testing.T) {
	c := &simClock{t: time.Unix(1e9, 0)}
	l := newLimiter(0, AutoCeiling, c.now)
	var seen []int
	for range 30 {
		seen = append(seen, runWindow(l, c, 40*time.Millisecond, 10, nil))
	}
	if got, _ := l.current(); got < 8 || got > 16 {
		t.Errorf("a link with room for 10 went %v; want it to settle between 8 and 16", seen)
	}
}

func TestLimiterBacksOffAndNeverExceedsWhatTheAccountRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"420", &cloud.RateLimitedError{Status: 420, Message: "Rate Limit Exceeded"}},
		{"429", &cloud.RateLimitedError{Status: http.StatusTooManyRequests}},
		{"503", &cloud.ServerError{Status: http.StatusServiceUnavailable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &simClock{t: time.Unix(1e9, 0)}
			l := newLimiter(0, AutoCeiling, c.now)
			// The account takes 8 at once; the 9th and later are refused.
			refuse := func(n int) func(int) error {
				return func(i int) error {
					if i >= 8 {
						return tc.err
					}
					return nil
				}
			}
			if l.refused() {
				t.Error("a fresh limiter says the account refused it")
			}
			var seen []int
			for range 20 {
				n, _ := l.current()
				seen = append(seen, runWindow(l, c, 40*time.Millisecond, 1000, refuse(n)))
			}
			got, _ := l.current()
			if got > 8 || got < 4 {
				t.Errorf("limits %v: want it to settle at 8 or below (and not collapse)", seen)
			}
			for _, n := range seen[len(seen)/2:] {
				if n > 8 {
					t.Errorf("limits %v: went past 8 again after the account refused the 9th", seen)
					break
				}
			}
			if !l.refused() {
				t.Error("held below what the account refused, the limiter does not say so")
			}
			c.t = c.t.Add(capMemory + time.Second)
			if l.refused() {
				t.Error("the refusal is still reported after the limiter forgot it")
			}
		})
	}
}

func TestLimiterHalvesOnTimeoutsAndStallsOncePerBurst(t *testing.T) {
	for _, err := range []error{
		&cloud.NetworkError{Op: "upload", Err: cloud.ErrStalled},
		&cloud.NetworkError{Op: "upload", Err: context.DeadlineExceeded},
		&cloud.ServerError{Status: http.StatusBadGateway},
	} {
		c := &simClock{t: time.Unix(1e9, 0)}
		l := newLimiter(0, AutoCeiling, c.now)
		for range 3 {
			runWindow(l, c, 40*time.Millisecond, 1000, nil)
		}
		before, _ := l.current()
		// A burst: every request in flight fails the same way.
		toks := make([]requestToken, before)
		for i := range toks {
			toks[i] = l.begin()
		}
		for _, tok := range toks {
			l.end(tok, 0, err)
		}
		after, _ := l.current()
		if after != before/2 {
			t.Errorf("%v: limit %d → %d, want halved once (%d)", err, before, after, before/2)
		}
		// Not a refusal: it may grow again.
		for range 6 {
			runWindow(l, c, 40*time.Millisecond, 1000, nil)
		}
		if again, _ := l.current(); again <= after {
			t.Errorf("%v: after the trouble passed the limit stayed at %d", err, again)
		}
	}
}

func TestLimiterIgnoresRefusalsOfTheFileItselfAndCancellation(t *testing.T) {
	c := &simClock{t: time.Unix(1e9, 0)}
	l := newLimiter(0, AutoCeiling, c.now)
	for _, err := range []error{
		&cloud.RequestError{Status: 400, Message: "Invalid image file"},
		context.Canceled,
		&RejectedError{Kind: ErrTooLarge, Reason: "too large"},
	} {
		l.end(l.begin(), 0, err)
	}
	if got, _ := l.current(); got != autoStart {
		t.Errorf("limit %d after refusals of files, want %d", got, autoStart)
	}
}

// The time left waits while the limit may still double for files that are
// queued, and only then.
func TestLimiterSettledForTheQueuedFiles(t *testing.T) {
	c := &simClock{t: time.Unix(1e9, 0)}
	l := newLimiter(0, AutoCeiling, c.now)
	// At 4, the first doubling comes after 6 uploads end: 6 queued files
	// are all on their way by then, 7 are not.
	if !l.settled(6) || l.settled(7) {
		t.Errorf("fresh limiter: settled for 6 queued %v, for 7 %v; want true, false", l.settled(6), l.settled(7))
	}
	// Doubling while the link has room, until more buys nothing.
	for range 10 {
		runWindow(l, c, 40*time.Millisecond, 12, nil)
	}
	if n, _ := l.current(); !l.settled(1000) {
		t.Errorf("at %d after more stopped paying, the limiter still says it is growing", n)
	}
	if !newLimiter(3, AutoCeiling, c.now).settled(1000) {
		t.Error("a pinned limit says it may grow")
	}
}

func TestLimiterPinnedNeverMoves(t *testing.T) {
	c := &simClock{t: time.Unix(1e9, 0)}
	l := newLimiter(3, AutoCeiling, c.now)
	if l.workers() != 3 {
		t.Errorf("%d workers for a pinned 3", l.workers())
	}
	for range 10 {
		runWindow(l, c, 40*time.Millisecond, 1000, nil)
	}
	runWindow(l, c, 40*time.Millisecond, 1000, func(int) error { return &cloud.RateLimitedError{Status: 420} })
	if got, auto := l.current(); got != 3 || auto {
		t.Errorf("pinned 3 became %d (auto %v)", got, auto)
	}
	// And it gates: a fourth acquire waits until a slot is released.
	ctx := context.Background()
	for range 3 {
		if !l.acquire(ctx) {
			t.Fatal("acquire failed")
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if l.acquire(short) {
		t.Error("a fourth upload started with 3 pinned")
	}
	got := make(chan bool)
	go func() { got <- l.acquire(ctx) }()
	l.release()
	if !<-got {
		t.Error("a released slot was not taken")
	}
}

func TestRetryAfterIsReadFromRateLimitsAnd503(t *testing.T) {
	at := time.Unix(2e9, 0)
	for _, err := range []error{
		&cloud.RateLimitedError{Status: 429, RetryAt: at},
		&cloud.ServerError{Status: 503, RetryAt: at},
		&GaveUpError{Last: &cloud.RateLimitedError{Status: 420, RetryAt: at}},
	} {
		if got := retryAfter(err); !got.Equal(at) {
			t.Errorf("%T: retry at %v, want %v", err, got, at)
		}
	}
	if got := retryAfter(errors.New("x")); !got.IsZero() {
		t.Errorf("a plain error has a retry time %v", got)
	}
}

// The engine against a sandbox that refuses more than 8 uploads at once:
// every file is uploaded exactly once, none fails, and the engine settles at
// 8 or below.
func TestEngineSettlesBelowTheAccountsConcurrencyLimit(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{
		Latency: 80 * time.Millisecond,
		Faults:  "on=upload,above=8,rate=1,kinds=420,retry=1s",
	}})
	paths, sums := writeFiles(t, t.TempDir(), 200, 20<<10, ".bin")
	// The real clock: the Retry-After the sandbox sends is waited out.
	e := r.engine(func(c *Config) { c.Options.ResourceType = "raw"; c.Clock = SystemClock{} })
	// Start above the account's limit: whether the engine grows past 8 on
	// its own depends on the machine's spare CPU (on a loaded one,
	// throughput stops rising at 4 or 5, and the refusals this test is
	// about never come). Growing is the limiter tests' subject.
	e.lim.mu.Lock()
	e.lim.limit = 16
	e.lim.broadcastLocked()
	e.lim.mu.Unlock()
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, 3*time.Minute)
	states := byState(snap)
	if len(states[Done]) != len(paths) {
		for _, it := range states[Failed] {
			t.Logf("failed: %s: %v", it.Name, it.Err)
		}
		t.Fatalf("%d of %d done, %d failed", len(states[Done]), len(paths), len(states[Failed]))
	}
	assets, err := r.sb.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) != len(paths) {
		t.Errorf("the sandbox holds %d assets for %d files (each must be uploaded exactly once)", len(assets), len(paths))
	}
	etags := map[string]int{}
	for _, a := range assets {
		etags[strings.ToLower(a.Etag)]++
	}
	for p, sum := range sums {
		if etags[sum] != 1 {
			t.Errorf("%s is stored %d times", p, etags[sum])
		}
	}
	refused := r.sb.Stats().Faults["420"]
	if refused == 0 {
		t.Errorf("the engine never tried more than 8 at once, so the limit was not put to the test")
	}
	limit, auto := e.Concurrency()
	if !auto || limit > 8 || limit < 1 {
		t.Errorf("settled at %d (auto %v), want 1..8", limit, auto)
	}
	if !snap.Batch.ConcurrencyRefused {
		t.Error("after 420s the batch does not say the account held the number down")
	}
	if snap.Batch.Concurrency != limit {
		t.Errorf("the batch reports %d at once, the engine %d", snap.Batch.Concurrency, limit)
	}
	t.Logf("settled at %d at once after %d refusals", limit, refused)
}
