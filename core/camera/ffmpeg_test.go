package camera

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// realFFmpeg is the installed ffmpeg; the tests that need it skip only when
// it is absent (`make test` installs it).
func realFFmpeg(t *testing.T) *FFmpeg {
	t.Helper()
	f, err := NewFFmpeg()
	if err != nil {
		t.Skipf("ffmpeg is not installed: %v", err)
	}
	return f
}

// fakeFFmpeg writes an executable shell script named ffmpeg into a fresh
// directory and returns the directory and the script's path. Paths the
// script needs are baked into its text: ffmpeg children get no environment
// to read them from.
func fakeFFmpeg(t *testing.T, body string) (dir, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake ffmpeg is a shell script")
	}
	dir = t.TempDir()
	path = filepath.Join(dir, "ffmpeg")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func readPID(t *testing.T, file string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(file)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", file)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFFmpegStreamsTestSourceFrameByFrame(t *testing.T) {
	f := realFFmpeg(t)
	base := runtime.NumGoroutine()
	s, err := f.Open(context.Background(), TestSourceID)
	if err != nil {
		t.Fatal(err)
	}
	pid := s.(*ffmpegStream).cmd.Process.Pid
	const n = 12
	var prev image.Image
	changes := 0
	for i := range n {
		img, err := s.Next(context.Background())
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if img.Bounds() != image.Rect(0, 0, 640, 480) {
			t.Fatalf("frame %d is %v, want 640x480", i, img.Bounds())
		}
		if prev != nil && differ(prev, img) {
			changes++
		}
		prev = img
	}
	// testsrc2 animates every frame; identical neighbours would mean the
	// stream hands out the same frame twice.
	if changes < n-2 {
		t.Fatalf("only %d of %d consecutive frames changed", changes, n-1)
	}
	if !processAlive(pid) {
		t.Fatal("ffmpeg died while streaming")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if processAlive(pid) {
		t.Fatalf("ffmpeg (pid %d) still runs after Close", pid)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	settleGoroutines(t, base)
}

func TestFFmpegSnapshotOfTestSourceEncodesAsJPEG(t *testing.T) {
	f := realFFmpeg(t)
	img, err := Snapshot(context.Background(), f, TestSourceID, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
		t.Fatalf("snapshot %v, want 640x480", img.Bounds().Size())
	}
	data, err := EncodeJPEG(img, 90)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 10_000 {
		t.Fatalf("a 640x480 test pattern encoded to only %d bytes", len(data))
	}
}

func TestFFmpegMissingDeviceIsErrNoCamera(t *testing.T) {
	if !usesVideoNodes(runtime.GOOS) {
		t.Skip("V4L2 device paths are a Linux/BSD matter")
	}
	f := realFFmpeg(t)
	base := runtime.NumGoroutine()
	for _, dev := range []string{"/dev/video9", "/dev/null"} {
		_, err := f.Open(context.Background(), dev)
		if !errors.Is(err, ErrNoCamera) {
			t.Fatalf("%s: got %v, want ErrNoCamera", dev, err)
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Device != dev || !strings.HasPrefix(ce.Detail, "ffmpeg: ") {
			t.Fatalf("%s: error %#v should name the device and quote ffmpeg", dev, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("%s: message spans lines: %q", dev, err)
		}
	}
	settleGoroutines(t, base)
}

func TestFFmpegUnknownIDFailsWithoutStartingFFmpeg(t *testing.T) {
	_, script := fakeFFmpeg(t, "echo started > \"$0.ran\"\nexit 1\n")
	f := &FFmpeg{Path: script}
	for _, id := range []string{"synthetic", "lavfi:movie=/etc/passwd", "native:video0", ""} {
		if _, err := f.Open(context.Background(), id); !errors.Is(err, ErrNoCamera) {
			t.Errorf("Open(%q): %v, want ErrNoCamera", id, err)
		}
	}
	if _, err := os.Stat(script + ".ran"); err == nil {
		t.Fatal("ffmpeg was started for an ID it cannot open")
	}
}

// The whole path a person hits: ffmpeg found on PATH, its stderr read, the
// failure classified, and the message telling them what to do.
func TestFakeFFmpegFailuresReachTheCallerClassified(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   error
		words  string
	}{
		{"permission denied", `[video4linux2,v4l2 @ 0x5581e3c8e900] Cannot open video device /dev/video0: Permission denied
/dev/video0: Permission denied`, ErrPermissionDenied, "camera access denied"},
		{"busy", `[video4linux2,v4l2 @ 0x561d3b1c3f00] ioctl(VIDIOC_REQBUFS): Device or resource busy
/dev/video0: Device or resource busy`, ErrBusy, "in use by another application"},
		{"unplugged", `[video4linux2,v4l2 @ 0x55a6e8d65900] Cannot open video device /dev/video0: No such device
/dev/video0: No such device`, ErrNoCamera, "no camera found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := fakeFFmpeg(t, "cat >&2 <<'EOF'\n"+tt.stderr+"\nEOF\nexit 1\n")
			t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			f, err := NewFFmpeg()
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != filepath.Join(dir, "ffmpeg") {
				t.Fatalf("found %s, want the fake in %s", f.Path, dir)
			}
			f.goos = "linux"
			_, err = f.Open(context.Background(), "/dev/video0")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.words) || !strings.Contains(err.Error(), "/dev/video0") {
				t.Fatalf("message %q should name the device and say %q", err, tt.words)
			}
			if tt.want == ErrPermissionDenied && !strings.Contains(err.Error(), permissionHint(runtime.GOOS)) {
				t.Fatalf("message %q does not say where to grant access", err)
			}
		})
	}
}

func TestFakeFFmpegPermissionDeniedThroughAuto(t *testing.T) {
	if !usesVideoNodes(runtime.GOOS) {
		t.Skip("V4L2 device paths are a Linux/BSD matter")
	}
	dir, _ := fakeFFmpeg(t, "echo '/dev/video0: Permission denied' >&2\nexit 1\n")
	t.Setenv("PATH", dir)
	_, err := NewAuto().Open(context.Background(), "/dev/video0")
	if !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("got %v, want ErrPermissionDenied", err)
	}
}

func TestFFmpegChildGetsAMinimalEnvironment(t *testing.T) {
	dir, script := fakeFFmpeg(t, "")
	dump := filepath.Join(dir, "env.txt")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexport -p > '"+dump+"'\necho 'Device or resource busy' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLOUDINARY_URL", "cloudinary://123:not-for-children@demo")
	t.Setenv("CLOUDUP_TEST_CANARY", "must-not-leak")
	f := &FFmpeg{Path: script, goos: "linux"}
	if _, err := f.Open(context.Background(), "/dev/video0"); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy from the script", err)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	for _, leak := range []string{"CLOUDINARY_URL", "not-for-children", "CLOUDUP_TEST_CANARY", "HOME="} {
		if strings.Contains(env, leak) {
			t.Errorf("child environment contains %q:\n%s", leak, env)
		}
	}
	if !strings.Contains(env, "LC_ALL") {
		t.Errorf("child environment lacks LC_ALL=C:\n%s", env)
	}
}

func TestFFmpegCloseKillsTheWholeProcessGroup(t *testing.T) {
	dir, script := fakeFFmpeg(t, "")
	frame := filepath.Join(dir, "frame.jpg")
	if err := os.WriteFile(frame, noisyJPEG(t, 32, 24, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\n" +
		"echo $$ > '" + dir + "/ffmpeg.pid'\n" +
		"sleep 300 &\n" +
		"echo $! > '" + dir + "/child.pid'\n" +
		"while :; do cat '" + frame + "' || exit 1; sleep 0.02; done\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	s, err := (&FFmpeg{Path: script, goos: "linux"}).Open(context.Background(), "/dev/video0")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		img, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 32 {
			t.Fatalf("frame %v, want the 32x24 fixture", img.Bounds())
		}
	}
	parent, child := readPID(t, dir+"/ffmpeg.pid"), readPID(t, dir+"/child.pid")
	if !processAlive(child) {
		t.Fatal("the script's child is not running before Close")
	}
	s.Close()
	if processAlive(parent) {
		t.Errorf("ffmpeg (pid %d) survived Close", parent)
	}
	deadline := time.Now().Add(2 * time.Second)
	for processAlive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if processAlive(child) {
		t.Errorf("ffmpeg's child (pid %d) survived Close", child)
	}
	settleGoroutines(t, base)
}

func TestFFmpegStreamThatDiesReportsWhyAfterItsLastFrames(t *testing.T) {
	dir, script := fakeFFmpeg(t, "")
	frame := filepath.Join(dir, "frame.jpg")
	if err := os.WriteFile(frame, noisyJPEG(t, 16, 16, 2), 0o600); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\ncat '" + frame + "'\nsleep 0.2\n" +
		"echo '[video4linux2,v4l2 @ 0x55e0] ioctl(VIDIOC_DQBUF): No such device' >&2\nexit 1\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := (&FFmpeg{Path: script, goos: "linux"}).Open(context.Background(), "/dev/video0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(context.Background()); err != nil {
		t.Fatalf("the frame sent before the failure is lost: %v", err)
	}
	_, err = s.Next(context.Background())
	if !errors.Is(err, ErrNoCamera) || !strings.Contains(err.Error(), "No such device") {
		t.Fatalf("got %v, want ErrNoCamera quoting ffmpeg", err)
	}
}

func TestFFmpegOpenGivesUpWhenNoPictureComes(t *testing.T) {
	dir, script := fakeFFmpeg(t, "")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho $$ > '"+dir+"/pid'\nexec sleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()

	f := &FFmpeg{Path: script, goos: "linux", FirstFrameTimeout: 300 * time.Millisecond}
	_, err := f.Open(context.Background(), "/dev/video0")
	if !errors.Is(err, ErrNoPicture) {
		t.Fatalf("got %v, want ErrNoPicture", err)
	}
	if pid := readPID(t, dir+"/pid"); processAlive(pid) {
		t.Fatalf("ffmpeg (pid %d) left running after the timeout", pid)
	}

	os.Remove(dir + "/pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	f.FirstFrameTimeout = time.Minute
	if _, err := f.Open(ctx, "/dev/video0"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
	if pid := readPID(t, dir+"/pid"); processAlive(pid) {
		t.Fatalf("ffmpeg (pid %d) left running after the context ended", pid)
	}
	settleGoroutines(t, base)
}

func TestFFmpegListsDevicesThroughFFmpegOnMacAndWindows(t *testing.T) {
	tests := []struct {
		goos     string
		listing  string
		wantArgs string
		want     []Device
	}{
		{"windows",
			`[dshow @ 000001f2a1b2c3d0] "Integrated Camera" (video)
[dshow @ 000001f2a1b2c3d0]   Alternative name "@device_pnp_cam"
[dshow @ 000001f2a1b2c3d0] "Microphone (Realtek(R) Audio)" (audio)
[dshow @ 000001f2a1b2c3d0]   Alternative name "@device_cm_mic"
[in#0 @ 000001f2a1b2c1c0] Error opening input: Immediate exit requested`,
			"-hide_banner -nostdin -list_devices true -f dshow -i dummy",
			[]Device{{ID: "dshow:Integrated Camera", Name: "Integrated Camera", Driver: "ffmpeg"}}},
		{"darwin",
			`[AVFoundation indev @ 0x7f8b1b404a80] AVFoundation video devices:
[AVFoundation indev @ 0x7f8b1b404a80] [0] FaceTime HD Camera
[AVFoundation indev @ 0x7f8b1b404a80] [1] Capture screen 0
[AVFoundation indev @ 0x7f8b1b404a80] AVFoundation audio devices:
[AVFoundation indev @ 0x7f8b1b404a80] [0] Built-in Microphone
: Input/output error`,
			"-hide_banner -nostdin -f avfoundation -list_devices true -i ",
			[]Device{{ID: "avfoundation:FaceTime HD Camera", Name: "FaceTime HD Camera", Driver: "ffmpeg"}}},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			dir, script := fakeFFmpeg(t, "")
			body := "#!/bin/sh\necho \"$*\" > '" + dir + "/args'\ncat >&2 <<'EOF'\n" + tt.listing + "\nEOF\nexit 1\n"
			if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			devs, err := (&FFmpeg{Path: script, goos: tt.goos}).Devices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(devs) != len(tt.want) || devs[0] != tt.want[0] {
				t.Fatalf("got %+v, want %+v", devs, tt.want)
			}
			args, _ := os.ReadFile(dir + "/args")
			if got := strings.TrimRight(string(args), "\n"); got != tt.wantArgs {
				t.Fatalf("ffmpeg ran with %q, want %q", got, tt.wantArgs)
			}
		})
	}
}

func TestFFmpegListingSaysWhenFFmpegLacksTheDeviceFormat(t *testing.T) {
	_, script := fakeFFmpeg(t, "echo \"Unknown input format: 'dshow'\" >&2\nexit 1\n")
	_, err := (&FFmpeg{Path: script, goos: "windows"}).Devices(context.Background())
	if err == nil || !strings.Contains(err.Error(), "without dshow support") {
		t.Fatalf("got %v, want a message about dshow support", err)
	}
}

func TestFFmpegListsNoDevicesOnThisMachineWithoutCameras(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks this Linux build machine")
	}
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		t.Skip("this machine has video nodes")
	}
	devs, err := (&FFmpeg{Path: "/nonexistent/ffmpeg"}).Devices(context.Background())
	if err != nil || len(devs) != 0 {
		t.Fatalf("got %+v, %v; want no devices and no error (listing V4L2 needs no ffmpeg)", devs, err)
	}
}
