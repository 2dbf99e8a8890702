package jpeg

import (
	"bytes"
	"image"
	stdjpeg "image/jpeg"
	"testing"

	. "github.com/onsi/gomega"
)

func TestZigzagWalksTheAntiDiagonalsAlternately(t *testing.T) {
	g := NewWithT(t)
	// T.81 Figure A.6: anti-diagonal s = u+v, walked upwards (v falling) on
	// even s and downwards on odd s.
	var want []uint8
	for s := range 15 {
		for i := range s + 1 {
			v := i
			if s%2 == 0 {
				v = s - i
			}
			u := s - v
			if u < 8 && v < 8 {
				want = append(want, uint8(v*8+u))
			}
		}
	}
	g.Expect(zigzag[:]).To(Equal(want))
}

func TestScaledQuantMatchesImageJPEG(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	for _, q := range []int{1, 2, 10, 24, 25, 49, 50, 51, 75, 85, 95, 99, 100} {
		g := NewWithT(t)
		var ref bytes.Buffer
		g.Expect(stdjpeg.Encode(&ref, src, &stdjpeg.Options{Quality: q})).To(Succeed())
		stdFile, err := parseJPEG(ref.Bytes())
		g.Expect(err).NotTo(HaveOccurred())

		out, err := mustEncoder(g, Options{Quality: q}).Encode(nil, src)
		g.Expect(err).NotTo(HaveOccurred())
		ours, err := parseJPEG(out)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ours.find(0xdb)).To(Equal(stdFile.find(0xdb)), "quality %d", q)
	}
}

func TestStandardHuffmanCodesAreTheAnnexKCodes(t *testing.T) {
	g := NewWithT(t)
	code := func(table, symbol int) string {
		c := standardHuffman[table].codes()[symbol]
		n := int(c & 0xff)
		s := make([]byte, n)
		for i := range n {
			s[i] = '0' + byte(c>>(8+n-1-i)&1)
		}
		return string(s)
	}
	// Samples of Tables K.3 to K.6.
	g.Expect(code(lumaDC, 0)).To(Equal("00"))
	g.Expect(code(lumaDC, 5)).To(Equal("110"))
	g.Expect(code(lumaDC, 11)).To(Equal("111111110"))
	g.Expect(code(chromaDC, 0)).To(Equal("00"))
	g.Expect(code(chromaDC, 2)).To(Equal("10"))
	g.Expect(code(chromaDC, 3)).To(Equal("110"))
	g.Expect(code(chromaDC, 4)).To(Equal("1110"))
	g.Expect(code(chromaDC, 11)).To(Equal("11111111110"))
	g.Expect(code(lumaAC, 0x00)).To(Equal("1010"))
	g.Expect(code(lumaAC, 0xf0)).To(Equal("11111111001"))
	g.Expect(code(lumaAC, 0x01)).To(Equal("00"))
	g.Expect(code(lumaAC, 0x11)).To(Equal("1100"))
	g.Expect(code(lumaAC, 0xfa)).To(Equal("1111111111111110"))
	g.Expect(code(chromaAC, 0x00)).To(Equal("00"))
	g.Expect(code(chromaAC, 0xf0)).To(Equal("1111111010"))
	g.Expect(code(chromaAC, 0x21)).To(Equal("11010"))
	g.Expect(code(chromaAC, 0xfa)).To(Equal("1111111111111110"))

	for i, s := range standardHuffman {
		total := 0
		for _, n := range s.counts {
			total += int(n)
		}
		g.Expect(s.values).To(HaveLen(total), "table %d", i)
		codes := s.codes()
		// Every symbol an 8-bit baseline encoder can produce has a code.
		for sym := range 256 {
			run, size := sym>>4, sym&15
			valid := sym <= 11
			if i == lumaAC || i == chromaAC {
				valid = sym == 0x00 || sym == 0xf0 || (size >= 1 && size <= 10 && run <= 15)
			}
			g.Expect(codes[sym]&0xff != 0).To(Equal(valid), "table %d symbol %#x", i, sym)
		}
		// No code is a prefix of another, and none is all ones (T.81 C).
		for a, ca := range codes {
			la := int(ca & 0xff)
			if la == 0 {
				continue
			}
			g.Expect(uint32(ca>>8)).NotTo(Equal(uint32(1)<<la-1), "table %d symbol %#x", i, a)
			for b, cb := range codes {
				lb := int(cb & 0xff)
				if b == a || lb == 0 || lb < la {
					continue
				}
				g.Expect(uint32(cb>>8)>>(lb-la)).NotTo(Equal(uint32(ca>>8)), "table %d: %#x prefixes %#x", i, a, b)
			}
		}
	}
}

func TestExportedTablesAreCopiesOfTheEncoders(t *testing.T) {
	g := NewWithT(t)
	h := StandardHuffman()
	g.Expect(h[lumaAC].Values).To(HaveLen(162))
	h[lumaAC].Values[0] = 0xEE
	g.Expect(standardHuffman[lumaAC].values[0]).NotTo(Equal(uint8(0xEE)), "a copy")
	g.Expect(Zigzag()).To(Equal(zigzag))
	g.Expect(QuantTables(50)).To(Equal(baseQuant))
	g.Expect(QuantTables(0)).To(Equal(QuantTables(1)))
}
