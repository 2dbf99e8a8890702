package mask

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func noise(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Y {
		img.Y[i] = uint8(rng.IntN(256))
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
	}
	return img
}

var noon = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

func TestColourMaskIsIndependentOfTheSource(t *testing.T) {
	g := NewWithT(t)
	p, err := NewPainter([]Mask{{ID: "c", Rect: [4]float64{0.25, 0.25, 0.5, 0.5}, Style: Color, Color: "#FF0000"}})
	g.Expect(err).NotTo(HaveOccurred())
	a, b := noise(128, 96, 1), noise(128, 96, 2)
	areas, err := p.Apply(a, noon, nil)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = p.Apply(b, noon, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(areas).To(HaveLen(1))
	r := areas[0]
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.Expect(a.YCbCrAt(x, y)).To(Equal(b.YCbCrAt(x, y)))
		}
	}
	c := a.YCbCrAt(r.Min.X, r.Min.Y)
	g.Expect([]uint8{c.Y, c.Cb, c.Cr}).To(Equal([]uint8{76, 85, 255}), "BT.601 red")
	// Outside the area the source is untouched.
	g.Expect(a.Y[0]).To(Equal(noise(128, 96, 1).Y[0]))
}

func TestPixelationFlattensEveryTileToItsMean(t *testing.T) {
	g := NewWithT(t)
	src := noise(256, 128, 3)
	img := noise(256, 128, 3)
	p, err := NewPainter([]Mask{{ID: "p", Rect: [4]float64{0, 0, 0.5, 1}, Style: Pixelate, Tile: 32}})
	g.Expect(err).NotTo(HaveOccurred())
	areas, err := p.Apply(img, noon, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(areas).To(Equal([]image.Rectangle{image.Rect(0, 0, 128, 128)}))
	for ty := 0; ty < 128; ty += 32 {
		for tx := 0; tx < 128; tx += 32 {
			sum := 0
			for y := ty; y < ty+32; y++ {
				for x := tx; x < tx+32; x++ {
					sum += int(src.Y[y*src.YStride+x])
					g.Expect(img.Y[y*img.YStride+x]).To(Equal(img.Y[ty*img.YStride+tx]), "tile %d,%d is flat", tx, ty)
				}
			}
			g.Expect(int(img.Y[ty*img.YStride+tx])).To(Equal((sum+512)/1024), "tile mean")
		}
	}
	g.Expect(img.Y[0*img.YStride+200]).To(Equal(src.Y[0*src.YStride+200]), "outside untouched")
}

func TestScheduledMaskAppliesOnlyInItsWindow(t *testing.T) {
	g := NewWithT(t)
	p, err := NewPainter([]Mask{{ID: "s", Rect: [4]float64{0, 0, 1, 1}, Style: Color, Color: "#000000", Schedule: []Window{{From: "08:00", To: "09:00"}}}})
	g.Expect(err).NotTo(HaveOccurred())
	img := noise(32, 32, 4)
	areas, _ := p.Apply(img, noon, nil)
	g.Expect(areas).To(BeEmpty())
	g.Expect(img.Y).To(Equal(noise(32, 32, 4).Y))
	areas, _ = p.Apply(img, time.Date(2026, 1, 2, 8, 30, 0, 0, time.UTC), nil)
	g.Expect(areas).To(HaveLen(1))
}

func TestPlacementMovesTheArea(t *testing.T) {
	g := NewWithT(t)
	p, _ := NewPainter([]Mask{{ID: "z", Rect: [4]float64{0.5, 0, 0.25, 0.5}, Style: Color, Color: "#000000"}})
	shift := func(r [4]float64) ([4]float64, bool) { return [4]float64{r[0] - 0.5, r[1], r[2], r[3]}, true }
	hidden := func([4]float64) ([4]float64, bool) { return [4]float64{}, false }
	areas, _ := p.Apply(noise(64, 64, 5), noon, shift)
	g.Expect(areas).To(Equal([]image.Rectangle{image.Rect(0, 0, 16, 32)}))
	areas, _ = p.Apply(noise(64, 64, 5), noon, hidden)
	g.Expect(areas).To(BeEmpty())
}

func TestApplyRefusesOtherLayouts(t *testing.T) {
	g := NewWithT(t)
	p, _ := NewPainter(nil)
	_, err := p.Apply(image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio444), noon, nil)
	g.Expect(err).To(MatchError(ContainSubstring("4:2:0")))
	_, err = NewPainter([]Mask{{ID: "bad"}})
	g.Expect(err).To(MatchError(HavePrefix("masks[0].")))
}

// TestLargeAreasGiveTheSameResultOnTwoCores: the two-goroutine path must equal the plain one.
func TestLargeAreasGiveTheSameResultOnTwoCores(t *testing.T) {
	g := NewWithT(t)
	big := noise(1280, 720, 11)
	want := noise(1280, 720, 11)
	area := image.Rect(0, 96, 960, 704)
	g.Expect(area.Dx() * area.Dy()).To(BeNumerically(">=", parallelPixels))
	pixelatePlane(want.Y, want.YStride, area, 32)
	pixelatePlane(want.Cb, want.CStride, chroma(area), 16)
	pixelatePlane(want.Cr, want.CStride, chroma(area), 16)
	pixelate(big, area, 32)
	g.Expect(big.Y).To(Equal(want.Y))
	g.Expect(big.Cb).To(Equal(want.Cb))
	g.Expect(big.Cr).To(Equal(want.Cr))
}

func TestPixelateAreaFlattensTilesAndRefusesBadTiles(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i * 7)
	}
	if err := PixelateArea(img, image.Rect(0, 0, 32, 32), 16); err != nil {
		t.Fatal(err)
	}
	first := img.Y[0]
	for y := range 16 {
		for x := range 16 {
			if got := img.Y[y*img.YStride+x]; got != first {
				t.Fatalf("tile not flat at %d,%d: %d vs %d", x, y, got, first)
			}
		}
	}
	if img.Y[40*img.YStride+40] != uint8((40*img.YStride+40)*7) {
		t.Fatal("pixels outside the area changed")
	}
	if err := PixelateArea(img, image.Rect(0, 0, 32, 32), 10); err == nil {
		t.Fatal("a tile off the grid was accepted")
	}
}
