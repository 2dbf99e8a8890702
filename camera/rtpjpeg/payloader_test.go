package rtpjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	. "github.com/onsi/gomega"
)

// reassemble feeds packets to a new Depacketizer and returns the frames it
// completes, failing on any error.
func reassemble(t testing.TB, pkts []*rtp.Packet) []*Frame {
	t.Helper()
	var d Depacketizer
	var frames []*Frame
	for _, p := range pkts {
		f, err := d.Push(p)
		if err != nil {
			t.Fatalf("push packet %d: %v", p.SequenceNumber, err)
		}
		if f != nil {
			frames = append(frames, f)
		}
	}
	return frames
}

func TestRoundTripThroughPionPacketizer(t *testing.T) {
	orig := encodeJPEG(t, testImage(320, 240, 10), 90)
	want := decodeYCbCr(t, orig)
	pkts := packetize(t, 1200, orig)[0]

	shuffled := append([]*rtp.Packet(nil), pkts...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	reversed := make([]*rtp.Packet, len(pkts))
	for i, p := range pkts {
		reversed[len(pkts)-1-i] = p
	}
	// Over the wire: marshalled and parsed back.
	var wire []*rtp.Packet
	for _, p := range pkts {
		raw, err := p.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var q rtp.Packet
		if err := q.Unmarshal(raw); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		wire = append(wire, &q)
	}

	for name, order := range map[string][]*rtp.Packet{"in order": pkts, "shuffled": shuffled, "reversed": reversed, "over the wire": wire} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(len(pkts)).To(BeNumerically(">", 5), "the frame must span several packets")
			frames := reassemble(t, order)
			g.Expect(frames).To(HaveLen(1))
			f := frames[0]
			g.Expect(f.Width).To(Equal(320))
			g.Expect(f.Height).To(Equal(240))
			g.Expect(f.Timestamp).To(Equal(pkts[0].Timestamp))
			got := decodeYCbCr(t, f.JPEG)
			g.Expect(got.Rect).To(Equal(want.Rect))
			g.Expect(samePixels(got, want, want.Rect)).To(BeTrue(), "pixels differ from the original's")
		})
	}
}

func TestPayloadsFitTheMTUAndCarryTablesOnlyFirst(t *testing.T) {
	orig := encodeJPEG(t, testImage(320, 240, 11), 95)
	img, err := parseJPEG(orig)
	if err != nil {
		t.Fatal(err)
	}
	for _, mtu := range []int{141, 200, 576, 1188, 1488} {
		g := NewWithT(t)
		payloads, err := Packetize(orig, mtu)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect((&Payloader{}).Payload(uint16(mtu), orig)).To(Equal(payloads))

		var scan []byte
		for i, p := range payloads {
			g.Expect(len(p)).To(BeNumerically("<=", mtu))
			h, data, err := parsePayload(p)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(int(h.offset)).To(Equal(len(scan)), "fragment offsets must be contiguous")
			g.Expect(h.typ).To(Equal(uint8(typeYUV420)))
			g.Expect(h.q).To(Equal(uint8(255)))
			g.Expect(h.width).To(Equal(uint8(40)))
			g.Expect(h.height).To(Equal(uint8(30)))
			g.Expect(h.restartInterval).To(BeZero())
			if i == 0 {
				g.Expect(p[8:12]).To(Equal([]byte{0, 0, 0, 128}))
				g.Expect(h.qtables).To(Equal(img.qtables[:]))
			} else {
				g.Expect(h.hasQHeader).To(BeFalse())
			}
			if i < len(payloads)-1 {
				g.Expect(len(p)).To(Equal(mtu), "only the last payload is short")
			}
			scan = append(scan, data...)
		}
		g.Expect(scan).To(Equal(img.scan))
	}
}

func TestPionPacketizerMarksTheLastPacketOfEachFrame(t *testing.T) {
	g := NewWithT(t)
	frames := packetize(t, 1200, encodeJPEG(t, testImage(320, 240, 12), 90), encodeJPEG(t, testImage(320, 240, 13), 90))
	g.Expect(frames[1][0].Timestamp - frames[0][0].Timestamp).To(Equal(uint32(3600)))
	for _, pkts := range frames {
		for i, p := range pkts {
			g.Expect(p.Marker).To(Equal(i == len(pkts)-1))
			g.Expect(p.Timestamp).To(Equal(pkts[0].Timestamp))
			g.Expect(p.PayloadType).To(Equal(uint8(26)))
			raw, err := p.Marshal()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(len(raw)).To(BeNumerically("<=", 1200))
		}
	}
}

func TestRoundTripWithRestartMarkers(t *testing.T) {
	for name, spec := range map[string]flatSpec{
		"4:2:0, restart every 2 MCUs": {width: 96, height: 64, typ: typeYUV420, restart: 2, qtables: uniformTables(8, 8), dc: mosaic},
		"4:2:2, restart every 5 MCUs": {width: 80, height: 40, typ: typeYUV422, restart: 5, qtables: uniformTables(8, 16), dc: mosaic},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			orig := flatJPEG(spec)
			payloads, err := Packetize(orig, 150)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(len(payloads)).To(BeNumerically(">", 1))
			for _, p := range payloads {
				g.Expect(p[4]).To(Equal(64+spec.typ), "type + 64 announces the restart marker header")
				g.Expect(p[8:12]).To(Equal([]byte{0, byte(spec.restart), 0xFF, 0xFF}), "interval, F=1 L=1 count 0x3FFF")
			}
			g.Expect(payloads[0][12:16]).To(Equal([]byte{0, 0, 0, 128}), "table header after the restart header")

			var pkts []*rtp.Packet
			for i, p := range payloads {
				pkts = append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 26, SequenceNumber: uint16(i), Timestamp: 7, Marker: i == len(payloads)-1}, Payload: p})
			}
			frames := reassemble(t, pkts)
			g.Expect(frames).To(HaveLen(1))
			_, dri := segment(frames[0].JPEG, markerDRI)
			g.Expect(dri).To(Equal([]byte{0, byte(spec.restart)}))
			want := decodeYCbCr(t, orig)
			g.Expect(samePixels(decodeYCbCr(t, frames[0].JPEG), want, want.Rect)).To(BeTrue())
		})
	}
}

func TestRoundTripRoundsSizesUpToWholeBlocks(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(100, 75, 14), 90)
	frames := reassemble(t, packetize(t, 1200, orig)[0])
	g.Expect(frames).To(HaveLen(1))
	g.Expect(frames[0].Width).To(Equal(104))
	g.Expect(frames[0].Height).To(Equal(80))
	got := decodeYCbCr(t, frames[0].JPEG)
	g.Expect(got.Rect).To(Equal(image.Rect(0, 0, 104, 80)))
	g.Expect(samePixels(got, decodeYCbCr(t, orig), image.Rect(0, 0, 100, 75))).To(BeTrue())
}

func TestPacketizeRefusesWithClearErrors(t *testing.T) {
	good := encodeJPEG(t, testImage(64, 32, 15), 80)
	sofAt, _ := segment(good, markerSOF0)
	sosAt, sos := segment(good, markerSOS)
	scanStart := sosAt + 4 + len(sos)
	huge := append(append(append([]byte(nil), good[:len(good)-2]...), make([]byte, MaxFrameSize)...), 0xFF, markerEOI)

	for name, c := range map[string]struct {
		jpeg []byte
		mtu  int
		want error
		msg  string
	}{
		"progressive":    {patch(good, sofAt+1, markerSOF2), 1200, ErrUnsupportedJPEG, "progressive JPEG"},
		"grayscale":      {encodeJPEG(t, image.NewGray(image.Rect(0, 0, 8, 8)), 80), 1200, ErrUnsupportedJPEG, "grayscale"},
		"4:4:4":          {patch(good, sofAt+4+7, 0x11), 1200, ErrUnsupportedJPEG, "4:4:4"},
		"12-bit":         {patch(good, sofAt+4, 12), 1200, ErrUnsupportedJPEG, "12-bit"},
		"too wide":       {patch(good, sofAt+4+3, 0x10), 1200, ErrUnsupportedJPEG, "larger than RFC 2435's 2040x2040"},
		"scan too large": {huge, 1200, ErrUnsupportedJPEG, "more than 8388608"},
		"truncated":      {good[:(scanStart+len(good))/2], 1200, ErrInvalidJPEG, "missing EOI"},
		"missing EOI":    {good[:len(good)-2], 1200, ErrInvalidJPEG, "missing EOI"},
		"garbage":        {[]byte{0x89, 'P', 'N', 'G'}, 1200, ErrInvalidJPEG, "missing SOI"},
		"MTU too small":  {good, 140, ErrMTUTooSmall, "mtu 140, the first packet's headers alone take 140 bytes"},
		"negative MTU":   {good, -1, ErrMTUTooSmall, "mtu -1"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			payloads, err := Packetize(c.jpeg, c.mtu)
			g.Expect(err).To(MatchError(c.want))
			g.Expect(err).To(MatchError(ContainSubstring("rtpjpeg packetize: ")))
			g.Expect(err).To(MatchError(ContainSubstring(c.msg)))
			g.Expect(payloads).To(BeNil())
			if c.mtu >= 0 {
				g.Expect((&Payloader{}).Payload(uint16(c.mtu), c.jpeg)).To(BeNil())
			}
		})
	}
}

// FuzzPacketize feeds arbitrary bytes to the payloader: it must not panic,
// must refuse with one of its sentinel errors, and whatever it accepts must
// come back through the Depacketizer as a JPEG of the same (block-rounded)
// size that decodes to the same pixels as the input whenever the input
// decodes.
func FuzzPacketize(f *testing.F) {
	f.Add(encodeJPEG(f, testImage(32, 16, 20), 75), uint16(200))
	f.Add(encodeJPEG(f, testImage(17, 9, 21), 50), uint16(1188))
	f.Add(encodeJPEG(f, image.NewGray(image.Rect(0, 0, 8, 8)), 75), uint16(1188))
	f.Add(flatJPEG(flatSpec{width: 32, height: 16, typ: typeYUV422, restart: 1, qtables: uniformTables(8, 8), dc: mosaic}), uint16(150))
	f.Add([]byte{0xFF, markerSOI, 0xFF, markerEOI}, uint16(1200))
	f.Fuzz(func(t *testing.T, data []byte, mtu uint16) {
		payloads, err := Packetize(data, int(mtu))
		if viaPion := (&Payloader{}).Payload(mtu, data); len(viaPion) != len(payloads) {
			t.Fatalf("Payload gave %d payloads, Packetize %d", len(viaPion), len(payloads))
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidJPEG) && !errors.Is(err, ErrUnsupportedJPEG) && !errors.Is(err, ErrMTUTooSmall) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			if payloads != nil {
				t.Fatalf("payloads with an error")
			}
			return
		}
		if len(payloads) == 0 {
			t.Fatalf("no payloads and no error")
		}
		var d Depacketizer
		var frame *Frame
		for i, p := range payloads {
			if len(p) > int(mtu) {
				t.Fatalf("payload %d of %d bytes, mtu %d", i, len(p), mtu)
			}
			fr, err := d.Push(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: 1, Marker: i == len(payloads)-1}, Payload: p})
			if err != nil {
				t.Fatalf("own payload %d refused: %v", i, err)
			}
			if fr != nil && i != len(payloads)-1 {
				t.Fatalf("frame completed at payload %d of %d", i, len(payloads))
			}
			frame = fr
		}
		if frame == nil {
			t.Fatalf("own payloads did not make a frame")
		}
		in, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("payloader accepted what image/jpeg cannot read: %v", err)
		}
		out, err := jpeg.DecodeConfig(bytes.NewReader(frame.JPEG))
		if err != nil {
			t.Fatalf("rebuilt JPEG unreadable: %v", err)
		}
		if out.Width != (in.Width+7)/8*8 || out.Height != (in.Height+7)/8*8 || out.Width != frame.Width || out.Height != frame.Height {
			t.Fatalf("rebuilt %dx%d (frame says %dx%d) from %dx%d", out.Width, out.Height, frame.Width, frame.Height, in.Width, in.Height)
		}
		orig, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return // scan data image/jpeg cannot decode: nothing to compare
		}
		rebuilt, err := jpeg.Decode(bytes.NewReader(frame.JPEG))
		if err != nil {
			t.Fatalf("input decodes but the rebuilt JPEG does not: %v", err)
		}
		a, aok := orig.(*image.YCbCr)
		b, bok := rebuilt.(*image.YCbCr)
		if !aok || !bok {
			t.Fatalf("decoded %T and %T, want YCbCr", orig, rebuilt)
		}
		if !samePixels(a, b, a.Rect) {
			t.Fatalf("rebuilt pixels differ from the input's")
		}
	})
}
