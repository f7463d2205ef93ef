package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudup/cloudup/core/camera"
)

// The camera side of `upload --camera [--device ID] [--list]`: the upload
// command calls listCameras for --list, and captureCameraPhoto for a photo
// it then uploads like any file.

// cameraSource is the camera the CLI uses and why some backends are missing.
type cameraSource interface {
	camera.Camera
	Notes() []string
}

// newCameraSource is swapped by tests.
var newCameraSource = func() cameraSource { return camera.NewAuto() }

// cameraSettle is how long a capture lets exposure settle; tests shorten it.
var cameraSettle = camera.DefaultSettle

// cameraPhotoQuality keeps product detail at a few hundred KB for 720p.
const cameraPhotoQuality = 90

// cameraDevice is one line of `upload --camera --list --json`.
type cameraDevice struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Driver string `json:"driver"`
}

// listCameras prints the cameras --device accepts, the synthetic one last:
// a table, or one JSON object per line. Why a backend is missing ("native
// camera support not compiled in …") goes to stderr as notes.
func listCameras(ctx context.Context, e *env, jsonLines bool) error {
	cam := newCameraSource()
	devs, err := cam.Devices(ctx)
	if err != nil {
		return fmt.Errorf("cannot list cameras: %w", err)
	}
	for _, n := range cam.Notes() {
		fmt.Fprintf(e.stderr, "note: %s\n", n)
	}
	if jsonLines {
		for _, d := range devs {
			if err := printJSON(e.stdout, cameraDevice{ID: d.ID, Name: d.Name, Driver: d.Driver}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDRIVER")
	for _, d := range devs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Name, d.Driver)
	}
	return tw.Flush()
}

// captureCameraPhoto takes one photo (after letting exposure settle) from
// deviceID ("" for the first real camera, "synthetic" for the test card)
// and writes it into spoolDir as camera-YYYYMMDD-HHMMSS.jpg, never over an
// existing file. It returns the file's path. A missing camera or a refused
// permission comes back as a usage error (exit 2: the setup needs a
// change); a busy camera or a failed capture as a plain error (exit 1).
func captureCameraPhoto(ctx context.Context, deviceID, spoolDir string) (string, error) {
	img, err := camera.Snapshot(ctx, newCameraSource(), deviceID, cameraSettle)
	if err != nil {
		return "", cameraError(err)
	}
	data, err := camera.EncodeJPEG(img, cameraPhotoQuality)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return "", fmt.Errorf("cannot keep the camera photo: %w", err)
	}
	return writeNewFile(spoolDir, camera.FileName(time.Now()), data)
}

// cameraError maps a camera failure to the CLI's exit codes.
func cameraError(err error) error {
	if errors.Is(err, camera.ErrNoCamera) || errors.Is(err, camera.ErrPermissionDenied) {
		return &usageError{msg: err.Error(), err: err}
	}
	return err
}

// writeNewFile writes data to dir/name, or to name-2, name-3, … when that
// exists (two photos in one second), creating the file exclusively so a
// photo never replaces another. The file is private to the user.
func writeNewFile(dir, name string, data []byte) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; i <= 1000; i++ {
		candidate := name
		if i > 1 {
			candidate = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		path := filepath.Join(dir, candidate)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("cannot keep the camera photo: %w", err)
		}
		_, werr := f.Write(data)
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			os.Remove(path)
			return "", fmt.Errorf("cannot keep the camera photo %s: %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("cannot keep the camera photo: %s already holds 1000 photos named %s-N%s; empty it", dir, stem, ext)
}
