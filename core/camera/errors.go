package camera

import (
	"errors"
	"runtime"
	"strings"
)

// Sentinels every backend's failures are classified into; test them with
// errors.Is. The messages say what to do, so callers can show them as is.
var (
	// ErrNoCamera: there is no such camera (or none at all), or the device
	// node is not a video capture device.
	ErrNoCamera = errors.New("no camera found: connect one, or use --device synthetic")
	// ErrBusy: another application holds the camera.
	ErrBusy = errors.New("camera is in use by another application: close it (or its camera tab) and try again")
	// ErrPermissionDenied: the operating system refused access; the message
	// says where to grant it on this OS.
	ErrPermissionDenied = errors.New("camera access denied: " + permissionHint(runtime.GOOS))
	// ErrClosed: Next was called on a stream after Close.
	ErrClosed = errors.New("camera stream is closed")
	// ErrNativeUnavailable: this build has no native camera backend.
	ErrNativeUnavailable = errors.New("native camera support not compiled in (built without cgo); using ffmpeg")
	// ErrFFmpegNotFound: the ffmpeg backend needs an ffmpeg executable.
	ErrFFmpegNotFound = errors.New("ffmpeg not found on PATH: install ffmpeg to use cameras through it")
)

// permissionHint says where a person grants camera access on goos.
func permissionHint(goos string) string {
	switch goos {
	case "darwin":
		return "allow Cloudup (or the terminal you run it from) in System Settings → Privacy & Security → Camera, then start it again"
	case "windows":
		return "turn on camera access, and “Let desktop apps access your camera”, in Settings → Privacy & security → Camera"
	default:
		return "add yourself to the video group (sudo usermod -aG video $USER, then log out and back in) or check the permissions of /dev/video*"
	}
}

// Error is a classified camera failure: which device, which kind (one of the
// sentinels above), and what the driver itself said.
type Error struct {
	Kind   error  // ErrNoCamera, ErrBusy, ErrPermissionDenied or ErrNoPicture
	Device string // the device ID as given to Open
	Detail string // the driver's own words, e.g. ffmpeg's stderr line; may be empty
	Err    error  // the underlying error, when there is one
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("camera")
	if e.Device != "" {
		b.WriteString(" ")
		b.WriteString(quoteDevice(e.Device))
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// quoteDevice quotes device IDs that contain spaces ("dshow:Integrated
// Camera") so the message stays readable; paths stay bare.
func quoteDevice(id string) string {
	if strings.ContainsAny(id, " \t\"") {
		return `"` + strings.ReplaceAll(id, `"`, `\"`) + `"`
	}
	return id
}

// noCamera is the error for an ID no backend recognises or a device that is
// not there.
func noCamera(device, detail string) error {
	return &Error{Kind: ErrNoCamera, Device: device, Detail: detail}
}
