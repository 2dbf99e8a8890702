// Package ptz is the geometry of a pan-tilt-zoom camera: which part of its whole field (the "scene",
// a panorama) the current view shows, and how a rectangle fixed in the scene lands in the frame.
//
// The move model's privacy zones are fixed in scene coordinates and mapped through the current view
// for every frame, so a zone stays on the same part of the world when the camera pans (MASK-4). The
// simulated PTZ sensor renders its views with this same geometry, so the two agree by construction.
package ptz

import (
	"fmt"
	"math"
)

// View is where the camera looks: Pan and Tilt are the centre of the view in scene fractions (0..1),
// Zoom is 1 when the view spans the scene's full height, 2 when half of it, and so on.
type View struct {
	Pan  float64 `json:"pan"`
	Tilt float64 `json:"tilt"`
	Zoom float64 `json:"zoom"`
}

// Home is the view at power-on: centred, fully zoomed out.
func Home() View { return View{Pan: 0.5, Tilt: 0.5, Zoom: 1} }

// MaxZoom is the strongest zoom.
const MaxZoom = 8

// Validate checks a requested view.
func (v View) Validate() error {
	switch {
	case !(v.Pan >= 0 && v.Pan <= 1):
		return fmt.Errorf("pan: must be between 0 and 1")
	case !(v.Tilt >= 0 && v.Tilt <= 1):
		return fmt.Errorf("tilt: must be between 0 and 1")
	case !(v.Zoom >= 1 && v.Zoom <= MaxZoom):
		return fmt.Errorf("zoom: must be between 1 and %d", MaxZoom)
	}
	return nil
}

// Geometry is the fixed shape of a PTZ camera: the scene's size and the frame's size, in pixels.
type Geometry struct {
	SceneW, SceneH int
	FrameW, FrameH int
}

// Window is the scene rectangle, in scene pixels, that view v shows: its height is SceneH/Zoom, its
// width follows the frame's aspect ratio, and it is moved (not shrunk) to stay inside the scene, as a
// mechanical stop would hold it. A window wider than the scene is centred on it (the lens sees past
// the scene's edges).
func (g Geometry) Window(v View) (x, y, w, h float64) {
	h = float64(g.SceneH) / v.Zoom
	w = h * float64(g.FrameW) / float64(g.FrameH)
	return place(v.Pan, float64(g.SceneW), w), place(v.Tilt, float64(g.SceneH), h), w, h
}

// place is where a window of span starts on an axis of size whose centre is asked at fraction c.
func place(c, size, span float64) float64 {
	if span >= size {
		return (size - span) / 2
	}
	return clamp(c*size-span/2, 0, size-span)
}

// SceneToFrame maps a rectangle [x, y, w, h] in scene fractions to frame fractions for view v,
// clipped to the frame. ok is false when none of it is in view.
func (g Geometry) SceneToFrame(v View, r [4]float64) (out [4]float64, ok bool) {
	wx, wy, ww, wh := g.Window(v)
	x0 := (r[0]*float64(g.SceneW) - wx) / ww
	y0 := (r[1]*float64(g.SceneH) - wy) / wh
	x1 := ((r[0]+r[2])*float64(g.SceneW) - wx) / ww
	y1 := ((r[1]+r[3])*float64(g.SceneH) - wy) / wh
	x0, y0 = clamp(x0, 0, 1), clamp(y0, 0, 1)
	x1, y1 = clamp(x1, 0, 1), clamp(y1, 0, 1)
	if x1 <= x0 || y1 <= y0 {
		return [4]float64{}, false
	}
	return [4]float64{x0, y0, x1 - x0, y1 - y0}, true
}

// FrameToScene maps a point in frame fractions to scene fractions for view v.
func (g Geometry) FrameToScene(v View, fx, fy float64) (sx, sy float64) {
	wx, wy, ww, wh := g.Window(v)
	return (wx + fx*ww) / float64(g.SceneW), (wy + fy*wh) / float64(g.SceneH)
}

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}
