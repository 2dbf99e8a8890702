package motion

import (
	"image"
	"math/rand/v2"
	"testing"

	. "github.com/onsi/gomega"
)

// textured returns a w×h 4:2:0 frame of random luma in 16..200, the same for the same seed: a busy
// background that a detector comparing pixels rather than cell means would find full of motion.
func textured(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range img.Y {
		img.Y[i] = uint8(16 + rng.IntN(185))
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// clone returns a deep copy of img, so a test can change one frame without touching the other.
func clone(img *image.YCbCr) *image.YCbCr {
	c := *img
	c.Y = append([]uint8(nil), img.Y...)
	c.Cb = append([]uint8(nil), img.Cb...)
	c.Cr = append([]uint8(nil), img.Cr...)
	return &c
}

// fill sets the luma of r (in img's coordinates, clipped to the frame) to v.
func fill(img *image.YCbCr, r image.Rectangle, v uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Y[img.YOffset(x, y)] = v
		}
	}
}

// add shifts the luma of r by delta, clamped to 0..255.
func add(img *image.YCbCr, r image.Rectangle, delta int) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := img.YOffset(x, y)
			img.Y[i] = uint8(max(0, min(255, int(img.Y[i])+delta)))
		}
	}
}

// withSquare returns bg with a 64×64 white square whose top-left corner is at (x, y).
func withSquare(bg *image.YCbCr, x, y int) *image.YCbCr {
	f := clone(bg)
	fill(f, image.Rect(x, y, x+64, y+64), 255)
	return f
}

func newDetector(t testing.TB, o Options) *Detector {
	t.Helper()
	d, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return d
}

func TestNewDefaultsAndValidation(t *testing.T) {
	g := NewWithT(t)
	d, err := New(Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.cell).To(Equal(DefaultCell))
	g.Expect(d.threshold).To(Equal(int32(DefaultThreshold) << fracBits))
	g.Expect(d.minCells).To(Equal(DefaultMinCells))

	for _, o := range []Options{{Cell: 4, Threshold: 1, MinCells: 1}, {Cell: 64, Threshold: 255, MinCells: 10000}} {
		_, err := New(o)
		g.Expect(err).NotTo(HaveOccurred(), "%+v is in range", o)
	}
	for _, c := range []struct {
		o     Options
		field string
	}{
		{Options{Cell: 3}, "Cell 3"},
		{Options{Cell: 65}, "Cell 65"},
		{Options{Cell: -16}, "Cell -16"},
		{Options{Threshold: -1}, "Threshold -1"},
		{Options{Threshold: 256}, "Threshold 256"},
		{Options{MinCells: -1}, "MinCells -1"},
	} {
		d, err := New(c.o)
		g.Expect(err).To(MatchError(ContainSubstring(c.field)), "%+v", c.o)
		g.Expect(d).To(BeNil())
	}
}

func TestFirstFrameAndIdenticalFramesShowNoMotion(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(640, 360, 1)
	g.Expect(d.Observe(bg)).To(Equal(Result{Cells: 40 * 23}), "the first frame only sets the reference")
	for range 3 {
		g.Expect(d.Observe(clone(bg))).To(Equal(Result{Cells: 40 * 23}))
	}
	// Even a wholly different first frame shows nothing: there is nothing to compare it with.
	d2 := newDetector(t, Options{})
	g.Expect(d2.Observe(withSquare(bg, 0, 0)).Motion).To(BeFalse())
}

func TestMovingSquareOnTexturedBackground(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(640, 360, 2)
	g.Expect(d.Observe(bg).Motion).To(BeFalse())

	// Aligned with the 16-pixel grid the square covers exactly 4×4 cells: appearing changes those 16.
	r := d.Observe(withSquare(bg, 96, 96))
	g.Expect(r).To(Equal(Result{Motion: true, Changed: 16, Cells: 920}))
	// Moving clear of its old place, it changes the 16 it left and the 16 it entered.
	r = d.Observe(withSquare(bg, 192, 96))
	g.Expect(r).To(Equal(Result{Motion: true, Changed: 32, Cells: 920}))
	// Standing still is not motion: the reference is the previous frame, not the first one.
	g.Expect(d.Observe(withSquare(bg, 192, 96))).To(Equal(Result{Cells: 920}))

	// Off the grid, moving by its own width from (100, 100) to (164, 100), it touches 5 rows × 9
	// columns of cells. All change but the bottom-right one, where the square covers only 4×4 of 256
	// pixels: that cell's mean moves by about 9 levels, below the threshold.
	g.Expect(d.Observe(withSquare(bg, 100, 100)).Motion).To(BeTrue())
	r = d.Observe(withSquare(bg, 164, 100))
	g.Expect(r.Motion).To(BeTrue())
	g.Expect(r.Changed).To(BeNumerically("~", 5*9-1, 1))
}

func TestSmallGlobalChangesShowNoMotion(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(640, 360, 3)
	g.Expect(d.Observe(bg).Motion).To(BeFalse())

	// Per-pixel sensor noise of up to ±20 levels averages out in each cell's mean.
	noisy := clone(bg)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range noisy.Y {
		noisy.Y[i] = uint8(int(noisy.Y[i]) + rng.IntN(41) - 20)
	}
	g.Expect(d.Observe(noisy)).To(Equal(Result{Cells: 920}))

	// A global brightness change of the threshold itself is not more than the threshold.
	brighter := clone(noisy)
	add(brighter, brighter.Rect, DefaultThreshold)
	g.Expect(d.Observe(brighter)).To(Equal(Result{Cells: 920}))

	// One level more, everywhere, is: every cell changed.
	add(brighter, brighter.Rect, DefaultThreshold+1)
	g.Expect(d.Observe(brighter)).To(Equal(Result{Motion: true, Changed: 920, Cells: 920}))
}

func TestFewerThanMinCellsIsNoMotion(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(640, 360, 4)
	d.Observe(bg)

	three := clone(bg)
	fill(three, image.Rect(0, 0, 48, 16), 255) // cells (0,0), (1,0), (2,0)
	g.Expect(d.Observe(three)).To(Equal(Result{Motion: false, Changed: 3, Cells: 920}))

	d.Observe(bg)
	four := clone(bg)
	fill(four, image.Rect(0, 0, 48, 16), 255)
	fill(four, image.Rect(624, 352, 640, 360), 255) // and the bottom-right cell, 16×8 (360 = 22×16 + 8)
	g.Expect(d.Observe(four)).To(Equal(Result{Motion: true, Changed: 4, Cells: 920}))

	d1 := newDetector(t, Options{MinCells: 1})
	d1.Observe(bg)
	g.Expect(d1.Observe(three)).To(Equal(Result{Motion: true, Changed: 3, Cells: 920}))
}

func TestThresholdIsPerCellMean(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{Threshold: 20, MinCells: 1})
	flat := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	fill(flat, flat.Rect, 100)
	d.Observe(flat)

	// Half of one cell up by 40: the cell's mean moves by 20, not more than the threshold.
	half := clone(flat)
	fill(half, image.Rect(0, 0, 16, 8), 140)
	g.Expect(d.Observe(half)).To(Equal(Result{Cells: 16}))
	// Up by 42 instead: the mean moves by 21 against the frame before.
	d.Observe(flat)
	fill(half, image.Rect(0, 0, 16, 8), 142)
	g.Expect(d.Observe(half)).To(Equal(Result{Motion: true, Changed: 1, Cells: 16}))
	// Down works the same as up.
	g.Expect(d.Observe(flat)).To(Equal(Result{Motion: true, Changed: 1, Cells: 16}))
	// Half a level above the threshold counts: means are not truncated to whole levels.
	d4 := newDetector(t, Options{Cell: 4, Threshold: 2, MinCells: 1})
	small := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	fill(small, small.Rect, 100)
	d4.Observe(small)
	fill(small, image.Rect(0, 0, 4, 1), 110) // 40/16 = 2.5 levels
	g.Expect(d4.Observe(small)).To(Equal(Result{Motion: true, Changed: 1, Cells: 1}))
}

func TestMaskedAreaNeverShowsMotion(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{MinCells: 1})
	bg := textured(640, 360, 5)
	zone := image.Rect(64, 64, 448, 256)
	d.Observe(bg)
	// The square walks across the zone; the mask paints the zone a constant colour over every frame.
	for x := 64; x+64 <= 448; x += 24 {
		f := withSquare(bg, x, 128)
		fill(f, zone, 16)
		r := d.Observe(f)
		if x == 64 {
			g.Expect(r.Motion).To(BeTrue(), "the mask appearing is a change")
			continue
		}
		g.Expect(r).To(Equal(Result{Cells: 920}), "square at x=%d", x)
	}
}

func TestSizeChangeSetsANewReference(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	small, big := textured(640, 360, 6), textured(1280, 720, 6)
	d.Observe(small)
	g.Expect(d.Observe(withSquare(small, 0, 0)).Motion).To(BeTrue())

	g.Expect(d.Observe(big)).To(Equal(Result{Cells: 80 * 45}), "a resolution change never shows motion")
	g.Expect(d.Observe(withSquare(big, 640, 320))).To(Equal(Result{Motion: true, Changed: 16, Cells: 3600}))

	g.Expect(d.Observe(small)).To(Equal(Result{Cells: 920}), "and back again")
	g.Expect(d.Observe(withSquare(small, 0, 0))).To(Equal(Result{Motion: true, Changed: 16, Cells: 920}))

	// Same number of pixels, other shape: still a change of size.
	g.Expect(d.Observe(textured(360, 640, 6))).To(Equal(Result{Cells: 23 * 40}))
}

func TestResetForgetsTheReference(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(320, 240, 7)
	d.Observe(bg)
	d.Reset()
	g.Expect(d.Observe(withSquare(bg, 0, 0))).To(Equal(Result{Cells: 300}))
	g.Expect(d.Observe(bg).Motion).To(BeTrue(), "comparison resumes after the new reference")
}

func TestNilAndEmptyFrames(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{})
	bg := textured(64, 64, 8)
	d.Observe(bg)
	g.Expect(d.Observe(nil)).To(Equal(Result{}))
	g.Expect(d.Observe(withSquare(bg, 0, 0))).To(Equal(Result{Cells: 16}), "nil forgot the reference")
	g.Expect(d.Observe(image.NewYCbCr(image.Rectangle{}, image.YCbCrSubsampleRatio420))).To(Equal(Result{}))
	g.Expect(d.Observe(bg)).To(Equal(Result{Cells: 16}))
}

func TestOddSizesHavePartialEdgeCells(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{MinCells: 1})
	bg := textured(100, 50, 9)
	g.Expect(d.Observe(bg)).To(Equal(Result{Cells: 7 * 4}), "100×50 is 7×4 cells, the last ones partial")

	// The bottom-right cell is 4×2 pixels. Its mean must be over those 8, or a change of all of them
	// would be diluted below the threshold (or missed entirely if edge cells were dropped).
	corner := clone(bg)
	add(corner, image.Rect(96, 48, 100, 50), 30) // background is at most 200: no clamping
	g.Expect(d.Observe(corner)).To(Equal(Result{Motion: true, Changed: 1, Cells: 28}))

	// A change in the last column only, 4 pixels wide, in the top row of cells.
	d.Observe(bg)
	right := clone(bg)
	add(right, image.Rect(96, 0, 100, 16), 30)
	g.Expect(d.Observe(right)).To(Equal(Result{Motion: true, Changed: 1, Cells: 28}))

	// Frames smaller than one cell, and every size near a cell boundary, run without panicking.
	for _, sz := range [][2]int{{1, 1}, {3, 7}, {15, 16}, {16, 15}, {17, 17}, {33, 1}, {1, 33}, {100, 50}} {
		f := textured(sz[0], sz[1], 10)
		want := ((sz[0] + 15) / 16) * ((sz[1] + 15) / 16)
		g.Expect(d.Observe(f).Cells).To(Equal(want), "%v", sz)
		white := clone(f)
		fill(white, white.Rect, 255) // the background is at most 200: every cell changes
		g.Expect(d.Observe(white).Changed).To(Equal(want), "%v", sz)
	}
}

func TestSubImagesUseTheirOwnOriginAndStride(t *testing.T) {
	g := NewWithT(t)
	d := newDetector(t, Options{MinCells: 1})
	full := textured(200, 100, 11)
	// A 100×50 window at (37, 13): stride 200, Y[0] at the window's origin.
	win := image.Rect(37, 13, 137, 63)
	a := full.SubImage(win).(*image.YCbCr)
	g.Expect(d.Observe(a)).To(Equal(Result{Cells: 28}))

	// A change outside the window is not seen.
	outside := clone(full)
	fill(outside, image.Rect(0, 0, 37, 100), 255)
	fill(outside, image.Rect(137, 0, 200, 100), 255)
	g.Expect(d.Observe(outside.SubImage(win).(*image.YCbCr))).To(Equal(Result{Cells: 28}))

	// One inside, in the window's first cell, is seen as that cell.
	inside := clone(full)
	fill(inside, image.Rect(37, 13, 53, 29), 255)
	g.Expect(d.Observe(inside.SubImage(win).(*image.YCbCr))).To(Equal(Result{Motion: true, Changed: 1, Cells: 28}))

	// A frame whose origin is not (0, 0) from the start behaves the same.
	d.Observe(a)
	off := image.NewYCbCr(image.Rect(37, 13, 137, 63), image.YCbCrSubsampleRatio420)
	for y := 13; y < 63; y++ {
		copy(off.Y[off.YOffset(37, y):][:100], full.Y[full.YOffset(37, y):][:100])
	}
	g.Expect(d.Observe(off)).To(Equal(Result{Cells: 28}), "same picture as the window")
}

func TestSumBytesMatchesAByteLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	buf := make([]uint8, MaxCell+8)
	for round := range 200 {
		for i := range buf {
			buf[i] = uint8(rng.IntN(256))
			if round == 0 {
				buf[i] = 255 // the worst case for the lanes
			}
		}
		for start := range 8 { // unaligned starts too
			for n := 0; n <= MaxCell; n++ {
				b := buf[start : start+n]
				var want int32
				for _, v := range b {
					want += int32(v)
				}
				if got := sumBytes(b); got != want {
					t.Fatalf("sumBytes(%d bytes at %d) = %d, want %d", n, start, got, want)
				}
			}
		}
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	d := newDetector(t, Options{})
	a := textured(1280, 720, 12)
	b := withSquare(a, 600, 300)
	d.Observe(a)
	if n := testing.AllocsPerRun(50, func() {
		d.Observe(b)
		d.Observe(a)
	}); n != 0 {
		t.Fatalf("Observe allocates %v times per two frames, want 0", n)
	}
	// Reset and a return to a size the buffers already hold do not allocate either.
	if n := testing.AllocsPerRun(20, func() {
		d.Reset()
		d.Observe(a)
	}); n != 0 {
		t.Fatalf("Observe after Reset allocates %v times, want 0", n)
	}
}

// BenchmarkObserve720p is the per-frame cost at 1280×720 with the default options, alternating two
// frames so that every call compares.
func BenchmarkObserve720p(b *testing.B) {
	d := newDetector(b, Options{})
	frames := [2]*image.YCbCr{textured(1280, 720, 13), nil}
	frames[1] = withSquare(frames[0], 600, 300)
	d.Observe(frames[1])
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d.Observe(frames[i&1])
	}
}
