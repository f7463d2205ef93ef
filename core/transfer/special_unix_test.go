//go:build unix

package transfer

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFOAndDeviceFailAloneInOneLine: a named pipe nobody writes to and a
// device each fail in one line at once, the photo next to them uploads,
// and closing the engine does not wait on them.
func TestFIFOAndDeviceFailAloneInOneLine(t *testing.T) {
	r := newRig(t, rigOptions{})
	fifo := filepath.Join(r.dir, "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	photo := filepath.Join(r.dir, "photo.jpg")
	writeJPEG(t, photo)
	e := r.engine(nil)
	e.Add(Item{Path: fifo}, Item{Path: "/dev/zero"}, Item{Path: photo})
	snap := finish(t, e, time.Minute)
	want := map[string]string{
		fifo:        fifo + " is not a regular file (a named pipe); name a photo or video file",
		"/dev/zero": "/dev/zero is not a regular file (a character device); name a photo or video file",
	}
	for _, it := range snap.Items {
		if it.Path == photo {
			if it.State != Done {
				t.Errorf("the photo: %s", it.Words)
			}
			continue
		}
		if it.State != Failed || it.Err == nil || it.Err.Error() != want[it.Path] || strings.Contains(it.Words, "\n") {
			t.Errorf("%s: %s %q, want %q", it.Path, it.State, it.Err, want[it.Path])
		}
	}
	start := time.Now()
	e.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("closing took %s", d)
	}
}
