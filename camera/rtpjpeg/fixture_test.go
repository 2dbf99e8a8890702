package rtpjpeg

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"
)

// Test images and the tools the tests of this package share.

// testImage returns a w×h 4:2:0 image with gradients and noise, so that its
// JPEG has real AC coefficients, stuffed 0xFF bytes and no two frames alike
// for different seeds.
func testImage(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(seed, 2435))
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8(min(255, (x*200)/w+(y*40)/h+r.IntN(16)))
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		for x := range cw {
			img.Cb[y*img.CStride+x] = uint8(64 + (x*128)/cw + r.IntN(8))
			img.Cr[y*img.CStride+x] = uint8(200 - (y*128)/ch + r.IntN(8))
		}
	}
	return img
}

// encodeJPEG encodes img with the standard library, which writes baseline
// 4:2:0 JPEGs with the standard Huffman tables, two DQTs and no DRI.
func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatalf("encode test JPEG: %v", err)
	}
	return buf.Bytes()
}

// flatSpec describes a JPEG whose 8×8 blocks are each one flat colour: only
// DC coefficients, which a tiny encoder can write by hand with restart
// markers, something image/jpeg's encoder never does.
type flatSpec struct {
	width, height int
	typ           uint8 // typeYUV420 or typeYUV422
	restart       int   // MCUs per restart interval; 0 for none
	qtables       [qTablesLen]byte
	// dc gives the quantised DC coefficient of block (bx, by) of component
	// comp (0 Y, 1 Cb, 2 Cr), in that component's block grid.
	dc func(comp, bx, by int) int
}

// flatJPEG encodes s: a baseline JPEG with the standard Huffman tables, DRI
// and RST markers when s.restart is set.
func flatJPEG(s flatSpec) []byte {
	hBlocks, vBlocks := 2, 2
	if s.typ == typeYUV422 {
		vBlocks = 1
	}
	mcusX := (s.width + 8*hBlocks - 1) / (8 * hBlocks)
	mcusY := (s.height + 8*vBlocks - 1) / (8 * vBlocks)
	dcCodes := [2]map[byte][2]uint32{huffCodes(std()[0]), huffCodes(std()[2])}
	acCodes := [2]map[byte][2]uint32{huffCodes(std()[1]), huffCodes(std()[3])}

	var w bitWriter
	var pred [3]int
	block := func(comp, bx, by int) {
		table := min(comp, 1)
		dc := s.dc(comp, bx, by)
		diff := dc - pred[comp]
		pred[comp] = dc
		size := bits.Len(uint(max(diff, -diff)))
		w.put(dcCodes[table][byte(size)])
		if size > 0 {
			v := diff
			if v < 0 {
				v += 1<<size - 1
			}
			w.put([2]uint32{uint32(v), uint32(size)})
		}
		w.put(acCodes[table][0x00]) // end of block: all AC coefficients zero
	}
	n := 0
	for my := range mcusY {
		for mx := range mcusX {
			if s.restart > 0 && n > 0 && n%s.restart == 0 {
				w.flush()
				w.out = append(w.out, 0xFF, byte(markerRST0+(n/s.restart-1)%8))
				pred = [3]int{}
			}
			for v := range vBlocks {
				for h := range hBlocks {
					block(0, mx*hBlocks+h, my*vBlocks+v)
				}
			}
			block(1, mx, my)
			block(2, mx, my)
			n++
		}
	}
	w.flush()
	return appendJFIF(nil, s.typ, s.width, s.height, s.qtables[:], uint16(s.restart), w.out)
}

// huffCodes returns the canonical code and its length for each symbol of a
// Huffman table (T.81 Annex C).
func huffCodes(s huffmanSpec) map[byte][2]uint32 {
	codes := make(map[byte][2]uint32)
	code, k := uint32(0), 0
	for length := 1; length <= 16; length++ {
		for range s.counts[length-1] {
			codes[s.values[k]] = [2]uint32{code, uint32(length)}
			code++
			k++
		}
		code <<= 1
	}
	return codes
}

// bitWriter writes entropy-coded bits most significant first, stuffing a 0
// after each 0xFF byte.
type bitWriter struct {
	out  []byte
	acc  byte
	nacc int
}

// put writes the low code[1] bits of code[0].
func (w *bitWriter) put(code [2]uint32) {
	for i := int(code[1]) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | byte(code[0]>>i&1)
		w.nacc++
		if w.nacc == 8 {
			w.out = append(w.out, w.acc)
			if w.acc == 0xFF {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits, as T.81 F.1.2.3 asks.
func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put([2]uint32{1, 1})
	}
}

// uniformTables returns quantisation tables whose every entry is luma for
// the first table and chroma for the second.
func uniformTables(luma, chroma byte) [qTablesLen]byte {
	var t [qTablesLen]byte
	for i := range 64 {
		t[i], t[64+i] = luma, chroma
	}
	return t
}

// mosaic is a DC pattern for flatSpec: every block a different level, so
// that a decoder that mishandled restart intervals (and so DC prediction)
// would get the colours wrong.
func mosaic(comp, bx, by int) int {
	return (bx*7+by*13+comp*29)%160 - 80
}

// decodeYCbCr decodes a JPEG that must be YCbCr.
func decodeYCbCr(t testing.TB, b []byte) *image.YCbCr {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode JPEG: %v", err)
	}
	y, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded %T, want *image.YCbCr", img)
	}
	return y
}

// samePixels reports whether a and b hold the same Y, Cb and Cr samples in
// the rectangle r, which both must cover.
func samePixels(a, b *image.YCbCr, r image.Rectangle) bool {
	if a.SubsampleRatio != b.SubsampleRatio {
		return false
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.Y[a.YOffset(x, y)] != b.Y[b.YOffset(x, y)] ||
				a.Cb[a.COffset(x, y)] != b.Cb[b.COffset(x, y)] ||
				a.Cr[a.COffset(x, y)] != b.Cr[b.COffset(x, y)] {
				return false
			}
		}
	}
	return true
}

// packetize runs jpegs through pion's packetizer with this package's
// Payloader, as the camera does, one frame every 3600 ticks (25 fps).
func packetize(t testing.TB, mtu uint16, jpegs ...[]byte) [][]*rtp.Packet {
	t.Helper()
	p := rtp.NewPacketizer(mtu, 26, 0x5eed, &Payloader{}, rtp.NewRandomSequencer(), 90000)
	var frames [][]*rtp.Packet
	for _, j := range jpegs {
		pkts := p.Packetize(j, 3600)
		if len(pkts) == 0 {
			t.Fatalf("packetizer made no packets")
		}
		frames = append(frames, pkts)
	}
	return frames
}

// segment returns the content of the first marker segment of a JPEG, and
// its offset, or -1.
func segment(b []byte, marker byte) (int, []byte) {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return -1, nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if b[i+1] == marker {
			return i, b[i+4 : i+2+n]
		}
		if b[i+1] == markerSOS {
			return -1, nil
		}
		i += 2 + n
	}
	return -1, nil
}

// replaceSegment returns a copy of a JPEG whose first segment with marker
// has content seg instead.
func replaceSegment(t testing.TB, b []byte, marker byte, seg []byte) []byte {
	t.Helper()
	at, old := segment(b, marker)
	if at < 0 {
		t.Fatalf("no segment 0x%02x", marker)
	}
	out := append([]byte(nil), b[:at]...)
	out = appendSegment(out, marker, len(seg))
	out = append(out, seg...)
	return append(out, b[at+4+len(old):]...)
}

// patch returns a copy of b with the byte at i set to v.
func patch(b []byte, i int, v byte) []byte {
	out := append([]byte(nil), b...)
	out[i] = v
	return out
}
