package transfer

import (
	"context"
	"math/rand/v2"
	"time"
)

// Clock is the engine's time: when to sign, how long to wait before a retry.
// Tests inject one that is hours off, or one that records waits instead of
// sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// RetryPolicy bounds retries of one request (a whole small file, or one
// chunk: a failed chunk is retried alone and a chunk that gets through
// resets the count).
type RetryPolicy struct {
	MaxAttempts int           // per request; default 8
	BaseDelay   time.Duration // first backoff; default 1 s
	MaxDelay    time.Duration // backoff cap; default 1 min
	// GiveUpAfter ends an item that has made no progress for this long,
	// whatever the attempt count (rate limits can ask for long waits);
	// default 30 min.
	GiveUpAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = time.Minute
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.GiveUpAfter <= 0 {
		p.GiveUpAfter = 30 * time.Minute
	}
	return p
}

// backoff is the wait before attempt n+1 after n failures: exponential with
// full jitter, so many workers failing at once do not come back at once.
func (p RetryPolicy) backoff(failures int) time.Duration {
	ceiling := p.BaseDelay
	for i := 1; i < failures && ceiling < p.MaxDelay; i++ {
		ceiling *= 2
	}
	if ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	// Half fixed, half random: never zero, never in lockstep.
	half := ceiling / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}
