// Package previewtest holds the test double of the preview's (and the
// library's) account: drawn images, signed links and deletes in memory. Test
// code only; the app never imports it.
package previewtest

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/library"
)

// Fake is an Account for widget tests: it draws real images (encoded to PNG
// and decoded again, as a download would be) whose colours depend on the
// public_id and whose effects are applied to the pixels, and records what
// the view asked for.
type Fake struct {
	Deliver effects.Delivery   // default: cloud "demo" on res.cloudinary.com
	Secret  string             // "" makes SignedURL fail with effects.ErrSecretNeeded
	Format  effects.LinkFormat // the profile's link format

	mu sync.Mutex
	// Busy answers library.ErrProcessing this many times for URLs containing
	// the key before drawing them (background removal).
	Busy map[string]int
	// FailThumbs, when set, is the error of every Thumb.
	FailThumbs error
	// FailDestroy, when set, is the error of Destroy.
	FailDestroy error
	fetched     []string
	destroyed   []cloud.Ref
}

func (f *Fake) delivery() effects.Delivery {
	if f.Deliver.Cloud == "" {
		return effects.Delivery{Cloud: "demo", Secure: true}
	}
	return f.Deliver
}

// Delivery is f.Deliver.
func (f *Fake) Delivery() effects.Delivery { return f.delivery() }

// LinkFormat is f.Format.
func (f *Fake) LinkFormat() effects.LinkFormat { return f.Format }

// SignedURL signs with f.Secret.
func (f *Fake) SignedURL(ref effects.Ref, transformation string) (string, error) {
	return f.delivery().URL(ref, transformation, f.Secret, true)
}

// Destroy records ref.
func (f *Fake) Destroy(ctx context.Context, ref cloud.Ref) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailDestroy != nil {
		return f.FailDestroy
	}
	f.destroyed = append(f.destroyed, ref)
	return nil
}

// Destroyed lists what Destroy was called with.
func (f *Fake) Destroyed() []cloud.Ref {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cloud.Ref(nil), f.destroyed...)
}

// Fetched lists the URLs Thumb was called with, in order.
func (f *Fake) Fetched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.fetched...)
}

var sizeParam = regexp.MustCompile(`\b([wh])_(\d+)`)

// Thumb draws the image url names.
func (f *Fake) Thumb(ctx context.Context, url string) (image.Image, error) {
	f.mu.Lock()
	f.fetched = append(f.fetched, url)
	fail := f.FailThumbs
	for key, n := range f.Busy {
		if n > 0 && strings.Contains(url, key) {
			f.Busy[key] = n - 1
			f.mu.Unlock()
			return nil, library.ErrProcessing
		}
	}
	f.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return drawFake(url)
}

// drawFake paints a picture for url: w_/h_ (the first of each) give the
// size, the last path segment picks the colours, and e_grayscale / e_sepia
// change the pixels as the CDN would.
func drawFake(url string) (image.Image, error) {
	w, h := 320, 240
	seenW, seenH := false, false
	for _, m := range sizeParam.FindAllStringSubmatch(url, -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "w" && !seenW {
			w, seenW = min(n, 800), true
		} else if m[1] == "h" && !seenH {
			h, seenH = min(n, 800), true
		}
	}
	if seenW && !seenH {
		h = w * 3 / 4
	}
	name := url[strings.LastIndex(url, "/")+1:]
	sum := fnv.New32a()
	sum.Write([]byte(name))
	hash := sum.Sum32()
	base := color.NRGBA{uint8(hash), uint8(hash >> 8), uint8(hash >> 16), 255}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := base
			if x < w/2 {
				c.R = uint8(int(c.R) + 90*y/max(h, 1))
			} else {
				c.B = uint8(int(c.B) + 90*x/max(w, 1))
			}
			if (x/16+y/16)%2 == 0 {
				c.G = 255 - c.G
			}
			switch {
			case strings.Contains(url, "e_grayscale"):
				g := uint8((299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000)
				c = color.NRGBA{g, g, g, 255}
			case strings.Contains(url, "e_sepia"):
				g := (299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000
				c = color.NRGBA{uint8(min(g+40, 255)), uint8(min(g+20, 255)), uint8(g), 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	out, _, err := image.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("decoding the drawn image: %w", err)
	}
	return out, nil
}
