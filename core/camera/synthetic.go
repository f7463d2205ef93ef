package camera

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// SyntheticID is the device ID of the synthetic camera.
const SyntheticID = "synthetic"

// SyntheticName is how the synthetic camera is listed.
const SyntheticName = "Synthetic test camera"

// Synthetic is a camera made of pure Go: a test card with colour bars, a
// moving block and the time, so consecutive frames differ. Tests, the
// sandbox demo and `--device synthetic` use it; UI tests can set OpenErr to
// rehearse a failing camera and read OpenStreams to check a view released
// it. The zero value is ready to use (640×480 at DefaultFPS).
type Synthetic struct {
	Width, Height int   // frame size; 640×480 when zero
	FPS           int   // frame rate; DefaultFPS when zero
	OpenErr       error // when set, Open fails with it

	mu   sync.Mutex
	open int
}

// NewSynthetic returns a 640×480 synthetic camera at DefaultFPS.
func NewSynthetic() *Synthetic { return &Synthetic{} }

// Devices lists the one synthetic device.
func (s *Synthetic) Devices(ctx context.Context) ([]Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []Device{{ID: SyntheticID, Name: SyntheticName, Driver: "synthetic"}}, nil
}

// Open starts a stream of test cards.
func (s *Synthetic) Open(ctx context.Context, deviceID string) (Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if deviceID != SyntheticID {
		return nil, noCamera(deviceID, "the synthetic camera's ID is "+SyntheticID)
	}
	if s.OpenErr != nil {
		return nil, s.OpenErr
	}
	w, h := s.Width, s.Height
	if w <= 0 || h <= 0 {
		w, h = 640, 480
	}
	s.mu.Lock()
	s.open++
	s.mu.Unlock()
	return &syntheticStream{cam: s, w: w, h: h, start: time.Now(), pace: newCadence(s.FPS)}, nil
}

// OpenStreams is how many streams are open and not yet closed.
func (s *Synthetic) OpenStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

type syntheticStream struct {
	cam    *Synthetic
	w, h   int
	start  time.Time
	closed atomic.Bool

	mu    sync.Mutex // one Next at a time; guards pace and frame
	pace  cadence
	frame int
}

func (st *syntheticStream) Next(ctx context.Context) (image.Image, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed.Load() {
		return nil, ErrClosed
	}
	if err := st.pace.wait(ctx); err != nil {
		return nil, err
	}
	if st.closed.Load() {
		return nil, ErrClosed
	}
	now := time.Now()
	st.pace.delivered(now)
	st.frame++
	return renderTestCard(st.w, st.h, now.Sub(st.start), now, st.frame), nil
}

// Close never waits for a Next in progress; that Next returns ErrClosed.
func (st *syntheticStream) Close() error {
	if !st.closed.CompareAndSwap(false, true) {
		return nil
	}
	st.cam.mu.Lock()
	st.cam.open--
	st.cam.mu.Unlock()
	return nil
}

// SMPTE-style bars: white, yellow, cyan, green, magenta, red, blue at 75%.
var testCardBars = []color.RGBA{
	{191, 191, 191, 255}, {191, 191, 0, 255}, {0, 191, 191, 255}, {0, 191, 0, 255},
	{191, 0, 191, 255}, {191, 0, 0, 255}, {0, 0, 191, 255},
}

// renderTestCard draws one frame: bars on the top two thirds, a block that
// sweeps left and right once every four seconds, and a caption with the
// wall-clock time (to the millisecond) and the frame number.
func renderTestCard(w, h int, elapsed time.Duration, now time.Time, frame int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	barsH := h * 2 / 3
	for i, c := range testCardBars {
		x0 := i * w / len(testCardBars)
		x1 := (i + 1) * w / len(testCardBars)
		draw.Draw(img, image.Rect(x0, 0, x1, barsH), image.NewUniform(c), image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(0, barsH, w, h), image.NewUniform(color.RGBA{24, 24, 32, 255}), image.Point{}, draw.Src)

	// The block's position is a continuous function of time, so any two
	// frames taken at different moments differ in pixels, not only in text.
	size := max(h/8, 4)
	phase := math.Mod(elapsed.Seconds()/4, 1)
	travel := float64(w - size)
	x := int(travel * (1 - math.Abs(2*phase-1)))
	y := barsH/2 - size/2
	draw.Draw(img, image.Rect(x, y, x+size, y+size), image.NewUniform(color.RGBA{250, 250, 250, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(x+size/4, y+size/4, x+size-size/4, y+size-size/4), image.NewUniform(color.RGBA{10, 10, 10, 255}), image.Point{}, draw.Src)

	lines := []string{
		"CLOUDUP SYNTHETIC CAMERA",
		now.Format("2006-01-02 15:04:05.000"),
		fmt.Sprintf("frame %06d", frame),
	}
	scale := max(1, min(w/(24*7+16), (h-barsH)/(3*14+8)))
	drawScaledText(img, lines, image.Pt(8, barsH+4), scale, color.RGBA{240, 240, 240, 255})
	return img
}

// drawScaledText renders lines in the 7×13 basic font, enlarged by scale
// with nearest-neighbour pixels so the caption stays legible at any size
// without a font file.
func drawScaledText(dst *image.RGBA, lines []string, at image.Point, scale int, c color.RGBA) {
	face := basicfont.Face7x13
	lineH := face.Metrics().Height.Ceil() + 1
	maxW := 0
	for _, l := range lines {
		maxW = max(maxW, font.MeasureString(face, l).Ceil())
	}
	if maxW == 0 {
		return
	}
	small := image.NewAlpha(image.Rect(0, 0, maxW, lineH*len(lines)))
	d := font.Drawer{Dst: small, Src: image.Opaque, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(0, i*lineH+face.Metrics().Ascent.Ceil())
		d.DrawString(l)
	}
	b := dst.Bounds()
	for sy := 0; sy < small.Rect.Dy(); sy++ {
		for sx := 0; sx < small.Rect.Dx(); sx++ {
			if small.AlphaAt(sx, sy).A < 128 {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					p := image.Pt(at.X+sx*scale+dx, at.Y+sy*scale+dy)
					if p.In(b) {
						dst.SetRGBA(p.X, p.Y, c)
					}
				}
			}
		}
	}
}
