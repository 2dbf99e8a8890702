package rtpjpeg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/pion/rtp"

	. "github.com/onsi/gomega"
)

// packets wraps payloads of one frame in RTP packets numbered from seq, the
// last one marked.
func packets(payloads [][]byte, ts uint32, seq uint16) []*rtp.Packet {
	var out []*rtp.Packet
	for i, p := range payloads {
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 26, SSRC: 1, SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == len(payloads)-1},
			Payload: p,
		})
	}
	return out
}

// threeFrames returns three different JPEGs and their packets, one frame
// every 3600 ticks.
func threeFrames(t *testing.T) ([][]byte, [][]*rtp.Packet) {
	t.Helper()
	var jpegs [][]byte
	for i := range 3 {
		jpegs = append(jpegs, encodeJPEG(t, testImage(160, 120, uint64(30+i)), 80))
	}
	return jpegs, packetize(t, 600, jpegs...)
}

func TestLostPacketDropsTheFrameAndTheNextDecodes(t *testing.T) {
	jpegs, frames := threeFrames(t)
	for name, lose := range map[string]int{"first": 0, "middle": len(frames[1]) / 2, "marker": len(frames[1]) - 1} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			var d Depacketizer
			var got []*Frame
			for i, pkts := range frames {
				for j, p := range pkts {
					if i == 1 && j == lose {
						continue
					}
					f, err := d.Push(p)
					g.Expect(err).NotTo(HaveOccurred())
					if f != nil {
						got = append(got, f)
					}
				}
				if i == 1 {
					g.Expect(d.Dropped()).To(BeZero(), "the frame may still be completed by a late packet")
				}
			}
			g.Expect(d.Dropped()).To(Equal(1))
			g.Expect(got).To(HaveLen(2))
			g.Expect(got[0].Timestamp).To(Equal(frames[0][0].Timestamp))
			g.Expect(got[1].Timestamp).To(Equal(frames[2][0].Timestamp))
			want := decodeYCbCr(t, jpegs[2])
			g.Expect(samePixels(decodeYCbCr(t, got[1].JPEG), want, want.Rect)).To(BeTrue())
		})
	}
}

func TestMalformedPacketIsDroppedAndStateStaysSane(t *testing.T) {
	g := NewWithT(t)
	orig := flatJPEG(flatSpec{width: 256, height: 64, typ: typeYUV420, restart: 1, qtables: uniformTables(8, 8), dc: mosaic})
	payloads, err := Packetize(orig, 160)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(payloads)).To(BeNumerically(">=", 3))
	pkts := packets(payloads, 1000, 0)
	last := pkts[len(pkts)-1]
	h, lastData, err := parsePayload(last.Payload)
	g.Expect(err).NotTo(HaveOccurred())
	frameEnd := int(h.offset) + len(lastData)

	// modified returns a copy of packet i with its payload changed by edit.
	modified := func(i int, marker bool, edit func([]byte) []byte) *rtp.Packet {
		p := *pkts[i]
		p.Marker = marker
		p.Payload = edit(append([]byte(nil), pkts[i].Payload...))
		return &p
	}
	withOffset := func(off int) func([]byte) []byte {
		return func(b []byte) []byte {
			b[1], b[2], b[3] = byte(off>>16), byte(off>>8), byte(off)
			return b
		}
	}

	var d Depacketizer
	f, err := d.Push(pkts[0])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f).To(BeNil())
	f, err = d.Push(last)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f).To(BeNil())

	for name, c := range map[string]struct {
		pkt  *rtp.Packet
		want string
	}{
		"nil":              {nil, "nil packet"},
		"short":            {modified(1, false, func(b []byte) []byte { return b[:5] }), "shorter than the 8-byte main header"},
		"reserved Q":       {modified(1, false, func(b []byte) []byte { b[5] = 110; return b }), "reserved Q 110"},
		"other width":      {modified(1, false, func(b []byte) []byte { b[6]++; return b }), "differs from the frame's"},
		"other interval":   {modified(1, false, func(b []byte) []byte { b[9]++; return b }), "differs from the frame's"},
		"overlapping":      {modified(1, false, withOffset(1)), "overlap data already received"},
		"past the end":     {modified(1, false, withOffset(frameEnd-3)), "past the frame's end"},
		"second marker":    {modified(1, true, func(b []byte) []byte { return b }), "second marker packet"},
		"no table header":  {modified(0, false, func(b []byte) []byte { return b[:mainHeaderLen+restartHeaderLen+2] }), "no room for the quantisation table header"},
		"empty last frame": {modified(0, true, func(b []byte) []byte { return b[:mainHeaderLen+restartHeaderLen+qHeaderLen+qTablesLen] }), "frame without scan data"},
	} {
		_, err := d.Push(c.pkt)
		g.Expect(err).To(MatchError(ErrMalformedPacket), name)
		g.Expect(err).To(MatchError(ContainSubstring(c.want)), name)
	}

	var frame *Frame
	for _, p := range pkts[1 : len(pkts)-1] {
		f, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
		if f != nil {
			frame = f
		}
	}
	g.Expect(frame).NotTo(BeNil(), "the frame completes despite the bad packets")
	g.Expect(d.Dropped()).To(BeZero())
	want := decodeYCbCr(t, orig)
	g.Expect(samePixels(decodeYCbCr(t, frame.JPEG), want, want.Rect)).To(BeTrue())
}

func TestDuplicateAndLatePacketsAreIgnored(t *testing.T) {
	g := NewWithT(t)
	jpegs, frames := threeFrames(t)
	var d Depacketizer
	var got []*Frame
	push := func(p *rtp.Packet) {
		f, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
		if f != nil {
			got = append(got, f)
		}
	}
	for _, p := range frames[0] {
		push(p)
		push(p) // every packet twice
	}
	g.Expect(got).To(HaveLen(1))
	push(frames[0][1]) // late, after its frame completed
	push(frames[1][0])
	push(frames[0][2]) // late, while the next frame is under way
	for _, p := range frames[1][1:] {
		push(p)
	}
	g.Expect(got).To(HaveLen(2))
	g.Expect(d.Dropped()).To(BeZero())
	want := decodeYCbCr(t, jpegs[1])
	g.Expect(samePixels(decodeYCbCr(t, got[1].JPEG), want, want.Rect)).To(BeTrue())
}

func TestTimestampsWrapAround(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(64, 48, 40), 80)
	payloads, err := Packetize(orig, 300)
	g.Expect(err).NotTo(HaveOccurred())
	var d Depacketizer
	n := 0
	for i, ts := range []uint32{0xFFFFF000, 0xFFFFFFFF, 2000, 5600} {
		for _, p := range packets(payloads, ts, uint16(100*i)) {
			f, err := d.Push(p)
			g.Expect(err).NotTo(HaveOccurred())
			if f != nil {
				g.Expect(f.Timestamp).To(Equal(ts))
				n++
			}
		}
	}
	g.Expect(n).To(Equal(4))
	g.Expect(d.Dropped()).To(BeZero())
}

func TestTimestampJumpsStartANewTimeline(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(64, 48, 43), 80)
	payloads, err := Packetize(orig, 300)
	g.Expect(err).NotTo(HaveOccurred())
	var d Depacketizer
	frames := 0
	seq := uint16(0)
	push := func(ts uint32) {
		for _, p := range packets(payloads, ts, seq) {
			f, err := d.Push(p)
			g.Expect(err).NotTo(HaveOccurred())
			if f != nil {
				g.Expect(f.Timestamp).To(Equal(ts))
				frames++
			}
		}
		seq += 100
	}
	push(10_000_000)
	push(10_000_000 - 1000) // a late copy: ignored
	g.Expect(frames).To(Equal(1))
	push(5) // the sender restarted its clock with the same SSRC
	g.Expect(frames).To(Equal(2))
	push(5 + 3_000_000_000) // resumed after 9 hours: "behind" in 32-bit serial terms
	g.Expect(frames).To(Equal(3))
	g.Expect(d.Dropped()).To(BeZero())
}

func TestNewSSRCStartsAfresh(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(64, 48, 41), 80)
	payloads, err := Packetize(orig, 300)
	g.Expect(err).NotTo(HaveOccurred())
	var d Depacketizer
	for _, p := range packets(payloads, 90000, 0) {
		_, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
	}
	// A camera restart: new SSRC, timestamps from an older value, and a
	// frame of the old stream left half done.
	pkts := packets(payloads, 5, 0)
	_, err = d.Push(packets(payloads, 93600, 50)[0])
	g.Expect(err).NotTo(HaveOccurred())
	var frame *Frame
	for _, p := range pkts {
		p.SSRC = 2
		f, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
		if f != nil {
			frame = f
		}
	}
	g.Expect(frame).NotTo(BeNil())
	g.Expect(frame.Timestamp).To(Equal(uint32(5)))
	g.Expect(d.Dropped()).To(Equal(1), "the old stream's unfinished frame")
}

func TestQScaledTablesFollowAppendixA(t *testing.T) {
	g := NewWithT(t)
	// An image quantised with the Q 50 tables, sent with Q 50 and no tables.
	orig := flatJPEG(flatSpec{width: 32, height: 32, typ: typeYUV420, qtables: qTablesForQ(50), dc: mosaic})
	img, err := parseJPEG(orig)
	g.Expect(err).NotTo(HaveOccurred())
	h := payloadHeader{typ: typeYUV420, q: 50, width: 4, height: 4}
	payload := append(h.appendTo(nil), img.scan...)

	var d Depacketizer
	f, err := d.Push(packets([][]byte{payload}, 1, 0)[0])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f).NotTo(BeNil())
	_, dqt := segment(f.JPEG, markerDQT)
	want := qTablesForQ(50)
	g.Expect(dqt[1:65]).To(Equal(want[:64]))
	g.Expect(dqt[66:130]).To(Equal(want[64:]))
	decoded := decodeYCbCr(t, orig)
	g.Expect(samePixels(decodeYCbCr(t, f.JPEG), decoded, decoded.Rect)).To(BeTrue())
}

func TestStaticTablesMayBeOmittedOnceSent(t *testing.T) {
	g := NewWithT(t)
	orig := flatJPEG(flatSpec{width: 32, height: 16, typ: typeYUV420, qtables: uniformTables(8, 12), dc: mosaic})
	img, err := parseJPEG(orig)
	g.Expect(err).NotTo(HaveOccurred())
	withTables := payloadHeader{typ: typeYUV420, q: 128, width: 4, height: 2, qtables: img.qtables[:], hasQHeader: true}
	without := payloadHeader{typ: typeYUV420, q: 128, width: 4, height: 2, hasQHeader: true}
	otherQ := payloadHeader{typ: typeYUV420, q: 129, width: 4, height: 2, hasQHeader: true}

	var d Depacketizer
	_, err = d.Push(packets([][]byte{append(otherQ.appendTo(nil), img.scan...)}, 1, 0)[0])
	g.Expect(err).To(MatchError(ErrMalformedPacket))
	g.Expect(err).To(MatchError(ContainSubstring("Q 129 without tables, and none received for it yet")))

	want := decodeYCbCr(t, orig)
	for i, h := range []payloadHeader{withTables, without} {
		f, err := d.Push(packets([][]byte{append(h.appendTo(nil), img.scan...)}, uint32(10+i), uint16(i+1))[0])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(f).NotTo(BeNil())
		g.Expect(samePixels(decodeYCbCr(t, f.JPEG), want, want.Rect)).To(BeTrue())
	}

	// Another stream (SSRC) cannot use the tables this one sent.
	other := packets([][]byte{append(without.appendTo(nil), img.scan...)}, 20, 3)[0]
	other.SSRC = 99
	_, err = d.Push(other)
	g.Expect(err).To(MatchError(ContainSubstring("Q 128 without tables, and none received for it yet")))
}

func TestFrameGrowingPastMaxFrameSizeIsDropped(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(64, 48, 42), 80)
	payloads, err := Packetize(orig, 300)
	g.Expect(err).NotTo(HaveOccurred())
	pkts := packets(payloads, 100, 0)

	var d Depacketizer
	_, err = d.Push(pkts[0])
	g.Expect(err).NotTo(HaveOccurred())
	far := append((payloadHeader{offset: MaxFrameSize - 2, typ: typeYUV420, q: 255, width: 8, height: 6}).appendTo(nil), 1, 2, 3)
	_, err = d.Push(&rtp.Packet{Header: rtp.Header{SSRC: 1, Timestamp: 100, SequenceNumber: 9}, Payload: far})
	g.Expect(err).To(MatchError(ErrFrameTooLarge))
	g.Expect(d.Dropped()).To(Equal(1))
	g.Expect(d.cur).To(BeNil(), "nothing of the frame is kept")

	for _, p := range pkts[1:] { // the rest of the dropped frame is ignored
		f, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(f).To(BeNil())
	}
	g.Expect(d.cur).To(BeNil())
	frames := 0
	for _, p := range packets(payloads, 3700, 20) {
		f, err := d.Push(p)
		g.Expect(err).NotTo(HaveOccurred())
		if f != nil {
			frames++
		}
	}
	g.Expect(frames).To(Equal(1))
	g.Expect(d.Dropped()).To(Equal(1))
}

func TestBufferNeverExceedsMaxFrameSize(t *testing.T) {
	g := NewWithT(t)
	var d Depacketizer
	data := make([]byte, 1000)
	// Packets at offsets that would make a doubling buffer overshoot.
	for i, off := range []int{0, 5 << 20, MaxFrameSize - len(data)} {
		h := payloadHeader{offset: uint32(off), typ: typeYUV420, q: 50, width: 8, height: 8}
		_, err := d.Push(&rtp.Packet{Header: rtp.Header{Timestamp: 1, SequenceNumber: uint16(i)}, Payload: append(h.appendTo(nil), data...)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cap(d.cur.buf)).To(BeNumerically("<=", MaxFrameSize))
		g.Expect(cap(d.cur.have)).To(BeNumerically("<=", MaxFrameSize/64))
	}
	g.Expect(d.cur.buf).To(HaveLen(MaxFrameSize))
}

// pushChecked pushes a packet and checks what must hold whatever the input:
// an error is one of the package's, a frame decodes at least as far as its
// header and matches its stated size, and the reassembly buffer stays within
// MaxFrameSize.
func pushChecked(t *testing.T, d *Depacketizer, p *rtp.Packet) *Frame {
	t.Helper()
	dropped := d.Dropped()
	f, err := d.Push(p)
	if err != nil {
		if f != nil {
			t.Fatalf("frame and error together")
		}
		if !errors.Is(err, ErrMalformedPacket) && !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("error without a sentinel: %v", err)
		}
	}
	if d.Dropped() < dropped {
		t.Fatalf("Dropped went down from %d to %d", dropped, d.Dropped())
	}
	if d.cur != nil && (cap(d.cur.buf) > MaxFrameSize || cap(d.cur.have) > MaxFrameSize/64) {
		t.Fatalf("reassembly buffer of %d bytes", cap(d.cur.buf))
	}
	if f == nil {
		return nil
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.JPEG))
	if err != nil {
		t.Fatalf("frame image/jpeg cannot read: %v", err)
	}
	if cfg.Width != f.Width || cfg.Height != f.Height || f.Width%8 != 0 || f.Height%8 != 0 || f.Width > maxDimension || f.Height > maxDimension {
		t.Fatalf("frame says %dx%d, JPEG %dx%d", f.Width, f.Height, cfg.Width, cfg.Height)
	}
	if len(f.JPEG) > MaxFrameSize+1024 {
		t.Fatalf("frame of %d bytes", len(f.JPEG))
	}
	return f
}

// encodeStream serialises packets for FuzzDepacketizer: per packet a control
// byte (bit 0 marker, bits 1-2 timestamp steps of 3600 since the previous
// packet, bit 3 switch SSRC), a 16-bit length and the payload.
func encodeStream(frames [][]*rtp.Packet) []byte {
	var out []byte
	var ts uint32
	for i, pkts := range frames {
		for j, p := range pkts {
			ctl := byte(0)
			if p.Marker {
				ctl |= 1
			}
			if i > 0 && j == 0 {
				ctl |= byte((p.Timestamp-ts)/3600) << 1 & 6
			}
			ts = p.Timestamp
			out = append(out, ctl)
			out = binary.BigEndian.AppendUint16(out, uint16(len(p.Payload)))
			out = append(out, p.Payload...)
		}
	}
	return out
}

// decodeStream is the inverse of encodeStream, for whatever bytes the
// fuzzer makes.
func decodeStream(b []byte) []*rtp.Packet {
	var out []*rtp.Packet
	ts, ssrc := uint32(1000), uint32(1)
	for seq := uint16(0); len(b) >= 3; seq++ {
		ctl, n := b[0], int(binary.BigEndian.Uint16(b[1:]))
		b = b[3:]
		n = min(n, len(b))
		ts += uint32(ctl>>1&3) * 3600
		if ctl&8 != 0 {
			ssrc++
		}
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 26, SSRC: ssrc, SequenceNumber: seq, Timestamp: ts, Marker: ctl&1 != 0},
			Payload: b[:n],
		})
		b = b[n:]
	}
	return out
}

func TestFlippedBytesInAValidStreamKeepTheInvariants(t *testing.T) {
	g := NewWithT(t)
	orig := flatJPEG(flatSpec{width: 48, height: 32, typ: typeYUV420, restart: 2, qtables: uniformTables(8, 8), dc: mosaic})
	var frames [][]*rtp.Packet
	for i := range 2 {
		payloads, err := Packetize(orig, 150)
		g.Expect(err).NotTo(HaveOccurred())
		frames = append(frames, packets(payloads, uint32(3600*i), uint16(10*i)))
	}
	stream := encodeStream(frames)

	// Unchanged, the stream gives both frames.
	var d Depacketizer
	n := 0
	for _, p := range decodeStream(stream) {
		if pushChecked(t, &d, p) != nil {
			n++
		}
	}
	g.Expect(n).To(Equal(2))

	for i := range stream {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			flipped := patch(stream, i, stream[i]^mask)
			var d Depacketizer
			for _, p := range decodeStream(flipped) {
				pushChecked(t, &d, p)
			}
		}
	}
}

// FuzzDepacketizer pushes arbitrary packet sequences: nothing may panic,
// every frame returned must be a JPEG image/jpeg can read the header of, of
// the size it claims, and the reassembly buffer stays bounded.
func FuzzDepacketizer(f *testing.F) {
	orig := flatJPEG(flatSpec{width: 48, height: 32, typ: typeYUV420, restart: 2, qtables: uniformTables(8, 8), dc: mosaic})
	payloads, err := Packetize(orig, 150)
	if err != nil {
		f.Fatal(err)
	}
	valid := encodeStream([][]*rtp.Packet{packets(payloads, 0, 0), packets(payloads, 3600, 10)})
	f.Add(valid)
	f.Add(patch(valid, 3+4, 0x01)) // type 65 becomes 1: restart header read as data
	f.Add(patch(valid, 3+1, 0x80)) // a fragment offset far beyond the frame
	small, err := Packetize(encodeJPEG(f, testImage(16, 16, 50), 75), 1188)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeStream([][]*rtp.Packet{packets(small, 0, 0)}))
	f.Add([]byte{1, 0, 8, 0, 0, 0, 0, 1, 50, 1, 1})
	f.Fuzz(func(t *testing.T, stream []byte) {
		var d Depacketizer
		for _, p := range decodeStream(stream) {
			pushChecked(t, &d, p)
		}
	})
}
