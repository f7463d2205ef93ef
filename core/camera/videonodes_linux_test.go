package camera

import (
	"encoding/binary"
	"testing"
)

func TestParseV4L2CapabilityTellsCaptureFromMetadataNodes(t *testing.T) {
	build := func(card string, caps, deviceCaps uint32) [v4l2CapabilitySize]byte {
		var raw [v4l2CapabilitySize]byte
		copy(raw[0:16], "uvcvideo")
		copy(raw[16:48], card)
		copy(raw[48:80], "usb-0000:00:14.0-8")
		binary.NativeEndian.PutUint32(raw[84:88], caps)
		binary.NativeEndian.PutUint32(raw[88:92], deviceCaps)
		return raw
	}
	const (
		streaming = 0x04000000
		metaCap   = 0x00800000
	)
	tests := []struct {
		name string
		raw  [v4l2CapabilitySize]byte
		want videoNodeInfo
	}{
		{"UVC capture node", build("Integrated Camera: Integrated C", v4l2CapVideoCapture|metaCap|streaming|v4l2CapDeviceCaps, v4l2CapVideoCapture|streaming),
			videoNodeInfo{card: "Integrated Camera: Integrated C", capture: true, ok: true}},
		{"UVC metadata node of the same camera", build("Integrated Camera: Integrated C", v4l2CapVideoCapture|metaCap|streaming|v4l2CapDeviceCaps, metaCap|streaming),
			videoNodeInfo{card: "Integrated Camera: Integrated C", capture: false, ok: true}},
		{"multi-planar capture", build("rkisp1", v4l2CapVideoCaptureMplane|v4l2CapDeviceCaps, v4l2CapVideoCaptureMplane),
			videoNodeInfo{card: "rkisp1", capture: true, ok: true}},
		{"old driver without device caps", build("bttv", v4l2CapVideoCapture, 0),
			videoNodeInfo{card: "bttv", capture: true, ok: true}},
		{"card name fills the field", build("0123456789012345678901234567890123456789", v4l2CapVideoCapture, 0),
			videoNodeInfo{card: "01234567890123456789012345678901", capture: true, ok: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseV4L2Capability(tt.raw); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestQueryVideoNodeOnANonDeviceIsNotOK(t *testing.T) {
	for _, p := range []string{"/dev/null", "/nonexistent/video0"} {
		if info := queryVideoNode(p); info.ok {
			t.Errorf("queryVideoNode(%s) = %+v, want not ok", p, info)
		}
	}
}
