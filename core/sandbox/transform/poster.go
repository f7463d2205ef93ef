package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cloudup/cloudup/core/childenv"
	"github.com/cloudup/cloudup/core/imageguard"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// maxFrameBytes bounds what is read from ffmpeg for one PNG frame (an 8K
// frame is about 100 MB at worst).
const maxFrameBytes = 256 << 20

// PosterFrame extracts one frame of a video with ffmpeg, from the middle of
// the video as Cloudinary's default video thumbnail does (or the first frame
// when the duration is unknown). It returns ErrNoFFmpeg when ffmpeg is not
// on PATH, so the caller can show a Placeholder instead, and an error
// wrapping ErrNoFrame when the file has no decodable video.
func PosterFrame(ctx context.Context, videoPath string) (image.Image, error) {
	return PosterFrameAt(ctx, videoPath, -1)
}

// PosterFrameAt is PosterFrame at second at (a trimmed video's first
// frame); a negative at means the middle.
func PosterFrameAt(ctx context.Context, videoPath string, at float64) (image.Image, error) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extracting a video frame: %w", err)
	}
	abs, err := filepath.Abs(videoPath)
	if err != nil {
		return nil, fmt.Errorf("locating video %s: %w", videoPath, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("reading video: %w", err)
	}
	if at < 0 {
		at = 0
		if d, ok := videoDuration(ctx, abs); ok {
			at = d / 2
		}
	}
	img, err := grabFrame(ctx, ffmpeg, abs, at)
	if errors.Is(err, ErrNoFrame) && at > 0 && ctx.Err() == nil {
		// The container's duration can overstate the video stream's (an
		// audio track running longer); the first frame always exists.
		img, err = grabFrame(ctx, ffmpeg, abs, 0)
	}
	return img, err
}

// ffmpegInput names a local file so ffmpeg cannot read it as a protocol
// URL or an option: ffmpeg treats "http:…" or "concat:…" names as
// protocols unless they carry the file: prefix.
func ffmpegInput(abs string) string { return "file:" + abs }

func videoDuration(ctx context.Context, abs string) (float64, bool) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", ffmpegInput(abs))
	cmd.Env = childenv.For(childenv.Tool)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return 0, false
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || math.IsNaN(d) || math.IsInf(d, 0) || d <= 0 {
		return 0, false
	}
	return d, true
}

func grabFrame(ctx context.Context, ffmpeg, abs string, at float64) (image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// -ss before -i seeks on the container's index instead of decoding
	// every frame up to the timestamp.
	// The frame is scaled to fit MaxSide (an 8K frame becomes 10000 wide
	// at most) so a video declaring a huge picture cannot make a huge PNG.
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-ss", strconv.FormatFloat(at, 'f', 3, 64), "-i", ffmpegInput(abs),
		"-map", "0:v:0", "-frames:v", "1", "-vf", posterScale, "-f", "image2pipe", "-c:v", "png", "pipe:1")
	cmd.Env = childenv.For(childenv.Tool)
	cmd.WaitDelay = time.Second
	var stdout limitedBuffer
	stdout.limit = maxFrameBytes
	var stderr limitedBuffer
	stderr.limit = 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("extracting a frame of %s: %w", filepath.Base(abs), ctx.Err())
	}
	if stdout.Len() == 0 {
		detail := lastLine(stderr.String())
		if detail == "" && runErr != nil {
			detail = runErr.Error()
		}
		return nil, fmt.Errorf("extracting a frame of %s: %w (ffmpeg: %s)", filepath.Base(abs), ErrNoFrame, detail)
	}
	img, _, err := imageguard.DecodeWith(ctx, bytes.NewReader(stdout.Bytes()), imageguard.Limits{MaxPixels: MaxPixels, MaxBytes: maxFrameBytes}, png.Decode)
	if err != nil {
		return nil, fmt.Errorf("extracting a frame of %s: ffmpeg's PNG did not decode: %w", filepath.Base(abs), err)
	}
	return img, nil
}

// posterScale shrinks a frame to at most MaxPixels (keeping its shape);
// smaller frames pass unchanged.
var posterScale = fmt.Sprintf("scale=w='if(gt(iw*ih,%[1]d),trunc(iw*sqrt(%[1]d/(iw*ih))/2)*2,iw)':h=-2", MaxPixels)

// limitedBuffer keeps at most limit bytes and then fails the write, which
// stops ffmpeg rather than letting a runaway child fill memory.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

var errOutputTooLarge = errors.New("output too large")

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, errOutputTooLarge
	}
	return b.Buffer.Write(p)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Placeholder draws a "no preview" card of w×h pixels: a dark card with a
// play symbol and the label underneath, e.g. for a video when ffmpeg is
// missing. Sizes outside 16..4096 are clamped (0 or less means 320×180),
// since a placeholder should never be the thing that fails.
func Placeholder(w, h int, label string) image.Image {
	if w <= 0 || h <= 0 {
		w, h = 320, 180
	}
	w, h = clampInt(w, 16, 4096), clampInt(h, 16, 4096)
	img := filled(w, h, color.NRGBA{0x2b, 0x2f, 0x36, 0xff})
	fw, fh := float64(w), float64(h)

	// A light play symbol: a ring with a triangle, a little above centre so
	// the label fits below.
	size := math.Min(fw, fh)
	cx, cy := fw/2, fh*0.42
	outer, inner := size*0.18, size*0.15
	tri := size * 0.08
	fg := color.NRGBA{0xe6, 0xe8, 0xeb, 0xff}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px, py := float64(x)+0.5-cx, float64(y)+0.5-cy
			d := math.Hypot(px, py)
			cov := math.Min(math.Max(outer-d+0.5, 0), 1) - math.Min(math.Max(inner-d+0.5, 0), 1)
			// Triangle pointing right, centred on the ring.
			if px > -tri*0.6 && px < tri*1.1 {
				half := tri * (1.1 - px/tri) / 1.7
				cov += math.Min(math.Max(half-math.Abs(py)+0.5, 0), 1)
			}
			if cov > 0 {
				blendPixel(img, x, y, fg, math.Min(cov, 1))
			}
		}
	}

	if label = strings.TrimSpace(label); label != "" {
		drawLabel(img, label, fg, cy+outer)
	}
	return img
}

func blendPixel(img *image.NRGBA, x, y int, c color.NRGBA, a float64) {
	p := img.Pix[y*img.Stride+x*4:]
	p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a + 0.5)
	p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a + 0.5)
	p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a + 0.5)
}

// labelFont is Go Regular, parsed once: it is embedded, so it cannot be
// missing the way system fonts can on a headless server.
var labelFont = sync.OnceValues(func() (*opentype.Font, error) { return opentype.Parse(goregular.TTF) })

// drawLabel writes label centred below top, shrinking it with an ellipsis
// until it fits the card's width.
func drawLabel(img *image.NRGBA, label string, c color.NRGBA, top float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	fontSize := math.Min(math.Max(float64(h)/12, 8), 48)
	f, err := labelFont()
	if err != nil {
		return // the embedded font always parses; without it the card stays unlabelled
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: fontSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return
	}
	defer face.Close()
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face}
	maxWidth := fixed.I(w * 9 / 10)
	text := label
	for d.MeasureString(text) > maxWidth && utf8.RuneCountInString(text) > 1 {
		runes := []rune(strings.TrimSuffix(text, "…"))
		text = string(runes[:len(runes)-1]) + "…"
	}
	baseline := top + (float64(h)-top)/2 + fontSize/3
	d.Dot = fixed.Point26_6{X: (fixed.I(w) - d.MeasureString(text)) / 2, Y: fixed.I(int(math.Min(baseline, float64(h)-fontSize/4)))}
	d.DrawString(text)
}
