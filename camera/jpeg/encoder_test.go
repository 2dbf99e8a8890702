package jpeg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"math"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"testing"

	. "github.com/onsi/gomega"
)

// syntheticFrame draws a natural-ish 4:2:0 frame: smooth gradients and waves,
// hard-edged bars and a disc, and Gaussian sensor noise, so every frequency band
// carries energy as in camera footage. Features have fixed sizes in pixels, as
// in a scene, so a small frame is a crop of a large one rather than a shrunken
// copy. The same arguments give the same frame.
func syntheticFrame(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	clamp := func(v float64) byte { return byte(min(max(math.Round(v), 0), 255)) }
	inDisc := func(x, y float64) bool { // radius 60 luma pixels
		dx, dy := x-0.6*float64(w), y-0.4*float64(h)
		return dx*dx+dy*dy < 60*60
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			v := 50 + 0.05*fx + 0.08*fy + 25*math.Sin(fx/23+fy/37)*math.Cos(fy/29)
			if (x/97+y/61)%3 == 0 {
				v += 35
			}
			if inDisc(fx, fy) {
				v = 220 - 0.05*fy
			}
			img.Y[y*img.YStride+x] = clamp(v + rng.NormFloat64()*4)
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		for x := range cw {
			fx, fy := float64(x), float64(y)
			cb := 108 + 0.04*fx + 15*math.Sin(fy/41)
			cr := 148 - 0.05*fy + 10*math.Cos(fx/53)
			if inDisc(2*fx, 2*fy) {
				cb, cr = 90, 170
			}
			img.Cb[y*img.CStride+x] = clamp(cb + rng.NormFloat64()*2)
			img.Cr[y*img.CStride+x] = clamp(cr + rng.NormFloat64()*2)
		}
	}
	return img
}

// planePSNR compares two w×h planes given with their strides.
func planePSNR(a []byte, as int, b []byte, bs int, w, h int) float64 {
	var se float64
	for y := range h {
		for x := range w {
			d := float64(a[y*as+x]) - float64(b[y*bs+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(w*h)/se)
}

// psnrs returns the PSNR of the Y, Cb and Cr planes of got against want.
func psnrs(want, got *image.YCbCr) [3]float64 {
	w, h := want.Rect.Dx(), want.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	return [3]float64{
		planePSNR(want.Y, want.YStride, got.Y, got.YStride, w, h),
		planePSNR(want.Cb, want.CStride, got.Cb, got.CStride, cw, ch),
		planePSNR(want.Cr, want.CStride, got.Cr, got.CStride, cw, ch),
	}
}

// decodeYCbCr decodes with image/jpeg and insists on a 4:2:0 result of the right size.
func decodeYCbCr(g Gomega, data []byte, w, h int) *image.YCbCr {
	m, err := stdjpeg.Decode(bytes.NewReader(data))
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	d, ok := m.(*image.YCbCr)
	g.ExpectWithOffset(1, ok).To(BeTrue(), "decoded %T, want *image.YCbCr", m)
	g.ExpectWithOffset(1, d.SubsampleRatio).To(Equal(image.YCbCrSubsampleRatio420))
	g.ExpectWithOffset(1, d.Rect.Size()).To(Equal(image.Pt(w, h)))
	return d
}

func mustEncoder(g Gomega, o Options) *Encoder {
	e, err := NewEncoder(o)
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return e
}

// jpegSegment is a marker segment before the scan.
type jpegSegment struct {
	marker byte
	body   []byte // without the length field
}

// jpegFile is the marker structure of a baseline file.
type jpegFile struct {
	segments []jpegSegment // SOI … SOS (SOI has no body)
	scan     []byte        // entropy-coded data, markers included
	restarts []int         // n of every RSTn in the scan, in order
}

// parseJPEG splits data into marker segments and the scan, rejecting anything
// a baseline single-scan file must not contain.
func parseJPEG(data []byte) (jpegFile, error) {
	var f jpegFile
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return f, errors.New("no SOI")
	}
	f.segments = append(f.segments, jpegSegment{marker: 0xd8})
	i := 2
	for {
		if i+4 > len(data) || data[i] != 0xff {
			return f, fmt.Errorf("no marker at %d", i)
		}
		m := data[i+1]
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return f, fmt.Errorf("segment %#x at %d: bad length %d", m, i, n)
		}
		f.segments = append(f.segments, jpegSegment{marker: m, body: data[i+4 : i+2+n]})
		i += 2 + n
		if m == 0xda {
			break
		}
	}
	start := i
	for ; i < len(data); i++ {
		if data[i] != 0xff {
			continue
		}
		if i+1 >= len(data) {
			return f, errors.New("0xFF at end of scan")
		}
		switch m := data[i+1]; {
		case m == 0x00:
			i++
		case m >= 0xd0 && m <= 0xd7:
			f.restarts = append(f.restarts, int(m-0xd0))
			i++
		case m == 0xd9:
			if i+2 != len(data) {
				return f, fmt.Errorf("%d bytes after EOI", len(data)-i-2)
			}
			f.scan = data[start:i]
			return f, nil
		default:
			return f, fmt.Errorf("marker %#x inside the scan at %d", m, i)
		}
	}
	return f, errors.New("no EOI")
}

// find returns the bodies of all segments with the marker.
func (f jpegFile) find(marker byte) [][]byte {
	var out [][]byte
	for _, s := range f.segments {
		if s.marker == marker {
			out = append(out, s.body)
		}
	}
	return out
}

func TestEncodeDecodesCloseToTheSource(t *testing.T) {
	for _, size := range []image.Point{{100, 60}, {1280, 720}, {33, 17}, {16, 16}, {1, 1}, {2, 3}, {17, 33}} {
		for _, restart := range []int{0, 1, 5} {
			t.Run(fmt.Sprintf("%dx%d/rst%d", size.X, size.Y, restart), func(t *testing.T) {
				g := NewWithT(t)
				src := syntheticFrame(size.X, size.Y, 7)
				e := mustEncoder(g, Options{Quality: 85, RestartInterval: restart})
				out, err := e.Encode(nil, src)
				g.Expect(err).NotTo(HaveOccurred())
				got := decodeYCbCr(g, out, size.X, size.Y)
				p := psnrs(src, got)
				for i, name := range []string{"Y", "Cb", "Cr"} {
					g.Expect(p[i]).To(BeNumerically(">=", 35), "%s PSNR", name)
				}

				// image/jpeg at the same quality is the yardstick for precision:
				// the fast DCT must not lose visibly more than its exact one. In
				// frames of a few pixels one rounding moves PSNR too much to compare.
				if size.X*size.Y < 256 {
					return
				}
				var ref bytes.Buffer
				g.Expect(stdjpeg.Encode(&ref, src, &stdjpeg.Options{Quality: 85})).To(Succeed())
				pref := psnrs(src, decodeYCbCr(g, ref.Bytes(), size.X, size.Y))
				g.Expect(p[0]).To(BeNumerically(">=", pref[0]-0.2), "Y PSNR vs image/jpeg's %.2f", pref[0])
			})
		}
	}
}

func TestQualityTradesSizeForFidelity(t *testing.T) {
	g := NewWithT(t)
	src := syntheticFrame(320, 240, 3)
	prevSize, prevPSNR := 0, 0.0
	for _, q := range []int{10, 50, 75, 90, 100} {
		e := mustEncoder(g, Options{Quality: q})
		g.Expect(e.Quality()).To(Equal(q))
		out, err := e.Encode(nil, src)
		g.Expect(err).NotTo(HaveOccurred())
		p := psnrs(src, decodeYCbCr(g, out, 320, 240))[0]
		g.Expect(len(out)).To(BeNumerically(">", prevSize), "quality %d", q)
		g.Expect(p).To(BeNumerically(">", prevPSNR), "quality %d", q)
		prevSize, prevPSNR = len(out), p
	}
	// At quality 100 every quantiser step is 1, so only the DCT's own
	// precision and the decoder's rounding remain.
	g.Expect(prevPSNR).To(BeNumerically(">=", 48))
}

func TestEncodeWritesTheBaselineStructureRFC2435Needs(t *testing.T) {
	g := NewWithT(t)
	const w, h = 100, 60 // 7×4 MCUs, the last column and row partial
	src := syntheticFrame(w, h, 1)

	var ref bytes.Buffer
	g.Expect(stdjpeg.Encode(&ref, src, &stdjpeg.Options{Quality: 85})).To(Succeed())
	stdFile, err := parseJPEG(ref.Bytes())
	g.Expect(err).NotTo(HaveOccurred())
	stdDHT := stdFile.find(0xc4)
	g.Expect(stdDHT).To(HaveLen(1))

	for _, restart := range []int{0, 1, 3, 5, 28, 100} {
		e := mustEncoder(g, Options{Quality: 85, RestartInterval: restart})
		out, err := e.Encode(nil, src)
		g.Expect(err).NotTo(HaveOccurred())
		f, err := parseJPEG(out)
		g.Expect(err).NotTo(HaveOccurred())

		var order []byte
		for _, s := range f.segments {
			order = append(order, s.marker)
		}
		want := []byte{0xd8, 0xe0, 0xdb, 0xc0, 0xc4, 0xda}
		if restart > 0 {
			want = []byte{0xd8, 0xe0, 0xdb, 0xc0, 0xc4, 0xdd, 0xda}
		}
		g.Expect(order).To(Equal(want), "restart %d", restart)

		g.Expect(f.find(0xe0)[0][:5]).To(Equal([]byte("JFIF\x00")))

		sof := f.find(0xc0)[0]
		g.Expect(sof).To(Equal([]byte{
			8, 0, h, 0, w, 3,
			1, 0x22, 0,
			2, 0x11, 1,
			3, 0x11, 1,
		}))

		dqt := f.find(0xdb)[0]
		g.Expect(dqt).To(HaveLen(2 * 65))
		g.Expect(dqt[0]).To(Equal(byte(0x00)), "table 0, 8-bit precision")
		g.Expect(dqt[65]).To(Equal(byte(0x01)), "table 1, 8-bit precision")

		// The four Annex K tables, exactly as image/jpeg writes them.
		g.Expect(f.find(0xc4)).To(Equal(stdDHT))

		sos := f.find(0xda)[0]
		g.Expect(sos).To(Equal([]byte{3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0}))

		const mcus = 7 * 4
		if restart == 0 {
			g.Expect(f.find(0xdd)).To(BeEmpty())
			g.Expect(f.restarts).To(BeEmpty())
		} else {
			g.Expect(f.find(0xdd)).To(Equal([][]byte{{byte(restart >> 8), byte(restart)}}))
			markers := (mcus+restart-1)/restart - 1
			g.Expect(f.restarts).To(HaveLen(markers), "restart %d", restart)
			for i, n := range f.restarts {
				g.Expect(n).To(Equal(i%8), "RST number %d", i)
			}
		}
		decodeYCbCr(g, out, w, h)
	}
}

func TestRestartMarkerNumbersWrapAroundAtEight(t *testing.T) {
	g := NewWithT(t)
	src := syntheticFrame(320, 48, 2) // 20×3 = 60 MCUs
	e := mustEncoder(g, Options{Quality: 75, RestartInterval: 2})
	out, err := e.Encode(nil, src)
	g.Expect(err).NotTo(HaveOccurred())
	f, err := parseJPEG(out)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.restarts).To(HaveLen(29))
	g.Expect(f.restarts[:18]).To(Equal([]int{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1}))
}

func TestParallelRestartCodingIsDeterministicAndLossless(t *testing.T) {
	g := NewWithT(t)
	src := syntheticFrame(1280, 720, 9) // 80×45 MCUs
	plain, err := mustEncoder(g, Options{Quality: 85}).Encode(nil, src)
	g.Expect(err).NotTo(HaveOccurred())
	plainImg := decodeYCbCr(g, plain, 1280, 720)

	for _, restart := range []int{1, 7, 80, 1000, 3600, 5000} {
		serial := mustEncoder(g, Options{Quality: 85, RestartInterval: restart})
		serial.parallelism = 1
		want, err := serial.Encode(nil, src)
		g.Expect(err).NotTo(HaveOccurred())

		for _, p := range []int{2, 3, 4, 7, 64} {
			e := mustEncoder(g, Options{Quality: 85, RestartInterval: restart})
			e.parallelism = p
			var got []byte
			for range 3 { // reuse of buffers and workers must not change anything
				got, err = e.Encode(got[:0], src)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(bytes.Equal(got, want)).To(BeTrue(), "restart %d, %d segments", restart, p)
			}
		}

		// Restarts only reset DC prediction: the coefficients, and so the
		// decoded pixels, are those of the file without restarts.
		img := decodeYCbCr(g, want, 1280, 720)
		g.Expect(img.Y).To(Equal(plainImg.Y), "restart %d", restart)
		g.Expect(img.Cb).To(Equal(plainImg.Cb), "restart %d", restart)
		g.Expect(img.Cr).To(Equal(plainImg.Cr), "restart %d", restart)
	}
}

func TestEncodeAppendsAndReusesMemory(t *testing.T) {
	g := NewWithT(t)
	src := syntheticFrame(320, 240, 4) // 300 MCUs, 15 restart intervals
	e := mustEncoder(g, Options{Quality: 85, RestartInterval: 20})
	e.parallelism = 3
	want, err := e.Encode(nil, src)
	g.Expect(err).NotTo(HaveOccurred())

	prefixed, err := e.Encode([]byte("prefix"), src)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(prefixed).To(Equal(append([]byte("prefix"), want...)))

	// Count every allocation over many frames (testing.AllocsPerRun would
	// round occasional ones down to zero). The serial path allocates nothing
	// at all. The parallel one parks and wakes goroutines, for which the
	// runtime uses records (sudogs) that it caches but drops at every GC, so
	// now and then it allocates one (about one per hundred frames here); what
	// matters is that no frame needs any, which would show as 500 or more.
	buf := make([]byte, 0, 2*len(want))
	for _, c := range []struct{ parallelism, frames, most int }{{1, 100, 0}, {3, 500, 25}} {
		e.parallelism = c.parallelism
		for range 100 { // warm up
			buf, err = e.Encode(buf[:0], src)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range c.frames {
			buf, err = e.Encode(buf[:0], src)
		}
		runtime.ReadMemStats(&after)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(buf).To(Equal(want))
		g.Expect(after.Mallocs-before.Mallocs).To(BeNumerically("<=", c.most),
			"allocations in %d frames with parallelism %d", c.frames, c.parallelism)
	}
}

func TestHelperGoroutinesEndWithTheEncoder(t *testing.T) {
	g := NewWithT(t)
	src := syntheticFrame(320, 240, 4)
	e := mustEncoder(g, Options{Quality: 85, RestartInterval: 10})
	e.parallelism = 4
	_, err := e.Encode(nil, src)
	g.Expect(err).NotTo(HaveOccurred())
	st := e.st
	g.Expect(st.alive.Load()).To(BeEquivalentTo(3), "three helpers besides the caller")
	_, err = e.Encode(nil, src)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.alive.Load()).To(BeEquivalentTo(3), "helpers are reused")

	e = nil // the Encoder is garbage now; its cleanup runs after a collection
	for i := 0; i < 1000 && st.alive.Load() > 0; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	g.Expect(st.alive.Load()).To(BeZero())
}

func TestOddOriginSubImageEncodes(t *testing.T) {
	g := NewWithT(t)
	full := syntheticFrame(99, 71, 5)
	sub := full.SubImage(image.Rect(3, 5, 90, 70)).(*image.YCbCr)
	out, err := mustEncoder(g, Options{Quality: 90}).Encode(nil, sub)
	g.Expect(err).NotTo(HaveOccurred())
	got := decodeYCbCr(g, out, 87, 65)
	g.Expect(planePSNR(sub.Y, sub.YStride, got.Y, got.YStride, 87, 65)).To(BeNumerically(">=", 35))
}

func TestNewEncoderRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Quality: 0}, {Quality: -3}, {Quality: 101},
		{Quality: 85, RestartInterval: -1}, {Quality: 85, RestartInterval: 65536},
	} {
		g := NewWithT(t)
		e, err := NewEncoder(o)
		g.Expect(e).To(BeNil())
		g.Expect(err).To(MatchError(ErrInvalidOptions), "%+v", o)
		g.Expect(err.Error()).To(Or(ContainSubstring("quality"), ContainSubstring("restart interval")))
	}
	g := NewWithT(t)
	for _, o := range []Options{{Quality: 1}, {Quality: 100, RestartInterval: 65535}} {
		_, err := NewEncoder(o)
		g.Expect(err).NotTo(HaveOccurred(), "%+v", o)
	}
}

func TestEncodeRejectsImagesItCannotCode(t *testing.T) {
	g := NewWithT(t)
	e := mustEncoder(g, Options{Quality: 85, RestartInterval: 2})
	good := syntheticFrame(40, 24, 1)
	want, err := e.Encode(nil, good)
	g.Expect(err).NotTo(HaveOccurred())

	short := syntheticFrame(40, 24, 1)
	short.Cr = short.Cr[:len(short.Cr)-1]
	narrow := syntheticFrame(40, 24, 1)
	narrow.YStride = 39
	cases := map[string]struct {
		img  *image.YCbCr
		want string
	}{
		"nil":       {nil, "nil image"},
		"4:4:4":     {image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio444), "subsampling"},
		"4:2:2":     {image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio422), "subsampling"},
		"4:4:0":     {image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio440), "subsampling"},
		"4:1:1":     {image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio411), "subsampling"},
		"zero wide": {image.NewYCbCr(image.Rect(0, 0, 0, 16), image.YCbCrSubsampleRatio420), "size 0x16"},
		"zero high": {image.NewYCbCr(image.Rect(5, 5, 9, 5), image.YCbCrSubsampleRatio420), "size 4x0"},
		"too wide": {&image.YCbCr{Rect: image.Rect(0, 0, 65536, 8),
			SubsampleRatio: image.YCbCrSubsampleRatio420}, "size 65536x8"},
		"too high": {&image.YCbCr{Rect: image.Rect(0, 0, 8, 70000),
			SubsampleRatio: image.YCbCrSubsampleRatio420}, "size 8x70000"},
		"short plane":  {short, "too short"},
		"small stride": {narrow, "strides"},
	}
	for name, c := range cases {
		dst := []byte("keep")
		out, err := e.Encode(dst, c.img)
		g.Expect(err).To(MatchError(ErrUnsupportedImage), name)
		g.Expect(err.Error()).To(ContainSubstring(c.want), name)
		g.Expect(out).To(Equal([]byte("keep")), name)
	}
	// A rejected frame leaves the encoder as it was.
	again, err := e.Encode(nil, good)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(want))
}

// FuzzEncode feeds arbitrary sizes, options and plane contents. Every valid
// combination must produce a file image/jpeg decodes to the right size, with the
// advertised restart structure, identical whatever the parallelism, and close
// to the source at quality 100; every invalid one must be refused cleanly.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(16), uint8(16), uint8(85), uint8(0), []byte{0, 255, 128})
	f.Add(uint8(33), uint8(17), uint8(100), uint8(1), []byte{255})
	f.Add(uint8(1), uint8(1), uint8(1), uint8(3), []byte{})
	f.Add(uint8(0), uint8(9), uint8(50), uint8(0), []byte{7})
	f.Add(uint8(40), uint8(3), uint8(0), uint8(2), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, w8, h8, q8, r8 uint8, data []byte) {
		g := NewWithT(t)
		w, h := int(w8)%49, int(h8)%49
		quality, restart := int(q8)%102, int(r8)%9
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		if len(data) > 0 {
			for i := range img.Y {
				img.Y[i] = data[i%len(data)]
			}
			for i := range img.Cb {
				img.Cb[i] = data[(i*7+1)%len(data)]
				img.Cr[i] = data[(i*13+2)%len(data)]
			}
		}
		e, err := NewEncoder(Options{Quality: quality, RestartInterval: restart})
		if quality < 1 || quality > 100 {
			g.Expect(err).To(MatchError(ErrInvalidOptions))
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		e.parallelism = 1
		out, err := e.Encode(nil, img)
		if w == 0 || h == 0 {
			g.Expect(err).To(MatchError(ErrUnsupportedImage))
			g.Expect(out).To(BeEmpty())
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		e.parallelism = 3
		par, err := e.Encode(nil, img)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(par).To(Equal(out))

		file, err := parseJPEG(out)
		g.Expect(err).NotTo(HaveOccurred())
		mcus := ((w + 15) / 16) * ((h + 15) / 16)
		if restart > 0 {
			g.Expect(file.restarts).To(HaveLen((mcus+restart-1)/restart - 1))
		} else {
			g.Expect(file.restarts).To(BeEmpty())
		}
		got := decodeYCbCr(g, out, w, h)
		if quality == 100 {
			for y := range h {
				for x := range w {
					d := int(img.Y[y*img.YStride+x]) - int(got.Y[y*got.YStride+x])
					g.Expect(d).To(BeNumerically("~", 0, 3), "Y(%d,%d)", x, y)
				}
			}
		}
	})
}

func TestFFmpegDecodesTheOutput(t *testing.T) {
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not on PATH; install it (apt-get install ffmpeg) to check interoperability")
	}
	for _, size := range []image.Point{{100, 60}, {1280, 720}, {33, 17}} {
		for _, restart := range []int{0, 4} {
			g := NewWithT(t)
			src := syntheticFrame(size.X, size.Y, 11)
			out, err := mustEncoder(g, Options{Quality: 85, RestartInterval: restart}).Encode(nil, src)
			g.Expect(err).NotTo(HaveOccurred())

			cmd := exec.Command(path, "-v", "error", "-f", "image2pipe", "-i", "-", "-f", "rawvideo", "-pix_fmt", "gray", "-")
			cmd.Stdin = bytes.NewReader(out)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			gray, err := cmd.Output()
			g.Expect(err).NotTo(HaveOccurred(), stderr.String())
			g.Expect(stderr.String()).To(BeEmpty(), "ffmpeg complains about %v restart %d", size, restart)
			g.Expect(gray).To(HaveLen(size.X*size.Y), "%v", size)
			g.Expect(planePSNR(src.Y, src.YStride, gray, size.X, size.X, size.Y)).To(BeNumerically(">=", 35), "%v", size)
		}
	}
}
