package localthumb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeJPEG(t testing.TB, path string, w, h int, c color.Color) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
}

func TestGetDownscalesToFitTheSizeKeepingTheAspect(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "wide.jpg")
	writeJPEG(t, p, 800, 400, color.RGBA{200, 30, 30, 255})
	c := New(64, 0, 0)
	img, err := c.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 32 {
		t.Fatalf("thumbnail is %v, want 64×32", b.Size())
	}
	r, g, _, _ := img.At(32, 16).RGBA()
	if r>>8 < 150 || g>>8 > 80 {
		t.Errorf("thumbnail colour is off: r=%d g=%d", r>>8, g>>8)
	}
	if peek, ok := c.Peek(p); !ok || peek != img {
		t.Error("Peek does not return the cached thumbnail")
	}
}

func TestVideosAndUnknownFilesHaveNoThumbnail(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"clip.mp4", "notes.txt", "raw.cr2"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("not an image"), 0o644); err != nil {
			t.Fatal(err)
		}
		c := New(0, 0, 0)
		img, err := c.Get(context.Background(), p)
		if err != nil || img != nil {
			t.Errorf("%s: got %v, %v; want nil, nil", name, img, err)
		}
		if img, ok := c.Peek(p); !ok || img != nil {
			t.Errorf("%s: Peek = %v, %v; want nil, true", name, img, ok)
		}
	}
}

func TestCorruptImageFailsWithTheFileName(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.jpg")
	if err := os.WriteFile(p, []byte("\xff\xd8\xff garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(0, 0, 0).Get(context.Background(), p)
	if err == nil {
		t.Fatal("want an error for a corrupt JPEG")
	}
	if got := err.Error(); !strings.Contains(got, "broken.jpg") {
		t.Errorf("error %q does not name the file", got)
	}
}

func TestMissingFileFails(t *testing.T) {
	if _, err := New(0, 0, 0).Get(context.Background(), filepath.Join(t.TempDir(), "gone.png")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestChangedFileIsDecodedAgain(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.jpg")
	writeJPEG(t, p, 100, 100, color.RGBA{255, 0, 0, 255})
	c := New(32, 0, 0)
	first, err := c.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	writeJPEG(t, p, 120, 60, color.RGBA{0, 0, 255, 255})
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	second, err := c.Get(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.Bounds().Dy() != 16 {
		t.Fatalf("changed file was not decoded again: %v", second.Bounds())
	}
}

func TestCacheStaysWithinItsByteBudget(t *testing.T) {
	dir := t.TempDir()
	// 32×32 NRGBA = 4 KiB + 128 per entry; room for about three.
	c := New(32, 3*(32*32*4+128), 2)
	var paths []string
	for i := range 8 {
		p := filepath.Join(dir, "img"+string(rune('a'+i))+".png")
		img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, img)
		f.Close()
		paths = append(paths, p)
		if _, err := c.Get(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	if c.Bytes() > 3*(32*32*4+128) || c.Len() != 3 {
		t.Fatalf("cache holds %d entries, %d bytes", c.Len(), c.Bytes())
	}
	if _, ok := c.Peek(paths[0]); ok {
		t.Error("the least recently used thumbnail was kept")
	}
	if _, ok := c.Peek(paths[7]); !ok {
		t.Error("the newest thumbnail was evicted")
	}
}

func TestConcurrentCallersShareOneResult(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.jpg")
	writeJPEG(t, p, 1600, 1200, color.Gray{128})
	c := New(0, 0, 1)
	var wg sync.WaitGroup
	got := make([]image.Image, 8)
	for i := range got {
		wg.Go(func() {
			img, err := c.Get(context.Background(), p)
			if err != nil {
				t.Error(err)
			}
			got[i] = img
		})
	}
	wg.Wait()
	for _, img := range got[1:] {
		if img != got[0] {
			t.Fatal("callers got different thumbnails: the decode was not shared or not cached")
		}
	}
}

func TestCancelledContextStopsAWaitingDecode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.jpg")
	writeJPEG(t, p, 50, 50, color.White)
	c := New(0, 0, 1)
	c.sem.Acquire(context.Background(), 1) // every worker busy
	defer c.sem.Release(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, p); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// BenchmarkThumbnail12MP makes a thumbnail of a 12-megapixel JPEG and
// reports it against a plain image.Decode of the same file measured in the
// same run (x-decode): the downscale should cost little over decoding.
func BenchmarkThumbnail12MP(b *testing.B) {
	p := filepath.Join(b.TempDir(), "photo.jpg")
	writeJPEG(b, p, 4000, 3000, color.RGBA{90, 140, 200, 255})
	var decode, thumb time.Duration
	for b.Loop() {
		start := time.Now()
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := image.Decode(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		decode += time.Since(start)

		start = time.Now()
		if _, err := New(0, 0, 1).Get(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		thumb += time.Since(start)
	}
	b.ReportMetric(float64(thumb)/float64(decode), "x-decode")
	b.ReportMetric(float64(thumb.Milliseconds())/float64(b.N), "thumb-ms")
}

// FuzzGet feeds arbitrary bytes under image names: Get may fail, but must
// not panic, and a thumbnail it returns fits the size.
func FuzzGet(f *testing.F) {
	var jpg, pngb bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	jpeg.Encode(&jpg, img, nil)
	png.Encode(&pngb, img)
	f.Add(jpg.Bytes(), uint8(0))
	f.Add(pngb.Bytes(), uint8(1))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"), uint8(2))
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10"), uint8(3))
	f.Add([]byte{}, uint8(4))
	exts := []string{".jpg", ".png", ".gif", ".webp", ".tiff", ".bmp"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		p := filepath.Join(dir, "fuzz"+exts[int(ext)%len(exts)])
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		thumb, err := New(32, 0, 1).Get(context.Background(), p)
		if err == nil && thumb != nil {
			if b := thumb.Bounds(); b.Dx() > 32 || b.Dy() > 32 {
				t.Fatalf("thumbnail %v is larger than 32", b.Size())
			}
		}
	})
}

func TestHugeDeclaredPictureIsRefusedBeforeDecoding(t *testing.T) {
	// A valid PNG header declaring 60000×60000 pixels, and nothing else.
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := buf.Bytes()
	// IHDR's type, width and height live at bytes 12..23, its CRC at 29..32.
	copy(data[16:24], []byte{0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60})
	binary.BigEndian.PutUint32(data[29:33], crc32.ChecksumIEEE(data[12:29]))
	p := filepath.Join(t.TempDir(), "huge.png")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(0, 0, 0).Get(context.Background(), p)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "60000×60000") {
		t.Fatalf("err = %v, want it refused", err)
	}
}
