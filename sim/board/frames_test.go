package board

import (
	"errors"
	"image"
	"image/color"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/sim/clock"
)

type fixedSensor struct{ w, h int }

func (s fixedSensor) Capture() (camera.Frame, error) {
	img := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 77
	}
	return camera.Frame{Image: img, Captured: time.Unix(1, 0)}, nil
}

func write(t *testing.T, m *OV5640, b ...byte) {
	t.Helper()
	if err := m.Tx(0x3C, b, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFramesFollowTheRegisters(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	m := newModel(t)
	f, err := NewFrames(m, fixedSensor{64, 32}, clk)
	g.Expect(err).NotTo(HaveOccurred())

	_, err = f.Capture()
	g.Expect(err).To(MatchError(ContainSubstring("makes 64x32 frames")), "power-on size 2592x1944 is not the scene's")

	write(t, m, 0x38, 0x08, 0x00, 64, 0x00, 32)
	fr, err := f.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fr.Image.Y[0]).To(Equal(uint8(77)), "the inner sensor's frame")

	write(t, m, 0x42, 0x02, 0x0F)
	_, err = f.Capture()
	g.Expect(errors.Is(err, ErrNotStreaming)).To(BeTrue())
	write(t, m, 0x30, 0x08, 0x42)
	_, err = f.Capture()
	g.Expect(errors.Is(err, ErrPoweredDown)).To(BeTrue())
	write(t, m, 0x30, 0x08, 0x02)
	write(t, m, 0x42, 0x02, 0x00)

	write(t, m, 0x50, 0x3D, 0x80)
	g.Expect(clk.Advance(time.Second)).To(Succeed())
	fr, err = f.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fr.Captured).To(Equal(clk.Now()))
	g.Expect(fr.Image.Rect).To(Equal(image.Rect(0, 0, 64, 32)))
	g.Expect(fr.Image.SubsampleRatio).To(Equal(image.YCbCrSubsampleRatio420))
	// Eight bars of 8 columns each: white, yellow, cyan, green, magenta, red, blue, black.
	want := []color.RGBA{{255, 255, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255}, {0, 255, 0, 255},
		{255, 0, 255, 255}, {255, 0, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 255}}
	for y := range 32 {
		for x := range 64 {
			c := want[x/8]
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			got := fr.Image.YCbCrAt(x, y)
			if got.Y != yy || got.Cb != cb || got.Cr != cr {
				t.Fatalf("pixel (%d,%d) = %v, want bar %d %v", x, y, got, x/8, color.YCbCr{Y: yy, Cb: cb, Cr: cr})
			}
		}
	}

	write(t, m, 0x50, 0x3D, 0x81)
	_, err = f.Capture()
	g.Expect(err).To(MatchError(ContainSubstring("not modelled")))
	write(t, m, 0x38, 0x08, 0xFF, 0xFF)
	_, err = f.Capture()
	g.Expect(err).To(MatchError(ContainSubstring("must be even and between 16 and 4096")))
}

func TestTestPatternSquaresAndBlack(t *testing.T) {
	g := NewWithT(t)
	img, err := TestPattern(0x82, 32, 16)
	g.Expect(err).NotTo(HaveOccurred())
	bars := BarColours()
	// Cell (column 3, row 2) is 4×2 pixels at (12, 4) with colour (3+2) mod 8 = red.
	yy, _, _ := color.RGBToYCbCr(bars[5].R, bars[5].G, bars[5].B)
	g.Expect(img.YCbCrAt(12, 4).Y).To(Equal(yy))
	g.Expect(bars[5]).To(Equal(color.RGBA{255, 0, 0, 255}))
	img, err = TestPattern(0x83, 16, 16)
	g.Expect(err).NotTo(HaveOccurred())
	for _, v := range img.Y {
		g.Expect(v).To(Equal(uint8(0)))
	}
	_, err = TestPattern(0x00, 16, 16)
	g.Expect(err).To(HaveOccurred())
	_, err = NewFrames(nil, nil, nil)
	g.Expect(err).To(HaveOccurred())
}
