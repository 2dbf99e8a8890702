package sensor

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"vsslab/camera"
	"vsslab/camera/ptz"
	"vsslab/sim/scene"
)

// Scene is the simulated image sensor looking at a scene with people walking on known paths. A fixed
// camera sees the whole scene; a PTZ camera (the move model) sees the window its view selects, with
// the same geometry as camera/ptz. Scene time is the clock's time since the sensor was made.
type Scene struct {
	clk    Clock
	sc     *scene.Scene
	epoch  time.Time
	w, h   int
	sceneW int
	sceneH int

	mu    sync.Mutex
	ptz   bool
	view  ptz.View
	fault error
}

// NewScene makes a sensor of w×h frames on sc.
func NewScene(clk Clock, sc *scene.Scene, w, h int) (*Scene, error) {
	if clk == nil || sc == nil {
		return nil, errors.New("new scene sensor: a clock and a scene are required")
	}
	if err := scene.CheckFrameSize(w, h); err != nil {
		return nil, fmt.Errorf("new scene sensor: %w", err)
	}
	sw, sh := sc.Size()
	return &Scene{clk: clk, sc: sc, epoch: clk.Now(), w: w, h: h, sceneW: sw, sceneH: sh}, nil
}

// Capture renders the frame the sensor sees now.
func (s *Scene) Capture() (camera.Frame, error) {
	img, _, now, err := s.render()
	if err != nil {
		return camera.Frame{}, err
	}
	return camera.Frame{Image: img, Captured: now}, nil
}

// Truth is the ground truth of the frame the sensor would capture now: the picture before any
// processing and the people in view.
func (s *Scene) Truth() (*image.YCbCr, scene.Truth, error) {
	img, truth, _, err := s.render()
	return img, truth, err
}

// TruthAt is the ground truth of the frame the sensor captured (or would have captured) at t: what a
// recorded frame stamped t must be compared with. It renders with the current view, since the sensor
// keeps no history of where a PTZ camera pointed. t must lie between the sensor's start and now: the
// scene does not exist for this sensor before its start (a power cycle starts a new sensor), and a
// future frame has not been seen.
func (s *Scene) TruthAt(t time.Time) (*image.YCbCr, scene.Truth, error) {
	if t.Before(s.epoch) {
		return nil, scene.Truth{}, fmt.Errorf("ground truth at %s: before the sensor started at %s", t.UTC().Format(time.RFC3339Nano), s.epoch.UTC().Format(time.RFC3339Nano))
	}
	if now := s.clk.Now(); t.After(now) {
		return nil, scene.Truth{}, fmt.Errorf("ground truth at %s: after now (%s)", t.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	img, truth, _, err := s.renderAt(t)
	return img, truth, err
}

// render renders the frame the sensor sees now.
func (s *Scene) render() (*image.YCbCr, scene.Truth, time.Time, error) {
	return s.renderAt(time.Time{})
}

// renderAt renders the frame at t, or now when t is zero.
func (s *Scene) renderAt(t time.Time) (*image.YCbCr, scene.Truth, time.Time, error) {
	s.mu.Lock()
	fault, view := s.fault, scene.View{}
	if s.ptz {
		view = scene.View{Pan: s.view.Pan, Tilt: s.view.Tilt, Zoom: s.view.Zoom}
	}
	s.mu.Unlock()
	if fault != nil {
		return nil, scene.Truth{}, time.Time{}, fault
	}
	if t.IsZero() {
		t = s.clk.Now()
	}
	img, truth := s.sc.Render(nil, t.Sub(s.epoch), view, s.w, s.h)
	return img, truth, t, nil
}

// Geometry is the PTZ geometry: the scene's and the frame's sizes.
func (s *Scene) Geometry() ptz.Geometry {
	return ptz.Geometry{SceneW: s.sceneW, SceneH: s.sceneH, FrameW: s.w, FrameH: s.h}
}

// SetView points the camera. The first call turns the sensor into a PTZ sensor; until then it shows
// the whole scene, as a fixed camera does.
func (s *Scene) SetView(v ptz.View) error {
	if err := v.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.ptz, s.view = true, v
	s.mu.Unlock()
	return nil
}

// Fail makes every following capture fail with err (nil heals the sensor).
func (s *Scene) Fail(err error) {
	s.mu.Lock()
	s.fault = err
	s.mu.Unlock()
}
