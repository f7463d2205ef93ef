package camera

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"
)

func TestCadenceKeepsASteadyGrid(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name       string
		deliveries []time.Time
		wantLast   time.Time // when the grid says the last frame was due
	}{
		{"first delivery starts the grid", []time.Time{ms(5)}, ms(5)},
		{"on time", []time.Time{ms(0), ms(100), ms(200)}, ms(200)},
		{"slightly late frames stay on the grid", []time.Time{ms(0), ms(130), ms(240)}, ms(200)},
		{"a stall of a whole interval restarts the grid", []time.Time{ms(0), ms(450)}, ms(450)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cadence{interval: 100 * time.Millisecond}
			for _, d := range tt.deliveries {
				c.delivered(d)
			}
			if !c.last.Equal(tt.wantLast) {
				t.Fatalf("last due %v, want %v", c.last.Sub(t0), tt.wantLast.Sub(t0))
			}
		})
	}
}

func TestNewCadenceDefaultsToPreviewRate(t *testing.T) {
	if got, want := newCadence(0).interval, time.Second/DefaultFPS; got != want {
		t.Fatalf("interval %v, want %v", got, want)
	}
	if got := newCadence(30).interval; got != time.Second/30 {
		t.Fatalf("interval %v at 30 fps", got)
	}
}

func TestMailboxKeepsOnlyTheNewestFrame(t *testing.T) {
	m := newMailbox()
	frames := []image.Image{
		image.NewGray(image.Rect(0, 0, 1, 1)),
		image.NewGray(image.Rect(0, 0, 2, 2)),
		image.NewGray(image.Rect(0, 0, 3, 3)),
	}
	for _, f := range frames {
		m.put(f)
	}
	select {
	case <-m.first:
	default:
		t.Fatal("first frame not signalled")
	}
	got, err := m.take(context.Background())
	if err != nil || got != frames[2] {
		t.Fatalf("took %v (%v), want the newest frame", got.Bounds(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.take(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an emptied mailbox gave %v, want to wait until the deadline", err)
	}
}

func TestMailboxHandsOutTheLastFrameBeforeTheProducersError(t *testing.T) {
	m := newMailbox()
	last := image.NewGray(image.Rect(0, 0, 4, 4))
	m.put(last)
	stop := errors.New("unplugged")
	m.finish(stop)
	if got, err := m.take(context.Background()); err != nil || got != last {
		t.Fatalf("got %v, %v; want the frame that arrived before the end", got, err)
	}
	if _, err := m.take(context.Background()); !errors.Is(err, stop) {
		t.Fatalf("got %v, want the producer's error", err)
	}
}

func TestPacedStreamNeverHandsOutAFrameAfterClose(t *testing.T) {
	p := &pacedStream{box: newMailbox(), pace: newCadence(DefaultFPS)}
	p.box.put(image.NewGray(image.Rect(0, 0, 2, 2)))
	p.closed.Store(true)
	if img, err := p.next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, %v; want ErrClosed although a frame was waiting", img, err)
	}
}
