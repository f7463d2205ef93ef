// Package delivered measures what readers download: it requests a delivery
// URL the way a browser does (an Accept header listing AVIF and WebP, so
// f_auto chooses as it would for readers) and reads the format from
// Content-Type, the bytes from Content-Length (or the body when the CDN
// streams it) and the pixel size from the image's own header.
package delivered

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/gif" // decoders for the pixel size of what is delivered
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// BrowserAccept is what a current browser sends for an <img>.
const BrowserAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

// Result is one delivered response.
type Result struct {
	ContentType   string
	Format        string // JPEG, WebP, AVIF, PNG, GIF, MP4, WebM…
	Bytes         int64
	Width, Height int // 0 when the format's header is not read (video, AVIF)
}

// Probe requests url as a browser would and measures the answer. Only the
// image header is decoded; the rest of the body is counted, not kept.
func Probe(ctx context.Context, client *http.Client, url string) (Result, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Accept", BrowserAccept)
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := resp.Header.Get("X-Cld-Error")
		if msg == "" {
			msg = resp.Status
		}
		return Result{}, fmt.Errorf("the delivery answered %d (%s)", resp.StatusCode, msg)
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	r := Result{ContentType: mt, Format: FormatName(mt)}
	counter := &countReader{r: resp.Body}
	br := bufio.NewReaderSize(counter, mp4Head)
	switch {
	case strings.HasPrefix(mt, "image/"):
		if cfg, _, err := image.DecodeConfig(br); err == nil {
			r.Width, r.Height = cfg.Width, cfg.Height
		}
	case mt == "video/mp4" || mt == "video/quicktime":
		// The picture size is in the track header, at the start of files
		// made for the web (moov first).
		if head, _ := br.Peek(mp4Head); len(head) > 0 {
			r.Width, r.Height = mp4Size(head)
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return Result{}, fmt.Errorf("the delivery stopped mid-answer: %w", err)
	}
	r.Bytes = counter.n
	if cl, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil && cl != counter.n {
		return Result{}, fmt.Errorf("the delivery announced %d bytes but sent %d", cl, counter.n)
	}
	return r, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FormatName is how a media type is named to an editor.
func FormatName(mediaType string) string {
	switch mediaType {
	case "image/jpeg":
		return "JPEG"
	case "image/webp":
		return "WebP"
	case "image/avif":
		return "AVIF"
	case "image/png":
		return "PNG"
	case "image/gif":
		return "GIF"
	case "image/svg+xml":
		return "SVG"
	case "video/mp4":
		return "MP4"
	case "video/webm":
		return "WebM"
	}
	if _, sub, ok := strings.Cut(mediaType, "/"); ok {
		return strings.ToUpper(sub)
	}
	return "Unknown format"
}

// Size is a byte count as an editor reads it: 84 kB, 1.4 MB (decimal
// units, as browsers' network panels show).
func Size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000_000:
		return fmt.Sprintf("%d kB", (n+500)/1000)
	case n < 10_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%d MB", (n+500_000)/1000_000)
	}
}

// Describe says what readers download, against the original's bytes:
// "WebP 1200×630 · 84 kB · 94 % smaller than the 1.4 MB original".
// original ≤ 0 leaves the comparison out.
func (r Result) Describe(original int64) string {
	parts := []string{r.Format}
	if r.Width > 0 && r.Height > 0 {
		parts[0] += fmt.Sprintf(" %d×%d", r.Width, r.Height)
	}
	parts = append(parts, Size(r.Bytes))
	if original > 0 {
		parts = append(parts, Saving(r.Bytes, original))
	}
	return strings.Join(parts, " · ")
}

// Saving compares delivered bytes with the original's.
func Saving(bytes, original int64) string {
	switch {
	case bytes == original:
		return "the same size as the original"
	case bytes < original:
		pct := (original - bytes) * 100 / original // rounded down: never claims more than it saves
		if pct == 0 {
			return "slightly smaller than the " + Size(original) + " original"
		}
		return fmt.Sprintf("%d %% smaller than the %s original", pct, Size(original))
	default:
		pct := (bytes - original) * 100 / original
		if pct == 0 {
			return "slightly larger than the " + Size(original) + " original"
		}
		return fmt.Sprintf("%d %% larger than the %s original", pct, Size(original))
	}
}

// mp4Head is how much of a video is searched for its track header.
const mp4Head = 1 << 20

// mp4Size reads the first video track's width and height (16.16 fixed
// point) from its tkhd box; 0, 0 when head has none.
func mp4Size(head []byte) (int, int) {
	for off := 0; ; {
		i := bytes.Index(head[off:], []byte("tkhd"))
		if i < 0 {
			return 0, 0
		}
		p := off + i + 4 // the version byte
		at := p + 76
		if p < len(head) && head[p] == 1 {
			at = p + 88
		}
		if at+8 <= len(head) {
			w := int(binary.BigEndian.Uint32(head[at:]) >> 16)
			h := int(binary.BigEndian.Uint32(head[at+4:]) >> 16)
			if w > 0 && h > 0 {
				return w, h // audio tracks have 0×0
			}
		}
		off = p
	}
}
