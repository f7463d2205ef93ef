package camera

import (
	"regexp"
	"strconv"
	"strings"
)

// stderrRule maps words ffmpeg prints to a kind of failure. The process runs
// with LC_ALL=C so strerror texts ("Permission denied") are in English.
type stderrRule struct {
	text string // matched case-insensitively
	kind error
}

// stderrRules are checked in order against every stderr line; the first
// line matching any rule decides. Permission comes first: a denied open can
// be followed by follow-on errors that would read as "missing".
var stderrRules = []stderrRule{
	// Linux EACCES/EPERM on /dev/videoN.
	{"permission denied", ErrPermissionDenied},
	{"operation not permitted", ErrPermissionDenied},
	// macOS TCC: AVFoundation's NSError for AVErrorApplicationIsNotAuthorizedToUseDevice
	// ("… is not authorized to use <camera>"), printed by ffmpeg after
	// "Failed to create AV capture input device:".
	{"not authorized to use", ErrPermissionDenied},
	// Windows' text for E_ACCESSDENIED, should a capture filter report it
	// (camera privacy switched off).
	{"access is denied", ErrPermissionDenied},

	// Linux EBUSY, usually from VIDIOC_REQBUFS/STREAMON while another
	// process streams.
	{"device or resource busy", ErrBusy},
	// dshow's IMediaControl_Run failure; its own text blames another
	// application, which is by far the usual cause.
	{"could not run graph", ErrBusy},
	{"in use by another application", ErrBusy},

	// Linux ENOENT/ENODEV/ENXIO: no such node, or unplugged.
	{"no such file or directory", ErrNoCamera},
	{"no such device", ErrNoCamera},
	// A node that is not a capture device (a UVC metadata node, /dev/null).
	{"inappropriate ioctl for device", ErrNoCamera},
	{"is a directory", ErrNoCamera},
	{"not a video capture device", ErrNoCamera},
	// macOS avfoundation.
	{"video device not found", ErrNoCamera},
	{"invalid device index", ErrNoCamera},
	{"no av capture device found", ErrNoCamera},
	// Windows dshow: "Could not find video device with name [X] among source
	// devices of type video."
	{"could not find video device", ErrNoCamera},
}

// ffmpegLogPrefix is the "[v4l2 @ 0x55d…] " context ffmpeg puts before a
// component's log line.
var ffmpegLogPrefix = regexp.MustCompile(`^\[[^\]\[]* @ [^\]\[]+\]\s*`)

// stripLogPrefix removes ffmpeg's "[component @ address] " prefix.
func stripLogPrefix(line string) string {
	return ffmpegLogPrefix.ReplaceAllString(strings.TrimSpace(line), "")
}

// classifyStderr finds why ffmpeg failed. kind is nil when no rule matched;
// detail is then the last non-empty line, which is usually ffmpeg's summary.
func classifyStderr(stderr string) (kind error, detail string) {
	lines := strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n")
	for _, raw := range lines {
		line := stripLogPrefix(raw)
		lower := strings.ToLower(line)
		for _, r := range stderrRules {
			if strings.Contains(lower, r.text) {
				return r.kind, line
			}
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if l := stripLogPrefix(lines[i]); l != "" {
			return nil, l
		}
	}
	return nil, ""
}

var (
	avfIndexedLine = regexp.MustCompile(`^\[(\d+)\]\s+(.+?)\s*$`)
	dshowNameLine  = regexp.MustCompile(`^"(.*)"(?:\s+\(([^)]*)\))?\s*$`)
	dshowAltLine   = regexp.MustCompile(`^Alternative name\s+"(.*)"\s*$`)
)

// parseAVFoundationDevices reads the stderr of
// `ffmpeg -f avfoundation -list_devices true -i ""`:
//
//	[AVFoundation indev @ 0x7f…] AVFoundation video devices:
//	[AVFoundation indev @ 0x7f…] [0] FaceTime HD Camera
//	[AVFoundation indev @ 0x7f…] [1] Capture screen 0
//	[AVFoundation indev @ 0x7f…] AVFoundation audio devices:
//	[AVFoundation indev @ 0x7f…] [0] MacBook Pro Microphone
//
// Screens are skipped: they are not cameras. The ID is the name, which
// survives replugging, except where ffmpeg would misread a name: it splits
// "video:audio" at the first colon and reads a leading number as an index,
// so such names are addressed by index.
func parseAVFoundationDevices(stderr string) []Device {
	var out []Device
	inVideo := false
	for _, raw := range strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n") {
		line := stripLogPrefix(raw)
		switch {
		case strings.Contains(line, "AVFoundation video devices"):
			inVideo = true
			continue
		case strings.Contains(line, "AVFoundation audio devices"):
			inVideo = false
			continue
		}
		if !inVideo {
			continue
		}
		m := avfIndexedLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		index, name := m[1], m[2]
		if strings.HasPrefix(name, "Capture screen") {
			continue
		}
		ref := name
		if strings.Contains(name, ":") || startsWithDigit(name) {
			ref = index
		}
		out = append(out, Device{ID: avfoundationPrefix + ref, Name: name, Driver: "ffmpeg"})
	}
	return out
}

func startsWithDigit(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// parseDShowDevices reads the stderr of
// `ffmpeg -list_devices true -f dshow -i dummy`, in both shapes ffmpeg has
// printed. Since 5.0 each device carries its media types:
//
//	[dshow @ 0000…] "Integrated Camera" (video)
//	[dshow @ 0000…]   Alternative name "@device_pnp_\\?\usb#vid_04f2…"
//
// Before 5.0 devices sat under section headers:
//
//	[dshow @ 0000…] DirectShow video devices (some may be both video and audio devices)
//	[dshow @ 0000…]  "Integrated Camera"
//	[dshow @ 0000…]     Alternative name "@device_pnp_…"
//	[dshow @ 0000…] DirectShow audio devices
//
// The ID is the friendly name; when two cameras share one (two identical
// webcams) or a name holds a colon (dshow splits "video=A:audio=B" there),
// the unique alternative name is used instead.
func parseDShowDevices(stderr string) []Device {
	type entry struct {
		name, alt string
		video     bool
	}
	var entries []*entry
	var last *entry
	section := ""
	for _, raw := range strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n") {
		line := strings.TrimSpace(stripLogPrefix(raw))
		switch {
		case strings.HasPrefix(line, "DirectShow video devices"):
			section = "video"
			continue
		case strings.HasPrefix(line, "DirectShow audio devices"):
			section = "audio"
			continue
		}
		if m := dshowAltLine.FindStringSubmatch(line); m != nil {
			if last != nil && last.alt == "" {
				last.alt = m[1]
			}
			continue
		}
		m := dshowNameLine.FindStringSubmatch(line)
		if m == nil || m[1] == "" {
			continue
		}
		e := &entry{name: m[1]}
		if m[2] != "" {
			e.video = strings.Contains(m[2], "video")
		} else {
			e.video = section == "video"
		}
		entries = append(entries, e)
		last = e
	}
	count := map[string]int{}
	for _, e := range entries {
		if e.video {
			count[e.name]++
		}
	}
	var out []Device
	for _, e := range entries {
		if !e.video {
			continue
		}
		ref := e.name
		if (count[e.name] > 1 || strings.Contains(e.name, ":")) && e.alt != "" {
			ref = e.alt
		}
		out = append(out, Device{ID: dshowPrefix + ref, Name: e.name, Driver: "ffmpeg"})
	}
	return out
}

// videoNodeNumber returns N for /dev/videoN (or -1), to sort video2 before
// video10.
func videoNodeNumber(path string) int {
	i := strings.LastIndex(path, "video")
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(path[i+len("video"):])
	if err != nil {
		return -1
	}
	return n
}
