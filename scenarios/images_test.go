package scenarios

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	. "github.com/onsi/gomega"
)

// The measures behind the MASK verdicts are checked here on pictures whose answer is known, so a
// bug in a measure cannot turn into a wrong verdict unnoticed.

func flat(w, h int, y, cb, cr uint8) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = cb, cr
	}
	return img
}

func noisy(w, h int, seed uint64) *image.YCbCr {
	img := flat(w, h, 128, 128, 128)
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range img.Y {
		img.Y[i] = uint8(32 + rng.IntN(192))
	}
	return img
}

// tileMeans replaces every tile of img's luma with its mean, as a perfect pixelation would.
func tileMeans(img *image.YCbCr, tile int) *image.YCbCr {
	out := flat(img.Rect.Dx(), img.Rect.Dy(), 0, 128, 128)
	for ty := 0; ty < img.Rect.Dy(); ty += tile {
		for tx := 0; tx < img.Rect.Dx(); tx += tile {
			sum := 0
			for y := ty; y < ty+tile; y++ {
				for x := tx; x < tx+tile; x++ {
					sum += int(img.Y[img.YOffset(x, y)])
				}
			}
			for y := ty; y < ty+tile; y++ {
				for x := tx; x < tx+tile; x++ {
					out.Y[out.YOffset(x, y)] = uint8(sum / (tile * tile))
				}
			}
		}
	}
	return out
}

func TestPixelRectIsWhatAMaskMustCoverAtLeast(t *testing.T) {
	g := NewWithT(t)
	g.Expect(pixelRect([4]float64{0.1, 0.2, 0.3, 0.4}, 100, 50)).To(Equal(image.Rect(10, 10, 40, 30)))
	g.Expect(pixelRect([4]float64{0.105, 0, 0.1, 1}, 100, 50)).To(Equal(image.Rect(11, 0, 20, 50)), "partial pixels are not required")
}

func TestMaxDeviation(t *testing.T) {
	g := NewWithT(t)
	img := flat(32, 32, 100, 90, 80)
	g.Expect(maxDeviation(img, img.Rect, color.YCbCr{Y: 100, Cb: 90, Cr: 80})).To(BeZero())
	img.Y[img.YOffset(5, 5)] = 110
	g.Expect(maxDeviation(img, img.Rect, color.YCbCr{Y: 100, Cb: 90, Cr: 80})).To(Equal(10))
	g.Expect(maxDeviation(img, image.Rect(10, 10, 20, 20), color.YCbCr{Y: 100, Cb: 90, Cr: 80})).To(BeZero(), "only the area counts")
}

func TestTileStatsAndResidualCorrelation(t *testing.T) {
	g := NewWithT(t)
	src := noisy(128, 128, 1)
	pix := tileMeans(src, 32)
	spread, meanErr, tiles := tileStats(pix, src, pix.Rect, 32)
	g.Expect(spread).To(BeZero())
	g.Expect(meanErr).To(BeNumerically("<", 1), "the tile value is the mean, up to rounding")
	g.Expect(tiles).To(Equal(16))
	g.Expect(residualCorrelation(pix, src, pix.Rect, 32)).To(BeZero(), "nothing finer than a tile")
	g.Expect(residualCorrelation(src, src, src.Rect, 32)).To(BeNumerically("~", 1, 1e-9), "an unmasked picture keeps all detail")

	spread, _, _ = tileStats(src, src, src.Rect, 32)
	g.Expect(spread).To(BeNumerically(">", 100), "noise is not flat")
	other := tileMeans(noisy(128, 128, 2), 32)
	_, meanErr, _ = tileStats(other, src, src.Rect, 32)
	g.Expect(meanErr).To(BeNumerically(">", meanTolerance), "a flat fill that is not the source's mean is caught")
}

func TestCorrelationAndDifferences(t *testing.T) {
	g := NewWithT(t)
	a, b := noisy(64, 64, 1), noisy(64, 64, 2)
	g.Expect(lumaCorrelation(a, a, a.Rect)).To(BeNumerically("~", 1, 1e-9))
	g.Expect(lumaCorrelation(b, a, a.Rect)).To(BeNumerically("<", 0.2))
	g.Expect(lumaCorrelation(flat(64, 64, 9, 128, 128), a, a.Rect)).To(BeZero(), "a flat output has no correlation")
	g.Expect(meanAbsDiff(a, a, a.Rect)).To(BeZero())
	g.Expect(meanAbsDiff(flat(64, 64, 0, 128, 128), flat(64, 64, 30, 128, 128), a.Rect)).To(Equal(30.0))
	g.Expect(psnr(a, a, a.Rect)).To(Equal(99.0))
	g.Expect(lumaVariance(flat(8, 8, 7, 128, 128), image.Rect(0, 0, 8, 8))).To(BeZero())
}

func TestOutsideOfNeverTouchesTheOther(t *testing.T) {
	g := NewWithT(t)
	a := image.Rect(256, 108, 384, 216)
	for _, b := range []image.Rectangle{image.Rect(64, 36, 320, 252), image.Rect(300, 0, 640, 360), image.Rect(0, 0, 10, 10)} {
		o := outsideOf(a, b, 640, 360)
		g.Expect(o.In(a)).To(BeTrue(), "inside a")
		g.Expect(o.Overlaps(b.Inset(-16))).To(BeFalse(), "%v keeps away from %v", o, b)
	}
	g.Expect(outsideOf(a, a.Inset(-100), 640, 360).Empty()).To(BeTrue())
}

func TestPTZGeometry(t *testing.T) {
	g := NewWithT(t)
	pano := ptzGeometry{sceneW: 3840, sceneH: 1080, frameW: 640, frameH: 360}
	home := map[string]float64{"pan": 0.5, "tilt": 0.5, "zoom": 1}
	r, ok := pano.sceneToFrame([4]float64{0.5, 0, 0.25, 1}, home)
	g.Expect(ok).To(BeTrue())
	// Home shows scene x 960..2880; the zone 1920..2880 is the right half of the frame.
	g.Expect(r[0]).To(BeNumerically("~", 0.5, 1e-9))
	g.Expect(r[2]).To(BeNumerically("~", 0.5, 1e-9))
	_, ok = pano.sceneToFrame([4]float64{0, 0, 0.1, 1}, home)
	g.Expect(ok).To(BeFalse(), "out of view")
}

func TestSmallParsers(t *testing.T) {
	g := NewWithT(t)
	g.Expect(fps([]uint32{0, 90000, 180000})).To(Equal(1.0))
	g.Expect(fps([]uint32{0, 9000})).To(Equal(10.0))
	g.Expect(fps([]uint32{5})).To(BeZero())
	g.Expect(sdpMedia("v=0\r\nm=video 0 RTP/AVP 26\r\na=x\r\nm=audio 0 RTP/AVP 0\r\n")).To(Equal([]string{"video", "audio"}))
	g.Expect(hstsMaxAge("max-age=31536000; includeSubDomains")).To(Equal(31536000))
	g.Expect(hstsMaxAge(`includeSubDomains; MAX-AGE="63072000"`)).To(Equal(63072000))
	g.Expect(hstsMaxAge("includeSubDomains")).To(Equal(-1))
	g.Expect(caseVariants("aB1!")).To(Equal([]string{"AB1!", "ab1!", "Ab1!"}))
	g.Expect(authURL("rtsp://127.0.0.1:554/live", Cred{"admin", "p@ss/w:rd"})).To(Equal("rtsp://admin:p%40ss%2Fw%3Ard@127.0.0.1:554/live"))
}
