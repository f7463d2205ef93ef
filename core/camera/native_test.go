//go:build cgo

package camera

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func TestNativeWithoutDevicesListsNothingAndOpenSaysNoCamera(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux machine without cameras")
	}
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		t.Skip("this machine has video nodes")
	}
	n, err := NewNative()
	if err != nil {
		t.Fatal(err)
	}
	devs, err := n.Devices(context.Background())
	if err != nil || len(devs) != 0 {
		t.Fatalf("Devices = %+v, %v; want none", devs, err)
	}
	for _, id := range []string{"native:video0;video0", "native:", "/dev/video0"} {
		if _, err := n.Open(context.Background(), id); !errors.Is(err, ErrNoCamera) {
			t.Errorf("Open(%q): %v, want ErrNoCamera", id, err)
		}
	}
	// Auto then falls back to ffmpeg's (empty) list and the synthetic camera.
	a := NewAuto()
	devs, err = a.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].ID != SyntheticID {
		t.Fatalf("Auto devices %+v, %v; want only the synthetic camera", devs, err)
	}
}

func TestClassifyNativeErrnos(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{syscall.EBUSY, ErrBusy},
		{fmt.Errorf("open: %w", syscall.EACCES), ErrPermissionDenied},
		{syscall.EPERM, ErrPermissionDenied},
		{syscall.ENOENT, ErrNoCamera},
		{syscall.ENODEV, ErrNoCamera},
		{errors.New("failed to open device: This app is not authorized to use FaceTime HD Camera"), ErrPermissionDenied},
	}
	for _, tt := range tests {
		got := classifyNative("native:x", tt.err)
		if !errors.Is(got, tt.want) || !errors.Is(got, tt.err) {
			t.Errorf("classifyNative(%v) = %v, want %v wrapping the cause", tt.err, got, tt.want)
		}
	}
	plain := errors.New("something else")
	if got := classifyNative("native:x", plain); errors.Is(got, ErrNoCamera) || errors.Is(got, ErrBusy) || !errors.Is(got, plain) {
		t.Errorf("unclassified error became %v", got)
	}
}
