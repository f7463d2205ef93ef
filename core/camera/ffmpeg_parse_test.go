package camera

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Lines are real ffmpeg stderr: the v4l2 ones captured from ffmpeg 5.1 on
// this machine or quoted in bug reports, the dshow and avfoundation ones from
// libavdevice's sources and users' logs.
func TestClassifyStderrMapsRealFFmpegMessages(t *testing.T) {
	tests := []struct {
		name       string
		stderr     string
		wantKind   error
		wantDetail string
	}{
		{"v4l2 missing node",
			"[video4linux2,v4l2 @ 0x55a6e8d65900] Cannot open video device /dev/video9: No such file or directory\n/dev/video9: No such file or directory\n",
			ErrNoCamera, "Cannot open video device /dev/video9: No such file or directory"},
		{"v4l2 permission",
			"[video4linux2,v4l2 @ 0x5581e3c8e900] Cannot open video device /dev/video0: Permission denied\n/dev/video0: Permission denied\n",
			ErrPermissionDenied, "Cannot open video device /dev/video0: Permission denied"},
		{"v4l2 busy at buffer request",
			"[video4linux2,v4l2 @ 0x561d3b1c3f00] ioctl(VIDIOC_REQBUFS): Device or resource busy\n/dev/video0: Device or resource busy\n",
			ErrBusy, "ioctl(VIDIOC_REQBUFS): Device or resource busy"},
		{"v4l2 busy at stream on",
			"[video4linux2,v4l2 @ 0x5606c1b9e7c0] ioctl(VIDIOC_STREAMON): Device or resource busy\n",
			ErrBusy, "ioctl(VIDIOC_STREAMON): Device or resource busy"},
		{"v4l2 metadata node",
			"[video4linux2,v4l2 @ 0x55df87e7a900] ioctl(VIDIOC_QUERYCAP): Inappropriate ioctl for device\n/dev/video1: Inappropriate ioctl for device\n",
			ErrNoCamera, "ioctl(VIDIOC_QUERYCAP): Inappropriate ioctl for device"},
		{"v4l2 unplugged mid-stream",
			"[video4linux2,v4l2 @ 0x55e0] ioctl(VIDIOC_DQBUF): No such device\n",
			ErrNoCamera, "ioctl(VIDIOC_DQBUF): No such device"},
		{"dshow busy (ffmpeg 7 and later)",
			"[dshow @ 000001ee0b315840] Could not run graph (sometimes caused by a device already in use by other application)\n[in#0 @ 000001ee0b3155c0] Error opening input: I/O error\nError opening input file video=FHD Camera.\n",
			ErrBusy, "Could not run graph (sometimes caused by a device already in use by other application)"},
		{"dshow missing",
			"[dshow @ 0000019cfc3a5140] Could not find video device with name [No Such Cam] among source devices of type video.\r\nvideo=No Such Cam: I/O error\r\n",
			ErrNoCamera, "Could not find video device with name [No Such Cam] among source devices of type video."},
		{"avfoundation missing",
			"[AVFoundation indev @ 0x7fa1c8e04a40] Video device not found\nFaceTime: Input/output error\n",
			ErrNoCamera, "Video device not found"},
		{"avfoundation not authorized",
			"[AVFoundation indev @ 0x7f9] Failed to create AV capture input device: This app is not authorized to use FaceTime HD Camera.\n",
			ErrPermissionDenied, "Failed to create AV capture input device: This app is not authorized to use FaceTime HD Camera."},
		{"avfoundation bad index",
			"[AVFoundation indev @ 0x7f9] Invalid device index\n0:none: Input/output error\n",
			ErrNoCamera, "Invalid device index"},
		{"unrelated failure keeps the last line",
			"[avfoundation @ 0x7f] Selected framerate (29.970030) is not supported by the device.\n[avfoundation @ 0x7f] Supported modes:\n0: Input/output error\n\n",
			nil, "0: Input/output error"},
		{"nothing printed", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, detail := classifyStderr(tt.stderr)
			if kind != tt.wantKind {
				t.Errorf("kind %v, want %v", kind, tt.wantKind)
			}
			if detail != tt.wantDetail {
				t.Errorf("detail %q, want %q", detail, tt.wantDetail)
			}
		})
	}
}

func TestParseAVFoundationDevicesSkipsScreensAndMicrophones(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   []Device
	}{
		{"built-in camera and screens",
			`[AVFoundation indev @ 0x7f8b1b404a80] AVFoundation video devices:
[AVFoundation indev @ 0x7f8b1b404a80] [0] FaceTime HD Camera
[AVFoundation indev @ 0x7f8b1b404a80] [1] Capture screen 0
[AVFoundation indev @ 0x7f8b1b404a80] [2] Capture screen 1
[AVFoundation indev @ 0x7f8b1b404a80] AVFoundation audio devices:
[AVFoundation indev @ 0x7f8b1b404a80] [0] Built-in Microphone
: Input/output error
`, []Device{{ID: "avfoundation:FaceTime HD Camera", Name: "FaceTime HD Camera", Driver: "ffmpeg"}}},
		{"newer prefix, names that ffmpeg would misread go by index",
			`[AVFoundation input device @ 0x600003a0c000] AVFoundation video devices:
[AVFoundation input device @ 0x600003a0c000] [0] MacBook Pro Camera
[AVFoundation input device @ 0x600003a0c000] [1] Studio: Desk Cam
[AVFoundation input device @ 0x600003a0c000] [2] 4K USB Camera
[AVFoundation input device @ 0x600003a0c000] [3] Capture screen 0
[AVFoundation input device @ 0x600003a0c000] AVFoundation audio devices:
[AVFoundation input device @ 0x600003a0c000] [0] MacBook Pro Microphone
`, []Device{
				{ID: "avfoundation:MacBook Pro Camera", Name: "MacBook Pro Camera", Driver: "ffmpeg"},
				{ID: "avfoundation:1", Name: "Studio: Desk Cam", Driver: "ffmpeg"},
				{ID: "avfoundation:2", Name: "4K USB Camera", Driver: "ffmpeg"},
			}},
		{"no cameras", "[AVFoundation indev @ 0x1] AVFoundation video devices:\n[AVFoundation indev @ 0x1] AVFoundation audio devices:\n", nil},
		{"not a listing", "ffmpeg: command not found\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseAVFoundationDevices(tt.stderr); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseDShowDevicesReadsBothListingShapes(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		want   []Device
	}{
		{"ffmpeg 5 and later: types after the name",
			"[dshow @ 000001f2a1b2c3d0] \"Integrated Camera\" (video)\r\n" +
				"[dshow @ 000001f2a1b2c3d0]   Alternative name \"@device_pnp_\\\\?\\usb#vid_04f2&pid_b6d9&mi_00#6&1e3c0a1&0&0000#{65e8773d-8f56-11d0-a3b9-00a0c9223196}\\global\"\r\n" +
				"[dshow @ 000001f2a1b2c3d0] \"Microphone Array (Realtek(R) Audio)\" (audio)\r\n" +
				"[dshow @ 000001f2a1b2c3d0]   Alternative name \"@device_cm_{33D9A762-90C8-11D0-BD43-00A0C911CE86}\\wave_{B1F1}\"\r\n" +
				"[dshow @ 000001f2a1b2c3d0] \"HD Webcam C920\" (video, audio)\r\n" +
				"[dshow @ 000001f2a1b2c3d0]   Alternative name \"@device_pnp_c920\"\r\n" +
				"[dshow @ 000001f2a1b2c3d0] \"OBS Virtual Camera\" (none)\r\n" +
				"[dshow @ 000001f2a1b2c3d0]   Alternative name \"@device_sw_obs\"\r\n" +
				"[in#0 @ 000001f2a1b2c1c0] Error opening input: Immediate exit requested\r\n",
			[]Device{
				{ID: "dshow:Integrated Camera", Name: "Integrated Camera", Driver: "ffmpeg"},
				{ID: "dshow:HD Webcam C920", Name: "HD Webcam C920", Driver: "ffmpeg"},
			}},
		{"ffmpeg 4: section headers",
			`[dshow @ 0000020c8e2ea4c0] DirectShow video devices (some may be both video and audio devices)
[dshow @ 0000020c8e2ea4c0]  "USB2.0 HD UVC WebCam"
[dshow @ 0000020c8e2ea4c0]     Alternative name "@device_pnp_\\?\usb#vid_13d3&pid_56dd"
[dshow @ 0000020c8e2ea4c0] DirectShow audio devices
[dshow @ 0000020c8e2ea4c0]  "Microphone (Realtek High Definition Audio)"
[dshow @ 0000020c8e2ea4c0]     Alternative name "@device_cm_{33D9A762}\wave_{A1}"
dummy: Immediate exit requested
`, []Device{{ID: "dshow:USB2.0 HD UVC WebCam", Name: "USB2.0 HD UVC WebCam", Driver: "ffmpeg"}}},
		{"twin cameras and colons go by alternative name",
			`[dshow @ 01] "USB Camera" (video)
[dshow @ 01]   Alternative name "@device_pnp_usb_a"
[dshow @ 01] "USB Camera" (video)
[dshow @ 01]   Alternative name "@device_pnp_usb_b"
[dshow @ 01] "Cam: Front" (video)
[dshow @ 01]   Alternative name "@device_pnp_front"
`, []Device{
				{ID: "dshow:@device_pnp_usb_a", Name: "USB Camera", Driver: "ffmpeg"},
				{ID: "dshow:@device_pnp_usb_b", Name: "USB Camera", Driver: "ffmpeg"},
				{ID: "dshow:@device_pnp_front", Name: "Cam: Front", Driver: "ffmpeg"},
			}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDShowDevices(tt.stderr); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestInputArgsPerOSAndDevice(t *testing.T) {
	tests := []struct {
		goos, id string
		want     []string
		wantErr  error
	}{
		{"linux", "/dev/video0", []string{"-f", "v4l2", "-i", "/dev/video0"}, nil},
		{"linux", "/dev/v4l/by-id/usb-Logitech_C920-video-index0", []string{"-f", "v4l2", "-i", "/dev/v4l/by-id/usb-Logitech_C920-video-index0"}, nil},
		{"freebsd", "/dev/video1", []string{"-f", "v4l2", "-i", "/dev/video1"}, nil},
		{"linux", "/dev/../etc/passwd", nil, ErrNoCamera},
		{"linux", "video0", nil, ErrNoCamera},
		{"linux", "dshow:Integrated Camera", nil, ErrNoCamera},
		{"darwin", "avfoundation:FaceTime HD Camera", []string{"-f", "avfoundation", "-framerate", "30", "-i", "FaceTime HD Camera:none"}, nil},
		{"darwin", "avfoundation:1", []string{"-f", "avfoundation", "-framerate", "30", "-i", "1:none"}, nil},
		{"darwin", "avfoundation:", nil, ErrNoCamera},
		{"darwin", "/dev/video0", nil, ErrNoCamera},
		{"windows", "dshow:Integrated Camera", []string{"-f", "dshow", "-rtbufsize", "64M", "-i", "video=Integrated Camera"}, nil},
		{"windows", "dshow:", nil, ErrNoCamera},
		{"windows", "lavfi:testsrc2", []string{"-re", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15"}, nil},
		{"linux", "lavfi:smptebars", []string{"-re", "-f", "lavfi", "-i", "smptebars=size=640x480:rate=15"}, nil},
		{"linux", "lavfi:movie=/etc/passwd", nil, ErrNoCamera},
		{"linux", "", nil, ErrNoCamera},
	}
	for _, tt := range tests {
		got, err := inputArgs(tt.goos, tt.id, 15)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("inputArgs(%s, %q): error %v, want %v", tt.goos, tt.id, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("inputArgs(%s, %q) = %q, want %q", tt.goos, tt.id, got, tt.want)
		}
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tb := tailBuffer{max: 8}
	for _, s := range []string{"abc", "defg", "hij", "0123456789ABCDEF", "xy"} {
		if n, err := tb.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := tb.String(); got != "ABCDEFxy" {
		t.Fatalf("kept %q, want the last 8 bytes %q", got, "ABCDEFxy")
	}
}

func FuzzClassifyStderr(f *testing.F) {
	f.Add("[video4linux2,v4l2 @ 0x55] Cannot open video device /dev/video0: Permission denied\n")
	f.Add("[dshow @ 01] Could not run graph (sometimes caused by a device already in use by other application)\r\n")
	f.Add("[ @ ]\n\n\r\n[[[ @ x]]] no such device")
	f.Fuzz(func(t *testing.T, stderr string) {
		kind, detail := classifyStderr(stderr)
		if strings.ContainsAny(detail, "\n") {
			t.Fatalf("detail %q spans lines", detail)
		}
		if kind != nil && (detail == "" || !strings.Contains(stderr, detail)) {
			t.Fatalf("classified as %v with detail %q, which is not a line of the input", kind, detail)
		}
		if kind != nil && kind != ErrNoCamera && kind != ErrBusy && kind != ErrPermissionDenied {
			t.Fatalf("unexpected kind %v", kind)
		}
	})
}

func FuzzParseDeviceListings(f *testing.F) {
	f.Add("[dshow @ 01] \"Integrated Camera\" (video)\n[dshow @ 01]   Alternative name \"@device_pnp_x\"\n")
	f.Add("[dshow @ 01] DirectShow video devices\n[dshow @ 01]  \"Cam\"\n")
	f.Add("[AVFoundation indev @ 0x7] AVFoundation video devices:\n[AVFoundation indev @ 0x7] [0] FaceTime HD Camera\n")
	f.Add("\"\" ()\n[0] \nAlternative name \"\"")
	f.Fuzz(func(t *testing.T, stderr string) {
		for _, devs := range [][]Device{parseDShowDevices(stderr), parseAVFoundationDevices(stderr)} {
			for _, d := range devs {
				if d.Name == "" || d.Driver != "ffmpeg" {
					t.Fatalf("bad device %+v", d)
				}
				if !strings.HasPrefix(d.ID, dshowPrefix) && !strings.HasPrefix(d.ID, avfoundationPrefix) {
					t.Fatalf("device ID %q has no backend prefix", d.ID)
				}
				if d.ID == dshowPrefix || d.ID == avfoundationPrefix {
					t.Fatalf("device ID %q names nothing", d.ID)
				}
			}
		}
	})
}
