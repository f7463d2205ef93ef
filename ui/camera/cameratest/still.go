// Package cameratest holds a camera for view tests: one device that repeats
// a fixed frame, so golden images do not depend on the time. Test code only.
package cameratest

import (
	"context"
	"image"
	"image/color"
	"sync"
	"time"

	corecam "github.com/cloudup/cloudup/core/camera"
)

// StillCamera is a fake camera for view tests: one device whose stream
// repeats the same frame at DefaultFPS, so golden images do not depend on
// the time (camera.Synthetic draws a clock). It counts open streams like
// camera.Synthetic does.
type StillCamera struct {
	Frame   image.Image // nil: TestCard(320, 240)
	OpenErr error

	mu   sync.Mutex
	open int
}

// StillID is StillCamera's device ID.
const StillID = "still"

// Devices lists the one device.
func (c *StillCamera) Devices(ctx context.Context) ([]corecam.Device, error) {
	return []corecam.Device{{ID: StillID, Name: "Still test camera", Driver: "synthetic"}}, ctx.Err()
}

// Open starts a stream of the frame.
func (c *StillCamera) Open(ctx context.Context, id string) (corecam.Stream, error) {
	if id != StillID {
		return nil, &corecam.Error{Kind: corecam.ErrNoCamera, Device: id}
	}
	if c.OpenErr != nil {
		return nil, c.OpenErr
	}
	frame := c.Frame
	if frame == nil {
		frame = TestCard(320, 240)
	}
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
	return &stillStream{cam: c, frame: frame, done: make(chan struct{})}, ctx.Err()
}

// OpenStreams is how many streams are open.
func (c *StillCamera) OpenStreams() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

type stillStream struct {
	cam   *StillCamera
	frame image.Image
	once  sync.Once
	done  chan struct{}
}

func (s *stillStream) Next(ctx context.Context) (image.Image, error) {
	t := time.NewTimer(time.Second / corecam.DefaultFPS)
	defer t.Stop()
	select {
	case <-s.done:
		return nil, corecam.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return s.frame, nil
	}
}

func (s *stillStream) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.cam.mu.Lock()
		s.cam.open--
		s.cam.mu.Unlock()
	})
	return nil
}

// TestCard draws colour bars over a grey gradient: a fixed picture with
// enough structure to see scaling and cropping mistakes.
func TestCard(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	bars := []color.NRGBA{{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
		{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if y < h*2/3 {
				img.SetNRGBA(x, y, bars[x*len(bars)/w])
			} else {
				g := uint8(x * 255 / w)
				img.SetNRGBA(x, y, color.NRGBA{g, g, g, 255})
			}
		}
	}
	return img
}
