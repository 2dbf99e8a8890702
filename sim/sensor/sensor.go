// Package sensor is the simulated image sensor: it delivers YCbCr 4:2:0 frames of a deterministic
// test image, stamped with the virtual clock, through the same camera.Sensor boundary a real board's
// sensor uses.
//
// Until scenes with moving people arrive, the image is a test chart: colour bars over a seeded
// texture, so that two seeds give different but reproducible pictures and any processing of the
// image (later, masking) has detail to act on.
package sensor

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"sync"
	"time"

	"vsslab/camera"
	"vsslab/camera/ptz"
)

// Clock stamps the frames.
type Clock interface{ Now() time.Time }

// TestChart is a simulated sensor that shows a fixed chart.
type TestChart struct {
	clk  Clock
	base *image.YCbCr

	mu    sync.Mutex
	fault error
	view  ptz.View
}

// NewTestChart makes a chart of the given size (even, at least 16×16) from seed.
func NewTestChart(clk Clock, width, height int, seed uint64) (*TestChart, error) {
	if clk == nil {
		return nil, errors.New("new test chart: no clock")
	}
	if width < 16 || height < 16 || width%2 != 0 || height%2 != 0 || width > 8192 || height > 8192 {
		return nil, fmt.Errorf("new test chart: size %dx%d must be even and between 16 and 8192", width, height)
	}
	return &TestChart{clk: clk, base: chart(width, height, seed), view: ptz.Home()}, nil
}

// Geometry makes the chart usable by a PTZ camera: the chart is the whole scene, and the frame has
// its size.
func (s *TestChart) Geometry() ptz.Geometry {
	w, h := s.base.Rect.Dx(), s.base.Rect.Dy()
	return ptz.Geometry{SceneW: w, SceneH: h, FrameW: w, FrameH: h}
}

// SetView points the chart camera: following frames show that window of the chart, scaled up.
func (s *TestChart) SetView(v ptz.View) error {
	if err := v.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.view = v
	s.mu.Unlock()
	return nil
}

// bars are the EBU colour bars in Y'CbCr (white, yellow, cyan, green, magenta, red, blue, black).
var bars = [8][3]uint8{{235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34}, {106, 202, 222}, {81, 90, 240}, {41, 240, 110}, {16, 128, 128}}

func chart(w, h int, seed uint64) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for y := range h {
		for x := range w {
			bar := bars[x*8/w]
			v := int(bar[0])
			if y >= h/2 {
				// The lower half is texture: fine noise, so detail is measurable.
				v = 16 + rng.IntN(220)
			}
			img.Y[y*img.YStride+x] = uint8(v)
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			bar := bars[(2*x)*8/w]
			cb, cr := bar[1], bar[2]
			if 2*y >= h/2 {
				cb, cr = 128, 128
			}
			img.Cb[y*img.CStride+x] = cb
			img.Cr[y*img.CStride+x] = cr
		}
	}
	return img
}

// Capture returns a copy of the chart stamped with the clock's time, or the injected fault.
func (s *TestChart) Capture() (camera.Frame, error) {
	s.mu.Lock()
	fault, view := s.fault, s.view
	s.mu.Unlock()
	if fault != nil {
		return camera.Frame{}, fault
	}
	if view != ptz.Home() {
		return camera.Frame{Image: s.window(view), Captured: s.clk.Now()}, nil
	}
	img := &image.YCbCr{
		Y:              append([]uint8(nil), s.base.Y...),
		Cb:             append([]uint8(nil), s.base.Cb...),
		Cr:             append([]uint8(nil), s.base.Cr...),
		YStride:        s.base.YStride,
		CStride:        s.base.CStride,
		SubsampleRatio: s.base.SubsampleRatio,
		Rect:           s.base.Rect,
	}
	return camera.Frame{Image: img, Captured: s.clk.Now()}, nil
}

// Reference is the chart as the sensor sees it now (through its view): the ground truth a scenario
// compares outputs with.
func (s *TestChart) Reference() *image.YCbCr {
	s.mu.Lock()
	view := s.view
	s.mu.Unlock()
	f, _ := (&TestChart{clk: s.clk, base: s.base, view: view}).Capture()
	return f.Image
}

// Fail makes every following capture fail with err (nil heals the sensor).
func (s *TestChart) Fail(err error) {
	s.mu.Lock()
	s.fault = err
	s.mu.Unlock()
}

// window renders the view's part of the chart at frame size (nearest sample, per plane).
func (s *TestChart) window(v ptz.View) *image.YCbCr {
	g := s.Geometry()
	x, y, w, h := g.Window(v)
	out := image.NewYCbCr(s.base.Rect, image.YCbCrSubsampleRatio420)
	fw, fh := g.FrameW, g.FrameH
	for py := range fh {
		sy := int(y + (float64(py)+0.5)*h/float64(fh))
		for px := range fw {
			sx := int(x + (float64(px)+0.5)*w/float64(fw))
			out.Y[py*out.YStride+px] = s.base.Y[sy*s.base.YStride+sx]
		}
	}
	for py := range fh / 2 {
		sy := int(y/2 + (float64(py)+0.5)*h/float64(fh))
		for px := range fw / 2 {
			sx := int(x/2 + (float64(px)+0.5)*w/float64(fw))
			out.Cb[py*out.CStride+px] = s.base.Cb[sy*s.base.CStride+sx]
			out.Cr[py*out.CStride+px] = s.base.Cr[sy*s.base.CStride+sx]
		}
	}
	return out
}
