package rtpjpeg

import (
	"fmt"

	"github.com/pion/rtp"
)

// MaxFrameSize is the most scan data one frame may have: the Depacketizer
// drops a frame that would grow past it, so a hostile stream cannot make it
// buffer more, and the Payloader refuses larger images so that the camera
// never sends a frame its own receiver would drop. A 1920×1080 frame at high
// quality is well under 1 MiB.
const MaxFrameSize = 8 << 20

// Frame is one JPEG image reassembled from RTP packets.
type Frame struct {
	// JPEG is a complete baseline JPEG file rebuilt from the RTP/JPEG
	// headers: it decodes with image/jpeg.
	JPEG []byte
	// Timestamp is the RTP timestamp all the frame's packets carry.
	Timestamp uint32
	// Width and Height are in pixels, as the RTP/JPEG header gives them in
	// 8-pixel units: an image whose size was not a multiple of 8 arrives
	// with the encoder's edge padding.
	Width, Height int
}

// Depacketizer reassembles frames from the RTP packets of one RFC 2435
// stream. Packets of a frame may arrive in any order (the fragment offset
// says where each belongs); a frame still incomplete when a packet of a later
// frame arrives is dropped and counted, since RTP does not resend. Late
// packets of a frame already finished or dropped (up to a second old) are
// ignored, so each frame needs its own timestamp, as RFC 2435 requires. A new
// SSRC starts afresh.
//
// The zero value is ready to use. A Depacketizer is not safe for concurrent
// use.
type Depacketizer struct {
	ssrc     uint32
	haveSSRC bool
	// last is the timestamp of the most recent frame completed or dropped.
	last     uint32
	haveLast bool
	cur      *assembly
	dropped  int
	// static holds the tables last received for each Q from 128 to 254,
	// which a sender may then leave out of later frames.
	static [qDynamic - qFirstInBand][]byte
}

// frameParams are the header fields all packets of a frame must agree on.
type frameParams struct {
	typ, q          uint8
	width, height   uint8
	restartInterval uint16
}

// assembly is a frame being reassembled.
type assembly struct {
	ts     uint32
	params frameParams
	// qtables is nil until the packet at offset 0 has arrived.
	qtables []byte
	// buf holds the scan data received so far at its offsets; its length is
	// the furthest end of any packet.
	buf []byte
	// have has one bit per byte of buf, set for bytes received, so that no
	// byte is counted twice and overlaps are caught.
	have []uint64
	// received is how many bytes of buf have arrived.
	received int
	// end is the scan length, known once the marker packet arrives; -1
	// until then.
	end int
}

// Push takes in one RTP packet and returns a frame when that packet completes
// one. A packet that is not a usable RFC 2435 payload, or contradicts the
// frame it belongs to, is dropped with an error wrapping ErrMalformedPacket;
// one that would grow its frame past MaxFrameSize drops the frame, with an
// error wrapping ErrFrameTooLarge. Either way the Depacketizer carries on
// with the next packet.
func (d *Depacketizer) Push(pkt *rtp.Packet) (*Frame, error) {
	if pkt == nil {
		return nil, fmt.Errorf("rtpjpeg depacketize: %w: nil packet", ErrMalformedPacket)
	}
	h, data, err := parsePayload(pkt.Payload)
	if err != nil {
		return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w", pkt.SequenceNumber, err)
	}
	newStream := d.haveSSRC && pkt.SSRC != d.ssrc
	var qtables []byte
	if h.offset == 0 {
		if qtables, err = d.tables(h, newStream); err != nil {
			return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w", pkt.SequenceNumber, err)
		}
	}
	start := int(h.offset)
	end := start + len(data)
	if pkt.Marker && end == 0 {
		return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w: frame without scan data", pkt.SequenceNumber, ErrMalformedPacket)
	}
	if newStream {
		d.restart()
	}
	d.ssrc, d.haveSSRC = pkt.SSRC, true

	ts := pkt.Timestamp
	if d.cur != nil && d.cur.ts != ts {
		if late(ts, d.cur.ts) {
			return nil, nil // late packet of a frame already superseded
		}
		d.drop()
	}
	if d.cur == nil && d.haveLast && late(ts, d.last) {
		return nil, nil // late packet of a frame already finished or dropped
	}
	if end > MaxFrameSize {
		if d.cur == nil {
			d.cur = &assembly{ts: ts}
		}
		d.drop()
		return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w: data up to byte %d, more than %d", pkt.SequenceNumber, ErrFrameTooLarge, end, MaxFrameSize)
	}

	params := frameParams{typ: h.typ, q: h.q, width: h.width, height: h.height, restartInterval: h.restartInterval}
	if d.cur == nil {
		d.cur = &assembly{ts: ts, params: params, end: -1}
	}
	a := d.cur
	if a.params != params {
		return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w: header %+v differs from the frame's %+v", pkt.SequenceNumber, ErrMalformedPacket, params, a.params)
	}
	if err := a.fits(start, end, pkt.Marker); err != nil {
		return nil, fmt.Errorf("rtpjpeg depacketize: packet %d: %w", pkt.SequenceNumber, err)
	}

	a.add(start, data)
	if pkt.Marker {
		a.end = end
	}
	if qtables != nil && a.qtables == nil {
		a.qtables = append([]byte(nil), qtables...)
		if h.q >= qFirstInBand && h.q < qDynamic && h.qtables != nil {
			d.static[h.q-qFirstInBand] = a.qtables
		}
	}
	if !a.complete() {
		return nil, nil
	}
	f := a.frame()
	d.last, d.haveLast = a.ts, true
	d.cur = nil
	return f, nil
}

// Dropped returns how many frames were dropped so far: left incomplete by a
// lost packet when a later frame began, or grown past MaxFrameSize.
func (d *Depacketizer) Dropped() int {
	return d.dropped
}

// tables returns the quantisation tables the first packet of a frame
// designates: scaled from Q, carried in the packet, or received earlier in
// the same stream for the same Q.
func (d *Depacketizer) tables(h payloadHeader, newStream bool) ([]byte, error) {
	switch {
	case h.q < qFirstInBand:
		t := qTablesForQ(h.q)
		return t[:], nil
	case h.qtables != nil:
		return h.qtables, nil
	default:
		if t := d.static[h.q-qFirstInBand]; t != nil && !newStream {
			return t, nil
		}
		return nil, fmt.Errorf("%w: Q %d without tables, and none received for it yet", ErrMalformedPacket, h.q)
	}
}

// drop abandons the frame being reassembled.
func (d *Depacketizer) drop() {
	d.dropped++
	d.last, d.haveLast = d.cur.ts, true
	d.cur = nil
}

// restart forgets the previous stream when the SSRC changes: its timestamps
// and tables mean nothing for the new one.
func (d *Depacketizer) restart() {
	if d.cur != nil {
		d.dropped++
		d.cur = nil
	}
	d.haveLast = false
	d.static = [len(d.static)][]byte{}
}

// lateWindow is how far, in ticks of RFC 2435's 90 kHz clock, a timestamp
// may lie behind (or at) that of a frame already seen and still be a late
// packet of an earlier frame. One second covers any reordering a network
// does; a timestamp further back, or more than half the 32-bit range ahead,
// is the sender's clock jumping (a restart, a stream resumed after hours),
// and starts a new frame rather than being ignored until the clock catches
// up.
const lateWindow = 90000

// late reports whether timestamp ts belongs to a frame at or before ref,
// allowing for wrap-around.
func late(ts, ref uint32) bool {
	return ref-ts < lateWindow
}

// fits checks that data for [start, end) can join the frame: within its end
// once known, not overlapping other data unless it is a repeat of it.
func (a *assembly) fits(start, end int, marker bool) error {
	if a.end >= 0 && end > a.end {
		return fmt.Errorf("%w: data up to byte %d, past the frame's end at %d", ErrMalformedPacket, end, a.end)
	}
	if marker {
		if a.end >= 0 && end != a.end {
			return fmt.Errorf("%w: second marker packet, ending at byte %d, not %d", ErrMalformedPacket, end, a.end)
		}
		if end < len(a.buf) {
			return fmt.Errorf("%w: marker packet ends at byte %d, but data up to %d arrived", ErrMalformedPacket, end, len(a.buf))
		}
	}
	if got := a.count(start, end); got != 0 && got != end-start {
		return fmt.Errorf("%w: bytes %d to %d overlap data already received", ErrMalformedPacket, start, end)
	}
	return nil
}

// count returns how many bytes of [start, end) have been received.
func (a *assembly) count(start, end int) int {
	n := 0
	for i := start; i < min(end, len(a.buf)); i++ {
		if a.have[i/64]&(1<<(i%64)) != 0 {
			n++
		}
	}
	return n
}

// add stores data at offset start; a repeat of data already received changes
// nothing.
func (a *assembly) add(start int, data []byte) {
	end := start + len(data)
	if len(data) == 0 || a.count(start, end) == len(data) {
		return
	}
	a.grow(end)
	copy(a.buf[start:end], data)
	for i := start; i < end; i++ {
		a.have[i/64] |= 1 << (i % 64)
	}
	a.received += len(data)
}

// grow makes buf at least n bytes long, never with more capacity than
// MaxFrameSize (n is at most that).
func (a *assembly) grow(n int) {
	if n <= len(a.buf) {
		return
	}
	if n > cap(a.buf) {
		buf := make([]byte, n, min(max(n, 2*cap(a.buf)), MaxFrameSize))
		copy(buf, a.buf)
		a.buf = buf
	}
	a.buf = a.buf[:n]
	words := (n + 63) / 64
	if words > cap(a.have) {
		have := make([]uint64, words, min(max(words, 2*cap(a.have)), MaxFrameSize/64))
		copy(have, a.have)
		a.have = have
	}
	a.have = a.have[:words]
}

// complete reports whether the whole frame is here: its tables, its end, and
// every byte before the end (no byte is counted twice, and none lies past
// the end).
func (a *assembly) complete() bool {
	return a.qtables != nil && a.end > 0 && a.received == a.end
}

// frame rebuilds the JPEG file of a complete frame.
func (a *assembly) frame() *Frame {
	p := a.params
	w, h := int(p.width)*8, int(p.height)*8
	jpeg := appendJFIF(make([]byte, 0, 1024+a.end), p.typ, w, h, a.qtables, p.restartInterval, a.buf[:a.end])
	return &Frame{JPEG: jpeg, Timestamp: a.ts, Width: w, Height: h}
}
