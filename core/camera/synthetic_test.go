package camera

import (
	"context"
	"errors"
	"image"
	"runtime"
	"testing"
	"time"
)

func TestSyntheticListsOneClearlyNamedDevice(t *testing.T) {
	devs, err := NewSynthetic().Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Device{ID: "synthetic", Name: "Synthetic test camera", Driver: "synthetic"}
	if len(devs) != 1 || devs[0] != want {
		t.Fatalf("devices %+v, want [%+v]", devs, want)
	}
}

func TestSyntheticFramesDifferOverTime(t *testing.T) {
	base := runtime.NumGoroutine()
	synth := NewSynthetic()
	s, err := synth.Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var frames []image.Image
	for range 5 {
		img, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds() != image.Rect(0, 0, 640, 480) {
			t.Fatalf("frame is %v, want 640x480", img.Bounds())
		}
		frames = append(frames, img)
	}
	for i := 1; i < len(frames); i++ {
		if !differ(frames[i-1], frames[i]) {
			t.Fatalf("frames %d and %d are identical; the test card must move", i-1, i)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if synth.OpenStreams() != 0 {
		t.Fatalf("%d streams still counted open", synth.OpenStreams())
	}
	settleGoroutines(t, base)
}

func TestSyntheticHonoursSizeAndCountsOpenStreams(t *testing.T) {
	synth := &Synthetic{Width: 200, Height: 100, FPS: 60}
	a, err := synth.Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := synth.Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	if synth.OpenStreams() != 2 {
		t.Fatalf("OpenStreams = %d, want 2", synth.OpenStreams())
	}
	img, err := a.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 200 || img.Bounds().Dy() != 100 {
		t.Fatalf("frame %v, want 200x100", img.Bounds().Size())
	}
	a.Close()
	b.Close()
	if synth.OpenStreams() != 0 {
		t.Fatalf("OpenStreams = %d after closing both, want 0", synth.OpenStreams())
	}
}

func TestSyntheticOpenRefusesOtherIDsAndRehearsesFailures(t *testing.T) {
	if _, err := NewSynthetic().Open(context.Background(), "/dev/video0"); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("got %v, want ErrNoCamera", err)
	}
	denied := &Error{Kind: ErrPermissionDenied, Device: SyntheticID}
	if _, err := (&Synthetic{OpenErr: denied}).Open(context.Background(), SyntheticID); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("got %v, want the rehearsed ErrPermissionDenied", err)
	}
}

func TestSyntheticNextHonoursContext(t *testing.T) {
	s, err := (&Synthetic{FPS: 1}).Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(context.Background()); err != nil { // the first frame is immediate
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline while waiting a second for the next frame", err)
	}
}

func TestSyntheticStreamDeliversEveryRequestedFrame(t *testing.T) {
	s, err := (&Synthetic{Width: 64, Height: 48, FPS: 100}).Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		if _, err := s.Next(context.Background()); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

func BenchmarkRenderTestCard640x480(b *testing.B) {
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		renderTestCard(640, 480, time.Duration(i)*time.Millisecond, now, i)
	}
}

func TestSyntheticCloseDoesNotWaitForAPendingNext(t *testing.T) {
	s, err := (&Synthetic{Width: 8, Height: 8, FPS: 1}).Open(context.Background(), SyntheticID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	nextErr := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background()) // waits a second for its tick
		nextErr <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it start waiting
	s.Close()
	select {
	case err := <-nextErr:
		t.Fatalf("Close returned only after the pending Next finished (%v)", err)
	default:
	}
	if err := <-nextErr; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending Next got %v, want ErrClosed", err)
	}
}
