package transform

import (
	"errors"
	"fmt"
)

// Error is bad input in a transformation or a requested format: the sandbox
// answers 400 with the header x-cld-error set to Message. Messages follow
// Cloudinary's "Invalid width - abc" style, with a hint where one helps.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// ErrNoFFmpeg means PosterFrame cannot run because ffmpeg is not on PATH.
var ErrNoFFmpeg = errors.New("ffmpeg is not installed, so video poster frames cannot be made: install ffmpeg (apt install ffmpeg) and put it on PATH")

// ErrNoFrame means ffmpeg ran but the file gave no decodable video frame.
var ErrNoFrame = errors.New("the file has no decodable video frame")

// Limits on what a transformation may ask for. They bound memory and CPU per
// request: an output side above MaxSide or an area above MaxPixels (25
// megapixels, Cloudinary's free-plan cap on an image, so one buffer is at
// most 100 MB) is refused before any pixel buffer is allocated.
const (
	MaxSide       = 10000
	MaxPixels     = 25_000_000
	MaxComponents = 20
)

// limits are the ones checkSize enforces: MaxSide and MaxPixels, lowered
// only by the fuzz test so that it explores chains instead of allocating.
var limits = struct{ side, pixels int }{MaxSide, MaxPixels}

// checkSize refuses dimensions that would exceed the limits. It runs before
// every allocation whose size a URL controls.
func checkSize(w, h int) error {
	if w < 1 || h < 1 {
		return errorf("Invalid dimensions - %dx%d (the result would be empty; ask for a larger w or h)", w, h)
	}
	if w > limits.side || h > limits.side || int64(w)*int64(h) > int64(limits.pixels) {
		return errorf("Maximum image dimensions exceeded - %dx%d (the limit is %d px per side and %d megapixels; ask for a smaller w, h or dpr)", w, h, MaxSide, MaxPixels/1_000_000)
	}
	return nil
}
