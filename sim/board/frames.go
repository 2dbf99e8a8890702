package board

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"vsslab/camera"
)

// The errors Capture returns when the model says there is no picture; callers branch with errors.Is.
var (
	ErrPoweredDown  = errors.New("sensor powered down")
	ErrNotStreaming = errors.New("sensor not streaming")
)

// Limits on the output size a frame is made at. The registers allow 65535×65535; a real OV5640
// stops at 2592×1944, and a frame outside these limits is a driver bug to report, not to allocate.
const (
	minFrameSize = 16
	maxFrameSize = 4096
)

// Frames is the camera's sensor on the virtual board: it delivers what the OV5640 model's registers
// say the chip would put out. While the model streams with no test pattern it passes on the inner
// sensor's frames (the simulated scene), which must then be the size the output-size registers set:
// the model does not scale, so a mismatch is an error naming both sizes. While a test pattern is set it
// delivers that pattern at the output size, computed exactly (see TestPattern). Powered down or not
// streaming, Capture fails with ErrPoweredDown or ErrNotStreaming.
type Frames struct {
	model *OV5640
	inner camera.Sensor
	clk   Clock
}

// NewFrames makes the frame source for model over inner, stamping test patterns with clk.
func NewFrames(model *OV5640, inner camera.Sensor, clk Clock) (*Frames, error) {
	if model == nil || inner == nil || clk == nil {
		return nil, errors.New("sim board frames: a model, an inner sensor and a clock are required")
	}
	return &Frames{model: model, inner: inner, clk: clk}, nil
}

// Capture implements camera.Sensor.
func (f *Frames) Capture() (camera.Frame, error) {
	s := f.model.Status()
	switch {
	case s.PoweredDown:
		return camera.Frame{}, ErrPoweredDown
	case !s.Streaming:
		return camera.Frame{}, ErrNotStreaming
	}
	if err := checkFrameSize(s.Width, s.Height); err != nil {
		return camera.Frame{}, err
	}
	if s.Pattern&patternEnable != 0 {
		img, err := TestPattern(s.Pattern, s.Width, s.Height)
		if err != nil {
			return camera.Frame{}, err
		}
		return camera.Frame{Image: img, Captured: f.clk.Now()}, nil
	}
	fr, err := f.inner.Capture()
	if err != nil {
		return camera.Frame{}, err
	}
	if w, h := fr.Image.Rect.Dx(), fr.Image.Rect.Dy(); w != s.Width || h != s.Height {
		return camera.Frame{}, fmt.Errorf("sim ov5640: output size registers say %dx%d but the scene sensor makes %dx%d frames; the model does not scale", s.Width, s.Height, w, h)
	}
	return fr, nil
}

func checkFrameSize(w, h int) error {
	if w < minFrameSize || h < minFrameSize || w > maxFrameSize || h > maxFrameSize || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("sim ov5640: output size %dx%d (registers 0x3808..0x380B) must be even and between %d and %d", w, h, minFrameSize, maxFrameSize)
	}
	return nil
}

// Test pattern register bits (0x503D): bit 7 enables, bits 1:0 choose.
const (
	patternEnable  = 0x80
	patternBars    = 0x00
	patternRandom  = 0x01
	patternSquares = 0x02
	patternBlack   = 0x03
)

// BarColours are the eight colour bars, left to right, at full amplitude, as the OV5640's standard
// colour bar pattern shows them. The colour squares pattern uses the same colours.
func BarColours() [8]color.RGBA {
	return [8]color.RGBA{
		{255, 255, 255, 255}, // white
		{255, 255, 0, 255},   // yellow
		{0, 255, 255, 255},   // cyan
		{0, 255, 0, 255},     // green
		{255, 0, 255, 255},   // magenta
		{255, 0, 0, 255},     // red
		{0, 0, 255, 255},     // blue
		{0, 0, 0, 255},       // black
	}
}

// TestPattern computes the picture the test pattern register value reg asks for at w×h, exactly, so
// a test can compare a captured frame pixel by pixel:
//   - 0x80, colour bars: eight vertical bars of BarColours; bar i covers columns [i*w/8, (i+1)*w/8).
//   - 0x82, colour squares: an 8×8 grid; the cell in column c, row r has colour (c+r) mod 8, cell
//     column c covering [c*w/8, (c+1)*w/8) and row r [r*h/8, (r+1)*h/8).
//   - 0x83, black.
//
// Colours are converted with color.RGBToYCbCr (full range, as image/jpeg uses). Each chroma sample
// takes the colour of the top-left pixel of its 2×2 block. The random pattern (0x81) is not modelled.
func TestPattern(reg byte, w, h int) (*image.YCbCr, error) {
	if reg&patternEnable == 0 {
		return nil, fmt.Errorf("sim ov5640: test pattern 0x%02X is not enabled (bit 7 clear)", reg)
	}
	if err := checkFrameSize(w, h); err != nil {
		return nil, err
	}
	bars := BarColours()
	var colourAt func(x, y int) color.RGBA
	switch reg & 0x03 {
	case patternBars:
		colourAt = func(x, _ int) color.RGBA { return bars[x*8/w] }
	case patternSquares:
		colourAt = func(x, y int) color.RGBA { return bars[(x*8/w+y*8/h)%8] }
	case patternBlack:
		colourAt = func(int, int) color.RGBA { return bars[7] }
	default:
		return nil, fmt.Errorf("sim ov5640: test pattern 0x%02X (random) is not modelled", reg)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			c := colourAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			img.Y[y*img.YStride+x] = yy
			if x%2 == 0 && y%2 == 0 {
				ci := (y/2)*img.CStride + x/2
				img.Cb[ci], img.Cr[ci] = cb, cr
			}
		}
	}
	return img, nil
}

var _ camera.Sensor = (*Frames)(nil)
