// Package imageguardtest makes hostile images for tests and benchmarks:
// valid files that are small on disk and declare enormous pictures, the
// way an attacker would send them.
package imageguardtest

import (
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
)

// PNGBomb is a valid PNG of w×h pixels, all black. With depth 1 (one bit
// per pixel, greyscale) a 30000×30000 picture is about 110 KB; with depth 8
// it is about 900 KB. Decoding it allocates w×h bytes or more.
func PNGBomb(w, h, depth int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = byte(depth) // bit depth
	ihdr[9] = 0           // greyscale
	chunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+(w*depth+7)/8) // filter byte 0, then zero pixels
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	zw.Close()
	chunk(&b, "IDAT", z.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// PNGHeader is the start of a PNG declaring w×h pixels of 8-bit RGBA: a
// header and no pixel data, as a fuzzer or a truncated bomb would send.
func PNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	chunk(&b, "IHDR", ihdr)
	chunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

func chunk(w io.Writer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	w.Write([]byte(kind))
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// JPEGHeader is a baseline JPEG whose frame header declares w×h pixels
// (greyscale, up to 65535 a side) followed by a scan with almost no data:
// Go's decoder allocates the whole picture when the scan begins.
func JPEGHeader(w, h uint16) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8}) // SOI
	// DQT: one table of ones.
	b.Write([]byte{0xFF, 0xDB, 0x00, 0x43, 0x00})
	for i := 0; i < 64; i++ {
		b.WriteByte(1)
	}
	// SOF0: 8-bit, h×w, one component, no subsampling, table 0.
	b.Write([]byte{0xFF, 0xC0, 0x00, 0x0B, 0x08, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 0x01, 0x01, 0x11, 0x00})
	// DHT: DC table 0 and AC table 0 with one code each.
	b.Write([]byte{0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01})
	b.Write(make([]byte, 15))
	b.WriteByte(0x00)
	b.Write([]byte{0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01})
	b.Write(make([]byte, 15))
	b.WriteByte(0x00)
	// SOS, a few bytes of scan, EOI.
	b.Write([]byte{0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00})
	b.Write([]byte{0x00, 0x00, 0x00, 0x00})
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// GIFBomb is an animated GIF of frames frames (none: a header alone), each w×h pixels of one
// colour: LZW packs such a frame into a few kilobytes, so the file stays
// small while decoding every frame (gif.DecodeAll) allocates frames×w×h
// bytes.
func GIFBomb(w, h uint16, frames int) []byte {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	b.Write([]byte{byte(w), byte(w >> 8), byte(h), byte(h >> 8), 0x80, 0, 0}) // global table of 2 colours
	b.Write([]byte{0, 0, 0, 255, 255, 255})
	if frames > 0 {
		frame := gifFrame(w, h)
		for i := 0; i < frames; i++ {
			b.Write(frame)
		}
	}
	b.WriteByte(0x3B)
	return b.Bytes()
}

func gifFrame(w, h uint16) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x2C, 0, 0, 0, 0, byte(w), byte(w >> 8), byte(h), byte(h >> 8), 0})
	b.WriteByte(2) // LZW minimum code size
	lzw := lzwZeros(int(w) * int(h))
	for len(lzw) > 0 {
		n := min(len(lzw), 255)
		b.WriteByte(byte(n))
		b.Write(lzw[:n])
		lzw = lzw[n:]
	}
	b.WriteByte(0)
	return b.Bytes()
}

// lzwZeros is the GIF LZW stream (minimum code size 2) of n zero pixels,
// written by compress/lzw as image/gif's own encoder does.
func lzwZeros(n int) []byte {
	var out bytes.Buffer
	w := lzw.NewWriter(&out, lzw.LSB, 2)
	zeros := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, len(zeros))
		w.Write(zeros[:k])
		n -= k
	}
	w.Close()
	return out.Bytes()
}

// WebPHeader is a WebP whose extended header declares a w×h canvas (up
// to 16384 a side) followed by a tiny lossless frame of the same size.
func WebPHeader(w, h uint32) []byte {
	var vp8x bytes.Buffer
	vp8x.Write([]byte("VP8X"))
	binary.Write(&vp8x, binary.LittleEndian, uint32(10))
	vp8x.Write([]byte{0, 0, 0, 0})
	put24 := func(v uint32) { vp8x.Write([]byte{byte(v), byte(v >> 8), byte(v >> 16)}) }
	put24(w - 1)
	put24(h - 1)
	var vp8l bytes.Buffer
	vp8l.Write([]byte("VP8L"))
	binary.Write(&vp8l, binary.LittleEndian, uint32(5))
	bits := (w - 1) | (h-1)<<14
	vp8l.WriteByte(0x2f)
	binary.Write(&vp8l, binary.LittleEndian, bits)
	vp8l.WriteByte(0)
	var b bytes.Buffer
	b.Write([]byte("RIFF"))
	binary.Write(&b, binary.LittleEndian, uint32(4+vp8x.Len()+vp8l.Len()))
	b.Write([]byte("WEBP"))
	b.Write(vp8x.Bytes())
	b.Write(vp8l.Bytes())
	return b.Bytes()
}

// BMPHeader is a 24-bit BMP header declaring w×h pixels and no pixel data.
func BMPHeader(w, h int32) []byte {
	var b bytes.Buffer
	b.Write([]byte("BM"))
	binary.Write(&b, binary.LittleEndian, uint32(54))
	binary.Write(&b, binary.LittleEndian, uint32(0))
	binary.Write(&b, binary.LittleEndian, uint32(54))
	binary.Write(&b, binary.LittleEndian, uint32(40))
	binary.Write(&b, binary.LittleEndian, w)
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, uint16(1))
	binary.Write(&b, binary.LittleEndian, uint16(24))
	b.Write(make([]byte, 24))
	return b.Bytes()
}

// TIFFHeader is a little-endian greyscale TIFF declaring w×h pixels in one
// uncompressed strip that is not there.
func TIFFHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("II*\x00"))
	binary.Write(&b, binary.LittleEndian, uint32(8))
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	entries := []entry{
		{256, 4, 1, w}, {257, 4, 1, h}, {258, 3, 1, 8}, {259, 3, 1, 1},
		{262, 3, 1, 1}, {273, 4, 1, 200}, {277, 3, 1, 1}, {278, 4, 1, h}, {279, 4, 1, w * h},
	}
	binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, e.tag)
		binary.Write(&b, binary.LittleEndian, e.typ)
		binary.Write(&b, binary.LittleEndian, e.count)
		if e.typ == 3 {
			binary.Write(&b, binary.LittleEndian, uint16(e.value))
			binary.Write(&b, binary.LittleEndian, uint16(0))
		} else {
			binary.Write(&b, binary.LittleEndian, e.value)
		}
	}
	binary.Write(&b, binary.LittleEndian, uint32(0))
	return b.Bytes()
}

// Allocated runs fn and returns how many bytes the Go heap allocated
// meanwhile (after a collection, so earlier garbage does not count): a
// refused bomb must cost kilobytes, not the gigabytes it declares.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
