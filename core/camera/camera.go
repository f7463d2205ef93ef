package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"time"
)

// Device is one camera a backend can open.
type Device struct {
	// ID is what Open takes. It names the backend too ("/dev/video0",
	// "avfoundation:FaceTime HD Camera", "dshow:Integrated Camera",
	// "native:…", "synthetic"), so IDs from different backends never clash.
	ID string
	// Name is what people read in a device picker.
	Name string
	// Driver says which backend serves the device: "native", "ffmpeg" or
	// "synthetic".
	Driver string
}

// Camera lists and opens cameras.
type Camera interface {
	// Devices lists the cameras that can be opened now.
	Devices(ctx context.Context) ([]Device, error)
	// Open starts a live stream from the device. ctx bounds only the
	// opening (which waits for the first frame, so a busy, missing or
	// forbidden camera fails here rather than on the first Next); the
	// stream lives until Close.
	Open(ctx context.Context, deviceID string) (Stream, error)
}

// Stream is a live camera feed.
type Stream interface {
	// Next blocks until the newest frame the camera produced, delivering at
	// most the stream's frame rate and keeping a steady cadence; frames the
	// caller was too slow for are dropped, never queued, so a preview never
	// lags behind the camera. Frames are captured and decoded on the
	// stream's own goroutine; the returned image is the caller's to keep.
	// Next is meant for one consumer goroutine at a time.
	Next(ctx context.Context) (image.Image, error)
	// Close releases the device and stops every goroutine and process the
	// stream started. It is safe to call more than once; Next then returns
	// ErrClosed.
	Close() error
}

// DefaultFPS is the preview rate: smooth enough to frame a shot, light
// enough for two cores that are also uploading.
const DefaultFPS = 15

// DefaultSettle is how long Snapshot lets a webcam's auto-exposure and white
// balance converge before keeping a frame; the first frames of most UVC
// cameras are dark or tinted.
const DefaultSettle = 1500 * time.Millisecond

// Snapshot opens the device, discards frames for settle so exposure can
// converge, keeps the last frame and closes the device. It always returns a
// frame that arrived at or after settle elapsed (or the first frame when
// settle is zero).
func Snapshot(ctx context.Context, cam Camera, deviceID string, settle time.Duration) (image.Image, error) {
	stream, err := cam.Open(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	// The frame is already a copy in memory by the time Close runs, so a
	// failure to release the device cannot spoil the picture; the stream's
	// own goroutines are gone either way.
	defer stream.Close()

	deadline := time.Now().Add(settle)
	for {
		frame, err := stream.Next(ctx)
		if err != nil {
			return nil, err
		}
		if !time.Now().Before(deadline) {
			return frame, nil
		}
	}
}

// EncodeJPEG encodes a frame for upload. quality is 1–100 (90 keeps product
// detail at a modest size).
func EncodeJPEG(img image.Image, quality int) ([]byte, error) {
	if img == nil {
		return nil, errors.New("cannot encode a camera frame: no image")
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("cannot encode a camera frame: the image is empty (%dx%d)", b.Dx(), b.Dy())
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("JPEG quality %d is out of range: use 1 to 100", quality)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("cannot encode a camera frame as JPEG: %w", err)
	}
	return buf.Bytes(), nil
}

// FileName names a photo taken at t: camera-YYYYMMDD-HHMMSS.jpg, in t's own
// time zone, so names sort by time.
func FileName(t time.Time) string {
	return "camera-" + t.Format("20060102-150405") + ".jpg"
}
