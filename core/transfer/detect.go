package transfer

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Resource types as Cloudinary names them.
const (
	Image = "image"
	Video = "video" // also audio
	Raw   = "raw"
)

// formatAliases folds spellings of one format together.
var formatAliases = map[string]string{"jpeg": "jpg", "jpe": "jpg", "jfif": "jpg", "tif": "tiff", "mpeg": "mpg", "heif": "heic"}

// NormalizeFormat lower-cases a format or extension and folds aliases
// ("JPEG" and ".jpeg" are "jpg").
func NormalizeFormat(f string) string {
	f = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "."))
	if a, ok := formatAliases[f]; ok {
		return a
	}
	return f
}

// typeByFormat is what Cloudinary's "auto" does with each format, so the
// right size limit applies before anything is sent. PDFs and PSDs are
// images to Cloudinary; audio is video.
var typeByFormat = map[string]string{}

func init() {
	for _, f := range strings.Fields("jpg png gif webp bmp tiff ico svg heic avif jxl psd pdf ai eps arw cr2 cr3 nef dng orf raf rw2 tga jp2 wdp hdr exr") {
		typeByFormat[f] = Image
	}
	for _, f := range strings.Fields("mp4 mov avi mkv webm m4v 3gp 3g2 flv wmv mpg m2ts mts ts ogv mxf hls m3u8 mp3 wav aac m4a flac ogg oga opus aiff wma amr") {
		typeByFormat[f] = Video
	}
}

// formatBySniff maps content types from http.DetectContentType to formats,
// for files whose name has no known extension.
var formatBySniff = map[string]string{
	"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
	"image/bmp": "bmp", "image/x-icon": "ico", "image/avif": "avif", "application/pdf": "pdf",
	"video/mp4": "mp4", "video/webm": "webm", "video/avi": "avi", "audio/mpeg": "mp3",
	"audio/wave": "wav", "audio/aiff": "aiff", "application/ogg": "ogg", "audio/basic": "au",
}

// Detect says what Cloudinary will make of a file: its resource type and
// format, by extension first and by sniffing the first bytes (when head is
// given) for names without a known one.
func Detect(name string, head io.Reader) (resourceType, format string) {
	format = NormalizeFormat(path.Ext(name))
	if rt, ok := typeByFormat[format]; ok {
		return rt, format
	}
	if head != nil {
		buf := make([]byte, 512)
		n, _ := io.ReadFull(head, buf)
		ct := http.DetectContentType(buf[:n])
		ct, _, _ = strings.Cut(ct, ";")
		if f, ok := formatBySniff[ct]; ok {
			if rt, ok := typeByFormat[f]; ok {
				return rt, f
			}
			return Raw, f
		}
		switch {
		case strings.HasPrefix(ct, "image/"):
			return Image, format
		case strings.HasPrefix(ct, "video/"), strings.HasPrefix(ct, "audio/"):
			return Video, format
		}
	}
	return Raw, format
}

// DetectURL guesses from a remote URL's path; the server decides in the end.
func DetectURL(raw string) (resourceType, format string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "data" {
		if strings.HasPrefix(raw, "data:") {
			mediaType, _, _ := strings.Cut(strings.TrimPrefix(raw, "data:"), ";")
			mediaType, _, _ = strings.Cut(mediaType, ",")
			if f, ok := formatBySniff[mediaType]; ok {
				return typeOf(f), f
			}
		}
		return Raw, ""
	}
	return Detect(path.Base(u.Path), nil)
}

func typeOf(format string) string {
	if rt, ok := typeByFormat[format]; ok {
		return rt
	}
	return Raw
}

// checkLimits applies a profile's limits to a file about to be uploaded.
func checkLimits(l Limits, name, resourceType, format string, size int64) error {
	if len(l.AllowedFormats) > 0 {
		ok := false
		for _, f := range l.AllowedFormats {
			if NormalizeFormat(f) == format {
				ok = true
				break
			}
		}
		if !ok {
			shown := format
			if shown == "" {
				shown = "(none)"
			}
			return &RejectedError{Kind: ErrFormatNotAllowed, Reason: fmt.Sprintf("%s: format %s is not allowed by this profile (allowed: %s); convert it or change the profile's allowed formats",
				name, shown, strings.Join(l.AllowedFormats, ", "))}
		}
	}
	max := map[string]int64{Image: l.MaxImageBytes, Video: l.MaxVideoBytes, Raw: l.MaxRawBytes}[resourceType]
	if max > 0 && size > max {
		kind := map[string]string{Image: "images", Video: "videos", Raw: "other files"}[resourceType]
		return &RejectedError{Kind: ErrTooLarge, Size: size, Limit: max, Reason: fmt.Sprintf("%s is %s, over this profile's %s limit for %s; shrink it or raise the limit in the profile",
			name, HumanBytes(size), HumanBytes(max), kind)}
	}
	return nil
}

// HumanBytes writes a byte count the way people read it: "1.5 MB".
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}
