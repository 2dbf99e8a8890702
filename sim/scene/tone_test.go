package scene

import (
	"math"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// unulaw decodes G.711 µ-law to 16-bit PCM (the classic ulaw2linear), to check Tone's signal.
func unulaw(u byte) int {
	u = ^u
	t := (int(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}

func TestToneLength(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Tone(1, 0, time.Second)).To(HaveLen(8000), "8000 bytes per second")
	g.Expect(Tone(1, 3*time.Second, 5*time.Second)).To(HaveLen(16000))
	g.Expect(Tone(1, 0, 1500*time.Millisecond)).To(HaveLen(12000))
	g.Expect(Tone(1, time.Millisecond, 2*time.Millisecond)).To(HaveLen(8))
	g.Expect(Tone(1, 0, 100*time.Microsecond)).To(HaveLen(1), "the sample at 0 only; the next is at 125 µs")
	g.Expect(Tone(1, 1, 125*time.Microsecond)).To(BeEmpty(), "no sample time in (0, 125 µs)")
	g.Expect(Tone(1, -time.Second, 0)).To(HaveLen(8000))
	g.Expect(Tone(1, time.Second, time.Second)).To(BeEmpty())
	g.Expect(Tone(1, 2*time.Second, time.Second)).To(BeEmpty())
}

func TestToneIsDeterministicAndSeamless(t *testing.T) {
	g := NewWithT(t)
	whole := Tone(5, 0, 2*time.Second)
	g.Expect(Tone(5, 0, 2*time.Second)).To(Equal(whole))
	joined := append(Tone(5, 0, 700*time.Millisecond), Tone(5, 700*time.Millisecond, 2*time.Second)...)
	g.Expect(joined).To(Equal(whole), "consecutive intervals join without a seam")
	g.Expect(Tone(5, time.Second, 2*time.Second)).To(Equal(whole[8000:]))
	g.Expect(Tone(6, 0, 2*time.Second)).NotTo(Equal(whole), "another seed, another signal")
}

func TestToneIsAToneWithLowNoise(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 99} {
		g := NewWithT(t)
		hz := toneHz(seed)
		g.Expect(hz).To(And(BeNumerically(">=", 300), BeNumerically("<=", 1100)))
		pcm := Tone(seed, 10*time.Second, 11*time.Second)
		crossings, peak := 0, 0
		var noise float64
		for i, u := range pcm {
			s := unulaw(u)
			peak = max(peak, s, -s)
			if i > 0 && (unulaw(pcm[i-1]) < 0) != (s < 0) {
				crossings++
			}
			n := 10*8000 + i
			ideal := float64(toneAmp) * math.Sin(2*math.Pi*float64(hz)*float64(n)/8000)
			noise += (float64(s) - ideal) * (float64(s) - ideal)
		}
		g.Expect(crossings).To(BeNumerically("~", 2*hz, 2), "seed %d: a %d Hz tone crosses zero twice a cycle", seed, hz)
		g.Expect(peak).To(BeNumerically("~", toneAmp, toneAmp/10), "about -12 dBFS")
		g.Expect(math.Sqrt(noise/8000)).To(BeNumerically("<", 300), "noise and quantisation stay low")
	}
}

func TestUlaw(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ulaw(0)).To(Equal(byte(0xff)))
	g.Expect(ulaw(32767)).To(Equal(byte(0x80)))
	g.Expect(ulaw(-32768)).To(Equal(byte(0x00)))
	g.Expect(ulaw(-1)).To(Equal(byte(0x7f)))
	for s := -32768; s <= 32767; s += 37 {
		back := unulaw(ulaw(s))
		g.Expect(back).To(BeNumerically("~", s, max(abs(s)/16, 8)), "µ-law keeps about 4 bits of mantissa: %d", s)
	}
	for u := range 256 {
		g.Expect(ulaw(unulaw(byte(u)))).To(Or(Equal(byte(u)), Equal(byte(0xff))), "decoding then encoding is stable (0x7f is -0, encoded 0xff): %#x", u)
	}
}

func abs(v int) int { return max(v, -v) }
