//go:build !cgo

package camera

import (
	"context"
	"time"
)

// Native would open cameras through the OS's own API (pion/mediadevices).
// Its drivers need cgo, and this build has none: on Linux and Windows
// mediadevices would still compile but silently find no camera, so this
// stub says so instead. The ffmpeg backend takes over.
type Native struct {
	FPS               int
	FirstFrameTimeout time.Duration
}

// NewNative returns ErrNativeUnavailable in builds without cgo.
func NewNative() (*Native, error) { return nil, ErrNativeUnavailable }

// Devices reports ErrNativeUnavailable.
func (*Native) Devices(context.Context) ([]Device, error) { return nil, ErrNativeUnavailable }

// Open reports ErrNativeUnavailable.
func (*Native) Open(context.Context, string) (Stream, error) { return nil, ErrNativeUnavailable }
