package camera

import (
	"context"
	"strings"
	"sync"
)

// Auto picks a backend: the native one when this build has it and it finds
// a camera, else ffmpeg when it is installed. The synthetic camera is always
// listed last. Open routes a device ID to the backend that listed it.
type Auto struct {
	native    Camera // nil when not compiled in
	ffmpeg    Camera // nil when ffmpeg is not installed
	synthetic *Synthetic

	startupNotes []string // backends NewAuto could not set up, and why

	mu    sync.Mutex
	notes []string // startupNotes plus failures of the last Devices call
}

// NewAuto looks for the native backend and for ffmpeg on PATH.
func NewAuto() *Auto {
	a := &Auto{synthetic: NewSynthetic()}
	var startup []string
	if n, err := NewNative(); err == nil {
		a.native = n
	} else {
		startup = append(startup, err.Error())
	}
	if f, err := NewFFmpeg(); err == nil {
		a.ffmpeg = f
	} else {
		startup = append(startup, err.Error())
	}
	a.startupNotes = startup
	a.notes = startup
	return a
}

// NewAutoWith builds an Auto from given backends (any may be nil; a nil
// synthetic gets a default one). Tests and the sandbox demo use it.
func NewAutoWith(native, ffmpeg Camera, synthetic *Synthetic) *Auto {
	if synthetic == nil {
		synthetic = NewSynthetic()
	}
	return &Auto{native: native, ffmpeg: ffmpeg, synthetic: synthetic}
}

// Synthetic is the synthetic camera Auto lists, for tests to inspect.
func (a *Auto) Synthetic() *Synthetic { return a.synthetic }

// Notes says, in words for people, which backends are missing or failed at
// the last Devices call ("native camera support not compiled in (built
// without cgo); using ffmpeg").
func (a *Auto) Notes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.notes...)
}

// Devices lists the native cameras if there are any, else ffmpeg's, then
// the synthetic camera. A failing backend does not fail the listing; its
// reason lands in Notes.
func (a *Auto) Devices(ctx context.Context) ([]Device, error) {
	notes := append([]string(nil), a.startupNotes...)
	var out []Device
	if a.native != nil {
		devs, err := a.native.Devices(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			notes = append(notes, "native cameras: "+err.Error())
		}
		out = append(out, devs...)
	}
	if len(out) == 0 && a.ffmpeg != nil {
		devs, err := a.ffmpeg.Devices(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			notes = append(notes, "ffmpeg cameras: "+err.Error())
		}
		out = append(out, devs...)
	}
	synth, err := a.synthetic.Devices(ctx)
	if err != nil {
		return nil, err
	}
	out = append(out, synth...)
	a.mu.Lock()
	a.notes = notes
	a.mu.Unlock()
	return out, nil
}

// Open opens a device by ID. An empty ID means the first real camera
// Devices finds; with none, the error is ErrNoCamera (the synthetic camera
// is only ever opened by name).
func (a *Auto) Open(ctx context.Context, deviceID string) (Stream, error) {
	if deviceID == "" {
		devs, err := a.Devices(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range devs {
			if d.ID != SyntheticID {
				deviceID = d.ID
				break
			}
		}
		if deviceID == "" {
			return nil, &Error{Kind: ErrNoCamera, Detail: strings.Join(a.Notes(), "; ")}
		}
	}
	switch {
	case deviceID == SyntheticID:
		return a.synthetic.Open(ctx, deviceID)
	case strings.HasPrefix(deviceID, NativePrefix):
		if a.native == nil {
			return nil, noCamera(deviceID, ErrNativeUnavailable.Error())
		}
		return a.native.Open(ctx, deviceID)
	case a.ffmpeg != nil:
		return a.ffmpeg.Open(ctx, deviceID)
	}
	return nil, &Error{Kind: ErrNoCamera, Device: deviceID, Detail: "this device needs ffmpeg", Err: ErrFFmpegNotFound}
}
