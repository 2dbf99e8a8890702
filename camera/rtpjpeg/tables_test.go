package rtpjpeg

import (
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera/jpeg"
)

func TestQTablesForQ50AreAnnexKInZigZagOrder(t *testing.T) {
	g := NewWithT(t)
	q := qTablesForQ(50) // scale 100%: the Annex K tables themselves
	// The first entries of K.1 and K.2 in zig-zag order, as ffmpeg's
	// rtpdec_jpeg.c and GStreamer's rtpjpegdepay have them.
	g.Expect(q[:8]).To(Equal([]byte{16, 11, 12, 14, 12, 10, 16, 14}))
	g.Expect(q[64:72]).To(Equal([]byte{17, 18, 18, 24, 21, 24, 47, 26}))
	g.Expect(q[63]).To(Equal(byte(99)))
	annexK, zz := jpeg.QuantTables(50), jpeg.Zigzag()
	for zig := range 64 {
		g.Expect(q[zig]).To(Equal(annexK[0][zz[zig]]))
		g.Expect(q[64+zig]).To(Equal(annexK[1][zz[zig]]))
	}
}

func TestQTablesForQScaleAndClampAsAppendixA(t *testing.T) {
	g := NewWithT(t)
	// Q 25: scale 5000/25 = 200%.
	q := qTablesForQ(25)
	g.Expect(q[0]).To(Equal(byte(32)))
	g.Expect(q[64]).To(Equal(byte(34)))
	// Q 1: scale 5000%, every entry clamps at 255.
	for _, v := range qTablesForQ(1) {
		g.Expect(v).To(Equal(byte(255)))
	}
	// Q 99: scale 2%; (16*2+50)/100 = 0 clamps up to 1.
	q = qTablesForQ(99)
	g.Expect(q[0]).To(Equal(byte(1)))
	for _, v := range q {
		g.Expect(v).To(BeNumerically(">=", 1))
	}
	// Out of range Q clamps to 1 and 99, as Appendix A does.
	g.Expect(qTablesForQ(0)).To(Equal(qTablesForQ(1)))
	g.Expect(qTablesForQ(200)).To(Equal(qTablesForQ(99)))
}

func TestStandardHuffmanTablesAreComplete(t *testing.T) {
	g := NewWithT(t)
	for _, s := range []huffmanSpec{std()[0], std()[1], std()[2], std()[3]} {
		n := 0
		for _, c := range s.counts {
			n += int(c)
		}
		g.Expect(s.values).To(HaveLen(n))
		g.Expect(s.equal(s)).To(BeTrue())
	}
	g.Expect(std()[1].values).To(HaveLen(162))
	g.Expect(std()[0].equal(std()[2])).To(BeFalse(), "same symbols, different code lengths")
	g.Expect(std()[1].equal(std()[3])).To(BeFalse())
	other := std()[1]
	other.values = append([]byte(nil), std()[1].values...)
	other.values[161] = 0x00
	g.Expect(std()[1].equal(other)).To(BeFalse(), "one symbol differs")
}

// std is standardTables, short for tests.
func std() [4]huffmanSpec { return standardTables() }
