package jpeg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/onsi/gomega"
)

func TestEmit32StuffsEveryFFByte(t *testing.T) {
	g := NewWithT(t)
	for v, want := range map[uint32][]byte{
		0x12345678: {0x12, 0x34, 0x56, 0x78},
		0x12ff34ff: {0x12, 0xff, 0x00, 0x34, 0xff, 0x00},
		0xffffffff: {0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0},
		0xfe7f00ff: {0xfe, 0x7f, 0x00, 0xff, 0x00},
		0x00ff0000: {0x00, 0xff, 0x00, 0x00, 0x00},
		0x80808080: {0x80, 0x80, 0x80, 0x80},
	} {
		var w bitWriter
		w.emit32(v)
		g.Expect(w.buf).To(Equal(want), "%#x", v)
	}
}

func TestAlignPadsWithOnesAndStuffs(t *testing.T) {
	g := NewWithT(t)
	for _, c := range []struct {
		acc  uint64
		n    uint
		want []byte
	}{
		{0, 0, nil},
		{0b0, 1, []byte{0x7f}},
		{0b101, 3, []byte{0xbf}},
		{0b1111111, 7, []byte{0xff, 0x00}},
		{0x1ff, 9, []byte{0xff, 0x00, 0xff, 0x00}},
		{0xabcdef0, 28, []byte{0xab, 0xcd, 0xef, 0x0f}},
		{0xdeadbeef12, 24, []byte{0xbe, 0xef, 0x12}}, // bits above nacc were written already
	} {
		w := bitWriter{acc: c.acc, nacc: c.n}
		w.align()
		g.Expect(w.buf).To(Equal(c.want), "%#x/%d", c.acc, c.n)
		g.Expect(w.nacc).To(BeZero())
	}
}

func TestAnEmptyBlockIsDCZeroAndEOB(t *testing.T) {
	g := NewWithT(t)
	var w bitWriter
	var zz [64]int
	lum := [2][256]huffmanCode{standardHuffman[lumaDC].codes(), standardHuffman[lumaAC].codes()}
	g.Expect(w.block(&zz, 0, 0, &lum[0], &lum[1])).To(BeZero())
	w.align()
	g.Expect(w.buf).To(Equal([]byte{0b00_1010_11})) // DC category 0, EOB, padding
}

// refDecoder reads an entropy-coded segment the way T.81 F.2.2 describes,
// independently of how the encoder builds its tables.
type refDecoder struct {
	data  []byte
	pos   int
	cur   byte
	nbits int
}

func (d *refDecoder) bit() (int, error) {
	if d.nbits == 0 {
		if d.pos >= len(d.data) {
			return 0, fmt.Errorf("out of data")
		}
		d.cur = d.data[d.pos]
		d.pos++
		if d.cur == 0xff {
			if d.pos >= len(d.data) || d.data[d.pos] != 0 {
				return 0, fmt.Errorf("unstuffed 0xFF at %d", d.pos-1)
			}
			d.pos++
		}
		d.nbits = 8
	}
	d.nbits--
	return int(d.cur>>d.nbits) & 1, nil
}

func (d *refDecoder) receive(n int) (int, error) {
	v := 0
	for range n {
		b, err := d.bit()
		if err != nil {
			return 0, err
		}
		v = v<<1 | b
	}
	return v, nil
}

// extend is T.81 Figure F.12.
func extend(v, t int) int {
	if t > 0 && v < 1<<(t-1) {
		return v - 1<<t + 1
	}
	return v
}

// decode is T.81 Figure F.16 with the tables of Figure F.15 / C.2.
func (d *refDecoder) decode(s *huffmanSpec) (int, error) {
	var mincode, maxcode, valptr [17]int
	code, k := 0, 0
	for l := 1; l <= 16; l++ {
		n := int(s.counts[l-1])
		valptr[l], mincode[l] = k, code
		maxcode[l] = -1
		if n > 0 {
			maxcode[l] = code + n - 1
		}
		code, k = (code+n)<<1, k+n
	}
	c, err := d.bit()
	if err != nil {
		return 0, err
	}
	for l := 1; l <= 16; l++ {
		if c <= maxcode[l] {
			return int(s.values[valptr[l]+c-mincode[l]]), nil
		}
		b, err := d.bit()
		if err != nil {
			return 0, err
		}
		c = c<<1 | b
	}
	return 0, fmt.Errorf("no code at byte %d", d.pos)
}

// block decodes one block's DC difference and AC coefficients (T.81
// F.2.2.1–2), in zig-zag order.
func (d *refDecoder) block(dc, ac *huffmanSpec) (int, [64]int, error) {
	var zz [64]int
	t, err := d.decode(dc)
	if err != nil {
		return 0, zz, err
	}
	v, err := d.receive(t)
	if err != nil {
		return 0, zz, err
	}
	diff := extend(v, t)
	for k := 1; k < 64; {
		rs, err := d.decode(ac)
		if err != nil {
			return 0, zz, err
		}
		r, s := rs>>4, rs&15
		if s == 0 {
			if r != 15 {
				break
			}
			k += 16
			continue
		}
		k += r
		if k > 63 {
			return 0, zz, fmt.Errorf("run past the block")
		}
		v, err := d.receive(s)
		if err != nil {
			return 0, zz, err
		}
		zz[k] = extend(v, s)
		k++
	}
	return diff, zz, nil
}

func TestBlockCodingRoundTripsThroughT81Decoding(t *testing.T) {
	g := NewWithT(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var blocks [][64]int
	var last63, runs, extremes, dense [64]int
	last63[63] = -1
	runs[17], runs[34], runs[50], runs[63] = 5, -7, 1, 2 // runs of 16, 16 and 15 zeros
	extremes[0], extremes[1], extremes[62] = -1024, 1023, -1023
	for k := range dense {
		dense[k] = rng.IntN(61) - 30
	}
	blocks = append(blocks, [64]int{}, last63, runs, extremes, dense, [64]int{1023})
	for range 2000 {
		var b [64]int
		b[0] = rng.IntN(2048) - 1024
		for range rng.IntN(20) {
			mag := 1 << rng.IntN(10)
			b[1+rng.IntN(63)] = rng.IntN(2*mag+1) - mag
		}
		blocks = append(blocks, b)
	}

	for _, chroma := range []bool{false, true} {
		dcSpec, acSpec := &standardHuffman[lumaDC], &standardHuffman[lumaAC]
		if chroma {
			dcSpec, acSpec = &standardHuffman[chromaDC], &standardHuffman[chromaAC]
		}
		dc, ac := dcSpec.codes(), acSpec.codes()
		var w bitWriter
		var prev int
		for i := range blocks {
			var nz uint64
			var natural [64]int
			for k, n := range zigzag {
				natural[n] = blocks[i][k]
				if k > 0 && blocks[i][k] != 0 {
					nz |= 1 << k
				}
			}
			prev = w.block(&natural, nz, prev, &dc, &ac)
			g.Expect(prev).To(Equal(blocks[i][0]))
		}
		w.align()

		d := refDecoder{data: w.buf}
		pred := 0
		for i, want := range blocks {
			diff, got, err := d.block(dcSpec, acSpec)
			g.Expect(err).NotTo(HaveOccurred(), "block %d", i)
			pred += diff
			got[0] = pred
			g.Expect(got).To(Equal(want), "block %d (chroma %v)", i, chroma)
		}
		rest, err := d.receive(d.nbits)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rest).To(Equal(1<<d.nbits-1), "padding is all ones")
		g.Expect(d.pos).To(Equal(len(w.buf)), "nothing after the padding")
	}
}
