package jpeg

import (
	"image"
	"testing"

	. "github.com/onsi/gomega"
)

// padded returns src enlarged to whole MCUs by repeating its last column and
// row in every plane: what the encoder claims to do inside for partial MCUs.
func padded(src *image.YCbCr) *image.YCbCr {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pw, ph := (w+15)/16*16, (h+15)/16*16
	out := image.NewYCbCr(image.Rect(0, 0, pw, ph), image.YCbCrSubsampleRatio420)
	for y := range ph {
		for x := range pw {
			out.Y[y*out.YStride+x] = src.Y[min(y, h-1)*src.YStride+min(x, w-1)]
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ph / 2 {
		for x := range pw / 2 {
			i := min(y, ch-1)*src.CStride + min(x, cw-1)
			out.Cb[y*out.CStride+x] = src.Cb[i]
			out.Cr[y*out.CStride+x] = src.Cr[i]
		}
	}
	return out
}

func TestPartialMCUsCodeAsEdgeReplication(t *testing.T) {
	for _, size := range []image.Point{{33, 17}, {1, 1}, {15, 47}, {100, 60}, {31, 31}} {
		g := NewWithT(t)
		src := syntheticFrame(size.X, size.Y, 21)
		for _, restart := range []int{0, 3} {
			e := mustEncoder(g, Options{Quality: 80, RestartInterval: restart})
			got, err := e.Encode(nil, src)
			g.Expect(err).NotTo(HaveOccurred())
			want, err := e.Encode(nil, padded(src))
			g.Expect(err).NotTo(HaveOccurred())

			gf, err := parseJPEG(got)
			g.Expect(err).NotTo(HaveOccurred())
			wf, err := parseJPEG(want)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(gf.scan).To(Equal(wf.scan), "%v restart %d", size, restart)
		}
	}
}

func TestScanCodesIntervalRangesIndependently(t *testing.T) {
	g := NewWithT(t)
	e := mustEncoder(g, Options{Quality: 85, RestartInterval: 4})
	g.Expect(e.st.setFrame(syntheticFrame(200, 100, 8), 4)).To(Succeed()) // 13×7 MCUs, 23 intervals
	f := &e.st.frame
	g.Expect(f.intervals).To(Equal(23))

	var wk worker
	whole := &segment{first: 0, last: f.intervals}
	wk.scan(f, &e.st.tabs, whole)
	var joined []byte
	for _, cut := range [][2]int{{0, 5}, {5, 6}, {6, 22}, {22, 23}} {
		s := &segment{first: cut[0], last: cut[1]}
		wk.scan(f, &e.st.tabs, s)
		joined = append(joined, s.bw.buf...)
	}
	g.Expect(joined).To(Equal(whole.bw.buf))
	var rst []int
	for i := 0; i+1 < len(joined); i++ {
		if joined[i] == 0xff && joined[i+1]&0xf8 == 0xd0 {
			rst = append(rst, int(joined[i+1]&7))
		}
	}
	g.Expect(rst).To(HaveLen(22), "a marker between intervals, none after the last")
	g.Expect(rst[21]).To(Equal(21 % 8))
}
