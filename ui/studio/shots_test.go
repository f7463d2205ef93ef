package studio

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
)

// saveShot writes the window to CLOUDUP_SHOTS_DIR (when set) for people to
// look at; the golden images are what the tests compare.
func saveShot(t testing.TB, win fyne.Window, name string) {
	dir := os.Getenv("CLOUDUP_SHOTS_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
