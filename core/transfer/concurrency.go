package transfer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// AutoCeiling is the most uploads the engine runs at once when it chooses
// the number itself.
const AutoCeiling = 32

// autoStart is where automatic concurrency begins: the old fixed default,
// safe on any link and any plan.
const autoStart = 4

// minWindow is the fewest completed requests a throughput sample is taken
// over: fewer are too noisy to act on.
const minWindow = 6

// idleReset is how long without a request in flight starts a new
// measurement.
const idleReset = 2 * time.Second

// capMemory is how long a level the account refused stays off limits; after
// it the engine may probe past it again (a burst limit may have been lifted).
const capMemory = 10 * time.Minute

// limiter decides how many items upload at once (AIMD). Pinned, it is a
// plain semaphore. Automatic, it starts at autoStart and, one window (about
// two round trips' worth of completed requests) at a time, doubles while
// throughput keeps rising, then probes one more at a time; when more in
// flight bought nothing it steps back to the best level. Refusals
// (420, 429, 503) halve it and remember the level the account refused, so it
// never goes there again; timeouts, stalls and resets halve it too.
type limiter struct {
	now    func() time.Time
	pinned bool
	max    int
	notify func() // called, outside mu, when the limit changed

	mu       sync.Mutex
	wake     chan struct{}
	limit    int
	held     int
	inflight int
	cap      int // highest level tolerated since the last refusal
	capAt    time.Time
	epoch    int // bumped at every back-off
	slow     bool

	took      time.Duration // a request's duration, smoothed
	lastEnd   time.Time
	winStart  time.Time
	winBytes  int64
	winCount  int
	bestRate  float64
	bestLimit int
}

// requestToken is one request on the wire, for feedback.
type requestToken struct {
	epoch    int
	inflight int // requests on the wire with it, itself included
	start    time.Time
}

// newLimiter pins the limit to pin when pin > 0, else chooses it between 1
// and ceiling.
func newLimiter(pin, ceiling int, now func() time.Time) *limiter {
	l := &limiter{now: now, wake: make(chan struct{}), slow: true}
	if pin > 0 {
		l.pinned, l.max, l.limit = true, pin, pin
	} else {
		l.max, l.limit = ceiling, min(autoStart, ceiling)
	}
	l.cap = l.max
	return l
}

// workers is how many workers the engine needs: one per possible slot.
func (l *limiter) workers() int { return l.max }

// current is the limit now and whether the engine chose it.
func (l *limiter) current() (limit int, auto bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, !l.pinned
}

// refused reports whether the limit is held down because the account
// refused more at once (420, 429, 503) and the engine still remembers it.
func (l *limiter) refused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.pinned && l.cap < l.max && !l.capAt.IsZero() && l.now().Sub(l.capAt) <= capMemory
}

// settled reports whether the limit has stopped doubling for the files
// still queued: pinned, past its first rise, as high as it may go, or
// growing only once more than queued uploads have ended (by then the queue
// is empty). Until then throughput measured now says little about the rest
// of the batch.
func (l *limiter) settled(queued int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pinned || !l.slow || l.limit >= min(l.cap, l.max) || queued <= max(minWindow, l.limit)-l.winCount
}

// acquire waits for a slot; false when ctx ended first.
func (l *limiter) acquire(ctx context.Context) bool {
	for {
		l.mu.Lock()
		if l.held < l.limit {
			l.held++
			l.mu.Unlock()
			return true
		}
		ch := l.wake
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// spare says whether one more request fits under the limit, for a caller
// with own requests running of which counted are already in flight here.
func (l *limiter) spare(own, counted int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(l.inflight)-counted+own < int64(l.limit)
}

func (l *limiter) release() {
	l.mu.Lock()
	l.held--
	l.broadcastLocked()
	l.mu.Unlock()
}

func (l *limiter) broadcastLocked() {
	close(l.wake)
	l.wake = make(chan struct{})
}

// begin notes a request going out.
func (l *limiter) begin() requestToken {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.inflight == 0 && (l.winStart.IsZero() || now.Sub(l.lastEnd) > idleReset) {
		// A new batch after a pause: idle time is not a throughput sample,
		// and the link may not be the one measured before.
		l.resetWindowLocked(now)
		l.bestRate, l.bestLimit = 0, 0
	}
	l.inflight++
	return requestToken{epoch: l.epoch, inflight: l.inflight, start: now}
}

// end notes a request's outcome: bytes of the file it carried and its error.
func (l *limiter) end(t requestToken, bytes int64, err error) {
	l.mu.Lock()
	// The server may count this request against later ones sent while it
	// was on the wire: it saw at least as many as were in flight at either
	// end of its life.
	t.inflight = max(t.inflight, l.inflight)
	l.inflight--
	l.lastEnd = l.now()
	changed := false
	if !l.pinned {
		changed = l.feedbackLocked(t, bytes, err)
	}
	if changed {
		l.broadcastLocked()
	}
	notify := l.notify
	l.mu.Unlock()
	if changed && notify != nil {
		notify()
	}
}

// Kinds of outcome the limiter reacts to.
const (
	outcomeNeutral = iota
	outcomeOK
	outcomeRefused // the account said too much: 420, 429, 503
	outcomeTrouble // the path is congested: timeouts, stalls, resets, other 5xx
)

func classifyOutcome(err error) int {
	if err == nil {
		return outcomeOK
	}
	if errors.Is(err, context.Canceled) {
		return outcomeNeutral
	}
	var (
		rl *cloud.RateLimitedError
		se *cloud.ServerError
		ne *cloud.NetworkError
	)
	switch {
	case errors.As(err, &rl):
		return outcomeRefused
	case errors.As(err, &se) && se.Status == 503:
		return outcomeRefused
	case errors.As(err, &se), errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return outcomeTrouble
	}
	return outcomeNeutral
}

func (l *limiter) feedbackLocked(t requestToken, bytes int64, err error) bool {
	now := l.now()
	before := l.limit
	if l.cap < l.max && now.Sub(l.capAt) > capMemory {
		l.cap = l.max
	}
	switch classifyOutcome(err) {
	case outcomeOK:
		l.winBytes += bytes
		l.winCount++
		took := now.Sub(t.start)
		if l.took == 0 {
			l.took = took
		} else {
			l.took = (l.took*7 + took) / 8
		}
		// A sample spans at least two request durations, so the bursts in
		// which requests sent together come back do not skew it.
		if l.winCount >= max(minWindow, l.limit) && now.Sub(l.winStart) >= 2*l.took {
			l.evaluateLocked(now)
		}
	case outcomeRefused:
		// The account refused this many in flight: stay below it from now on.
		l.cap = max(1, min(l.cap, t.inflight-1))
		l.capAt = now
		l.backOffLocked(t, now)
	case outcomeTrouble:
		l.backOffLocked(t, now)
	}
	if l.limit > l.cap {
		l.limit = l.cap
	}
	return l.limit != before
}

// backOffLocked halves the limit once per burst: requests sent before the
// last back-off, or above the limit as it is now, do not halve it again.
func (l *limiter) backOffLocked(t requestToken, now time.Time) {
	l.slow = false
	if t.epoch != l.epoch || t.inflight > l.limit {
		// Sent before the last back-off, or with more in flight than the
		// limit now allows: already answered for.
		return
	}
	l.epoch++
	l.limit = max(1, l.limit/2)
	l.resetWindowLocked(now)
	l.bestRate, l.bestLimit = 0, 0
}

func (l *limiter) resetWindowLocked(now time.Time) {
	l.winStart, l.winBytes, l.winCount = now, 0, 0
}

// evaluateLocked ends a window: grow while throughput rises, step back when
// more in flight made it fall, hold otherwise.
func (l *limiter) evaluateLocked(now time.Time) {
	elapsed := now.Sub(l.winStart).Seconds()
	if elapsed <= 0 {
		return
	}
	rate := float64(l.winCount) / elapsed
	if l.winBytes > 0 {
		rate = float64(l.winBytes) / elapsed
	}
	l.resetWindowLocked(now)
	// Rising means at least a quarter of the gain the extra uploads would
	// bring on an idle link (doubling: +25 %; one more of 8: +3 %), or 5 %
	// at the same level: the rest is lost to noise and per-file costs.
	need := 0.05
	if l.bestLimit > 0 && l.limit > l.bestLimit {
		need = max(0.02, 0.25*float64(l.limit-l.bestLimit)/float64(l.bestLimit))
	}
	switch {
	case l.bestRate == 0 || rate > l.bestRate*(1+need):
		l.bestRate, l.bestLimit = rate, l.limit
		if l.slow {
			l.limit *= 2
		} else {
			l.limit++
		}
	case l.limit > l.bestLimit:
		// More in flight bought nothing: go back to the best level and
		// stop doubling.
		l.limit, l.slow = l.bestLimit, false
	default:
		// Flat at the best level: let the best rate fade slowly, so a lucky
		// window does not stop probing for good.
		l.slow = false
		l.bestRate *= 0.99
	}
	l.limit = min(max(l.limit, 1), l.cap, l.max)
}

// retryAfter is when a refusal said to come back (Retry-After or Cloudinary's
// "Try again on …"), or zero.
func retryAfter(err error) time.Time {
	var (
		rl *cloud.RateLimitedError
		se *cloud.ServerError
	)
	switch {
	case errors.As(err, &rl):
		return rl.RetryAt
	case errors.As(err, &se):
		return se.RetryAt
	}
	return time.Time{}
}

// Concurrency is how many uploads run at once now, and whether the engine
// chose that number itself (no --concurrency or profile setting pins it).
func (e *Engine) Concurrency() (limit int, auto bool) { return e.lim.current() }

// concurrencyChanged tells subscribers the batch runs at a new concurrency.
func (e *Engine) concurrencyChanged() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.publishLocked(Event{Kind: BatchChanged})
}
