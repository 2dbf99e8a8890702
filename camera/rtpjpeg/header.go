package rtpjpeg

import (
	"encoding/binary"
	"fmt"
)

// Sizes and values of the RFC 2435 headers (section 3.1).
const (
	mainHeaderLen    = 8
	restartHeaderLen = 4
	qHeaderLen       = 4
	// qTablesLen is the size of the two 8-bit tables, luma then chroma,
	// that types 0 and 1 use.
	qTablesLen = 2 * 64

	// typeRestart is added to the type when a restart marker header
	// follows the main header (types 64 to 127).
	typeRestart = 64
	// typeYUV422 and typeYUV420 are the only types RFC 2435 defines.
	typeYUV422 = 0
	typeYUV420 = 1

	// qDynamic says the quantisation tables are in the first packet of every
	// frame and may change from frame to frame; 128 to 254 say the tables
	// for that Q may be sent once and then omitted; 1 to 99 name the scaled
	// tables of Appendix A.
	qDynamic     = 255
	qFirstInBand = 128

	// restartUnaligned is the F and L bits set with a restart count of
	// 0x3FFF: the packets are not cut on restart intervals, so a receiver
	// must reassemble the whole frame before decoding it (section 3.1.7).
	restartUnaligned = 0xFFFF

	// maxDimension is the largest width or height the 8-bit "in units of 8
	// pixels" fields can carry.
	maxDimension = 255 * 8
)

// payloadHeader is what precedes the scan data in an RFC 2435 payload.
type payloadHeader struct {
	// offset is where this packet's data starts in the frame's scan data.
	offset uint32
	// typ is typeYUV422 or typeYUV420, without typeRestart.
	typ uint8
	q   uint8
	// width and height are in units of 8 pixels.
	width, height uint8
	// restartInterval is the DRI value, or 0 when there is no restart
	// marker header.
	restartInterval uint16
	// qtables is the table data of the quantisation table header; nil when
	// the packet has no such header or its length is 0.
	qtables []byte
	// hasQHeader records that a quantisation table header was present.
	hasQHeader bool
}

// size returns how many bytes appendTo appends.
func (h payloadHeader) size() int {
	n := mainHeaderLen
	if h.restartInterval != 0 {
		n += restartHeaderLen
	}
	if h.hasQHeader {
		n += qHeaderLen + len(h.qtables)
	}
	return n
}

// appendTo appends the header as the payloader sends it: type-specific 0,
// the restart marker header when there is a restart interval, and the
// quantisation table header (precision 0) when h.hasQHeader.
func (h payloadHeader) appendTo(b []byte) []byte {
	typ := h.typ
	if h.restartInterval != 0 {
		typ += typeRestart
	}
	b = append(b, 0, byte(h.offset>>16), byte(h.offset>>8), byte(h.offset), typ, h.q, h.width, h.height)
	if h.restartInterval != 0 {
		b = binary.BigEndian.AppendUint16(b, h.restartInterval)
		b = binary.BigEndian.AppendUint16(b, restartUnaligned)
	}
	if h.hasQHeader {
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(h.qtables)))
		b = append(b, h.qtables...)
	}
	return b
}

// parsePayload splits an RFC 2435 payload into its headers and its scan
// data. It accepts what the depacketizer can rebuild: types 0 and 1 (with or
// without restart markers), progressive frames, Q 1 to 99 or 128 to 255, and
// 8-bit tables. The restart header's F, L and count are not checked: frames
// are always reassembled whole.
func parsePayload(p []byte) (payloadHeader, []byte, error) {
	var h payloadHeader
	if len(p) < mainHeaderLen {
		return h, nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte main header", ErrMalformedPacket, len(p), mainHeaderLen)
	}
	if p[0] != 0 {
		return h, nil, fmt.Errorf("%w: type-specific %d (interlaced video) unsupported", ErrMalformedPacket, p[0])
	}
	h.offset = uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
	typ := p[4]
	h.q, h.width, h.height = p[5], p[6], p[7]
	rest := p[mainHeaderLen:]

	restart := typ >= typeRestart && typ < 2*typeRestart
	if restart {
		typ -= typeRestart
	}
	if typ != typeYUV422 && typ != typeYUV420 {
		return h, nil, fmt.Errorf("%w: type %d unsupported (only 0, 1, 64 and 65)", ErrMalformedPacket, p[4])
	}
	h.typ = typ
	if h.q == 0 || (h.q > 99 && h.q < qFirstInBand) {
		return h, nil, fmt.Errorf("%w: reserved Q %d", ErrMalformedPacket, h.q)
	}
	if h.width == 0 || h.height == 0 {
		return h, nil, fmt.Errorf("%w: zero width or height", ErrMalformedPacket)
	}

	if restart {
		if len(rest) < restartHeaderLen {
			return h, nil, fmt.Errorf("%w: type %d but no room for the restart marker header", ErrMalformedPacket, p[4])
		}
		h.restartInterval = binary.BigEndian.Uint16(rest)
		if h.restartInterval == 0 {
			return h, nil, fmt.Errorf("%w: restart interval 0", ErrMalformedPacket)
		}
		rest = rest[restartHeaderLen:]
	}

	if h.offset == 0 && h.q >= qFirstInBand {
		if len(rest) < qHeaderLen {
			return h, nil, fmt.Errorf("%w: Q %d but no room for the quantisation table header", ErrMalformedPacket, h.q)
		}
		precision := rest[1]
		length := int(binary.BigEndian.Uint16(rest[2:]))
		rest = rest[qHeaderLen:]
		if precision != 0 {
			return h, nil, fmt.Errorf("%w: 16-bit quantisation tables (precision 0x%02x) unsupported", ErrMalformedPacket, precision)
		}
		if length != 0 && length != qTablesLen {
			return h, nil, fmt.Errorf("%w: quantisation tables of %d bytes, want %d", ErrMalformedPacket, length, qTablesLen)
		}
		if len(rest) < length {
			return h, nil, fmt.Errorf("%w: quantisation tables of %d bytes but only %d left in the packet", ErrMalformedPacket, length, len(rest))
		}
		if length == 0 && h.q == qDynamic {
			return h, nil, fmt.Errorf("%w: Q 255 without quantisation tables", ErrMalformedPacket)
		}
		h.hasQHeader = true
		if length > 0 {
			h.qtables = rest[:length]
		}
		rest = rest[length:]
	}
	return h, rest, nil
}
