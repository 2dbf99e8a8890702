package jpeg

import (
	"syscall"
	"testing"
)

func cpuNow() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func BenchmarkTmpSerialCPU(b *testing.B) {
	img := syntheticFrame(1920, 1080, 1)
	e, _ := NewEncoder(Options{Quality: 80, RestartInterval: 120})
	e.parallelism = 1
	out, _ := e.Encode(nil, img)
	b.ResetTimer()
	c0 := cpuNow()
	for range b.N {
		out, _ = e.Encode(out[:0], img)
	}
	b.ReportMetric((cpuNow()-c0)*1000/float64(b.N), "cpu_ms/frame")
}

func fdctQuantBase(src []byte, off, stride int, t *quantTable, tmp, zz *[64]int) uint64 {
	// Row pass: tmp[u*8+r] is the u-th 1-D output of row r.
	for r := range 8 {
		s := (*[8]byte)(src[off+r*stride:])
		o := (*[57]int)(tmp[r:])
		d0 := int(s[0]) << pass1Bits
		d1 := int(s[1]) << pass1Bits
		d2 := int(s[2]) << pass1Bits
		d3 := int(s[3]) << pass1Bits
		d4 := int(s[4]) << pass1Bits
		d5 := int(s[5]) << pass1Bits
		d6 := int(s[6]) << pass1Bits
		d7 := int(s[7]) << pass1Bits

		tmp0, tmp7 := d0+d7, d0-d7
		tmp1, tmp6 := d1+d6, d1-d6
		tmp2, tmp5 := d2+d5, d2-d5
		tmp3, tmp4 := d3+d4, d3-d4

		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o[0] = tmp10 + tmp11
		o[32] = tmp10 - tmp11
		z1 := ((tmp12 + tmp13) * fix0707) >> fixBits
		o[16] = tmp13 + z1
		o[48] = tmp13 - z1

		tmp10, tmp11, tmp12 = tmp4+tmp5, tmp5+tmp6, tmp6+tmp7
		z5 := ((tmp10 - tmp12) * fix0382) >> fixBits
		z2 := (tmp10*fix0541)>>fixBits + z5
		z4 := (tmp12*fix1306)>>fixBits + z5
		z3 := (tmp11 * fix0707) >> fixBits
		z11, z13 := tmp7+z3, tmp7-z3
		o[40] = z13 + z2
		o[24] = z13 - z2
		o[8] = z11 + z4
		o[56] = z11 - z4
	}

	// Column pass, fused with quantisation and the zig-zag scatter.
	const half = 1 << (quantBits - 1)
	var mask uint64
	for u := range 8 {
		c := (*[8]int)(tmp[u*8:])
		m := (*[8]int)(t.mult[u*8:])
		z := (*[8]uint8)(t.zigzag[u*8:])
		d0, d1, d2, d3 := c[0], c[1], c[2], c[3]
		d4, d5, d6, d7 := c[4], c[5], c[6], c[7]

		tmp0, tmp7 := d0+d7, d0-d7
		tmp1, tmp6 := d1+d6, d1-d6
		tmp2, tmp5 := d2+d5, d2-d5
		tmp3, tmp4 := d3+d4, d3-d4

		tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
		tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2
		o0 := tmp10 + tmp11
		if u == 0 {
			o0 -= levelShift
		}
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

		q := (o0*m[0] + half) >> quantBits
		zz[z[0]&63] = q
		mask |= uint64(q|-q)>>63 << (z[0] & 63)
		q = (o1*m[1] + half) >> quantBits
		zz[z[1]&63] = q
		mask |= uint64(q|-q)>>63 << (z[1] & 63)
		q = (o2*m[2] + half) >> quantBits
		zz[z[2]&63] = q
		mask |= uint64(q|-q)>>63 << (z[2] & 63)
		q = (o3*m[3] + half) >> quantBits
		zz[z[3]&63] = q
		mask |= uint64(q|-q)>>63 << (z[3] & 63)
		q = (o4*m[4] + half) >> quantBits
		zz[z[4]&63] = q
		mask |= uint64(q|-q)>>63 << (z[4] & 63)
		q = (o5*m[5] + half) >> quantBits
		zz[z[5]&63] = q
		mask |= uint64(q|-q)>>63 << (z[5] & 63)
		q = (o6*m[6] + half) >> quantBits
		zz[z[6]&63] = q
		mask |= uint64(q|-q)>>63 << (z[6] & 63)
		q = (o7*m[7] + half) >> quantBits
		zz[z[7]&63] = q
		mask |= uint64(q|-q)>>63 << (z[7] & 63)
	}
	return mask &^ 1
}

func BenchmarkTmpAB(b *testing.B) {
	img := syntheticFrame(1920, 1080, 1)
	e, _ := NewEncoder(Options{Quality: 80})
	var tmp, zz [64]int
	run := func(f func([]byte, int, int, *quantTable, *[64]int, *[64]int) uint64) float64 {
		c0 := cpuNow()
		var acc uint64
		for y := 0; y+8 <= 1080; y += 8 {
			for x := 0; x+8 <= 1920; x += 8 {
				acc += f(img.Y, y*img.YStride+x, img.YStride, &e.tabs.quant[0], &tmp, &zz)
			}
		}
		_ = acc
		return cpuNow() - c0
	}
	var ta, tb float64
	for range b.N {
		ta += run(fdctQuantBase)
		tb += run(fdctQuant)
	}
	b.ReportMetric(tb/ta, "new/base")
}
