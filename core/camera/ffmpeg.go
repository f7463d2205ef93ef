package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/childenv"
	"github.com/cloudup/cloudup/core/imageguard"
)

// Device ID prefixes of the ffmpeg backend. On Linux and the BSDs a device
// is its node path (/dev/video0).
const (
	avfoundationPrefix = "avfoundation:"
	dshowPrefix        = "dshow:"
	lavfiPrefix        = "lavfi:"
)

// TestSourceID is an ffmpeg device that needs no camera: lavfi's moving
// test pattern at 640×480. Tests and demos open it; it is never listed.
const TestSourceID = lavfiPrefix + "testsrc2"

// lavfiSources are the lavfi sources Open accepts. A free-form filter graph
// is refused: lavfi's movie= and amovie= filters read arbitrary files, and a
// device ID may come from a config file.
var lavfiSources = map[string]bool{
	"testsrc": true, "testsrc2": true, "smptebars": true, "smptehdbars": true, "rgbtestsrc": true,
}

// ErrNoPicture: the device opened but sent nothing before the deadline.
var ErrNoPicture = errors.New("camera gave no picture in time: if the system asked for camera access, allow it and try again; otherwise pick another device")

// FFmpeg runs cameras through an ffmpeg child process: v4l2 on Linux,
// avfoundation on macOS, dshow on Windows. The preview is ffmpeg writing
// MJPEG to a pipe at the stream's rate, cut into frames and decoded here.
// It is the fallback when the build has no native backend or the native
// backend finds nothing, and it reaches lavfi's test sources for tests.
type FFmpeg struct {
	// Path is the ffmpeg executable.
	Path string
	// FPS is the preview rate; DefaultFPS when zero.
	FPS int
	// FirstFrameTimeout bounds how long Open waits for the first frame;
	// 20 s when zero, long enough to answer macOS's permission prompt.
	FirstFrameTimeout time.Duration

	goos string // the target OS's device conventions; runtime.GOOS when empty (tests override)
}

// NewFFmpeg finds ffmpeg on PATH.
func NewFFmpeg() (*FFmpeg, error) {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrFFmpegNotFound, err)
	}
	return &FFmpeg{Path: p}, nil
}

func (f *FFmpeg) os() string {
	if f.goos != "" {
		return f.goos
	}
	return runtime.GOOS
}

func (f *FFmpeg) fps() int {
	if f.FPS > 0 {
		return f.FPS
	}
	return DefaultFPS
}

// usesVideoNodes reports whether cameras are /dev/videoN nodes (V4L2).
func usesVideoNodes(goos string) bool {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return true
	}
	return false
}

// Devices lists cameras: the capture nodes under /dev on Linux and the BSDs,
// ffmpeg's own listing on macOS and Windows. Test sources are not listed.
func (f *FFmpeg) Devices(ctx context.Context) ([]Device, error) {
	goos := f.os()
	switch {
	case usesVideoNodes(goos):
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return listVideoNodes("/dev", "/sys/class/video4linux"), nil
	case goos == "darwin":
		out, err := f.runListing(ctx, "avfoundation", "-f", "avfoundation", "-list_devices", "true", "-i", "")
		if err != nil {
			return nil, err
		}
		return parseAVFoundationDevices(out), nil
	case goos == "windows":
		out, err := f.runListing(ctx, "dshow", "-list_devices", "true", "-f", "dshow", "-i", "dummy")
		if err != nil {
			return nil, err
		}
		return parseDShowDevices(out), nil
	}
	return nil, fmt.Errorf("listing cameras through ffmpeg is not supported on %s", goos)
}

// runListing runs an ffmpeg device listing and returns what it printed.
// ffmpeg prints the list on stderr and then exits non-zero ("Immediate exit
// requested", "Input/output error") by design, so the exit status is not
// an error here.
func (f *FFmpeg) runListing(ctx context.Context, format string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.Path, append([]string{"-hide_banner", "-nostdin"}, args...)...)
	cmd.Env = childenv.Build(childenv.Tool, f.os(), os.Environ())
	out := tailBuffer{max: 256 << 10}
	cmd.Stdout = &out
	cmd.Stderr = &out // the same writer: exec then copies both through one pipe
	startInOwnGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return "", fmt.Errorf("listing cameras through ffmpeg did not finish: %w", ctxErr)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return "", fmt.Errorf("cannot run ffmpeg (%s) to list cameras: %w", f.Path, err)
	}
	text := out.String()
	if strings.Contains(text, "Unknown input format") {
		return "", fmt.Errorf("this ffmpeg (%s) was built without %s support, so it cannot list cameras", f.Path, format)
	}
	return text, nil
}

// inputArgs turns a device ID into ffmpeg input options for goos.
func inputArgs(goos, id string, fps int) ([]string, error) {
	switch {
	case strings.HasPrefix(id, lavfiPrefix):
		src := strings.TrimPrefix(id, lavfiPrefix)
		if !lavfiSources[src] {
			return nil, noCamera(id, "test sources are lavfi:testsrc2, lavfi:testsrc, lavfi:smptebars, lavfi:smptehdbars, lavfi:rgbtestsrc")
		}
		// lavfi renders as fast as it can; -re paces it like a camera.
		return []string{"-re", "-f", "lavfi", "-i", fmt.Sprintf("%s=size=640x480:rate=%d", src, fps)}, nil
	case goos == "darwin" && strings.HasPrefix(id, avfoundationPrefix):
		ref := strings.TrimPrefix(id, avfoundationPrefix)
		if ref == "" {
			return nil, noCamera(id, "expected avfoundation:NAME or avfoundation:INDEX")
		}
		// ffmpeg asks for 29.97 fps by default, which most Mac cameras
		// reject ("Selected framerate (29.970030) is not supported by the
		// device"); 30 is what they offer. ":none" opens no microphone.
		return []string{"-f", "avfoundation", "-framerate", "30", "-i", ref + ":none"}, nil
	case goos == "windows" && strings.HasPrefix(id, dshowPrefix):
		ref := strings.TrimPrefix(id, dshowPrefix)
		if ref == "" {
			return nil, noCamera(id, "expected dshow:NAME")
		}
		// A larger real-time buffer avoids dshow's "real-time buffer full"
		// frame drops while the pipe is briefly not drained.
		return []string{"-f", "dshow", "-rtbufsize", "64M", "-i", "video=" + ref}, nil
	case usesVideoNodes(goos) && strings.HasPrefix(id, "/dev/"):
		if !strings.HasPrefix(path.Clean(id), "/dev/") {
			return nil, noCamera(id, "camera devices live under /dev")
		}
		return []string{"-f", "v4l2", "-i", id}, nil
	}
	return nil, noCamera(id, "not a camera ID on "+goos+": list them with --list")
}

// outputArgs make ffmpeg write JPEG frames to stdout at fps. -q:v 3 keeps
// product detail for the still taken from the same stream.
func outputArgs(fps int) []string {
	return []string{"-an", "-vf", "fps=" + strconv.Itoa(fps), "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "3", "pipe:1"}
}

// Open starts ffmpeg on the device and waits for its first frame.
func (f *FFmpeg) Open(ctx context.Context, deviceID string) (Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fps := f.fps()
	in, err := inputArgs(f.os(), deviceID, fps)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"}, in...)
	args = append(args, outputArgs(fps)...)

	cmd := exec.Command(f.Path, args...)
	cmd.Env = childenv.Build(childenv.Tool, f.os(), os.Environ())
	s := &ffmpegStream{
		device: deviceID,
		cmd:    cmd,
		paced:  pacedStream{box: newMailbox(), pace: newCadence(fps)},
	}
	s.stderr.max = 64 << 10
	cmd.Stderr = &s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("cannot start ffmpeg for camera %s: %w", quoteDevice(deviceID), err)
	}
	startInOwnGroup(cmd)
	// Should a grandchild keep stderr open after ffmpeg dies, Wait gives
	// up on it instead of hanging Close.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start ffmpeg (%s) for camera %s: %w", f.Path, quoteDevice(deviceID), err)
	}
	s.stdout = stdout
	go s.capture(stdout)

	if err := s.paced.box.awaitFirst(ctx, deviceID, f.FirstFrameTimeout); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// ffmpegStream owns one ffmpeg process and the goroutine reading it.
type ffmpegStream struct {
	device string
	cmd    *exec.Cmd
	stdout io.ReadCloser // our end of ffmpeg's stdout
	stderr tailBuffer
	paced  pacedStream
	once   sync.Once
}

func (s *ffmpegStream) Next(ctx context.Context) (image.Image, error) {
	return s.paced.next(ctx)
}

// Close kills ffmpeg's process group and waits until the process is reaped
// and the reading goroutine has returned. It also closes our end of the
// pipe: a descendant that left the group (a wrapper that calls setsid) could
// otherwise hold the pipe open and keep the reader, and Close, waiting.
func (s *ffmpegStream) Close() error {
	s.once.Do(func() {
		s.paced.closed.Store(true)
		_ = killGroup(s.cmd.Process)
		_ = s.stdout.Close()
		<-s.paced.box.done
	})
	return nil
}

// capture is the stream's one goroutine: it cuts stdout into JPEG frames,
// decodes them into the mailbox, and reaps ffmpeg when the pipe ends.
func (s *ffmpegStream) capture(stdout io.Reader) {
	split := newJPEGSplitter(stdout)
	var readErr error
	for {
		data, err := split.Next()
		if err != nil {
			readErr = err
			break
		}
		// The frame's header is checked before it is decoded, as every
		// image the app decodes is: a device (or a program posing as
		// ffmpeg) cannot make us allocate for a picture it only declares.
		img, _, err := imageguard.DecodeWith(context.Background(), bytes.NewReader(data), imageguard.Limits{MaxBytes: -1}, jpeg.Decode)
		if err != nil {
			readErr = fmt.Errorf("ffmpeg sent a frame that does not decode: %w", err)
			break
		}
		s.paced.box.put(img)
	}
	if !errors.Is(readErr, io.EOF) {
		// ffmpeg may still be running and would block writing to a pipe
		// nobody reads.
		_ = killGroup(s.cmd.Process)
	}
	waitErr := s.cmd.Wait()
	s.paced.box.finish(s.exitError(readErr, waitErr))
}

// exitError explains why the stream ended.
func (s *ffmpegStream) exitError(readErr, waitErr error) error {
	if s.paced.closed.Load() {
		return ErrClosed
	}
	kind, detail := classifyStderr(s.stderr.String())
	if kind != nil {
		return &Error{Kind: kind, Device: s.device, Detail: "ffmpeg: " + detail, Err: waitErr}
	}
	if readErr != nil && !errors.Is(readErr, io.EOF) && !errors.Is(readErr, io.ErrUnexpectedEOF) {
		return fmt.Errorf("camera %s: %w", quoteDevice(s.device), readErr)
	}
	if waitErr == nil {
		return fmt.Errorf("camera %s: the stream ended", quoteDevice(s.device))
	}
	if detail == "" {
		detail = "no message"
	}
	return fmt.Errorf("camera %s: ffmpeg stopped (%v): %s", quoteDevice(s.device), waitErr, detail)
}

// tailBuffer keeps the last max bytes written to it; ffmpeg's stderr can
// run on for hours of warnings, and only its end explains a failure.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, limit := len(p), t.max
	if limit <= 0 {
		limit = 64 << 10
	}
	if len(p) >= limit {
		t.buf = append(t.buf[:0], p[len(p)-limit:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
