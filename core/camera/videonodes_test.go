package camera

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestListVideoNodesSortsNumericallyAndNamesFromSysfs(t *testing.T) {
	dev, sys := t.TempDir(), t.TempDir()
	// Regular files stand in for nodes: asking them VIDIOC_QUERYCAP fails
	// (ENOTTY), so they are listed by their sysfs name, as nodes are when
	// they cannot be opened.
	for _, n := range []string{"video10", "video2", "video0", "videoX", "vbi0"} {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(sys, "video2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys, "video2", "name"), []byte("HD Pro Webcam C920\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := listVideoNodes(dev, sys)
	want := []Device{
		{ID: filepath.Join(dev, "video0"), Name: "video0", Driver: "ffmpeg"},
		{ID: filepath.Join(dev, "video2"), Name: "HD Pro Webcam C920", Driver: "ffmpeg"},
		{ID: filepath.Join(dev, "video10"), Name: "video10", Driver: "ffmpeg"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestListVideoNodesWithNoCamerasIsEmpty(t *testing.T) {
	if got := listVideoNodes(t.TempDir(), t.TempDir()); len(got) != 0 {
		t.Fatalf("got %+v, want nothing", got)
	}
}
