package library

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/cloudup/cloudup/core/imageguard/imageguardtest"
)

// imageServer serves a w×w PNG whose colour depends on the path, counting
// requests; /busy answers 423 for the first `busy` requests.
func imageServer(t *testing.T, busy int32) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	var busyLeft atomic.Int32
	busyLeft.Store(busy)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/busy" && busyLeft.Add(-1) >= 0 {
			w.WriteHeader(http.StatusLocked)
			return
		}
		if r.URL.Path == "/missing" {
			w.Header().Set("X-Cld-Error", "Resource not found - missing")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		time.Sleep(20 * time.Millisecond) // let concurrent Gets overlap
		n, _ := strconv.Atoi(r.URL.Query().Get("w"))
		if n == 0 {
			n = 32
		}
		img := image.NewNRGBA(image.Rect(0, 0, n, n))
		c := color.NRGBA{uint8(len(r.URL.Path) * 40), 100, 200, 255}
		for i := range n * n {
			img.Set(i%n, i/n, c)
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		w.Header().Set("Content-Type", "image/png")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestThumbsServeFromMemoryThenDiskWithoutRefetching(t *testing.T) {
	srv, hits := imageServer(t, 0)
	dir := t.TempDir()
	ctx := context.Background()
	th, err := NewThumbs(ThumbsConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	img, err := th.Get(ctx, srv.URL+"/a?w=40")
	if err != nil || img.Bounds().Dx() != 40 {
		t.Fatalf("first get: %v %v", img, err)
	}
	if _, err := th.Get(ctx, srv.URL+"/a?w=40"); err != nil {
		t.Fatal(err)
	}
	if _, ok := th.Cached(srv.URL + "/a?w=40"); !ok {
		t.Fatal("not cached in memory")
	}
	// A new cache over the same directory (an app restart) reads the disk.
	th2, _ := NewThumbs(ThumbsConfig{Dir: dir})
	img2, err := th2.Get(ctx, srv.URL+"/a?w=40")
	if err != nil || img2.Bounds().Dx() != 40 {
		t.Fatalf("disk get: %v", err)
	}
	if got := hits.Load(); got != 1 {
		t.Fatalf("server saw %d requests, want 1", got)
	}
	m, d, n := th2.Stats()
	if m != 0 || d != 1 || n != 0 {
		t.Fatalf("restart stats memory=%d disk=%d network=%d", m, d, n)
	}
}

func TestThumbsShareOneDownloadPerURL(t *testing.T) {
	srv, hits := imageServer(t, 0)
	th, _ := NewThumbs(ThumbsConfig{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := th.Get(context.Background(), srv.URL+"/same"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := hits.Load(); got != 1 {
		t.Fatalf("20 concurrent gets made %d requests", got)
	}
}

func TestThumbsMemoryStaysWithinBudget(t *testing.T) {
	srv, _ := imageServer(t, 0)
	// Each 32×32 image is 4 KiB decoded; allow three.
	th, _ := NewThumbs(ThumbsConfig{MemoryBytes: 3 * 32 * 32 * 4})
	for i := range 10 {
		if _, err := th.Get(context.Background(), srv.URL+"/img"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if th.memBytes > 3*32*32*4 || th.lru.Len() != 3 {
		t.Fatalf("memory %d bytes in %d entries", th.memBytes, th.lru.Len())
	}
	if _, ok := th.Cached(srv.URL + "/img0"); ok {
		t.Fatal("oldest entry was not evicted")
	}
	if _, ok := th.Cached(srv.URL + "/img9"); !ok {
		t.Fatal("newest entry missing")
	}
}

func TestThumbsPollWaitsOutProcessing(t *testing.T) {
	srv, _ := imageServer(t, 2)
	th, _ := NewThumbs(ThumbsConfig{})
	if _, err := th.Get(context.Background(), srv.URL+"/busy"); !errors.Is(err, ErrProcessing) {
		t.Fatalf("423 should be ErrProcessing, got %v", err)
	}
	var waits int
	img, err := th.Poll(context.Background(), srv.URL+"/busy", 5*time.Millisecond, func(int) { waits++ })
	if err != nil || img == nil {
		t.Fatalf("poll: %v", err)
	}
	if waits != 1 {
		t.Fatalf("waited %d times, want 1 (one 423 left after the first Get)", waits)
	}
}

func TestThumbsReportServerReason(t *testing.T) {
	srv, _ := imageServer(t, 0)
	th, _ := NewThumbs(ThumbsConfig{})
	_, err := th.Get(context.Background(), srv.URL+"/missing")
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Status != 404 || fe.Reason != "Resource not found - missing" {
		t.Fatalf("got %v", err)
	}
}

func TestTrimDiskRemovesLeastRecentlyUsedFirst(t *testing.T) {
	srv, _ := imageServer(t, 0)
	dir := t.TempDir()
	th, _ := NewThumbs(ThumbsConfig{Dir: dir})
	ctx := context.Background()
	urls := []string{srv.URL + "/d0", srv.URL + "/d1", srv.URL + "/d2"}
	var size int64
	for i, u := range urls {
		if _, err := th.Get(ctx, u); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(th.diskPath(u))
		if err != nil {
			t.Fatal(err)
		}
		size = st.Size()
		// d1 is the least recently used, then d0, then d2.
		age := map[int]time.Duration{0: 2 * time.Hour, 1: 3 * time.Hour, 2: time.Hour}[i]
		old := time.Now().Add(-age)
		os.Chtimes(th.diskPath(u), old, old)
	}
	th.maxDisk = 2 * size
	th.TrimDisk()
	_, err0 := os.Stat(th.diskPath(urls[0]))
	_, err1 := os.Stat(th.diskPath(urls[1]))
	_, err2 := os.Stat(th.diskPath(urls[2]))
	if err0 != nil || err1 == nil || err2 != nil {
		t.Fatalf("after trim: d0 %v, d1 %v (should be gone), d2 %v", err0, err1, err2)
	}
}

func TestThumbsRefuseAnImageBombWithoutDecodingIt(t *testing.T) {
	// A server (misbehaving, or not Cloudinary at all) answers a thumbnail
	// with a 110 KB PNG declaring 30000×30000 pixels: 900 MB once decoded.
	bomb := imageguardtest.PNGBomb(30000, 30000, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(bomb) }))
	defer srv.Close()
	th, err := NewThumbs(ThumbsConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	grew := imageguardtest.Allocated(func() { _, err = th.Get(context.Background(), srv.URL+"/bomb.png") })
	if !errors.Is(err, imageguard.ErrTooLarge) || !strings.Contains(err.Error(), "30000×30000") {
		t.Fatalf("Get = %v, want the picture refused as too large", err)
	}
	if grew > 32<<20 {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}
	if _, ok := th.Cached(srv.URL + "/bomb.png"); ok {
		t.Error("the refused picture is cached")
	}
}

// FuzzThumbsDecode: whatever bytes a thumbnail's disk cache or server
// holds, Get fails cleanly or returns a picture within the cap. The corpus
// (testdata/fuzz) holds headers declaring huge pictures.
func FuzzThumbsDecode(f *testing.F) {
	f.Add(imageguardtest.PNGHeader(60000, 60000))
	f.Add(imageguardtest.JPEGHeader(65000, 65000))
	f.Add(imageguardtest.GIFBomb(20000, 20000, 0))
	f.Add(imageguardtest.WebPHeader(16384, 16384))
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3, 3)))
	f.Add(buf.Bytes())
	var body atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(*body.Load()) }))
	defer srv.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		body.Store(&data)
		th, err := NewThumbs(ThumbsConfig{})
		if err != nil {
			t.Fatal(err)
		}
		img, err := th.Get(context.Background(), srv.URL+"/x")
		if err != nil {
			return
		}
		if px := int64(img.Bounds().Dx()) * int64(img.Bounds().Dy()); px > imageguard.CloudinaryMaxPixels {
			t.Fatalf("decoded %v, over the cap", img.Bounds())
		}
	})
}
