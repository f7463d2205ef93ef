package camera

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// settleGoroutines waits for the goroutine count to fall back to base; a
// stream's goroutines must be gone once Close returns, but the runtime may
// take a moment to retire exited ones from the count.
func settleGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutine leak: %d running, %d before\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noisyJPEG encodes a w×h image of random pixels; random pixels make the
// encoder emit FF bytes in scan data, which get stuffed as FF 00.
func noisyJPEG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.UintN(256))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// restartMarkerJPEG builds, byte by byte, a 16×8 grey baseline JPEG whose
// two MCUs are separated by a restart marker (DRI interval 1). Go's encoder
// never writes restart markers, and cameras' MJPEG often does.
func restartMarkerJPEG() []byte {
	var b []byte
	seg := func(marker byte, body ...byte) {
		n := len(body) + 2
		b = append(b, 0xFF, marker, byte(n>>8), byte(n))
		b = append(b, body...)
	}
	b = append(b, 0xFF, 0xD8) // SOI
	dqt := []byte{0x00}       // table 0, 8-bit
	for i := 0; i < 64; i++ {
		dqt = append(dqt, 1)
	}
	seg(0xDB, dqt...)
	seg(0xC0, 8, 0, 8, 0, 16, 1, 1, 0x11, 0) // SOF0: 8-bit, 8 rows, 16 cols, 1 component, 1×1, table 0
	// One-symbol Huffman tables: DC category 0 and AC end-of-block, each
	// coded as the single bit "0".
	huff := func(class byte) []byte {
		body := []byte{class, 1}
		body = append(body, make([]byte, 15)...)
		return append(body, 0x00)
	}
	seg(0xC4, huff(0x00)...)        // DC table 0
	seg(0xC4, huff(0x10)...)        // AC table 0
	seg(0xDD, 0, 1)                 // DRI: restart every MCU
	seg(0xDA, 1, 1, 0x00, 0, 63, 0) // SOS: 1 component, tables 0/0, Ss=0 Se=63 Ah/Al=0
	// Each MCU is DC "0" + EOB "0", padded with 1 bits: 0b00111111.
	b = append(b, 0x3F, 0xFF, 0xD0, 0x3F)
	b = append(b, 0xFF, 0xD9) // EOI
	return b
}

func uniform(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// differ reports whether two frames differ in any pixel.
func differ(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return true
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				return true
			}
		}
	}
	return false
}
