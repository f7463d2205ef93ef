package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/camera"
)

// cameraTestEnv runs camera glue in-process with captured output.
func cameraTestEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}, &out, &errOut
}

// fixedCameras is a camera source with a fixed list and fixed notes.
type fixedCameras struct {
	*camera.Synthetic
	devices []camera.Device
	notes   []string
}

func (f fixedCameras) Devices(context.Context) ([]camera.Device, error) { return f.devices, nil }
func (f fixedCameras) Notes() []string                                  { return f.notes }

func useCameras(t *testing.T, src cameraSource, settle time.Duration) {
	t.Helper()
	oldSrc, oldSettle := newCameraSource, cameraSettle
	newCameraSource = func() cameraSource { return src }
	cameraSettle = settle
	t.Cleanup(func() { newCameraSource, cameraSettle = oldSrc, oldSettle })
}

var twoCameras = fixedCameras{
	Synthetic: camera.NewSynthetic(),
	devices: []camera.Device{
		{ID: "/dev/video0", Name: "Integrated Camera", Driver: "ffmpeg"},
		{ID: "synthetic", Name: "Synthetic test camera", Driver: "synthetic"},
	},
	notes: []string{"native camera support not compiled in (built without cgo); using ffmpeg"},
}

func TestListCamerasPrintsATableAndNotesOnStderr(t *testing.T) {
	useCameras(t, twoCameras, 0)
	e, out, errOut := cameraTestEnv()
	if err := listCameras(context.Background(), e, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want a header and two cameras:\n%s", len(lines), out)
	}
	for i, want := range [][]string{{"ID", "NAME", "DRIVER"}, {"/dev/video0", "Integrated Camera", "ffmpeg"}, {"synthetic", "Synthetic test camera", "synthetic"}} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	// Columns line up: every NAME starts at the same offset.
	if a, b := strings.Index(lines[0], "NAME"), strings.Index(lines[1], "Integrated"); a != b {
		t.Errorf("NAME column at %d, first camera's name at %d:\n%s", a, b, out)
	}
	if want := "note: native camera support not compiled in (built without cgo); using ffmpeg\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

func TestListCamerasAsJSONLines(t *testing.T) {
	useCameras(t, twoCameras, 0)
	e, out, _ := cameraTestEnv()
	if err := listCameras(context.Background(), e, true); err != nil {
		t.Fatal(err)
	}
	var got []cameraDevice
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		var d cameraDevice
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		got = append(got, d)
	}
	want := []cameraDevice{{"/dev/video0", "Integrated Camera", "ffmpeg"}, {"synthetic", "Synthetic test camera", "synthetic"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestListCamerasOnThisMachineEndsWithTheSyntheticCamera(t *testing.T) {
	e, out, _ := cameraTestEnv()
	if err := listCameras(context.Background(), e, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "synthetic ") || !strings.Contains(last, "Synthetic test camera") {
		t.Fatalf("last line %q, want the synthetic camera", last)
	}
}

var photoName = regexp.MustCompile(`^camera-\d{8}-\d{6}(-\d+)?\.jpg$`)

func TestCaptureCameraPhotoWritesAPrivateJPEGIntoTheSpool(t *testing.T) {
	useCameras(t, camera.NewAuto(), 200*time.Millisecond)
	spool := filepath.Join(t.TempDir(), "spool", "camera")
	first, err := captureCameraPhoto(context.Background(), "synthetic", spool)
	if err != nil {
		t.Fatal(err)
	}
	second, err := captureCameraPhoto(context.Background(), "synthetic", spool)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("two photos went to the same file %s", first)
	}
	for _, p := range []string{first, second} {
		if filepath.Dir(p) != spool || !photoName.MatchString(filepath.Base(p)) {
			t.Fatalf("photo at %s, want %s/camera-YYYYMMDD-HHMMSS.jpg", p, spool)
		}
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v; photos are private", p, perm)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s is not a JPEG: %v", p, err)
		}
		if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
			t.Fatalf("%s is %v, want the 640x480 test card", p, img.Bounds().Size())
		}
	}
}

func TestCaptureCameraPhotoFromTheFFmpegTestSource(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	useCameras(t, camera.NewAuto(), 200*time.Millisecond)
	p, err := captureCameraPhoto(context.Background(), camera.TestSourceID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(p); err != nil || info.Size() < 10_000 {
		t.Fatalf("photo %s: %v, %v; want a real 640x480 JPEG", p, info, err)
	}
}

func TestCaptureCameraPhotoErrorsMapToExitCodes(t *testing.T) {
	tests := []struct {
		name      string
		src       cameraSource
		device    string
		wantKind  error
		wantUsage bool
		words     string
	}{
		{"no such device is a setup problem", camera.NewAutoWith(nil, nil, nil), "/dev/video9", camera.ErrNoCamera, true, "--device synthetic"},
		{"no camera at all", camera.NewAutoWith(nil, nil, nil), "", camera.ErrNoCamera, true, "no camera found"},
		{"permission is a setup problem", camera.NewAutoWith(nil, nil, &camera.Synthetic{OpenErr: &camera.Error{Kind: camera.ErrPermissionDenied, Device: "synthetic"}}), "synthetic", camera.ErrPermissionDenied, true, "camera access denied"},
		{"busy is a failed item", camera.NewAutoWith(nil, nil, &camera.Synthetic{OpenErr: &camera.Error{Kind: camera.ErrBusy, Device: "synthetic"}}), "synthetic", camera.ErrBusy, false, "in use by another application"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useCameras(t, tt.src, 0)
			spool := t.TempDir()
			_, err := captureCameraPhoto(context.Background(), tt.device, spool)
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("got %v, want %v", err, tt.wantKind)
			}
			var ue *usageError
			if errors.As(err, &ue) != tt.wantUsage {
				t.Fatalf("usage error = %v, want %v (%v)", !tt.wantUsage, tt.wantUsage, err)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("message %q lacks %q", err, tt.words)
			}
			if entries, _ := os.ReadDir(spool); len(entries) != 0 {
				t.Fatalf("a failed capture left %d files in the spool", len(entries))
			}
		})
	}
}

func TestCaptureCameraPhotoSaysWhenTheSpoolCannotBeWritten(t *testing.T) {
	useCameras(t, camera.NewAuto(), 0)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := captureCameraPhoto(context.Background(), "synthetic", filepath.Join(blocker, "spool"))
	if err == nil || !strings.Contains(err.Error(), "cannot keep the camera photo") {
		t.Fatalf("got %v, want a message about keeping the photo", err)
	}
}

func TestWriteNewFileNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		p, err := writeNewFile(dir, "camera-20260102-030405.jpg", []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	want := []string{"camera-20260102-030405.jpg", "camera-20260102-030405-2.jpg", "camera-20260102-030405-3.jpg"}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("names %q, want %q", paths, want)
		}
		b, _ := os.ReadFile(filepath.Join(dir, want[i]))
		if len(b) != 1 || b[0] != byte(i) {
			t.Fatalf("%s holds %v, want [%d]", want[i], b, i)
		}
	}
}
