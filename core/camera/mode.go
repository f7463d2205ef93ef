package camera

import "math"

// NativePrefix starts the device IDs of the native backend.
const NativePrefix = "native:"

// videoMode is one size/rate/pixel format a camera offers.
type videoMode struct {
	Width, Height int
	FPS           float32 // 0 when the driver does not say
	Format        string  // mediadevices' frame format name ("MJPEG", "YUYV", …)
}

// Targets for the mode a stream asks for: 720p is sharp enough for product
// and ID shots and cheap enough to preview at DefaultFPS.
const (
	targetPixels = 1280 * 720
	minGoodFPS   = DefaultFPS
)

// chooseMode picks the mode closest to 1280×720 among those whose format
// can be decoded, preferring modes that reach the preview rate. Among equal
// sizes it takes the higher rate, then MJPEG, which needs a quarter of the
// USB bandwidth of raw YUV at the same rate.
func chooseMode(modes []videoMode, decodable func(format string) bool) (videoMode, bool) {
	best, found := videoMode{}, false
	for _, m := range modes {
		if m.Width <= 0 || m.Height <= 0 || !decodable(m.Format) {
			continue
		}
		if !found || betterMode(m, best) {
			best, found = m, true
		}
	}
	return best, found
}

func betterMode(a, b videoMode) bool {
	aFast, bFast := a.FPS == 0 || a.FPS >= minGoodFPS, b.FPS == 0 || b.FPS >= minGoodFPS
	if aFast != bFast {
		return aFast
	}
	da := math.Abs(float64(a.Width*a.Height - targetPixels))
	db := math.Abs(float64(b.Width*b.Height - targetPixels))
	if da != db {
		return da < db
	}
	if a.FPS != b.FPS {
		return a.FPS > b.FPS
	}
	return a.Format == "MJPEG" && b.Format != "MJPEG"
}
