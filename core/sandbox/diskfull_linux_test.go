package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

func TestFullDiskIsSaidPlainlyAndLosesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	os.Mkdir(dir, 0o700)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("cannot mount a small tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	s := startSandbox(t, Config{Dir: dir})
	cld := sdk(t, s)
	small, err := cld.Upload.Upload(context.Background(), writeFile(t, "small.jpg", jpegBytes(t, 32, 32)), uploader.UploadParams{PublicID: "kept"})
	if err != nil || small.Error.Message != "" {
		t.Fatal(err, small.Error.Message)
	}
	res, err := cld.Upload.Upload(context.Background(), writeFile(t, "big.jpg", noisyJPEG(t, 1400, 1400)), uploader.UploadParams{PublicID: "big"})
	if err != nil {
		t.Fatal(err)
	}
	msg := res.Error.Message
	if !strings.Contains(msg, "disk is full") || !strings.Contains(msg, "free some space") || !strings.Contains(msg, dir) {
		t.Errorf("a full disk answered %q", msg)
	}
	if code, _, _ := get(t, small.SecureURL); code != 200 {
		t.Errorf("the asset stored before is gone: %d", code)
	}
	if tmpFiles(t, s) != 0 {
		t.Error("the failed upload left its spool file")
	}
}
