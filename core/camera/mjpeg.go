package camera

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// maxFrameBytes bounds one JPEG frame. An 8K frame at high quality is a few
// MB; anything bigger is a broken stream, and the bound keeps a broken
// stream from eating memory.
const maxFrameBytes = 32 << 20

// errMalformedJPEG marks a byte stream that is not a sequence of JPEGs.
var errMalformedJPEG = errors.New("malformed MJPEG stream")

// jpegSplitter cuts a concatenation of JPEG images (what ffmpeg's image2pipe
// muxer writes) into single images by walking the JPEG marker structure.
// Scanning for the bytes FF D9 alone is not enough: an EXIF thumbnail
// inside an APP1 segment carries its own end marker, so the splitter skips
// every segment by its declared length and looks for markers only in
// entropy-coded data, where FF is always byte-stuffed.
type jpegSplitter struct {
	r   *bufio.Reader
	max int
}

func newJPEGSplitter(r io.Reader) *jpegSplitter {
	return &jpegSplitter{r: bufio.NewReaderSize(r, 64<<10), max: maxFrameBytes}
}

// Next returns the next complete JPEG, SOI to EOI. It returns io.EOF at a
// clean end between images and io.ErrUnexpectedEOF inside one. Bytes before
// a start-of-image marker are skipped (bounded by the frame limit).
func (s *jpegSplitter) Next() ([]byte, error) {
	if err := s.skipToSOI(); err != nil {
		return nil, err
	}
	frame := make([]byte, 0, 64<<10)
	frame = append(frame, 0xFF, 0xD8)
	marker, err := s.readMarker()
	for {
		if err != nil {
			return nil, eofInside(err)
		}
		frame = append(frame, 0xFF, marker)
		switch {
		case marker == 0xD9: // EOI
			return frame, nil
		case marker == 0xD8:
			return nil, fmt.Errorf("%w: start of image inside an image", errMalformedJPEG)
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			// TEM and RSTn stand alone: no length follows.
			marker, err = s.readMarker()
			continue
		}
		if frame, err = s.appendSegment(frame); err != nil {
			return nil, err
		}
		if marker == 0xDA { // SOS: entropy-coded data follows, up to the next marker
			frame, marker, err = s.appendEntropyCoded(frame)
		} else {
			marker, err = s.readMarker()
		}
		if len(frame) > s.max {
			return nil, fmt.Errorf("%w: a frame exceeds %d bytes", errMalformedJPEG, s.max)
		}
	}
}

// skipToSOI consumes bytes up to and including the next FF D8.
func (s *jpegSplitter) skipToSOI() error {
	skipped := 0
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) && skipped > 0 {
				return fmt.Errorf("%w: %d trailing bytes are not an image", errMalformedJPEG, skipped)
			}
			return err
		}
		if b != 0xFF {
			skipped++
			if skipped > s.max {
				return fmt.Errorf("%w: no start of image in %d bytes", errMalformedJPEG, skipped)
			}
			continue
		}
		next, err := s.r.Peek(1)
		if err != nil {
			return eofInside(err)
		}
		if next[0] == 0xD8 {
			_, _ = s.r.ReadByte()
			return nil
		}
		skipped++
	}
}

// readMarker reads FF xx (skipping FF fill bytes) and returns xx.
func (s *jpegSplitter) readMarker() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, fmt.Errorf("%w: expected a marker, found byte %#02x", errMalformedJPEG, b)
	}
	for {
		m, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if m != 0xFF {
			return m, nil
		}
	}
}

// appendSegment copies a length-prefixed segment body.
func (s *jpegSplitter) appendSegment(frame []byte) ([]byte, error) {
	var lenBytes [2]byte
	if _, err := io.ReadFull(s.r, lenBytes[:]); err != nil {
		return nil, eofInside(err)
	}
	n := int(lenBytes[0])<<8 | int(lenBytes[1])
	if n < 2 {
		return nil, fmt.Errorf("%w: segment length %d", errMalformedJPEG, n)
	}
	if len(frame)+n > s.max {
		return nil, fmt.Errorf("%w: a frame exceeds %d bytes", errMalformedJPEG, s.max)
	}
	frame = append(frame, lenBytes[0], lenBytes[1])
	start := len(frame)
	frame = append(frame, make([]byte, n-2)...)
	if _, err := io.ReadFull(s.r, frame[start:]); err != nil {
		return nil, eofInside(err)
	}
	return frame, nil
}

// appendEntropyCoded copies scan data and returns the marker that ends it,
// consumed. Inside scan data FF 00 is a stuffed FF and FF D0–D7 are restart
// markers; FF FF is fill before a marker; any other FF xx ends the scan.
func (s *jpegSplitter) appendEntropyCoded(frame []byte) ([]byte, byte, error) {
	for {
		chunk, err := s.r.ReadSlice(0xFF)
		if errors.Is(err, bufio.ErrBufferFull) {
			frame = append(frame, chunk...)
			if len(frame) > s.max {
				return nil, 0, fmt.Errorf("%w: a frame exceeds %d bytes", errMalformedJPEG, s.max)
			}
			continue
		}
		if err != nil {
			return nil, 0, eofInside(err)
		}
		frame = append(frame, chunk[:len(chunk)-1]...) // all but the FF
		b, err := s.r.ReadByte()
		for err == nil && b == 0xFF {
			b, err = s.r.ReadByte()
		}
		if err != nil {
			return nil, 0, eofInside(err)
		}
		if b == 0x00 || (b >= 0xD0 && b <= 0xD7) {
			frame = append(frame, 0xFF, b)
			if len(frame) > s.max {
				return nil, 0, fmt.Errorf("%w: a frame exceeds %d bytes", errMalformedJPEG, s.max)
			}
			continue
		}
		return frame, b, nil
	}
}

// eofInside turns an EOF in the middle of an image into ErrUnexpectedEOF.
func eofInside(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
