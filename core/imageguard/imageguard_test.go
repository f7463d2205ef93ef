package imageguard_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/cloudup/cloudup/core/imageguard/imageguardtest"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func bombs() map[string][]byte {
	return map[string][]byte{
		"png 30000x30000 1-bit (a real, complete file)": imageguardtest.PNGBomb(30000, 30000, 1),
		"png header 100000x100000":                      imageguardtest.PNGHeader(100000, 100000),
		"jpeg 65000x65000":                              imageguardtest.JPEGHeader(65000, 65000),
		"gif 60000x60000":                               imageguardtest.GIFBomb(60000, 60000, 0),
		"webp 16384x16384":                              imageguardtest.WebPHeader(16384, 16384),
		"bmp 40000x40000":                               imageguardtest.BMPHeader(40000, 40000),
		"tiff 50000x50000":                              imageguardtest.TIFFHeader(50000, 50000),
	}
}

func TestBombsAreRefusedFromTheHeaderWithoutAllocatingTheirPixels(t *testing.T) {
	for name, data := range bombs() {
		t.Run(name, func(t *testing.T) {
			var err error
			var info imageguard.Info
			n := imageguardtest.Allocated(func() {
				_, info, err = imageguard.DecodeBytes(context.Background(), data, imageguard.Limits{MaxPixels: imageguard.CloudinaryMaxPixels})
			})
			var tl *imageguard.TooLargeError
			if !errors.As(err, &tl) || !errors.Is(err, imageguard.ErrTooLarge) {
				t.Fatalf("DecodeBytes = %v, want a *TooLargeError", err)
			}
			if info.Pixels() <= imageguard.CloudinaryMaxPixels || tl.MaxPixels != imageguard.CloudinaryMaxPixels {
				t.Errorf("header read as %+v, limit %d", info, tl.MaxPixels)
			}
			if n > 4<<20 {
				t.Errorf("refusing it allocated %d MB; the header alone should need a few KB", n>>20)
			}
			t.Logf("%s: %v (%d KB allocated)", name, err, n>>10)
		})
	}
}

func TestTheBombGeneratorsMakeRealImages(t *testing.T) {
	// Small versions decode with the standard decoders, so the large ones
	// are the real thing and not just broken headers.
	img, _, err := image.Decode(bytes.NewReader(imageguardtest.PNGBomb(300, 200, 1)))
	if err != nil || img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
		t.Fatalf("PNGBomb: %v %v", img, err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(imageguardtest.GIFBomb(300, 200, 7)))
	if err != nil || len(g.Image) != 7 || g.Image[6].Bounds().Dx() != 300 {
		t.Fatalf("GIFBomb: %v", err)
	}
	if len(imageguardtest.PNGBomb(30000, 30000, 1)) > 200<<10 {
		t.Error("the 30000×30000 PNG bomb should fit in 200 KB")
	}
}

func TestDecodeWithinTheLimitsGivesThePicture(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	src.Set(3, 4, color.NRGBA{200, 10, 10, 255})
	encoders := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, src, nil) },
		"gif":  func(b *bytes.Buffer) error { return gif.Encode(b, src, nil) },
		"bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, src) },
		"tiff": func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) },
	}
	for format, enc := range encoders {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatal(err)
		}
		img, info, err := imageguard.DecodeBytes(context.Background(), b.Bytes(), imageguard.Limits{MaxPixels: 64 * 48})
		if err != nil || info.Format != format || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
			t.Errorf("%s: %v %+v", format, err, info)
		}
		if _, _, err := imageguard.DecodeBytes(context.Background(), b.Bytes(), imageguard.Limits{MaxPixels: 64*48 - 1}); !errors.Is(err, imageguard.ErrTooLarge) {
			t.Errorf("%s one pixel over the cap: %v", format, err)
		}
	}
}

func TestDecodeRefusesFilesOverTheByteCapWithoutReadingThem(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 500, 500)))
	path := filepath.Join(t.TempDir(), "x.png")
	os.WriteFile(path, b.Bytes(), 0o600)
	_, _, err := imageguard.DecodeFile(context.Background(), path, imageguard.Limits{MaxBytes: int64(b.Len() - 1)})
	var tl *imageguard.TooLargeError
	if !errors.As(err, &tl) || tl.Bytes != int64(b.Len()) {
		t.Fatalf("DecodeFile over the byte cap: %v", err)
	}
	if _, _, err := imageguard.DecodeFile(context.Background(), path, imageguard.Limits{MaxBytes: int64(b.Len())}); err != nil {
		t.Fatalf("a file of exactly the cap: %v", err)
	}
}

func TestDecodeStopsWhenItsContextEnds(t *testing.T) {
	// A real 5000×5000 8-bit PNG takes a while to inflate; cancelled at
	// once, the decode must give up at its next read, not finish.
	data := imageguardtest.PNGBomb(5000, 5000, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, _, err := imageguard.DecodeBytes(ctx, data, imageguard.Limits{MaxPixels: 30_000_000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, _, err = imageguard.DecodeBytes(ctx, data, imageguard.Limits{MaxPixels: 30_000_000})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want nil or context.DeadlineExceeded", err)
	}
	t.Logf("cancelled decodes returned after %v", time.Since(start))
}

func TestUndecodableInputIsSaidSo(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("hello"), []byte("\x89PNG\r\n\x1a\n"), imageguardtest.PNGHeader(0, 10)} {
		if _, _, err := imageguard.DecodeBytes(context.Background(), data, imageguard.Limits{}); !errors.Is(err, imageguard.ErrUndecodable) {
			t.Errorf("%q: %v, want ErrUndecodable", data, err)
		}
	}
}

func TestGIFFramesCountsWithoutDecoding(t *testing.T) {
	// 400 frames of 4000×4000: gif.DecodeAll would allocate 6.4 GB.
	data := imageguardtest.GIFBomb(4000, 4000, 400)
	var frames int
	var pixels int64
	var err error
	n := imageguardtest.Allocated(func() { frames, pixels, err = imageguard.GIFFrames(bytes.NewReader(data)) })
	if err != nil || frames != 400 || pixels != 400*4000*4000 {
		t.Fatalf("GIFFrames = %d, %d, %v", frames, pixels, err)
	}
	if n > 1<<20 {
		t.Errorf("counting allocated %d KB", n>>10)
	}
	if _, _, err := imageguard.GIFFrames(bytes.NewReader(data[:len(data)/2])); !errors.Is(err, imageguard.ErrUndecodable) {
		t.Errorf("a truncated GIF: %v", err)
	}
}

// FuzzDecode: whatever bytes arrive, a decode never panics, never returns
// a picture over the cap, and fails only with ErrTooLarge or
// ErrUndecodable. The corpus (testdata/fuzz) holds headers declaring huge
// pictures in every format.
func FuzzDecode(f *testing.F) {
	for _, data := range bombs() {
		if len(data) < 1<<20 {
			f.Add(data)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		const cap = 1 << 20
		img, info, err := imageguard.DecodeBytes(context.Background(), data, imageguard.Limits{MaxPixels: cap, MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, imageguard.ErrTooLarge) && !errors.Is(err, imageguard.ErrUndecodable) {
				t.Fatalf("error %v is neither ErrTooLarge nor ErrUndecodable", err)
			}
			return
		}
		if px := int64(img.Bounds().Dx()) * int64(img.Bounds().Dy()); px > cap || info.Pixels() > cap {
			t.Fatalf("decoded %v (%d pixels, header %+v) past a cap of %d", img.Bounds(), px, info, cap)
		}
		if _, _, err := imageguard.GIFFrames(bytes.NewReader(data)); err != nil && info.Format == "gif" && !errors.Is(err, imageguard.ErrUndecodable) {
			t.Fatalf("GIFFrames on a decodable GIF: %v", err)
		}
	})
}
