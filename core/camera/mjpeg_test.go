package camera

import (
	"bytes"
	"errors"
	"image/jpeg"
	"io"
	"testing"
)

// withAPP1 inserts an APP1 segment right after SOI, as cameras do for EXIF.
func withAPP1(jpg, payload []byte) []byte {
	n := len(payload) + 2
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1, byte(n>>8), byte(n))
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withSecondScan adds another (empty) scan before EOI: progressive JPEGs
// carry many SOS segments, each followed by its own entropy-coded data.
func withSecondScan(jpg []byte) []byte {
	body := jpg[:len(jpg)-2]
	scan := []byte{0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 1, 63, 0x00, 0x12, 0xFF, 0x00, 0x34}
	out := append(append([]byte{}, body...), scan...)
	return append(out, 0xFF, 0xD9)
}

func splitAll(t *testing.T, stream []byte) ([][]byte, error) {
	t.Helper()
	s := newJPEGSplitter(bytes.NewReader(stream))
	var frames [][]byte
	for {
		f, err := s.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return frames, nil
			}
			return frames, err
		}
		frames = append(frames, f)
	}
}

func TestSplitterCutsConcatenatedJPEGsExactly(t *testing.T) {
	plain := noisyJPEG(t, 64, 48, 1)
	if !bytes.Contains(plain, []byte{0xFF, 0x00}) {
		t.Fatal("fixture should contain byte-stuffed FF 00 in its scan data")
	}
	// An EXIF-like thumbnail: a whole JPEG, with its own FF D9, inside APP1.
	exif := withAPP1(noisyJPEG(t, 32, 32, 2), append([]byte("Exif\x00\x00"), noisyJPEG(t, 8, 8, 3)...))
	restart := restartMarkerJPEG()
	tests := []struct {
		name   string
		frames [][]byte
		decode bool
	}{
		{"one frame", [][]byte{plain}, true},
		{"several frames", [][]byte{plain, noisyJPEG(t, 16, 16, 4), plain}, true},
		{"thumbnail with its own end marker inside APP1", [][]byte{exif, plain}, true},
		{"restart markers in scan data", [][]byte{restart, restart}, true},
		{"several scans in one image", [][]byte{withSecondScan(plain), plain}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := bytes.Join(tt.frames, nil)
			got, err := splitAll(t, stream)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.frames) {
				t.Fatalf("split into %d frames, want %d", len(got), len(tt.frames))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.frames[i]) {
					t.Fatalf("frame %d differs: got %d bytes, want %d", i, len(got[i]), len(tt.frames[i]))
				}
				if tt.decode {
					if _, err := jpeg.Decode(bytes.NewReader(got[i])); err != nil {
						t.Fatalf("frame %d does not decode: %v", i, err)
					}
				}
			}
		})
	}
}

func TestSplitterSkipsGarbageBetweenFrames(t *testing.T) {
	a, b := noisyJPEG(t, 16, 16, 5), noisyJPEG(t, 16, 16, 6)
	stream := append(append(append([]byte("junk\xff\x00"), a...), []byte("\x00\xffmore")...), b...)
	got, err := splitAll(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
		t.Fatalf("got %d frames, want the two JPEGs intact", len(got))
	}
}

func TestSplitterReportsBrokenStreams(t *testing.T) {
	good := noisyJPEG(t, 16, 16, 7)
	tests := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"empty stream is a clean end", nil, 0, io.EOF},
		{"cut inside a segment", good[:20], 0, io.ErrUnexpectedEOF},
		{"cut inside scan data", good[:len(good)-10], 0, io.ErrUnexpectedEOF},
		{"cut after the start marker", []byte{0xFF, 0xD8}, 0, io.ErrUnexpectedEOF},
		{"trailing bytes that are not an image", append(append([]byte{}, good...), "tail"...), 0, errMalformedJPEG},
		{"segment length below two", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01}, 0, errMalformedJPEG},
		{"start of image inside an image", []byte{0xFF, 0xD8, 0xFF, 0xD8}, 0, errMalformedJPEG},
		{"no marker where one must be", []byte{0xFF, 0xD8, 0x12}, 0, errMalformedJPEG},
		{"frame larger than the limit", good, 64, errMalformedJPEG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newJPEGSplitter(bytes.NewReader(tt.stream))
			if tt.max > 0 {
				s.max = tt.max
			}
			var err error
			for err == nil {
				_, err = s.Next()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzJPEGSplitter(f *testing.F) {
	f.Add(noisyJPEG(f, 16, 16, 8))
	f.Add(restartMarkerJPEG())
	f.Add(append(noisyJPEG(f, 8, 8, 9), noisyJPEG(f, 8, 8, 10)...))
	f.Add(withSecondScan(noisyJPEG(f, 8, 8, 11)))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xD9})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xFF, 0xD0, 0xFF})
	f.Add([]byte("not a jpeg at all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newJPEGSplitter(bytes.NewReader(data))
		s.max = 1 << 16
		total := 0
		for i := 0; ; i++ {
			frame, err := s.Next()
			if err != nil {
				break
			}
			if !bytes.HasPrefix(frame, []byte{0xFF, 0xD8}) || !bytes.HasSuffix(frame, []byte{0xFF, 0xD9}) {
				t.Fatalf("frame %d is not SOI…EOI: % x", i, frame)
			}
			total += len(frame)
			if total > len(data) {
				t.Fatalf("split out %d bytes from %d bytes of input", total, len(data))
			}
		}
	})
}

func BenchmarkSplitter(b *testing.B) {
	frame := noisyJPEG(b, 640, 480, 12)
	stream := bytes.Repeat(frame, 30)
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		s := newJPEGSplitter(bytes.NewReader(stream))
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
	}
}
