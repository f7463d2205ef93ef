package camera

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// fakeBackend is a camera backend with a fixed device list that records
// which IDs it was asked to open.
type fakeBackend struct {
	devices []Device
	listErr error
	opened  []string
}

func (f *fakeBackend) Devices(context.Context) ([]Device, error) { return f.devices, f.listErr }

func (f *fakeBackend) Open(ctx context.Context, id string) (Stream, error) {
	f.opened = append(f.opened, id)
	return (&Synthetic{Width: 8, Height: 8}).Open(ctx, SyntheticID)
}

var synthDevice = Device{ID: SyntheticID, Name: "Synthetic test camera", Driver: "synthetic"}

func TestAutoPrefersNativeCamerasAndListsSyntheticLast(t *testing.T) {
	native := &fakeBackend{devices: []Device{{ID: "native:video0;video0", Name: "Integrated Camera", Driver: "native"}}}
	ff := &fakeBackend{devices: []Device{{ID: "/dev/video0", Name: "Integrated Camera", Driver: "ffmpeg"}}}
	devs, err := NewAutoWith(native, ff, nil).Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Device{native.devices[0], synthDevice}
	if !reflect.DeepEqual(devs, want) {
		t.Fatalf("got %+v, want %+v", devs, want)
	}
}

func TestAutoFallsBackToFFmpegWhenNativeFindsNothingOrFails(t *testing.T) {
	ffDev := Device{ID: "/dev/video0", Name: "HD Webcam", Driver: "ffmpeg"}
	for _, native := range []Camera{
		nil,
		&fakeBackend{},
		&fakeBackend{listErr: errors.New("driver exploded")},
	} {
		a := NewAutoWith(native, &fakeBackend{devices: []Device{ffDev}}, nil)
		devs, err := a.Devices(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := []Device{ffDev, synthDevice}; !reflect.DeepEqual(devs, want) {
			t.Fatalf("native %v: got %+v, want %+v", native, devs, want)
		}
	}
	a := NewAutoWith(&fakeBackend{listErr: errors.New("driver exploded")}, nil, nil)
	if _, err := a.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if notes := a.Notes(); !slices.Contains(notes, "native cameras: driver exploded") {
		t.Fatalf("notes %q do not explain the failing backend", notes)
	}
}

func TestAutoRoutesEachIDToItsBackend(t *testing.T) {
	native := &fakeBackend{devices: []Device{{ID: "native:cam", Name: "Cam", Driver: "native"}}}
	ff := &fakeBackend{}
	a := NewAutoWith(native, ff, nil)
	for _, id := range []string{"native:cam", "/dev/video2", TestSourceID, SyntheticID, ""} {
		s, err := a.Open(context.Background(), id)
		if err != nil {
			t.Fatalf("Open(%q): %v", id, err)
		}
		s.Close()
	}
	// "" opens the first real camera, which is the native one.
	if want := []string{"native:cam", "native:cam"}; !slices.Equal(native.opened, want) {
		t.Errorf("native opened %q, want %q", native.opened, want)
	}
	if want := []string{"/dev/video2", TestSourceID}; !slices.Equal(ff.opened, want) {
		t.Errorf("ffmpeg opened %q, want %q", ff.opened, want)
	}
	if a.Synthetic().OpenStreams() != 0 {
		t.Error("synthetic stream left open")
	}
}

func TestAutoWithoutCamerasSaysSoAndNeverPicksTheSyntheticOne(t *testing.T) {
	a := NewAutoWith(nil, nil, nil)
	devs, err := a.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []Device{synthDevice}; !reflect.DeepEqual(devs, want) {
		t.Fatalf("got %+v, want only the synthetic camera", devs)
	}
	if _, err := a.Open(context.Background(), ""); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("default camera: got %v, want ErrNoCamera", err)
	}
	_, err = a.Open(context.Background(), "/dev/video0")
	if !errors.Is(err, ErrNoCamera) || !errors.Is(err, ErrFFmpegNotFound) {
		t.Fatalf("ffmpeg device without ffmpeg: got %v, want ErrNoCamera and ErrFFmpegNotFound", err)
	}
	if _, err := a.Open(context.Background(), "native:x"); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("native device without native support: got %v, want ErrNoCamera", err)
	}
}

func TestAutoOpensTheFFmpegTestSource(t *testing.T) {
	realFFmpeg(t)
	a := NewAuto()
	s, err := a.Open(context.Background(), TestSourceID)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	img, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 640 {
		t.Fatalf("frame %v, want 640 wide", img.Bounds())
	}
}
