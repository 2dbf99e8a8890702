package rtpjpeg

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// JPEG marker codes (ITU-T T.81 Table B.1) this package reads or writes.
const (
	markerSOF0  = 0xC0
	markerSOF1  = 0xC1
	markerSOF2  = 0xC2
	markerDHT   = 0xC4
	markerDAC   = 0xCC
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerDQT   = 0xDB
	markerDRI   = 0xDD
	markerAPP0  = 0xE0
	markerAPP14 = 0xEE
	markerAPP15 = 0xEF
	markerJPG0  = 0xF0
	markerJPG13 = 0xFD
	markerCOM   = 0xFE
)

// jpegImage is what an RFC 2435 sender needs from a JPEG file: the fields of
// the RTP/JPEG headers and the scan. Everything else in the file is either
// fixed by the format (Huffman tables, component layout) or dropped.
type jpegImage struct {
	width, height int
	// typ is typeYUV420 or typeYUV422.
	typ uint8
	// qtables holds the luma then the chroma quantisation table, in the
	// zig-zag order of the DQT segment.
	qtables [qTablesLen]byte
	// restartInterval is the DRI value, 0 without restart markers.
	restartInterval uint16
	// scan is the entropy-coded segment, restart markers included, EOI
	// excluded. It aliases the parsed buffer.
	scan []byte
}

// frameComponent is one component of a SOF0 segment.
type frameComponent struct {
	id, sampling, tq byte
}

// jpegParser holds the tables and frame header seen so far while walking a
// JPEG file's segments.
type jpegParser struct {
	qt       [4]*[64]byte
	huff     [2][4]*huffmanSpec // [class: 0 DC, 1 AC][table id]
	comps    []frameComponent
	width    int
	height   int
	dri      uint16
	adobeRGB bool
}

// parseJPEG checks that b is a baseline JPEG RFC 2435 can carry and returns
// its header fields and scan. Errors wrap ErrInvalidJPEG or
// ErrUnsupportedJPEG.
func parseJPEG(b []byte) (*jpegImage, error) {
	if len(b) < 2 || b[0] != 0xFF || b[1] != markerSOI {
		return nil, fmt.Errorf("%w: missing SOI marker", ErrInvalidJPEG)
	}
	var p jpegParser
	pos := 2
	for {
		marker, next, err := readMarker(b, pos)
		if err != nil {
			return nil, err
		}
		switch {
		case marker == markerSOI:
			return nil, fmt.Errorf("%w: second SOI marker at offset %d", ErrInvalidJPEG, pos)
		case marker == markerEOI:
			return nil, fmt.Errorf("%w: EOI before any scan", ErrInvalidJPEG)
		case marker == 0x01 || (marker >= markerRST0 && marker <= markerRST7):
			return nil, fmt.Errorf("%w: marker 0x%02x outside a scan", ErrInvalidJPEG, marker)
		}
		if next+2 > len(b) {
			return nil, fmt.Errorf("%w: truncated in the length of segment 0x%02x", ErrInvalidJPEG, marker)
		}
		length := int(binary.BigEndian.Uint16(b[next:]))
		if length < 2 || next+length > len(b) {
			return nil, fmt.Errorf("%w: segment 0x%02x of length %d runs past the end of the file", ErrInvalidJPEG, marker, length)
		}
		seg := b[next+2 : next+length]
		pos = next + length
		if marker == markerSOS {
			return p.scan(seg, b, pos)
		}
		if err := p.segment(marker, seg); err != nil {
			return nil, err
		}
	}
}

// readMarker reads the marker at b[pos:], skipping fill bytes, and returns it
// with the position just after it.
func readMarker(b []byte, pos int) (marker byte, next int, err error) {
	if pos >= len(b) {
		return 0, 0, fmt.Errorf("%w: truncated before the scan", ErrInvalidJPEG)
	}
	if b[pos] != 0xFF {
		return 0, 0, fmt.Errorf("%w: expected a marker at offset %d, found 0x%02x", ErrInvalidJPEG, pos, b[pos])
	}
	for pos < len(b) && b[pos] == 0xFF {
		pos++
	}
	if pos >= len(b) {
		return 0, 0, fmt.Errorf("%w: truncated in a marker", ErrInvalidJPEG)
	}
	if b[pos] == 0 {
		return 0, 0, fmt.Errorf("%w: stuffed 0xFF00 outside a scan at offset %d", ErrInvalidJPEG, pos)
	}
	return b[pos], pos + 1, nil
}

// segment takes in one marker segment before the scan.
func (p *jpegParser) segment(marker byte, seg []byte) error {
	switch {
	case marker == markerDQT:
		return p.dqt(seg)
	case marker == markerDHT:
		return p.dht(seg)
	case marker == markerDRI:
		if len(seg) != 2 {
			return fmt.Errorf("%w: DRI of length %d", ErrInvalidJPEG, len(seg)+2)
		}
		p.dri = binary.BigEndian.Uint16(seg)
		return nil
	case marker == markerSOF0:
		return p.sof0(seg)
	case marker == markerSOF1:
		return fmt.Errorf("%w: extended sequential JPEG (SOF1), only baseline (SOF0)", ErrUnsupportedJPEG)
	case marker == markerSOF2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE:
		return fmt.Errorf("%w: progressive JPEG (SOF%d), only baseline (SOF0)", ErrUnsupportedJPEG, marker-markerSOF0)
	case marker > markerSOF0 && marker <= 0xCF && marker != markerDHT && marker != 0xC8:
		// SOF3, 5, 7, 9, 11, 13, 15 and DAC: lossless, hierarchical or
		// arithmetic coding.
		if marker == markerDAC {
			return fmt.Errorf("%w: arithmetic coding, only Huffman-coded baseline", ErrUnsupportedJPEG)
		}
		return fmt.Errorf("%w: SOF%d JPEG, only baseline (SOF0)", ErrUnsupportedJPEG, marker-markerSOF0)
	case marker == 0xDE || marker == 0xDF:
		return fmt.Errorf("%w: hierarchical JPEG, only baseline", ErrUnsupportedJPEG)
	case marker == markerAPP14:
		// Adobe's APP14 says whether three components are YCbCr (transform
		// 1) or RGB (transform 0); RFC 2435 carries only YCbCr.
		if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
			p.adobeRGB = seg[11] == 0
		}
		return nil
	case marker >= markerAPP0 && marker <= markerAPP15, marker == markerCOM:
		return nil // metadata a receiver cannot use anyway
	case marker >= markerJPG0 && marker <= markerJPG13, marker == 0xC8:
		return fmt.Errorf("%w: reserved JPEG extension marker 0x%02x", ErrUnsupportedJPEG, marker)
	default:
		return fmt.Errorf("%w: unexpected marker 0x%02x before the scan", ErrInvalidJPEG, marker)
	}
}

// dqt takes in the quantisation tables of a DQT segment.
func (p *jpegParser) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&0x0F
		if tq > 3 {
			return fmt.Errorf("%w: DQT table id %d", ErrInvalidJPEG, tq)
		}
		switch pq {
		case 0:
		case 1:
			return fmt.Errorf("%w: 16-bit quantisation table %d (12-bit JPEG), RFC 2435 carries 8-bit tables", ErrUnsupportedJPEG, tq)
		default:
			return fmt.Errorf("%w: DQT precision %d", ErrInvalidJPEG, pq)
		}
		if len(seg) < 1+64 {
			return fmt.Errorf("%w: DQT table %d truncated", ErrInvalidJPEG, tq)
		}
		t := new([64]byte)
		copy(t[:], seg[1:65])
		p.qt[tq] = t
		seg = seg[65:]
	}
	return nil
}

// dht takes in the Huffman tables of a DHT segment.
func (p *jpegParser) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return fmt.Errorf("%w: DHT truncated", ErrInvalidJPEG)
		}
		tc, th := seg[0]>>4, seg[0]&0x0F
		if tc > 1 || th > 3 {
			return fmt.Errorf("%w: DHT class %d id %d", ErrInvalidJPEG, tc, th)
		}
		var spec huffmanSpec
		copy(spec.counts[:], seg[1:17])
		n := 0
		for _, c := range spec.counts {
			n += int(c)
		}
		if n > 256 || len(seg) < 17+n {
			return fmt.Errorf("%w: DHT table of %d codes truncated or too long", ErrInvalidJPEG, n)
		}
		spec.values = seg[17 : 17+n]
		p.huff[tc][th] = &spec
		seg = seg[17+n:]
	}
	return nil
}

// sof0 takes in a baseline frame header and checks it is one RFC 2435 can
// describe.
func (p *jpegParser) sof0(seg []byte) error {
	if p.comps != nil {
		return fmt.Errorf("%w: second SOF marker", ErrInvalidJPEG)
	}
	if len(seg) < 6 {
		return fmt.Errorf("%w: SOF0 truncated", ErrInvalidJPEG)
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples, RFC 2435 carries 8-bit", ErrUnsupportedJPEG, seg[0])
	}
	p.height = int(binary.BigEndian.Uint16(seg[1:]))
	p.width = int(binary.BigEndian.Uint16(seg[3:]))
	n := int(seg[5])
	if len(seg) != 6+3*n {
		return fmt.Errorf("%w: SOF0 of %d bytes for %d components", ErrInvalidJPEG, len(seg), n)
	}
	if p.width == 0 || p.height == 0 {
		return fmt.Errorf("%w: %dx%d image (a height set later by DNL is unsupported)", ErrUnsupportedJPEG, p.width, p.height)
	}
	if p.width > maxDimension || p.height > maxDimension {
		return fmt.Errorf("%w: %dx%d image, larger than RFC 2435's %dx%d", ErrUnsupportedJPEG, p.width, p.height, maxDimension, maxDimension)
	}
	switch n {
	case 1:
		return fmt.Errorf("%w: grayscale image (1 component), RFC 2435 carries YCbCr", ErrUnsupportedJPEG)
	case 3:
	default:
		return fmt.Errorf("%w: %d components, RFC 2435 carries 3 (YCbCr)", ErrUnsupportedJPEG, n)
	}
	p.comps = make([]frameComponent, n)
	for i := range p.comps {
		c := seg[6+3*i:]
		p.comps[i] = frameComponent{id: c[0], sampling: c[1], tq: c[2]}
		if c[2] > 3 {
			return fmt.Errorf("%w: component %d uses quantisation table %d", ErrInvalidJPEG, c[0], c[2])
		}
		h, v := c[1]>>4, c[1]&0x0F
		if h < 1 || h > 4 || v < 1 || v > 4 {
			return fmt.Errorf("%w: component %d sampling factors %dx%d", ErrInvalidJPEG, c[0], h, v)
		}
	}
	y, cb, cr := p.comps[0], p.comps[1], p.comps[2]
	if y.id == cb.id || y.id == cr.id || cb.id == cr.id {
		return fmt.Errorf("%w: repeated component id in SOF0", ErrInvalidJPEG)
	}
	if cb.sampling != 0x11 || cr.sampling != 0x11 || (y.sampling != 0x22 && y.sampling != 0x21) {
		name := "chroma sampling"
		if y.sampling == cb.sampling && cb.sampling == cr.sampling {
			name = "4:4:4 chroma sampling"
		}
		return fmt.Errorf("%w: %s (Y %dx%d, Cb %dx%d, Cr %dx%d), RFC 2435 carries 4:2:0 and 4:2:2 only",
			ErrUnsupportedJPEG, name, y.sampling>>4, y.sampling&15, cb.sampling>>4, cb.sampling&15, cr.sampling>>4, cr.sampling&15)
	}
	if cb.tq != cr.tq {
		return fmt.Errorf("%w: Cb and Cr use different quantisation tables, RFC 2435 sends one chroma table", ErrUnsupportedJPEG)
	}
	if y.id == 'R' && cb.id == 'G' && cr.id == 'B' {
		return fmt.Errorf("%w: RGB image (components R, G, B), RFC 2435 carries YCbCr", ErrUnsupportedJPEG)
	}
	return nil
}

// scan checks the scan header in seg against the frame and tables, finds the
// end of the entropy-coded segment that starts at b[pos:], checks that EOI
// follows it, and returns the image.
func (p *jpegParser) scan(seg, b []byte, pos int) (*jpegImage, error) {
	if p.comps == nil {
		return nil, fmt.Errorf("%w: SOS before SOF", ErrInvalidJPEG)
	}
	if p.adobeRGB {
		return nil, fmt.Errorf("%w: RGB image (Adobe transform 0), RFC 2435 carries YCbCr", ErrUnsupportedJPEG)
	}
	if len(seg) < 1 || len(seg) != 1+2*int(seg[0])+3 {
		return nil, fmt.Errorf("%w: SOS of %d bytes", ErrInvalidJPEG, len(seg))
	}
	if int(seg[0]) != len(p.comps) {
		return nil, fmt.Errorf("%w: scan of %d components, RFC 2435 carries one interleaved scan of all 3", ErrUnsupportedJPEG, seg[0])
	}
	if ss, se, a := seg[len(seg)-3], seg[len(seg)-2], seg[len(seg)-1]; ss != 0 || se != 63 || a != 0 {
		return nil, fmt.Errorf("%w: baseline scan with spectral selection %d..%d, approximation 0x%02x", ErrInvalidJPEG, ss, se, a)
	}
	std := standardTables()
	want := [3][2]*huffmanSpec{{&std[0], &std[1]}, {&std[2], &std[3]}, {&std[2], &std[3]}}
	names := [3]string{"Y", "Cb", "Cr"}
	for i, c := range p.comps {
		sel, tables := seg[1+2*i], seg[2+2*i]
		if sel != c.id {
			return nil, fmt.Errorf("%w: scan component %d is %d, frame's is %d", ErrInvalidJPEG, i, sel, c.id)
		}
		if p.qt[c.tq] == nil {
			return nil, fmt.Errorf("%w: %s uses quantisation table %d that no DQT defines", ErrInvalidJPEG, names[i], c.tq)
		}
		for class, id := range [2]byte{tables >> 4, tables & 0x0F} {
			kind := [2]string{"DC", "AC"}[class]
			if id > 3 || p.huff[class][id] == nil {
				return nil, fmt.Errorf("%w: %s uses Huffman table %s%d that no DHT defines", ErrInvalidJPEG, names[i], kind, id)
			}
			if !p.huff[class][id].equal(*want[i][class]) {
				return nil, fmt.Errorf("%w: %s %s Huffman table is not the standard one (T.81 K.3) that RFC 2435 receivers rebuild", ErrUnsupportedJPEG, names[i], kind)
			}
		}
	}

	img := &jpegImage{width: p.width, height: p.height, typ: typeYUV420, restartInterval: p.dri}
	if p.comps[0].sampling == 0x21 {
		img.typ = typeYUV422
	}
	copy(img.qtables[:64], p.qt[p.comps[0].tq][:])
	copy(img.qtables[64:], p.qt[p.comps[1].tq][:])

	end, err := scanEnd(b, pos, p.dri != 0)
	if err != nil {
		return nil, err
	}
	if end == pos {
		return nil, fmt.Errorf("%w: empty scan", ErrInvalidJPEG)
	}
	if end-pos > MaxFrameSize {
		return nil, fmt.Errorf("%w: scan of %d bytes, more than %d", ErrUnsupportedJPEG, end-pos, MaxFrameSize)
	}
	img.scan = b[pos:end]
	marker, _, err := readMarker(b, end)
	if err != nil {
		return nil, fmt.Errorf("%w: missing EOI after the scan", ErrInvalidJPEG)
	}
	if marker != markerEOI {
		return nil, fmt.Errorf("%w: marker 0x%02x after the scan, RFC 2435 carries single-scan images", ErrUnsupportedJPEG, marker)
	}
	return img, nil
}

// scanEnd returns where the entropy-coded segment starting at b[pos:] ends:
// at the first marker that is neither a stuffed 0xFF00 nor a restart marker.
func scanEnd(b []byte, pos int, restarts bool) (int, error) {
	for {
		i := bytes.IndexByte(b[pos:], 0xFF)
		if i < 0 || pos+i+1 >= len(b) {
			return 0, fmt.Errorf("%w: scan truncated, missing EOI", ErrInvalidJPEG)
		}
		pos += i
		switch next := b[pos+1]; {
		case next == 0x00:
			pos += 2
		case next >= markerRST0 && next <= markerRST7:
			if !restarts {
				return 0, fmt.Errorf("%w: restart marker in the scan without a DRI", ErrInvalidJPEG)
			}
			pos += 2
		default:
			return pos, nil
		}
	}
}

// appendJFIF appends a complete JPEG file rebuilt from RFC 2435 fields, the
// way RFC 2435 Appendix B and ffmpeg do: SOI, DQT (tables 0 and 1), SOF0 (Y
// with table 0, Cb and Cr with table 1), the four standard Huffman tables,
// DRI when there is a restart interval, SOS, the scan and EOI. width and
// height are in pixels; qtables holds the luma then the chroma table.
func appendJFIF(b []byte, typ uint8, width, height int, qtables []byte, restartInterval uint16, scan []byte) []byte {
	b = append(b, 0xFF, markerSOI)

	b = appendSegment(b, markerDQT, 2*65)
	b = append(b, 0)
	b = append(b, qtables[:64]...)
	b = append(b, 1)
	b = append(b, qtables[64:128]...)

	ySampling := byte(0x22)
	if typ == typeYUV422 {
		ySampling = 0x21
	}
	b = appendSegment(b, markerSOF0, 15)
	b = append(b, 8, byte(height>>8), byte(height), byte(width>>8), byte(width), 3,
		1, ySampling, 0,
		2, 0x11, 1,
		3, 0x11, 1)

	std := standardTables()
	specs := [4]*huffmanSpec{&std[0], &std[1], &std[2], &std[3]}
	classID := [4]byte{0x00, 0x10, 0x01, 0x11}
	n := 0
	for _, s := range specs {
		n += 17 + len(s.values)
	}
	b = appendSegment(b, markerDHT, n)
	for i, s := range specs {
		b = append(b, classID[i])
		b = append(b, s.counts[:]...)
		b = append(b, s.values...)
	}

	if restartInterval != 0 {
		b = appendSegment(b, markerDRI, 2)
		b = binary.BigEndian.AppendUint16(b, restartInterval)
	}

	b = appendSegment(b, markerSOS, 10)
	b = append(b, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	b = append(b, scan...)
	return append(b, 0xFF, markerEOI)
}

// appendSegment appends a marker and the length field of a segment whose
// content is n bytes long.
func appendSegment(b []byte, marker byte, n int) []byte {
	b = append(b, 0xFF, marker)
	return binary.BigEndian.AppendUint16(b, uint16(n+2))
}
