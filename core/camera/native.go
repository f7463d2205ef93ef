//go:build cgo

package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	// Registers this OS's camera driver with the driver manager at init:
	// V4L2 on Linux, AVFoundation on macOS, DirectShow on Windows. Without
	// cgo the package still builds on Linux and Windows but registers
	// nothing, which is why this file needs cgo.
	_ "github.com/pion/mediadevices/pkg/driver/camera"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// Native opens cameras through the OS's own API via pion/mediadevices'
// driver layer. It uses the drivers directly rather than GetUserMedia: that
// path drags in WebRTC codecs and constraint solving a still camera does not
// need.
//
// Quirks of mediadevices v0.9.4 this works around or inherits:
//   - Driver IDs are random UUIDs that change when Linux devices are
//     rescanned, so device IDs here are built from the driver's label.
//   - Devices are discovered at program start; only the Linux driver can
//     rescan (Initialize), so on macOS and Windows a camera plugged in later
//     appears after a restart (the ffmpeg backend sees it at once).
//   - The Windows (DirectShow) driver offers only YUY2 modes; cameras that
//     speak only MJPEG or NV12 there show no usable mode, and Auto falls
//     back to ffmpeg.
//   - The macOS driver panics at program start if AVFoundation cannot list
//     devices.
type Native struct {
	// FPS is the preview rate; DefaultFPS when zero.
	FPS int
	// FirstFrameTimeout bounds how long Open waits for the first frame;
	// 20 s when zero.
	FirstFrameTimeout time.Duration

	mu sync.Mutex // serialises rescans and driver lookups
}

// NewNative returns the native backend; in builds without cgo it returns
// ErrNativeUnavailable.
func NewNative() (*Native, error) { return &Native{}, nil }

func cameraDrivers() []driver.Driver {
	return driver.GetManager().Query(driver.FilterAnd(
		driver.FilterVideoRecorder(),
		driver.FilterDeviceType(driver.Camera),
	))
}

// nativeName is the readable part of a driver's name or label: the Linux
// driver appends ";bus-info" to names and ";videoN" to labels.
func nativeName(info driver.Info) string {
	for _, s := range []string{info.Name, info.Label} {
		if name, _, _ := strings.Cut(s, ";"); strings.TrimSpace(name) != "" {
			return strings.TrimSpace(name)
		}
	}
	return "Camera"
}

// Devices lists the cameras the OS driver knows, system default first.
func (n *Native) Devices(ctx context.Context) ([]Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rescanNativeDevices()
	drivers := cameraDrivers()
	sort.Slice(drivers, func(i, j int) bool {
		a, b := drivers[i].Info(), drivers[j].Info()
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return a.Label < b.Label
	})
	out := make([]Device, 0, len(drivers))
	for _, d := range drivers {
		info := d.Info()
		out = append(out, Device{ID: NativePrefix + info.Label, Name: nativeName(info), Driver: "native"})
	}
	return out, nil
}

func (n *Native) lookup(label string) driver.Driver {
	n.mu.Lock()
	defer n.mu.Unlock()
	find := func() driver.Driver {
		for _, d := range cameraDrivers() {
			if d.Info().Label == label {
				return d
			}
		}
		return nil
	}
	if d := find(); d != nil {
		return d
	}
	rescanNativeDevices()
	return find()
}

// Open opens the camera in the mode closest to 720p and waits for its first
// frame. Opening is a blocking driver call that ctx cannot interrupt (on
// macOS it waits for the permission prompt); ctx bounds the wait for the
// first frame.
func (n *Native) Open(ctx context.Context, deviceID string) (Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	label, ok := strings.CutPrefix(deviceID, NativePrefix)
	if !ok || label == "" {
		return nil, noCamera(deviceID, "native camera IDs start with "+NativePrefix)
	}
	d := n.lookup(label)
	if d == nil {
		return nil, noCamera(deviceID, "")
	}
	if d.Status() != driver.StateClosed {
		return nil, &Error{Kind: ErrBusy, Device: deviceID, Detail: "this app already has it open"}
	}
	if err := d.Open(); err != nil {
		return nil, classifyNative(deviceID, err)
	}
	props := d.Properties()
	modes := make([]videoMode, len(props))
	for i, p := range props {
		modes[i] = videoMode{Width: p.Width, Height: p.Height, FPS: p.FrameRate, Format: string(p.FrameFormat)}
	}
	mode, ok := chooseMode(modes, func(f string) bool {
		_, err := frame.NewDecoder(frame.Format(f))
		return err == nil
	})
	if !ok {
		_ = d.Close()
		return nil, &Error{Kind: ErrNoCamera, Device: deviceID, Detail: fmt.Sprintf("it offers no picture format this build can decode (%d modes)", len(props))}
	}
	recorder, ok := d.(driver.VideoRecorder)
	if !ok {
		_ = d.Close()
		return nil, noCamera(deviceID, "the driver cannot record video")
	}
	reader, err := recorder.VideoRecord(prop.Media{Video: prop.Video{
		Width: mode.Width, Height: mode.Height, FrameRate: mode.FPS, FrameFormat: frame.Format(mode.Format),
	}})
	if err != nil {
		// VideoRecord closes the driver itself when it fails.
		return nil, classifyNative(deviceID, err)
	}

	fps := n.FPS
	if fps <= 0 {
		fps = DefaultFPS
	}
	s := &nativeStream{device: deviceID, drv: d, paced: pacedStream{box: newMailbox(), pace: newCadence(fps)}}
	go s.capture(reader)

	if err := s.paced.box.awaitFirst(ctx, deviceID, n.FirstFrameTimeout); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// classifyNative maps a driver error to a kind. The Linux driver returns
// syscall.Errno; mediadevices reports AVFoundation and DirectShow failures
// as plain strings (fmt.Errorf("%s", …)), so for those the text is the only
// signal and the same rules as for ffmpeg's stderr apply.
func classifyNative(device string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EBUSY:
			return &Error{Kind: ErrBusy, Device: device, Detail: errno.Error(), Err: err}
		case syscall.EACCES, syscall.EPERM:
			return &Error{Kind: ErrPermissionDenied, Device: device, Detail: errno.Error(), Err: err}
		case syscall.ENOENT, syscall.ENODEV, syscall.ENXIO:
			return &Error{Kind: ErrNoCamera, Device: device, Detail: errno.Error(), Err: err}
		}
	}
	if kind, _ := classifyStderr(err.Error()); kind != nil {
		return &Error{Kind: kind, Device: device, Detail: err.Error(), Err: err}
	}
	return fmt.Errorf("camera %s: %w", quoteDevice(device), err)
}

// nativeStream owns one open driver and the goroutine reading it.
type nativeStream struct {
	device string
	drv    driver.Driver
	paced  pacedStream
	once   sync.Once
	err    error
}

func (s *nativeStream) Next(ctx context.Context) (image.Image, error) {
	return s.paced.next(ctx)
}

// Close stops the driver, which makes the reader's pending Read return
// io.EOF, and waits for the reading goroutine.
func (s *nativeStream) Close() error {
	s.once.Do(func() {
		s.paced.closed.Store(true)
		s.err = s.drv.Close()
		<-s.paced.box.done
	})
	return s.err
}

func (s *nativeStream) capture(r video.Reader) {
	var err error
	for {
		img, release, readErr := r.Read()
		if readErr != nil {
			err = readErr
			break
		}
		// Drivers reuse their buffers (the Windows one reuses the image
		// itself), so the frame is copied before release.
		frameCopy := cloneImage(img)
		release()
		s.paced.box.put(frameCopy)
	}
	if s.paced.closed.Load() {
		err = ErrClosed
	} else {
		err = classifyNative(s.device, err)
	}
	s.paced.box.finish(err)
}

// cloneImage deep-copies a frame; YCbCr (what most drivers decode to) is
// copied plane by plane, anything else is converted to RGBA.
func cloneImage(img image.Image) image.Image {
	if y, ok := img.(*image.YCbCr); ok {
		c := *y
		c.Y = append([]byte(nil), y.Y...)
		c.Cb = append([]byte(nil), y.Cb...)
		c.Cr = append([]byte(nil), y.Cr...)
		return &c
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}
