package imageguard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// GIFFrames counts the frames of a GIF by walking its blocks, skipping the
// compressed pixel data. gif.DecodeAll would decode every frame at full
// size first: a few kilobytes of LZW data per frame can declare a screen
// of millions of pixels, so a 10 MB animation can ask for gigabytes.
// FramePixels is the sum of the frames' declared areas.
func GIFFrames(r io.Reader) (frames int, framePixels int64, err error) {
	br := bufio.NewReader(r)
	var head [13]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return 0, 0, fmt.Errorf("%w: a GIF cut short in its header", ErrUndecodable)
	}
	if string(head[:6]) != "GIF87a" && string(head[:6]) != "GIF89a" {
		return 0, 0, fmt.Errorf("%w: not a GIF", ErrUndecodable)
	}
	if head[10]&0x80 != 0 {
		if err := skip(br, 3<<(head[10]&7+1)); err != nil {
			return 0, 0, err
		}
	}
	for {
		kind, err := br.ReadByte()
		if err != nil {
			return frames, framePixels, truncated(err)
		}
		switch kind {
		case 0x3B: // trailer
			return frames, framePixels, nil
		case 0x21: // extension: a label, then data sub-blocks
			if _, err := br.ReadByte(); err != nil {
				return frames, framePixels, truncated(err)
			}
			if err := skipSubBlocks(br); err != nil {
				return frames, framePixels, err
			}
		case 0x2C: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(br, d[:]); err != nil {
				return frames, framePixels, truncated(err)
			}
			w, h := int64(d[4])|int64(d[5])<<8, int64(d[6])|int64(d[7])<<8
			if d[8]&0x80 != 0 {
				if err := skip(br, 3<<(d[8]&7+1)); err != nil {
					return frames, framePixels, err
				}
			}
			if _, err := br.ReadByte(); err != nil { // LZW minimum code size
				return frames, framePixels, truncated(err)
			}
			if err := skipSubBlocks(br); err != nil {
				return frames, framePixels, err
			}
			frames++
			framePixels += w * h
		default:
			// Decoders stop at an unknown block too; what came before counts.
			if frames == 0 {
				return 0, 0, fmt.Errorf("%w: a GIF with an unknown block 0x%02x", ErrUndecodable, kind)
			}
			return frames, framePixels, nil
		}
	}
}

func skipSubBlocks(br *bufio.Reader) error {
	for {
		n, err := br.ReadByte()
		if err != nil {
			return truncated(err)
		}
		if n == 0 {
			return nil
		}
		if err := skip(br, int(n)); err != nil {
			return err
		}
	}
}

func skip(br *bufio.Reader, n int) error {
	if _, err := br.Discard(n); err != nil {
		return truncated(err)
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the GIF is cut short", ErrUndecodable)
	}
	return err
}
