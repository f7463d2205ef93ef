package camera

import (
	"context"
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// cadence spaces deliveries a fixed interval apart on a steady grid: a
// delivery that was late does not push every later one back, so the average
// rate stays at the target even when single frames arrive late.
type cadence struct {
	interval time.Duration
	last     time.Time // when the previous frame was due; zero before the first
}

func newCadence(fps int) cadence {
	if fps <= 0 {
		fps = DefaultFPS
	}
	return cadence{interval: time.Second / time.Duration(fps)}
}

// wait blocks until the next frame is due.
func (c *cadence) wait(ctx context.Context) error {
	if c.last.IsZero() {
		return ctx.Err()
	}
	d := time.Until(c.last.Add(c.interval))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// delivered records a delivery at now.
func (c *cadence) delivered(now time.Time) {
	due := c.last.Add(c.interval)
	if c.last.IsZero() || now.Sub(due) >= c.interval {
		// First frame, or more than a whole frame late (the camera
		// stalled): start a new grid rather than bursting to catch up.
		c.last = now
		return
	}
	c.last = due
}

// mailbox hands frames from a stream's capture goroutine to its consumer.
// It holds only the newest frame: the producer overwrites, so a slow
// consumer sees fresh pictures instead of a growing backlog.
type mailbox struct {
	slot  chan image.Image // capacity 1
	first chan struct{}    // closed at the first put
	once  sync.Once
	done  chan struct{} // closed by finish
	err   error         // why the producer stopped; written before done closes
}

func newMailbox() *mailbox {
	return &mailbox{
		slot:  make(chan image.Image, 1),
		first: make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// put offers a frame, replacing an unread one. Only one goroutine may put.
func (m *mailbox) put(img image.Image) {
	for {
		select {
		case m.slot <- img:
			m.once.Do(func() { close(m.first) })
			return
		default:
		}
		select {
		case <-m.slot: // stale: drop it
		default:
		}
	}
}

// finish records why the producer stopped; call it exactly once, last.
func (m *mailbox) finish(err error) {
	m.err = err
	close(m.done)
}

// take returns the newest frame, waiting for one if none is ready.
func (m *mailbox) take(ctx context.Context) (image.Image, error) {
	select {
	case img := <-m.slot:
		return img, nil
	default:
	}
	select {
	case img := <-m.slot:
		return img, nil
	case <-m.done:
		// A frame may have landed just before the producer stopped.
		select {
		case img := <-m.slot:
			return img, nil
		default:
		}
		return nil, m.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pacedStream is the consumer side shared by the ffmpeg and native streams:
// a mailbox read on a cadence.
type pacedStream struct {
	box    *mailbox
	closed atomic.Bool // set by the owning stream's Close
	mu     sync.Mutex  // one Next at a time; guards pace
	pace   cadence
}

func (p *pacedStream) next(ctx context.Context) (image.Image, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return nil, ErrClosed
	}
	if err := p.pace.wait(ctx); err != nil {
		return nil, err
	}
	img, err := p.box.take(ctx)
	if err != nil {
		return nil, err
	}
	// A frame still in the mailbox when Close ran is not handed out.
	if p.closed.Load() {
		return nil, ErrClosed
	}
	p.pace.delivered(time.Now())
	return img, nil
}

// awaitFirst waits for the producer's first frame: nil once one arrived
// (even if the producer ended right after; Next hands it out), the
// producer's error if it ended first, or ErrNoPicture after timeout
// (default 20 s: some cameras take seconds to start streaming).
func (b *mailbox) awaitFirst(ctx context.Context, deviceID string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-b.first:
		return nil
	case <-b.done:
		select {
		case <-b.first:
			return nil
		default:
		}
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return &Error{Kind: ErrNoPicture, Device: deviceID, Detail: "nothing within " + timeout.String()}
	}
}
