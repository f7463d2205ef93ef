package library

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// decodeLimits bound what a delivered image may cost to decode: the header
// is read first (imageguard), and a picture over Cloudinary's own 25
// megapixels, which no thumbnail or preview needs, is refused before its
// pixels are allocated, whatever a misbehaving server sends.
var decodeLimits = imageguard.Limits{MaxPixels: imageguard.CloudinaryMaxPixels, MaxBytes: maxDownload}

// maxDownload bounds a delivered image's bytes.
const maxDownload = 64 << 20

// ErrProcessing means the CDN answered 423: the derived image (for example a
// background removal) is still being made. Ask again in a moment.
var ErrProcessing = errors.New("still processing on the server")

// Thumbs fetches delivered images and keeps them in two levels: decoded in
// memory (bounded by pixel bytes, least recently used first out) and encoded
// on disk (bounded by total size). Concurrent requests for one URL share one
// download, and at most a few downloads run at once so a fast scroll through
// a grid does not open hundreds of connections.
type Thumbs struct {
	dir      string
	client   *http.Client
	maxMem   int64
	maxDisk  int64
	sem      *semaphore.Weighted
	flight   singleflight.Group
	mu       sync.Mutex
	lru      *list.List // of *memEntry, front = most recent
	index    map[string]*list.Element
	memBytes int64
	writes   int
	// Hits counts where Get found each image, for tests and diagnostics.
	hits struct{ Memory, Disk, Network int64 }
}

type memEntry struct {
	url  string
	img  image.Image
	size int64
}

// ThumbsConfig sizes a Thumbs cache; zero values get sensible defaults.
type ThumbsConfig struct {
	Dir          string       // disk cache directory; "" keeps images in memory only
	Client       *http.Client // defaults to a client with a 30 s timeout
	MemoryBytes  int64        // decoded pixels kept in memory (default 96 MB)
	DiskBytes    int64        // encoded bytes kept on disk (default 512 MB)
	Simultaneous int64        // downloads at once (default 6)
}

// NewThumbs returns a cache. It creates cfg.Dir when needed.
func NewThumbs(cfg ThumbsConfig) (*Thumbs, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MemoryBytes <= 0 {
		cfg.MemoryBytes = 96 << 20
	}
	if cfg.DiskBytes <= 0 {
		cfg.DiskBytes = 512 << 20
	}
	if cfg.Simultaneous <= 0 {
		cfg.Simultaneous = 6
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("thumbnail cache: %w", err)
		}
	}
	return &Thumbs{
		dir: cfg.Dir, client: cfg.Client, maxMem: cfg.MemoryBytes, maxDisk: cfg.DiskBytes,
		sem: semaphore.NewWeighted(cfg.Simultaneous), lru: list.New(), index: map[string]*list.Element{},
	}, nil
}

// Stats reports how many Gets were answered from memory, disk and network.
func (t *Thumbs) Stats() (memory, disk, network int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hits.Memory, t.hits.Disk, t.hits.Network
}

// Cached returns the image if it is already decoded in memory, without I/O:
// views call it on the UI goroutine to draw known thumbnails at once.
func (t *Thumbs) Cached(url string) (image.Image, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.index[url]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*memEntry).img, true
	}
	return nil, false
}

// Get returns the decoded image at url from memory, disk or the network, in
// that order. It blocks: call it off the UI goroutine.
func (t *Thumbs) Get(ctx context.Context, url string) (image.Image, error) {
	if img, ok := t.Cached(url); ok {
		t.count(&t.hits.Memory)
		return img, nil
	}
	v, err, _ := t.flight.Do(url, func() (any, error) {
		if img, ok := t.Cached(url); ok {
			return img, nil
		}
		if data, ok := t.readDisk(url); ok {
			if img, _, err := imageguard.DecodeBytes(ctx, data, decodeLimits); err == nil {
				t.count(&t.hits.Disk)
				t.remember(url, img)
				return img, nil
			}
		}
		data, err := t.download(ctx, url)
		if err != nil {
			return nil, err
		}
		img, _, err := imageguard.DecodeBytes(ctx, data, decodeLimits)
		if err != nil {
			return nil, fmt.Errorf("image at %s could not be shown: %w", url, err)
		}
		t.count(&t.hits.Network)
		t.writeDisk(url, data)
		t.remember(url, img)
		return img, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(image.Image), nil
}

// Poll calls Get until the server stops answering 423 or ctx ends, waiting
// interval between tries; onWait is told about each wait (may be nil).
func (t *Thumbs) Poll(ctx context.Context, url string, interval time.Duration, onWait func(attempt int)) (image.Image, error) {
	for attempt := 1; ; attempt++ {
		img, err := t.Get(ctx, url)
		if !errors.Is(err, ErrProcessing) {
			return img, err
		}
		if onWait != nil {
			onWait(attempt)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

func (t *Thumbs) count(c *int64) {
	t.mu.Lock()
	*c++
	t.mu.Unlock()
}

func (t *Thumbs) download(ctx context.Context, url string) ([]byte, error) {
	if err := t.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer t.sem.Release(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/webp,image/png,image/jpeg,image/*;q=0.8")
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not download the image: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusLocked:
		io.Copy(io.Discard, resp.Body)
		return nil, ErrProcessing
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		reason := resp.Header.Get("X-Cld-Error")
		if reason == "" {
			reason = resp.Status
		}
		return nil, &FetchError{Status: resp.StatusCode, Reason: reason}
	}
	// Thumbnails and previews are small; refuse anything absurd rather than
	// filling memory from a misbehaving server.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("download interrupted: %w", err)
	}
	return data, nil
}

// FetchError is a non-OK answer from the delivery host.
type FetchError struct {
	Status int
	Reason string
}

func (e *FetchError) Error() string {
	return "the server could not deliver this image: " + e.Reason + " (HTTP " + strconv.Itoa(e.Status) + ")"
}

func (t *Thumbs) remember(url string, img image.Image) {
	b := img.Bounds()
	size := int64(b.Dx()) * int64(b.Dy()) * 4
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.index[url]; ok {
		t.lru.MoveToFront(el)
		return
	}
	t.index[url] = t.lru.PushFront(&memEntry{url: url, img: img, size: size})
	t.memBytes += size
	for t.memBytes > t.maxMem && t.lru.Len() > 1 {
		last := t.lru.Back()
		e := last.Value.(*memEntry)
		t.lru.Remove(last)
		delete(t.index, e.url)
		t.memBytes -= e.size
	}
}

func (t *Thumbs) diskPath(url string) string {
	sum := sha256.Sum256([]byte(url))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(t.dir, name[:2], name)
}

func (t *Thumbs) readDisk(url string) ([]byte, bool) {
	if t.dir == "" {
		return nil, false
	}
	p := t.diskPath(url)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recency for trimming
	return data, true
}

func (t *Thumbs) writeDisk(url string, data []byte) {
	if t.dir == "" {
		return
	}
	p := t.diskPath(url)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
		return
	}
	t.mu.Lock()
	t.writes++
	trim := t.writes%64 == 0
	t.mu.Unlock()
	if trim {
		t.TrimDisk()
	}
}

// TrimDisk deletes the least recently used files until the disk cache fits
// its budget. It runs now and then after writes; call it at start-up too.
func (t *Thumbs) TrimDisk() {
	if t.dir == "" {
		return
	}
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	filepath.WalkDir(t.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		files = append(files, file{p, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if total <= t.maxDisk {
		return
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
	for _, f := range files {
		if total <= t.maxDisk {
			break
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}
