package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/childenv"
	"github.com/cloudup/cloudup/core/imageguard"
)

// media is what the sandbox learns from a file's bytes.
type media struct {
	kind     string // image, video or raw
	format   string // jpg, png, gif, webp, bmp, tiff, mp4, mov, webm, …; "" for raw
	width    int
	height   int
	pages    int
	duration float64
	details  map[string]any // video/audio fields for responses (ffprobe)
	probed   bool           // ffprobe looked at it
	probeErr error          // ffprobe could not read a file that looked like video
}

var imageFormats = map[string]string{"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "bmp": "bmp", "tiff": "tiff"}

// sniffMedia decides what a stored file is from its content, not its name.
func sniffMedia(ctx context.Context, path string) (media, error) {
	f, err := os.Open(path)
	if err != nil {
		return media{}, err
	}
	defer f.Close()
	m, audio, err := sniff(f)
	if err != nil {
		return media{}, err
	}
	if m.kind == "video" {
		probeVideo(ctx, path, &m, audio)
	}
	return m, nil
}

// sniff reads what r's first bytes say it is: an image (from its header
// alone: the resolution limit is checked from it before anything decodes
// a pixel, in commitUpload), a video or audio container (audio says which),
// or raw bytes.
func sniff(r io.ReadSeeker) (m media, audio bool, err error) {
	head := make([]byte, 4096)
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	if info, err := imageguard.Check(bytes.NewReader(head), imageguard.Limits{MaxPixels: -1, MaxBytes: -1}); err == nil || info.Format != "" {
		if err != nil {
			// The header did not fit in the first block; read more.
			if _, err := r.Seek(0, io.SeekStart); err != nil {
				return media{}, false, err
			}
			info, err = imageguard.Check(r, imageguard.Limits{MaxPixels: -1, MaxBytes: -1})
			if err != nil {
				return media{kind: "raw"}, false, nil
			}
		}
		m := media{kind: "image", format: imageFormats[info.Format], width: info.Width, height: info.Height, pages: 1}
		if m.format == "" {
			m.format = info.Format
		}
		if info.Format == "gif" {
			if _, err := r.Seek(0, io.SeekStart); err == nil {
				frames, _, _ := imageguard.GIFFrames(r)
				m.pages = max(frames, 1)
			}
		}
		return m, false, nil
	}
	if format, audio := sniffVideo(head); format != "" {
		return media{kind: "video", format: format}, audio, nil
	}
	return media{kind: "raw"}, false, nil
}

// sniffVideo recognises the containers Cloudinary stores as resource_type
// video, audio included.
func sniffVideo(h []byte) (format string, audio bool) {
	switch {
	case len(h) >= 12 && string(h[4:8]) == "ftyp":
		brand := string(h[8:12])
		switch {
		case brand == "qt  ":
			return "mov", false
		case brand == "M4A " || brand == "M4B ":
			return "m4a", true
		case strings.HasPrefix(brand, "3g"):
			return "3gp", false
		}
		return "mp4", false
	case bytes.HasPrefix(h, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		if bytes.Contains(h, []byte("webm")) {
			return "webm", false
		}
		return "mkv", false
	case len(h) >= 12 && string(h[0:4]) == "RIFF" && string(h[8:12]) == "AVI ":
		return "avi", false
	case len(h) >= 12 && string(h[0:4]) == "RIFF" && string(h[8:12]) == "WAVE":
		return "wav", true
	case bytes.HasPrefix(h, []byte("FLV")):
		return "flv", false
	case bytes.HasPrefix(h, []byte("OggS")):
		return "ogg", bytes.Contains(h, []byte("vorbis")) || bytes.Contains(h, []byte("Opus"))
	case bytes.HasPrefix(h, []byte("fLaC")):
		return "flac", true
	case bytes.HasPrefix(h, []byte("ID3")) || (len(h) > 2 && h[0] == 0xFF && h[1]&0xE6 == 0xE2):
		return "mp3", true
	case len(h) > 376 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47:
		return "ts", false
	}
	return "", false
}

// probeVideo fills in duration and dimensions with ffprobe when it is on
// PATH; without it they stay 0. The child gets a minimal environment
// (childenv): the user's CLOUDINARY_URL (a real secret) must not reach it.
func probeVideo(ctx context.Context, path string, m *media, audio bool) {
	m.details = map[string]any{"is_audio": audio}
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path)
	cmd.Env = childenv.For(childenv.Tool)
	cmd.Dir = filepath.Dir(path)
	cmd.WaitDelay = time.Second // a killed child's own children may hold its pipe
	out, err := cmd.Output()
	m.probed = true
	if err != nil {
		m.probeErr = err
		var exit *exec.ExitError
		if ctx.Err() != nil || (errors.As(err, &exit) && !exit.Exited()) {
			// Stopped by the sandbox shutting down, the time limit or a
			// signal: nothing is known about the file, so nothing may be
			// decided about it (calling it raw would put it under the
			// raw size limit, and a chunked upload would keep that answer).
			m.probeErr = &probeInterrupted{err: err}
		}
		return
	}
	if err := parseProbe(out, m); err != nil {
		m.probeErr = err
	}
}

// parseProbe reads ffprobe's JSON (-show_format -show_streams) into m: the
// duration, the first video stream's size, codec and frame rate, the
// first audio stream's codec and channels. It is the output of a program
// run on an uploaded file, so anything may be in it.
func parseProbe(out []byte, m *media) error {
	if m.details == nil {
		m.details = map[string]any{}
	}
	var probe struct {
		Format struct {
			Duration string `json:"duration"`
			BitRate  string `json:"bit_rate"`
		} `json:"format"`
		Streams []struct {
			CodecType    string `json:"codec_type"`
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			RFrameRate   string `json:"r_frame_rate"`
			SampleRate   string `json:"sample_rate"`
			Channels     int    `json:"channels"`
			PixFmt       string `json:"pix_fmt"`
			BitRate      string `json:"bit_rate"`
			ChannelsDesc string `json:"channel_layout"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		return err
	}
	if d, err := strconv.ParseFloat(probe.Format.Duration, 64); err == nil && d > 0 && !math.IsInf(d, 0) {
		m.duration = d
	}
	if br, err := strconv.Atoi(probe.Format.BitRate); err == nil {
		m.details["bit_rate"] = br
	}
	hasVideo := false
	for _, st := range probe.Streams {
		switch st.CodecType {
		case "video":
			if hasVideo {
				continue
			}
			hasVideo = true
			m.width, m.height = max(st.Width, 0), max(st.Height, 0)
			v := map[string]any{"codec": st.CodecName, "pix_format": st.PixFmt}
			if br, err := strconv.Atoi(st.BitRate); err == nil {
				v["bit_rate"] = strconv.Itoa(br)
			}
			m.details["video"] = v
			if fr := frameRate(st.RFrameRate); fr > 0 && !math.IsInf(fr, 0) {
				m.details["frame_rate"] = fr
			}
		case "audio":
			if _, ok := m.details["audio"]; ok {
				continue
			}
			a := map[string]any{"codec": st.CodecName, "channels": st.Channels, "channel_layout": st.ChannelsDesc}
			if sr, err := strconv.Atoi(st.SampleRate); err == nil {
				a["frequency"] = sr
			}
			m.details["audio"] = a
		}
	}
	m.details["is_audio"] = !hasVideo
	if m.duration > 0 {
		m.details["duration"] = m.duration
	}
	return nil
}

func frameRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 {
		return 0
	}
	return n / d
}

// contentTypes for originals by format.
var contentTypes = map[string]string{
	"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp",
	"tiff": "image/tiff", "avif": "image/avif", "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
	"mkv": "video/x-matroska", "avi": "video/x-msvideo", "flv": "video/x-flv", "ts": "video/mp2t", "3gp": "video/3gpp",
	"ogg": "video/ogg", "m4a": "audio/mp4", "mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac",
}

// probeInterrupted is an ffprobe run that ended before it could say
// anything about the file. It is the sandbox's trouble, not the file's: the
// answer is a 503 to send again, never a decision about the file.
type probeInterrupted struct{ err error }

func (e *probeInterrupted) Error() string {
	return "reading the video was interrupted (" + e.err.Error() + ")"
}

func (e *probeInterrupted) Unwrap() error { return e.err }
