package sensor

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var _ camera.Sensor = (*TestChart)(nil)

func TestChartIsDeterministicPerSeed(t *testing.T) {
	g := NewWithT(t)
	clk := fixedClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a, err := NewTestChart(clk, 64, 48, 7)
	g.Expect(err).NotTo(HaveOccurred())
	b, _ := NewTestChart(clk, 64, 48, 7)
	c, _ := NewTestChart(clk, 64, 48, 8)
	fa, err := a.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	fb, _ := b.Capture()
	fc, _ := c.Capture()
	g.Expect(fa.Image.Y).To(Equal(fb.Image.Y))
	g.Expect(fa.Image.Y).NotTo(Equal(fc.Image.Y))
	g.Expect(fa.Captured).To(Equal(clk.t))
	g.Expect(fa.Image.Rect.Dx()).To(Equal(64))
	g.Expect(len(fa.Image.Cb)).To(Equal(32 * 24))
}

func TestCaptureIsACopy(t *testing.T) {
	g := NewWithT(t)
	s, _ := NewTestChart(fixedClock{}, 32, 32, 1)
	f, _ := s.Capture()
	f.Image.Y[0] ^= 0xff
	g.Expect(s.Reference().Y[0]).NotTo(Equal(f.Image.Y[0]))
}

func TestFaultInjection(t *testing.T) {
	g := NewWithT(t)
	s, _ := NewTestChart(fixedClock{}, 32, 32, 1)
	s.Fail(errors.New("sensor unplugged"))
	_, err := s.Capture()
	g.Expect(err).To(MatchError("sensor unplugged"))
	s.Fail(nil)
	_, err = s.Capture()
	g.Expect(err).NotTo(HaveOccurred())
}

func TestBadSizesRefused(t *testing.T) {
	g := NewWithT(t)
	for _, wh := range [][2]int{{15, 16}, {16, 15}, {0, 0}, {17, 32}, {10000, 16}} {
		_, err := NewTestChart(fixedClock{}, wh[0], wh[1], 1)
		g.Expect(err).To(HaveOccurred())
	}
	_, err := NewTestChart(nil, 32, 32, 1)
	g.Expect(err).To(HaveOccurred())
}
