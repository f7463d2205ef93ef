// Package localthumb makes small previews of local image files for the
// upload queue: it decodes and downscales off the caller's goroutine, keeps
// the results in a memory LRU bounded in bytes, and shares the work when the
// same file is asked for twice at once.
//
// It owns only decoding and the memory cache. It must not import Fyne, touch
// the network or write to disk; videos and formats it cannot decode yield a
// nil image, so the view shows a type icon instead.
package localthumb

import (
	"container/list"
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/disintegration/imaging"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// DefaultSize is the longest side of a thumbnail in pixels: two rows' worth
// on a HiDPI screen.
const DefaultSize = 96

// DefaultMaxBytes bounds the memory cache: about 1,800 thumbnails of 96×96.
const DefaultMaxBytes = 64 << 20

// MaxSourceBytes is the largest file decoded for a thumbnail. Decoding costs
// memory in proportion to the pixels; a 200 MB TIFF is not worth it for a
// 96-pixel preview.
const MaxSourceBytes = 64 << 20

// MaxSourcePixels is the largest picture decoded for a thumbnail, checked
// from the file's header by imageguard before any decode: 100 megapixels
// (a 61-megapixel camera's photos pass; about 400 MB of pixels while
// decoding).
const MaxSourcePixels = 100_000_000

// ErrTooLarge is returned for files over MaxSourceBytes or MaxSourcePixels.
var ErrTooLarge = imageguard.ErrTooLarge

// ErrUndecodable is returned when a decoder gave up on a malformed file.
var ErrUndecodable = imageguard.ErrUndecodable

// decodable lists the extensions the cache decodes. Everything else (videos,
// RAW camera files, PDFs) gets no thumbnail.
var decodable = map[string]bool{
	".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".gif": true,
	".bmp": true, ".tif": true, ".tiff": true, ".webp": true,
}

// Decodable reports whether Get can make a thumbnail of a file with this
// name; the view uses it to pick a type icon at once for everything else.
func Decodable(name string) bool {
	return decodable[strings.ToLower(filepath.Ext(name))]
}

// Cache makes and keeps thumbnails. It is safe for concurrent use; the zero
// value is not, use New.
type Cache struct {
	size     int
	maxBytes int64
	sem      *semaphore.Weighted
	flight   singleflight.Group

	mu      sync.Mutex
	entries map[string]*list.Element // by path
	lru     *list.List               // front: most recently used
	bytes   int64
}

type entry struct {
	path    string
	size    int64 // of the file, to notice a changed file
	modTime time.Time
	img     image.Image // nil: not an image we can show
	bytes   int64
}

// New returns a cache of thumbnails whose longest side is size pixels,
// holding at most maxBytes of pixels and decoding at most workers files at
// once. Zero values pick DefaultSize, DefaultMaxBytes and 2.
func New(size int, maxBytes int64, workers int) *Cache {
	if size <= 0 {
		size = DefaultSize
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if workers <= 0 {
		workers = 2
	}
	return &Cache{size: size, maxBytes: maxBytes, sem: semaphore.NewWeighted(int64(workers)),
		entries: map[string]*list.Element{}, lru: list.New()}
}

// Peek returns a cached thumbnail without any I/O, for a list row being
// drawn on the UI goroutine. ok is false when Get has not made one yet; img
// is nil with ok true when the file is not an image.
func (c *Cache) Peek(path string) (img image.Image, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[path]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*entry).img, true
}

// Get returns the thumbnail of the file at path, decoding it unless a
// cached one is still current (same size and modification time). It
// returns nil, nil for files that are not decodable images. Callers asking
// for the same path at once share one decode.
func (c *Cache) Get(ctx context.Context, path string) (image.Image, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("preview of %s: %w", filepath.Base(path), err)
	}
	if !info.Mode().IsRegular() || !Decodable(path) {
		c.put(&entry{path: path, size: info.Size(), modTime: info.ModTime()})
		return nil, nil
	}
	if img, ok := c.current(path, info); ok {
		return img, nil
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", path, info.Size(), info.ModTime().UnixNano())
	v, err, _ := c.flight.Do(key, func() (any, error) {
		if err := c.sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		defer c.sem.Release(1)
		img, err := c.decode(ctx, path)
		if err != nil {
			return nil, err
		}
		c.put(&entry{path: path, size: info.Size(), modTime: info.ModTime(), img: img, bytes: pixelBytes(img)})
		return img, nil
	})
	if err != nil {
		return nil, err
	}
	img, _ := v.(image.Image)
	return img, nil
}

func (c *Cache) current(path string, info os.FileInfo) (image.Image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[path]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if e.size != info.Size() || !e.modTime.Equal(info.ModTime()) || e.img == nil {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.img, true
}

func (c *Cache) decode(ctx context.Context, path string) (image.Image, error) {
	// The header first, the byte and pixel caps, a panic in a decoder
	// turned into an error (a broken file only loses its preview):
	// imageguard, as for every image the app decodes. AutoOrientation:
	// phone photos are stored sideways with an EXIF rotation; the
	// thumbnail should look like the photo does elsewhere.
	src, _, err := imageguard.DecodeFileWith(ctx, path, imageguard.Limits{MaxPixels: MaxSourcePixels, MaxBytes: MaxSourceBytes},
		func(r io.Reader) (image.Image, error) { return imaging.Decode(r, imaging.AutoOrientation(true)) })
	if err != nil {
		return nil, fmt.Errorf("preview of %s: %w", filepath.Base(path), err)
	}
	b := src.Bounds()
	if b.Dx() <= c.size && b.Dy() <= c.size {
		return imaging.Clone(src), nil
	}
	// Filtering every source pixel costs as much again as decoding a
	// 12-megapixel photo; sampling down to four times the target first and
	// filtering only that keeps the thumbnail smooth at a fraction of it.
	if b.Dx() > 8*c.size || b.Dy() > 8*c.size {
		src = imaging.Fit(src, 4*c.size, 4*c.size, imaging.NearestNeighbor)
	}
	return imaging.Fit(src, c.size, c.size, imaging.Linear), nil
}

func (c *Cache) put(e *entry) {
	if e.bytes == 0 {
		e.bytes = 128 // the entry itself, so non-images are bounded too
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[e.path]; ok {
		c.bytes -= old.Value.(*entry).bytes
		c.lru.Remove(old)
	}
	c.entries[e.path] = c.lru.PushFront(e)
	c.bytes += e.bytes
	for c.bytes > c.maxBytes && c.lru.Len() > 1 {
		last := c.lru.Back()
		le := last.Value.(*entry)
		c.lru.Remove(last)
		delete(c.entries, le.path)
		c.bytes -= le.bytes
	}
}

// Len is how many files the cache knows.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Bytes is how many bytes of pixels the cache holds.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func pixelBytes(img image.Image) int64 {
	b := img.Bounds()
	// imaging returns NRGBA: four bytes a pixel, plus the entry itself.
	return int64(b.Dx())*int64(b.Dy())*4 + 128
}
