package scene

import (
	"image"
	"math"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
)

// blockStats is the mean and standard deviation of a plane's w×h block at (x0, y0).
func blockStats(p []uint8, stride, x0, y0, w, h int) (mean, std float64) {
	var sum, sq float64
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			v := float64(p[y*stride+x])
			sum += v
			sq += v * v
		}
	}
	n := float64(w * h)
	mean = sum / n
	return mean, math.Sqrt(max(sq/n-mean*mean, 0))
}

// TestTexturesHaveDetailEverywhere checks what the mask scenarios measure: inside every 16×16 tile the
// luma varies (so pixelation's loss of detail shows wherever a mask is put), the tiles' means vary (there
// is structure larger than the grain), and the colours vary (so a colour mask's replacement shows).
func TestTexturesHaveDetailEverywhere(t *testing.T) {
	for _, kind := range []string{TextureOffice, TextureCorridor, TextureNoise} {
		t.Run(kind, func(t *testing.T) {
			g := NewWithT(t)
			const w, h = 1280, 720
			img, err := background(kind, w, h, 42)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(img.Rect).To(Equal(image.Rect(0, 0, w, h)))
			g.Expect(img.SubsampleRatio).To(Equal(image.YCbCrSubsampleRatio420))
			var means []float64
			flattest, at := math.Inf(1), [2]int{}
			for y := 0; y < h; y += 16 {
				for x := 0; x < w; x += 16 {
					m, s := blockStats(img.Y, img.YStride, x, y, 16, 16)
					if s < flattest {
						flattest, at = s, [2]int{x, y}
					}
					means = append(means, m)
				}
			}
			g.Expect(flattest).To(BeNumerically(">=", 3), "the flattest tile, at %v", at)
			var sum, sq float64
			for _, m := range means {
				sum += m
				sq += m * m
			}
			n := float64(len(means))
			g.Expect(math.Sqrt(sq/n-(sum/n)*(sum/n))).To(BeNumerically(">", 10), "tile means vary: larger structure")
			_, cbStd := blockStats(img.Cb, img.CStride, 0, 0, w/2, h/2)
			_, crStd := blockStats(img.Cr, img.CStride, 0, 0, w/2, h/2)
			g.Expect(cbStd).To(BeNumerically(">", 8))
			g.Expect(crStd).To(BeNumerically(">", 8))
			hues := map[[2]uint8]bool{}
			for i := range img.Cb {
				hues[[2]uint8{img.Cb[i] >> 4, img.Cr[i] >> 4}] = true
			}
			g.Expect(len(hues)).To(BeNumerically(">=", 12), "distinct colours")
			g.Expect(slices.Min(img.Y)).To(BeNumerically(">=", 16), "studio range")
			g.Expect(slices.Max(img.Y)).To(BeNumerically("<=", 235))
		})
	}
}

func TestTexturesDiffer(t *testing.T) {
	g := NewWithT(t)
	office, _ := background(TextureOffice, 64, 64, 1)
	corridor, _ := background(TextureCorridor, 64, 64, 1)
	noise, _ := background(TextureNoise, 64, 64, 1)
	again, _ := background(TextureOffice, 64, 64, 1)
	g.Expect(office.Y).NotTo(Equal(corridor.Y))
	g.Expect(office.Y).NotTo(Equal(noise.Y))
	g.Expect(office.Y).To(Equal(again.Y))
	_, err := background("marble", 64, 64, 1)
	g.Expect(err).To(MatchError(ContainSubstring(`texture "marble"`)))
}

func TestTexturesWorkAtTheSmallestSize(t *testing.T) {
	g := NewWithT(t)
	for _, kind := range []string{TextureOffice, TextureCorridor, TextureNoise} {
		img, err := background(kind, minSize, minSize, 5)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(img.Y).To(HaveLen(minSize * minSize))
	}
}

func TestVnoiseInterpolatesTheLattice(t *testing.T) {
	g := NewWithT(t)
	for _, p := range [][2]int{{0, 0}, {16, 48}, {160, 32}} {
		g.Expect(vnoise(p[0], p[1], 4, 9)).To(Equal(int(hash(p[0]>>4, p[1]>>4, 9)&255)), "on a lattice point the value is the lattice's")
	}
	a, b := vnoise(16, 0, 4, 9), vnoise(32, 0, 4, 9)
	mid := vnoise(24, 0, 4, 9)
	g.Expect(mid).To(BeNumerically("~", (a+b)/2, 1), "halfway between two lattice points")
}
