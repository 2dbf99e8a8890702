package jpeg

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/onsi/gomega"
)

func TestFixedPointConstantsAreTheAANFactors(t *testing.T) {
	g := NewWithT(t)
	fix := func(x float64) int { return int(math.Round(x * (1 << fixBits))) }
	g.Expect(fix0707).To(Equal(fix(math.Cos(math.Pi / 4))))
	g.Expect(fix0382).To(Equal(fix(math.Cos(3 * math.Pi / 8))))
	g.Expect(fix0541).To(Equal(fix(math.Sqrt2 * math.Cos(3*math.Pi/8))))
	g.Expect(fix1306).To(Equal(fix(math.Sqrt2 * math.Cos(math.Pi/8))))
}

// referenceDCT is T.81 A.3.3's FDCT of the level-shifted block, in natural order.
func referenceDCT(s *[64]byte) [64]float64 {
	var out [64]float64
	c := func(k int) float64 {
		if k == 0 {
			return 1 / math.Sqrt2
		}
		return 1
	}
	for v := range 8 {
		for u := range 8 {
			var sum float64
			for y := range 8 {
				for x := range 8 {
					sum += (float64(s[y*8+x]) - 128) *
						math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
						math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			out[v*8+u] = c(u) * c(v) * sum / 4
		}
	}
	return out
}

// testBlocks are random blocks plus the extremes that stress the range.
func testBlocks(n int) [][64]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var blocks [][64]byte
	var zero, full, checker, ramp, stripes [64]byte
	for i := range 64 {
		full[i] = 255
		checker[i] = byte(255 * ((i/8 + i%8) % 2))
		ramp[i] = byte(i * 4)
		stripes[i] = byte(255 * (i % 2))
	}
	blocks = append(blocks, zero, full, checker, ramp, stripes)
	for range n {
		var b [64]byte
		smooth := rng.IntN(2) == 0
		base := rng.IntN(256)
		for i := range b {
			if smooth {
				b[i] = byte(min(max(base+(i%8)*rng.IntN(6)-(i/8)*3+rng.IntN(9)-4, 0), 255))
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		blocks = append(blocks, b)
	}
	return blocks
}

func TestFdctQuantIsTheDefinitionRounded(t *testing.T) {
	for _, quality := range []int{100, 85, 50, 5} {
		g := NewWithT(t)
		q := scaledQuant(quality)
		for table := range 2 {
			qt := newQuantTable(&q[table], newZigzagMasks())
			var tmp [64]int
			var coef [64]int
			exact, total := 0, 0
			for _, b := range testBlocks(400) {
				// Embed the block in a wider plane at an odd offset to check
				// the stride handling too.
				const stride = 21
				plane := make([]byte, 8*stride+3)
				for i := range 64 {
					plane[3+(i/8)*stride+i%8] = b[i]
				}
				nz := fdctQuant(plane, 3, stride, &qt, &tmp, &coef)
				ref := referenceDCT(&b)
				for k := range 64 {
					want := ref[zigzag[k]] / float64(q[table][zigzag[k]])
					got := float64(coef[zigzag[k]])
					g.Expect(math.Abs(got-want)).To(BeNumerically("<=", 0.5+0.02), "quality %d coefficient %d of %v", quality, k, b)
					if got == math.Round(want) {
						exact++
					}
					total++
					if k > 0 {
						g.Expect(nz>>k&1 == 1).To(Equal(coef[zigzag[k]] != 0), "mask bit %d", k)
					}
				}
				g.Expect(nz&1).To(BeZero(), "DC is not in the AC mask")
			}
			g.Expect(float64(exact)/float64(total)).To(BeNumerically(">=", 0.995), "quality %d", quality)
		}
	}
}
