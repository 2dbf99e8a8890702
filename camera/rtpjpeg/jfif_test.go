package rtpjpeg

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseJPEGReadsStandardEncoderOutput(t *testing.T) {
	g := NewWithT(t)
	b := encodeJPEG(t, testImage(320, 240, 1), 90)

	img, err := parseJPEG(b)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.width).To(Equal(320))
	g.Expect(img.height).To(Equal(240))
	g.Expect(img.typ).To(Equal(uint8(typeYUV420)))
	g.Expect(img.restartInterval).To(BeZero())

	_, dqt := segment(b, markerDQT) // image/jpeg writes both tables in one DQT
	g.Expect(dqt).To(HaveLen(2 * 65))
	g.Expect(img.qtables[:64]).To(Equal(dqt[1:65]))
	g.Expect(img.qtables[64:]).To(Equal(dqt[66:130]))

	sosAt, sos := segment(b, markerSOS)
	g.Expect(img.scan).To(Equal(b[sosAt+4+len(sos) : len(b)-2]))
	g.Expect(b[len(b)-2:]).To(Equal([]byte{0xFF, markerEOI}))
}

func TestParseJPEGReadsRestartIntervalsAnd422(t *testing.T) {
	g := NewWithT(t)
	b := flatJPEG(flatSpec{width: 64, height: 48, typ: typeYUV422, restart: 3, qtables: uniformTables(8, 9), dc: mosaic})

	img, err := parseJPEG(b)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.typ).To(Equal(uint8(typeYUV422)))
	g.Expect(img.restartInterval).To(Equal(uint16(3)))
	g.Expect(img.qtables[0]).To(Equal(byte(8)))
	g.Expect(img.qtables[64]).To(Equal(byte(9)))
	// 4×6 MCUs of 16×8 in intervals of 3: 7 restart markers, RST0 to RST6.
	g.Expect(bytes.Count(img.scan, []byte{0xFF, markerRST0})).To(Equal(1))
	g.Expect(bytes.Count(img.scan, []byte{0xFF, markerRST0 + 6})).To(Equal(1))
	g.Expect(bytes.Count(img.scan, []byte{0xFF, markerRST0 + 7})).To(BeZero())
	g.Expect(bytes.HasSuffix(b, append(append([]byte(nil), img.scan...), 0xFF, markerEOI))).To(BeTrue())
}

func TestParseJPEGSkipsMetadataAndFillBytes(t *testing.T) {
	g := NewWithT(t)
	b := encodeJPEG(t, testImage(32, 16, 2), 75)
	// An APP0 JFIF header, a comment, and fill bytes before a marker.
	extra := []byte{0xFF, markerAPP0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1, 0, 0}
	extra = append(extra, 0xFF, 0xFF, 0xFF, markerCOM, 0, 4, 'h', 'i')
	withExtra := append(append(append([]byte(nil), b[:2]...), extra...), b[2:]...)

	plain, err := parseJPEG(b)
	g.Expect(err).NotTo(HaveOccurred())
	img, err := parseJPEG(withExtra)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.scan).To(Equal(plain.scan))
	g.Expect(img.qtables).To(Equal(plain.qtables))
}

func TestParseJPEGRefusesWhatRFC2435CannotCarry(t *testing.T) {
	good := encodeJPEG(t, testImage(64, 32, 3), 80)
	sofAt, _ := segment(good, markerSOF0)
	sof := sofAt + 4 // precision, height(2), width(2), count, then id/sampling/table per component
	dhtAt, dht := segment(good, markerDHT)
	dqtAt, dqt := segment(good, markerDQT)
	sosAt, sos := segment(good, markerSOS)
	scanStart := sosAt + 4 + len(sos)

	gray := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 16, 16)), 80)
	wide := patch(patch(good, sof+3, 0x08), sof+4, 0x00) // 2048
	tall := patch(patch(good, sof+1, 0x07), sof+2, 0xF9) // 2041
	sixteenBit := replaceSegment(t, good, markerDQT, append([]byte{0x10}, make([]byte, 128)...))
	adobe := []byte{0xFF, markerAPP14, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}
	rgb := append(append(append([]byte(nil), good[:2]...), adobe...), good[2:]...)
	noDHT := append(append([]byte(nil), good[:dhtAt]...), good[dhtAt+4+len(dht):]...)
	noDQT := append(append([]byte(nil), good[:dqtAt]...), good[dqtAt+4+len(dqt):]...)
	twoScans := append(append([]byte(nil), good[:len(good)-2]...), good[sosAt:]...)
	rstAt := scanStart + 4
	for good[rstAt-1] == 0xFF || good[rstAt] == 0x00 { // not inside a stuffed 0xFF00
		rstAt++
	}
	rstNoDRI := append(append(append([]byte(nil), good[:rstAt]...), 0xFF, markerRST0), good[rstAt:]...)

	for name, c := range map[string]struct {
		jpeg []byte
		want error
		msg  string
	}{
		"empty":              {nil, ErrInvalidJPEG, "missing SOI"},
		"garbage":            {[]byte("this is not a JPEG at all"), ErrInvalidJPEG, "missing SOI"},
		"only SOI":           {[]byte{0xFF, markerSOI}, ErrInvalidJPEG, "truncated before the scan"},
		"junk after SOI":     {[]byte{0xFF, markerSOI, 1, 2, 3}, ErrInvalidJPEG, "expected a marker at offset 2"},
		"truncated header":   {good[:sofAt+6], ErrInvalidJPEG, "runs past the end"},
		"truncated scan":     {good[:scanStart+(len(good)-scanStart)/2], ErrInvalidJPEG, "missing EOI"},
		"missing EOI":        {good[:len(good)-2], ErrInvalidJPEG, "missing EOI"},
		"no DHT":             {noDHT, ErrInvalidJPEG, "no DHT defines"},
		"no DQT":             {noDQT, ErrInvalidJPEG, "no DQT defines"},
		"RST without DRI":    {rstNoDRI, ErrInvalidJPEG, "without a DRI"},
		"progressive":        {patch(good, sofAt+1, markerSOF2), ErrUnsupportedJPEG, "progressive"},
		"extended":           {patch(good, sofAt+1, markerSOF1), ErrUnsupportedJPEG, "extended sequential"},
		"arithmetic":         {patch(good, sofAt+1, 0xC9), ErrUnsupportedJPEG, "SOF9"},
		"grayscale":          {gray, ErrUnsupportedJPEG, "grayscale"},
		"4:4:4":              {patch(good, sof+7, 0x11), ErrUnsupportedJPEG, "4:4:4"},
		"4:1:1":              {patch(good, sof+7, 0x41), ErrUnsupportedJPEG, "4:2:0 and 4:2:2 only"},
		"12-bit samples":     {patch(good, sof, 12), ErrUnsupportedJPEG, "12-bit samples"},
		"16-bit tables":      {sixteenBit, ErrUnsupportedJPEG, "16-bit quantisation table"},
		"too wide":           {wide, ErrUnsupportedJPEG, "2048x32 image, larger than RFC 2435's 2040x2040"},
		"too tall":           {tall, ErrUnsupportedJPEG, "64x2041 image"},
		"custom Huffman":     {patch(good, dhtAt+4+17, 1), ErrUnsupportedJPEG, "Y DC Huffman table is not the standard one"},
		"RGB":                {rgb, ErrUnsupportedJPEG, "RGB image (Adobe transform 0)"},
		"two scans":          {twoScans, ErrUnsupportedJPEG, "single-scan"},
		"repeated component": {patch(good, sof+6+3, 1), ErrInvalidJPEG, "repeated component id"},
		"reserved marker":    {append([]byte{0xFF, markerSOI, 0xFF, markerJPG0, 0, 2}, good[2:]...), ErrUnsupportedJPEG, "reserved JPEG extension marker 0xf0"},
		"separate Cr table":  {patch(good, sof+6+3*2+2, 0), ErrUnsupportedJPEG, "different quantisation tables"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			img, err := parseJPEG(c.jpeg)
			g.Expect(err).To(MatchError(c.want))
			g.Expect(err).To(MatchError(ContainSubstring(c.msg)))
			g.Expect(img).To(BeNil())
		})
	}
}

func TestAppendJFIFRebuildsADecodableImage(t *testing.T) {
	g := NewWithT(t)
	orig := encodeJPEG(t, testImage(320, 240, 4), 85)
	img, err := parseJPEG(orig)
	g.Expect(err).NotTo(HaveOccurred())

	rebuilt := appendJFIF(nil, img.typ, img.width, img.height, img.qtables[:], 0, img.scan)

	// The segments RFC 2435 Appendix B rebuilds, in order.
	var markers []byte
	for i := 2; rebuilt[i+1] != markerSOS; i += 2 + int(rebuilt[i+2])<<8 + int(rebuilt[i+3]) {
		markers = append(markers, rebuilt[i+1])
	}
	g.Expect(markers).To(Equal([]byte{markerDQT, markerSOF0, markerDHT}))
	_, sof := segment(rebuilt, markerSOF0)
	g.Expect(sof).To(Equal([]byte{8, 0, 240, 1, 64, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}))

	cfg, err := jpeg.DecodeConfig(bytes.NewReader(rebuilt))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Width).To(Equal(320))
	g.Expect(cfg.Height).To(Equal(240))
	g.Expect(samePixels(decodeYCbCr(t, rebuilt), decodeYCbCr(t, orig), image.Rect(0, 0, 320, 240))).To(BeTrue())
}

func TestAppendJFIFWritesDRIAndDecodesRestartMarkers(t *testing.T) {
	g := NewWithT(t)
	spec := flatSpec{width: 48, height: 32, typ: typeYUV420, restart: 2, qtables: uniformTables(8, 8), dc: mosaic}
	b := flatJPEG(spec) // flatJPEG builds its file with appendJFIF

	_, dri := segment(b, markerDRI)
	g.Expect(dri).To(Equal([]byte{0, 2}))
	_, sof := segment(b, markerSOF0)
	g.Expect(sof[7]).To(Equal(byte(0x22)))

	// DC-only blocks decode flat at 128 + DC*quantiser/8: every block must
	// have its own level, which takes the restart markers decoded right.
	img := decodeYCbCr(t, b)
	for by := range 4 {
		for bx := range 6 {
			want := 128 + mosaic(0, bx, by)
			g.Expect(int(img.Y[img.YOffset(bx*8+3, by*8+3)])).To(BeNumerically("~", want, 1), "Y block %d,%d", bx, by)
		}
	}
	for by := range 2 {
		for bx := range 3 {
			want := 128 + mosaic(1, bx, by)
			g.Expect(int(img.Cb[img.COffset(bx*16+5, by*16+5)])).To(BeNumerically("~", want, 1), "Cb block %d,%d", bx, by)
		}
	}
}
