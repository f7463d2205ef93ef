package camera

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	corecam "github.com/cloudup/cloudup/core/camera"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/camera/cameratest"
	"github.com/cloudup/cloudup/ui/dialogs"
)

type fixture struct {
	t      *testing.T
	v      *View
	win    fyne.Window
	queued []transfer.Item
	tasks  *bridge.Tasks
}

func newFixture(t *testing.T, cam corecam.Camera) *fixture {
	t.Helper()
	test.NewTempApp(t)
	fx := &fixture{t: t, tasks: bridge.NewQueuedTasks()}
	t.Cleanup(fx.tasks.Close)
	fx.win = test.NewTempWindow(t, widget.NewLabel("Upload tab"))
	dialogs.HandleKeys(fx.win, nil) // as the main window does
	fx.win.Resize(fyne.NewSize(760, 640))
	fx.v = New(fx.win, fx.tasks)
	fx.v.now = func() time.Time { return time.Date(2026, 5, 17, 8, 9, 10, 0, time.Local) }
	fx.v.SetAccount(AccountFrom(cam, t.TempDir(), func(item transfer.Item) { fx.queued = append(fx.queued, item) }))
	return fx
}

// until drains UI work until cond holds.
func (fx *fixture) until(what string, cond func() bool) {
	fx.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		fx.tasks.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			fx.t.Fatalf("timed out waiting for %s; status %q", what, fx.v.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (fx *fixture) live() {
	fx.t.Helper()
	fx.until("a live frame", func() bool { return fx.v.frame.Image != nil && !fx.v.capture.Disabled() })
}

func TestDialogShowsTheLivePreviewOfTheFirstCamera(t *testing.T) {
	fx := newFixture(t, &cameratest.StillCamera{})
	fx.v.Show()
	fx.live()
	if fx.v.picker.Selected != "Still test camera" {
		t.Errorf("picker = %q", fx.v.picker.Selected)
	}
	if !fx.v.use.Disabled() || fx.v.retake.Visible() {
		t.Error("Use photo or Retake offered before a capture")
	}
	test.AssertRendersToImage(t, "camera_dialog.png", fx.win.Canvas())
	fx.v.Close()
}

func TestSyntheticPreviewKeepsUpdating(t *testing.T) {
	cam := corecam.NewSynthetic()
	fx := newFixture(t, cam)
	fx.v.Show()
	fx.live()
	first := fx.v.frame.Image
	fx.until("a newer frame", func() bool { return fx.v.frame.Image != first })
	fx.v.Close()
	fx.until("the stream to close", func() bool { return cam.OpenStreams() == 0 })
}

func TestCaptureFreezesRetakeResumesAndUseQueuesAJPEG(t *testing.T) {
	cam := corecam.NewSynthetic()
	fx := newFixture(t, cam)
	fx.v.Show()
	fx.live()
	fx.v.Capture()
	still := fx.v.frame.Image
	time.Sleep(200 * time.Millisecond)
	fx.tasks.Drain()
	if fx.v.frame.Image != still {
		t.Fatal("the captured frame did not stay on screen")
	}
	if fx.v.use.Disabled() || !fx.v.retake.Visible() {
		t.Fatal("Use photo / Retake not offered after Capture")
	}
	fx.v.Retake()
	fx.until("the preview to move again", func() bool { return fx.v.frame.Image != still })
	fx.v.Capture()
	fx.v.UsePhoto()
	fx.until("the photo to be queued", func() bool { return len(fx.queued) == 1 })
	item := fx.queued[0]
	if item.Name != "camera-20260517-080910.jpg" || !item.Spool {
		t.Errorf("item = %+v, want a spooled camera-20260517-080910.jpg", item)
	}
	data, err := os.ReadFile(item.Path)
	if err != nil || len(data) < 1000 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("spooled photo is not a JPEG (%d bytes, %v)", len(data), err)
	}
	fx.until("the camera to be released", func() bool { return cam.OpenStreams() == 0 })
	if fx.v.open {
		t.Error("the dialog stayed open after Use photo")
	}
}

func TestEscapeClosesTheDialogAndReleasesTheCamera(t *testing.T) {
	cam := corecam.NewSynthetic()
	fx := newFixture(t, cam)
	fx.v.Show()
	fx.live()
	if cam.OpenStreams() != 1 {
		t.Fatalf("open streams = %d", cam.OpenStreams())
	}
	fx.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if fx.v.open || len(fx.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("Esc did not close the dialog")
	}
	fx.until("the stream to close", func() bool { return cam.OpenStreams() == 0 })
	if n := dialogs.For(fx.win).Len(); n != 0 {
		t.Errorf("%d dialogs still on the window's stack", n)
	}
}

func TestEscapeInThePickerClosesTheDialogToo(t *testing.T) {
	fx := newFixture(t, &cameratest.StillCamera{})
	fx.v.Show()
	fx.live()
	fx.win.Canvas().Focus(fx.v.picker) // as after choosing a camera
	fx.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if fx.v.open || len(fx.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("Esc in the camera picker did not close the dialog")
	}
}

func TestCameraErrorsAreShownInWords(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"busy", &corecam.Error{Kind: corecam.ErrBusy, Device: cameratest.StillID}, "Another app is using the camera"},
		{"denied", &corecam.Error{Kind: corecam.ErrPermissionDenied, Device: cameratest.StillID}, "Cloudup may not use the camera"},
		{"none", &corecam.Error{Kind: corecam.ErrNoCamera, Device: cameratest.StillID}, "No camera found — connect one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, &cameratest.StillCamera{OpenErr: tc.err})
			fx.v.Show()
			fx.until("the error", func() bool { return strings.Contains(fx.v.Status(), tc.want) })
			if !fx.v.capture.Disabled() {
				t.Error("Capture enabled without a camera")
			}
			fx.v.Close()
		})
	}
}

func TestNoDevicesSaysSo(t *testing.T) {
	fx := newFixture(t, emptyCamera{})
	fx.v.Show()
	fx.until("the message", func() bool { return strings.Contains(fx.v.Status(), "No camera found — connect one") })
	if strings.Contains(fx.v.Status(), "--device") {
		t.Errorf("the dialog names a CLI flag: %q", fx.v.Status())
	}
	fx.v.Close()
}

func TestListingFailureIsShown(t *testing.T) {
	fx := newFixture(t, emptyCamera{err: errors.New("the video device list could not be read")})
	fx.v.Show()
	fx.until("the message", func() bool { return strings.Contains(fx.v.Status(), "could not be read") })
	fx.v.Close()
}

type emptyCamera struct{ err error }

func (c emptyCamera) Devices(context.Context) ([]corecam.Device, error) { return nil, c.err }
func (c emptyCamera) Open(context.Context, string) (corecam.Stream, error) {
	return nil, corecam.ErrNoCamera
}

func TestSwitchingDevicesReleasesThePreviousOne(t *testing.T) {
	still, synth := &cameratest.StillCamera{}, corecam.NewSynthetic()
	fx := newFixture(t, twoCameras{still, synth})
	fx.v.Show()
	fx.live()
	if got := fx.v.picker.Options; len(got) != 2 || got[0] != "Still test camera" || got[1] != corecam.SyntheticName {
		t.Fatalf("devices = %q", got)
	}
	if still.OpenStreams() != 1 {
		t.Fatalf("the first camera is not open")
	}
	fx.v.picker.SetSelected(corecam.SyntheticName)
	fx.until("the switch", func() bool { return still.OpenStreams() == 0 && synth.OpenStreams() == 1 })
	fx.live()
	fx.v.Close()
	fx.until("the release", func() bool { return synth.OpenStreams() == 0 })
}

// twoCameras lists a StillCamera and a synthetic one and routes Open by ID.
type twoCameras struct {
	still *cameratest.StillCamera
	synth *corecam.Synthetic
}

func (c twoCameras) Devices(ctx context.Context) ([]corecam.Device, error) {
	a, _ := c.still.Devices(ctx)
	b, _ := c.synth.Devices(ctx)
	return append(a, b...), nil
}

func (c twoCameras) Open(ctx context.Context, id string) (corecam.Stream, error) {
	if id == cameratest.StillID {
		return c.still.Open(ctx, id)
	}
	return c.synth.Open(ctx, id)
}

func TestTheSyntheticTestCardIsNotOfferedAsACamera(t *testing.T) {
	still := &cameratest.StillCamera{}
	fx := newFixture(t, corecam.NewAutoWith(nil, still, nil)) // as if ffmpeg found it
	fx.v.Show()
	fx.live()
	if got := fx.v.picker.Options; len(got) != 1 || got[0] != "Still test camera" {
		t.Errorf("cameras offered = %q", got)
	}
	fx.v.Close()

	// With no real camera, the dialog says so instead of offering the card.
	fx = newFixture(t, corecam.NewAutoWith(nil, nil, nil))
	fx.v.Show()
	fx.until("the message", func() bool { return strings.HasPrefix(fx.v.Status(), "No camera found") })
	if len(fx.v.picker.Options) != 0 || fx.v.picker.PlaceHolder != "No camera" {
		t.Errorf("cameras offered = %q, picker says %q", fx.v.picker.Options, fx.v.picker.PlaceHolder)
	}
	fx.v.Close()
}
