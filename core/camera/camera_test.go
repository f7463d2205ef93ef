package camera

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEncodeJPEGDecodesBackToSameSizeAndColour(t *testing.T) {
	ycc := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = 200
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	gray := image.NewGray(image.Rect(10, 10, 42, 26)) // non-zero origin
	for i := range gray.Pix {
		gray.Pix[i] = 90
	}
	tests := []struct {
		name string
		img  image.Image
		want color.RGBA // colour of the centre pixel, ±6 per channel
	}{
		{"rgba", uniform(80, 60, color.RGBA{200, 40, 40, 255}), color.RGBA{200, 40, 40, 255}},
		{"ycbcr", ycc, color.RGBA{200, 200, 200, 255}},
		{"gray with offset origin", gray, color.RGBA{90, 90, 90, 255}},
		{"test card", renderTestCard(320, 240, time.Second, time.Now(), 1), color.RGBA{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := EncodeJPEG(tt.img, 90)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
				t.Fatalf("not a JPEG: % x", data[:4])
			}
			back, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("decoding our own JPEG: %v", err)
			}
			if back.Bounds().Dx() != tt.img.Bounds().Dx() || back.Bounds().Dy() != tt.img.Bounds().Dy() {
				t.Fatalf("size %v, want %v", back.Bounds().Size(), tt.img.Bounds().Size())
			}
			if tt.want == (color.RGBA{}) {
				return
			}
			c := back.Bounds().Min.Add(back.Bounds().Size().Div(2))
			r, g, b, _ := back.At(c.X, c.Y).RGBA()
			got := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
			near := func(a, b uint8) bool { d := int(a) - int(b); return d > -7 && d < 7 }
			if !near(got.R, tt.want.R) || !near(got.G, tt.want.G) || !near(got.B, tt.want.B) {
				t.Fatalf("centre colour %v, want about %v", got, tt.want)
			}
		})
	}
}

func TestEncodeJPEGRejectsBadInputWithReason(t *testing.T) {
	tests := []struct {
		name    string
		img     image.Image
		quality int
		want    string
	}{
		{"nil image", nil, 90, "no image"},
		{"empty image", image.NewRGBA(image.Rect(0, 0, 0, 10)), 90, "empty"},
		{"quality zero", uniform(4, 4, color.White), 0, "use 1 to 100"},
		{"quality too high", uniform(4, 4, color.White), 101, "use 1 to 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeJPEG(tt.img, tt.quality)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestFileNameSortsByTimeInTheGivenZone(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC), "camera-20260102-030405.jpg"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC).In(berlin), "camera-20270101-005959.jpg"},
		{time.Date(1999, 7, 9, 12, 0, 0, 0, berlin), "camera-19990709-120000.jpg"},
	}
	for _, tt := range tests {
		if got := FileName(tt.t); got != tt.want {
			t.Errorf("FileName(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// recordingCamera wraps a camera and remembers every frame it handed out,
// and when, so tests can tell which frame Snapshot kept.
type recordingCamera struct {
	Camera
	mu     sync.Mutex
	opened time.Time
	frames []image.Image
	times  []time.Time
	closed int
}

func (r *recordingCamera) Open(ctx context.Context, id string) (Stream, error) {
	s, err := r.Camera.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.opened = time.Now()
	r.mu.Unlock()
	return &recordingStream{Stream: s, cam: r}, nil
}

type recordingStream struct {
	Stream
	cam *recordingCamera
}

func (s *recordingStream) Next(ctx context.Context) (image.Image, error) {
	img, err := s.Stream.Next(ctx)
	if err == nil {
		s.cam.mu.Lock()
		s.cam.frames = append(s.cam.frames, img)
		s.cam.times = append(s.cam.times, time.Now())
		s.cam.mu.Unlock()
	}
	return img, err
}

func (s *recordingStream) Close() error {
	s.cam.mu.Lock()
	s.cam.closed++
	s.cam.mu.Unlock()
	return s.Stream.Close()
}

func TestSnapshotDiscardsFramesWhileSettlingAndKeepsTheLast(t *testing.T) {
	synth := &Synthetic{Width: 160, Height: 120, FPS: 30}
	rec := &recordingCamera{Camera: synth}
	settle := 300 * time.Millisecond

	img, err := Snapshot(context.Background(), rec, SyntheticID, settle)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.frames) < 3 {
		t.Fatalf("Snapshot read %d frames in a %v settle at 30 fps; it should discard several", len(rec.frames), settle)
	}
	if img != rec.frames[len(rec.frames)-1] {
		t.Fatal("Snapshot did not return the last frame it read")
	}
	if kept := rec.times[len(rec.times)-1]; kept.Sub(rec.opened) < settle {
		t.Fatalf("kept a frame %v after opening, before the %v settle ended", kept.Sub(rec.opened), settle)
	}
	if rec.closed != 1 || synth.OpenStreams() != 0 {
		t.Fatalf("stream closed %d times, %d still open; want closed once, none open", rec.closed, synth.OpenStreams())
	}
	if img.Bounds().Dx() != 160 || img.Bounds().Dy() != 120 {
		t.Fatalf("snapshot is %v, want 160x120", img.Bounds().Size())
	}
}

func TestSnapshotWithoutSettleTakesTheFirstFrame(t *testing.T) {
	rec := &recordingCamera{Camera: NewSynthetic()}
	if _, err := Snapshot(context.Background(), rec, SyntheticID, 0); err != nil {
		t.Fatal(err)
	}
	if len(rec.frames) != 1 {
		t.Fatalf("read %d frames, want exactly 1", len(rec.frames))
	}
}

func TestSnapshotPassesOpenErrorsThrough(t *testing.T) {
	synth := &Synthetic{OpenErr: &Error{Kind: ErrBusy, Device: SyntheticID}}
	_, err := Snapshot(context.Background(), synth, SyntheticID, time.Second)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if _, err := Snapshot(context.Background(), NewSynthetic(), "/dev/video7", 0); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("unknown device: got %v, want ErrNoCamera", err)
	}
}

func TestSnapshotStopsWhenContextEnds(t *testing.T) {
	synth := NewSynthetic()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := Snapshot(ctx, synth, SyntheticID, time.Hour)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
	if synth.OpenStreams() != 0 {
		t.Fatal("Snapshot left the stream open after its context ended")
	}
}

func TestErrorMessagesNameDeviceKindAndDriverWords(t *testing.T) {
	cause := errors.New("exit status 1")
	tests := []struct {
		err  *Error
		want []string
	}{
		{&Error{Kind: ErrNoCamera, Device: "/dev/video9", Detail: "ffmpeg: /dev/video9: No such file or directory", Err: cause},
			[]string{"camera /dev/video9: no camera found: connect one, or use --device synthetic (ffmpeg: /dev/video9: No such file or directory)"}},
		{&Error{Kind: ErrBusy, Device: "dshow:Integrated Camera"},
			[]string{`camera "dshow:Integrated Camera": camera is in use by another application`}},
		{&Error{Kind: ErrPermissionDenied, Device: "/dev/video0"}, []string{"camera access denied"}},
	}
	for _, tt := range tests {
		msg := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("message %q lacks %q", msg, w)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message %q spans lines", msg)
		}
		if !errors.Is(tt.err, tt.err.Kind) {
			t.Errorf("errors.Is(%v, its kind) is false", tt.err)
		}
	}
	withCause := &Error{Kind: ErrNoCamera, Err: cause}
	if !errors.Is(withCause, cause) {
		t.Error("the cause is not reachable through errors.Is")
	}
}

func TestPermissionHintSaysWhereToGrantAccessPerOS(t *testing.T) {
	tests := map[string]string{
		"darwin":  "System Settings → Privacy & Security → Camera",
		"windows": "Settings → Privacy & security → Camera",
		"linux":   "video group",
		"freebsd": "/dev/video*",
	}
	for goos, want := range tests {
		if got := permissionHint(goos); !strings.Contains(got, want) {
			t.Errorf("permissionHint(%q) = %q, want it to mention %q", goos, got, want)
		}
	}
}
