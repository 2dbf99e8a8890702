package jpeg

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter accumulates Huffman-coded bits and appends them to buf with the
// 0xFF byte stuffing of T.81 B.1.1.5. Bits enter at the low end of acc; nacc
// counts those not yet written, always below 32 between calls, so a whole code
// word with its magnitude bits (at most 16+11) fits without a check.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

// emit32 appends the 32 bits v, stuffing a zero byte after every 0xFF. Words
// without 0xFF, the vast majority, are appended in one piece.
func (w *bitWriter) emit32(v uint32) {
	if x := ^v; (x-0x01010101)&^x&0x80808080 == 0 {
		w.buf = binary.BigEndian.AppendUint32(w.buf, v)
		return
	}
	for s := 24; s >= 0; s -= 8 {
		b := byte(v >> s)
		if b == 0xff {
			w.buf = append(w.buf, 0xff, 0x00)
		} else {
			w.buf = append(w.buf, b)
		}
	}
}

// align pads the pending bits with 1s to a byte boundary and writes them, as
// T.81 F.1.2.3 requires before a marker and at the end of the scan.
func (w *bitWriter) align() {
	for w.nacc >= 8 {
		w.nacc -= 8
		b := byte(w.acc >> w.nacc)
		w.buf = append(w.buf, b)
		if b == 0xff {
			w.buf = append(w.buf, 0x00)
		}
	}
	if w.nacc > 0 {
		pad := 8 - w.nacc
		b := byte(w.acc<<pad) | byte(1<<pad-1)
		w.buf = append(w.buf, b)
		if b == 0xff {
			w.buf = append(w.buf, 0x00)
		}
	}
	w.acc, w.nacc = 0, 0
}

// block codes one quantised block (natural order) with the DC prediction prev
// and returns the new prediction. nz has bit k set for each non-zero AC
// coefficient k in zig-zag order, as fdctQuant computes it. The accumulator lives in locals for
// the whole block so the compiler keeps it in registers.
func (w *bitWriter) block(coef *[64]int, nz uint64, prev int, dc, ac *[256]huffmanCode) int {
	acc, n := w.acc, w.nacc

	// DC difference: category code, then the magnitude bits, negatives as
	// one's complement (T.81 F.1.2.1).
	d := coef[0] - prev
	s := d >> 63
	size := uint(bits.Len(uint((d ^ s) - s)))
	e := dc[size&0xff]
	l := uint(e & 0xff)
	acc = acc<<(l+size) | uint64(e>>8)<<size | uint64(d+s)&(1<<size-1)
	n += l + size
	if n >= 32 {
		n -= 32
		w.emit32(uint32(acc >> n))
	}

	// AC: run lengths of zeros come from the distance between set bits of nz.
	last := 0
	for nz != 0 {
		k := bits.TrailingZeros64(nz)
		nz &= nz - 1
		run := k - last - 1
		last = k
		for run >= 16 { // ZRL: sixteen zeros
			e := ac[0xf0]
			l := uint(e & 0xff)
			acc = acc<<l | uint64(e>>8)
			n += l
			if n >= 32 {
				n -= 32
				w.emit32(uint32(acc >> n))
			}
			run -= 16
		}
		v := coef[zigzag[k&63]&63]
		s := v >> 63
		size := uint(bits.Len(uint((v ^ s) - s)))
		e := ac[(run<<4|int(size))&0xff]
		l := uint(e & 0xff)
		acc = acc<<(l+size) | uint64(e>>8)<<size | uint64(v+s)&(1<<size-1)
		n += l + size
		if n >= 32 {
			n -= 32
			w.emit32(uint32(acc >> n))
		}
	}
	if last != 63 { // EOB
		e := ac[0x00]
		l := uint(e & 0xff)
		acc = acc<<l | uint64(e>>8)
		n += l
		if n >= 32 {
			n -= 32
			w.emit32(uint32(acc >> n))
		}
	}
	w.acc, w.nacc = acc, n
	return coef[0]
}
