package camera

import "testing"

func TestChooseModePrefers720pAtPreviewRateInADecodableFormat(t *testing.T) {
	decodable := func(f string) bool { return f == "MJPEG" || f == "YUYV" || f == "NV12" }
	tests := []struct {
		name   string
		modes  []videoMode
		want   videoMode
		wantOK bool
	}{
		{"nothing offered", nil, videoMode{}, false},
		{"only undecodable formats", []videoMode{{1280, 720, 30, "H264"}}, videoMode{}, false},
		{"closest to 720p wins",
			[]videoMode{{640, 480, 30, "YUYV"}, {1920, 1080, 30, "MJPEG"}, {1280, 720, 30, "MJPEG"}, {320, 240, 30, "YUYV"}},
			videoMode{1280, 720, 30, "MJPEG"}, true},
		{"a big mode at 5 fps loses to a smaller fluent one",
			[]videoMode{{1280, 720, 5, "YUYV"}, {640, 480, 30, "YUYV"}},
			videoMode{640, 480, 30, "YUYV"}, true},
		{"same size: higher rate, then MJPEG",
			[]videoMode{{1280, 720, 10, "YUYV"}, {1280, 720, 30, "YUYV"}, {1280, 720, 30, "MJPEG"}},
			videoMode{1280, 720, 30, "MJPEG"}, true},
		{"unknown rate (DirectShow) counts as fluent",
			[]videoMode{{640, 480, 0, "YUYV"}, {1280, 720, 0, "YUYV"}},
			videoMode{1280, 720, 0, "YUYV"}, true},
		{"zero sizes are ignored", []videoMode{{0, 0, 30, "MJPEG"}, {160, 120, 30, "NV12"}}, videoMode{160, 120, 30, "NV12"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := chooseMode(tt.modes, decodable)
			if ok != tt.wantOK || got != tt.want {
				t.Fatalf("got %+v (%v), want %+v (%v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
