package jpeg

import "math"

// The forward DCT is the Arai–Agui–Nakajima factorisation used by libjpeg's
// jfdctfst.c and jfdctflt.c: 5 multiplications per 8-point pass, with the
// per-coefficient output scale folded into the quantisation multipliers. Unlike
// jfdctfst (8-bit constants, no guard bits), the constants have 20 bits and the
// first pass keeps 10 fractional bits, so the transform is accurate enough for
// quality 100 (where a quantiser step is 1) at the same cost on a 64-bit CPU:
// row pass results stay below 2^23 and all products below 2^48 in int.
// Everything is held in int rather than int32 because the compiler folds
// offsets into 64-bit loads but not into sign-extending 32-bit ones.
const (
	fixBits   = 20 // fractional bits of the multiplication constants
	pass1Bits = 10 // fractional bits kept between the row and the column pass
	quantBits = 32 // fractional bits of the quantisation multipliers

	fix0707 = 741455  // round(2^20 · cos(π/4))
	fix0382 = 401273  // round(2^20 · cos(3π/8))
	fix0541 = 567485  // round(2^20 · √2·cos(3π/8))
	fix1306 = 1370031 // round(2^20 · √2·cos(π/8))

	// levelShift is what subtracting 128 from every sample (T.81 A.3.1) does to
	// the DC output of the unnormalised 2-D transform: 64 samples · 128, times
	// the first pass's guard bits. The shift changes no other output, so the
	// transform works on raw bytes and corrects the row DCs only (an eighth
	// each; the column pass adds them up exactly).
	levelShift = 64 * 128 << pass1Bits
)

// quantTable holds one component's quantisation multipliers in the order
// fdctQuant walks the block: the column pass handles frequency column u and
// produces the frequency rows v, so mult is indexed u*8+v, i.e. transposed.
type quantTable struct {
	mult [64]int      // 2^quantBits / (divisor · AAN output scale)
	zig  *zigzagMasks // shared by all tables of an Encoder
}

// zigzagMasks turns a mask of non-zero coefficients in natural order into one
// in zig-zag order a byte (one frequency row) at a time: [v][b] has bit k set
// for every bit u of b whose coefficient v*8+u is the k-th in zig-zag order.
// Building the mask in natural order lets the transform use constant shifts
// and store coefficients in place; eight look-ups then reorder it.
type zigzagMasks [8][256]uint64

func newZigzagMasks() *zigzagMasks {
	var inv [64]uint8
	for k, n := range zigzag {
		inv[n] = uint8(k)
	}
	z := new(zigzagMasks)
	for v := range 8 {
		for b := range 256 {
			for u := range 8 {
				if b>>u&1 == 1 {
					z[v][b] |= 1 << inv[v*8+u]
				}
			}
		}
	}
	return z
}

// newQuantTable prepares the multipliers for the table q (natural order).
func newQuantTable(q *[64]uint8, zig *zigzagMasks) quantTable {
	var aan [8]float64 // scale of AAN output k relative to an orthonormal-style DCT
	aan[0] = 1
	for k := 1; k < 8; k++ {
		aan[k] = math.Cos(float64(k)*math.Pi/16) * math.Sqrt2
	}
	t := quantTable{zig: zig}
	for v := range 8 {
		for u := range 8 {
			// The 2-D AAN output is 8·aan[u]·aan[v]·2^pass1Bits times the T.81 DCT.
			d := float64(q[v*8+u]) * aan[u] * aan[v] * 8 * (1 << pass1Bits)
			t.mult[u*8+v] = int(math.Round(float64(int64(1)<<quantBits) / d))
		}
	}
	return t
}

// fdctQuant transforms the 8×8 block whose top-left sample is src[off] (rows
// stride bytes apart), quantises it with t and stores the result in natural
// order in coef. It returns a mask with bit k set when AC coefficient k in
// zig-zag order (1..63) is non-zero, so the entropy coder can jump from one
// non-zero coefficient to the next instead of testing all 63. tmp is scratch
// space.
// Rounding of the quotient is to nearest with ties up; ties practically never
// occur with the multipliers' 32 fractional bits.
//
// The loops slice fixed-size arrays out of tmp and t so that every access has
// a constant offset from one base register and no bounds check.
func fdctQuant(src []byte, off, stride int, t *quantTable, tmp, coef *[64]int) uint64 {
	// Row pass: tmp[u*8+r] is the u-th 1-D output of row r.
	for r := range 8 {
		s := (*[8]byte)(src[off+r*stride:])
		o := (*[57]int)(tmp[r:])
		d0, d1, d2, d3 := int(s[0]), int(s[1]), int(s[2]), int(s[3])
		d4, d5, d6, d7 := int(s[4]), int(s[5]), int(s[6]), int(s[7])

		tmp0, tmp7 := d0+d7, d0-d7
		tmp1, tmp6 := d1+d6, d1-d6
		tmp2, tmp5 := d2+d5, d2-d5
		tmp3, tmp4 := d3+d4, d3-d4

		// The pass1Bits scaling is applied to the sums and, for free, by
		// shifting the products less.
		tmp10, tmp13 := tmp0+tmp3, (tmp0-tmp3)<<pass1Bits
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o[0] = (tmp10+tmp11)<<pass1Bits - levelShift/8
		o[32] = (tmp10 - tmp11) << pass1Bits
		z1 := ((tmp12<<pass1Bits + tmp13) * fix0707) >> fixBits
		o[16] = tmp13 + z1
		o[48] = tmp13 - z1

		tmp10, tmp11, tmp12 = tmp4+tmp5, tmp5+tmp6, tmp6+tmp7
		z5 := ((tmp10 - tmp12) * fix0382) >> (fixBits - pass1Bits)
		z2 := (tmp10*fix0541)>>(fixBits-pass1Bits) + z5
		z4 := (tmp12*fix1306)>>(fixBits-pass1Bits) + z5
		z3 := (tmp11 * fix0707) >> (fixBits - pass1Bits)
		z11, z13 := tmp7<<pass1Bits+z3, tmp7<<pass1Bits-z3
		o[40] = z13 + z2
		o[24] = z13 - z2
		o[8] = z11 + z4
		o[56] = z11 - z4
	}

	// Column pass, fused with quantisation and the non-zero mask.
	const half = 1 << (quantBits - 1)
	var nat uint64 // bit v*8+u: coefficient (u, v) is not zero
	for u := range 8 {
		c := (*[8]int)(tmp[u*8:])
		m := (*[8]int)(t.mult[u*8:])
		out := (*[57]int)(coef[u:])
		d0, d1, d2, d3 := c[0], c[1], c[2], c[3]
		d4, d5, d6, d7 := c[4], c[5], c[6], c[7]

		tmp0, tmp7 := d0+d7, d0-d7
		tmp1, tmp6 := d1+d6, d1-d6
		tmp2, tmp5 := d2+d5, d2-d5
		tmp3, tmp4 := d3+d4, d3-d4

		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0 := tmp10 + tmp11
		o4 := tmp10 - tmp11
		z1 := ((tmp12 + tmp13) * fix0707) >> fixBits
		o2 := tmp13 + z1
		o6 := tmp13 - z1

		tmp10, tmp11, tmp12 = tmp4+tmp5, tmp5+tmp6, tmp6+tmp7
		z5 := ((tmp10 - tmp12) * fix0382) >> fixBits
		z2 := (tmp10*fix0541)>>fixBits + z5
		z4 := (tmp12*fix1306)>>fixBits + z5
		z3 := (tmp11 * fix0707) >> fixBits
		z11, z13 := tmp7+z3, tmp7-z3
		o5 := z13 + z2
		o3 := z13 - z2
		o1 := z11 + z4
		o7 := z11 - z4

		q0 := (o0*m[0] + half) >> quantBits
		q1 := (o1*m[1] + half) >> quantBits
		q2 := (o2*m[2] + half) >> quantBits
		q3 := (o3*m[3] + half) >> quantBits
		q4 := (o4*m[4] + half) >> quantBits
		q5 := (o5*m[5] + half) >> quantBits
		q6 := (o6*m[6] + half) >> quantBits
		q7 := (o7*m[7] + half) >> quantBits
		out[0], out[8], out[16], out[24] = q0, q1, q2, q3
		out[32], out[40], out[48], out[56] = q4, q5, q6, q7
		// Bit 63 of q|-q is set exactly when q is not zero.
		col := uint64(q0|-q0)>>63 | uint64(q1|-q1)>>63<<8 |
			uint64(q2|-q2)>>63<<16 | uint64(q3|-q3)>>63<<24 |
			uint64(q4|-q4)>>63<<32 | uint64(q5|-q5)>>63<<40 |
			uint64(q6|-q6)>>63<<48 | uint64(q7|-q7)>>63<<56
		nat |= col << u
	}
	z := t.zig
	mask := z[0][uint8(nat)] | z[1][uint8(nat>>8)] | z[2][uint8(nat>>16)] | z[3][uint8(nat>>24)] |
		z[4][uint8(nat>>32)] | z[5][uint8(nat>>40)] | z[6][uint8(nat>>48)] | z[7][nat>>56]
	return mask &^ 1
}
