package rtpjpeg

import (
	"fmt"

	"github.com/pion/rtp"
)

// Payloader cuts baseline JPEG images into RFC 2435 payloads for pion's
// rtp.NewPacketizer, which adds the RTP headers, sets the marker bit on the
// last packet of each frame and gives all packets of a frame one timestamp.
//
// Each payload has the main header (type-specific 0, the fragment offset,
// type 1 for 4:2:0 or 0 for 4:2:2, Q 255, width/8 and height/8 rounded up),
// then when the image has a restart interval a restart marker header (type +
// 64, F=1 L=1 count 0x3FFF: packets are not cut on restart intervals), then
// in the first packet of each frame the quantisation table header with the
// image's two tables, then a piece of the scan. Q 255 with in-band tables is
// what ffmpeg requires, and it lets every frame carry its own tables.
//
// pion's Payloader interface has no error, so an image that cannot be sent
// gives no payloads; Packetize says why.
type Payloader struct{}

var _ rtp.Payloader = (*Payloader)(nil)

// Payload returns the RFC 2435 payloads of a JPEG image, none longer than
// mtu, or none at all when the image cannot be sent (see Packetize).
func (p *Payloader) Payload(mtu uint16, payload []byte) [][]byte {
	out, err := Packetize(payload, int(mtu))
	if err != nil {
		return nil
	}
	return out
}

// Packetize returns the RFC 2435 payloads of a JPEG image, none longer than
// mtu bytes, or an error wrapping ErrInvalidJPEG, ErrUnsupportedJPEG or
// ErrMTUTooSmall that names what is wrong.
//
// The image must be a baseline, 8-bit, single-scan YCbCr JPEG with 4:2:0 or
// 4:2:2 sampling and the standard Huffman tables, at most 2040 pixels wide
// and high: what a receiver can rebuild from the RTP/JPEG headers. A width or
// height that is not a multiple of 8 is rounded up, as the headers count in
// 8-pixel blocks; the receiver then decodes the encoder's edge padding too.
func Packetize(jpeg []byte, mtu int) ([][]byte, error) {
	img, err := parseJPEG(jpeg)
	if err != nil {
		return nil, fmt.Errorf("rtpjpeg packetize: %w", err)
	}
	h := payloadHeader{
		typ:             img.typ,
		q:               qDynamic,
		width:           uint8((img.width + 7) / 8),
		height:          uint8((img.height + 7) / 8),
		restartInterval: img.restartInterval,
		qtables:         img.qtables[:],
		hasQHeader:      true,
	}
	firstLen := h.size()
	if mtu <= firstLen {
		return nil, fmt.Errorf("rtpjpeg packetize: %w: mtu %d, the first packet's headers alone take %d bytes", ErrMTUTooSmall, mtu, firstLen)
	}

	var out [][]byte
	for off := 0; off < len(img.scan); {
		h.offset = uint32(off)
		h.hasQHeader = off == 0
		hdrLen := h.size()
		n := min(mtu-hdrLen, len(img.scan)-off)
		p := make([]byte, 0, hdrLen+n)
		p = h.appendTo(p)
		p = append(p, img.scan[off:off+n]...)
		out = append(out, p)
		off += n
	}
	return out, nil
}
