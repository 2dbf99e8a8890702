package scene

// MaxZoom is the largest zoom a View gives; larger zooms are treated as MaxZoom, so that a wild PTZ
// command still shows a window of at least a few scene pixels.
const MaxZoom = 64

// View is the part of the scene a camera sees. The zero View (Zoom 0) is a fixed camera: the whole
// scene, stretched to the frame if the aspect ratios differ, so that a fixed camera on a panorama sees
// all of it. Otherwise the view is a PTZ window: Pan and Tilt put its centre in scene fractions, Zoom 1
// fits the whole scene height and Zoom 2 shows half the height; the window's width follows from the
// frame's aspect ratio. The window is kept inside the scene, as a PTZ head stops at its limits: a pan
// past the edge shows the edge. Only a window wider than the scene itself (a frame much wider than the
// scene) shows beyond the scene's edges, in black. Out-of-range values are clamped, not refused, because
// Render cannot fail: Pan and Tilt to 0..1 (NaN is the centre), Zoom to 1..MaxZoom (NaN is 1).
type View struct{ Pan, Tilt, Zoom float64 }

// window is the rectangle of the scene, in scene pixels, that the view shows in a frame of fw×fh.
// Every product that feeds a sum is converted explicitly, which forbids fused multiply-adds, so the
// rectangle is the same on every platform.
func (v View) window(sw, sh, fw, fh int) (x0, y0, ww, wh float64) {
	fsw, fsh := float64(sw), float64(sh)
	if v.Zoom == 0 {
		return 0, 0, fsw, fsh
	}
	zoom := v.Zoom
	if !(zoom >= 1) {
		zoom = 1
	}
	zoom = min(zoom, MaxZoom)
	wh = fsh / zoom
	ww = float64(wh*float64(fw)) / float64(fh)
	return place(v.Pan, fsw, ww), place(v.Tilt, fsh, wh), ww, wh
}

// place is where a window of span starts on an axis of size whose centre is asked at fraction c.
func place(c, size, span float64) float64 {
	if span >= size {
		return float64((size - span) / 2)
	}
	switch {
	case c != c: // NaN
		c = 0.5
	case c < 0:
		c = 0
	case c > 1:
		c = 1
	}
	o := float64(c*size) - float64(span/2)
	return min(max(o, 0), size-span)
}

// SceneToFrame maps a box in scene fractions to frame fractions as this view shows it in a frame of
// frameW×frameH, for a scene of sceneW×sceneH pixels: what a PTZ camera needs to keep a privacy zone on
// its scene area while the view moves. The result is not clipped: parts outside 0..1 are off screen.
// Sizes must be positive; otherwise the result is the zero Box.
func (v View) SceneToFrame(b Box, sceneW, sceneH, frameW, frameH int) Box {
	if sceneW <= 0 || sceneH <= 0 || frameW <= 0 || frameH <= 0 {
		return Box{}
	}
	x0, y0, ww, wh := v.window(sceneW, sceneH, frameW, frameH)
	sw, sh := float64(sceneW), float64(sceneH)
	return Box{
		X: (float64(b.X*sw) - x0) / ww,
		Y: (float64(b.Y*sh) - y0) / wh,
		W: float64(b.W*sw) / ww,
		H: float64(b.H*sh) / wh,
	}
}

// FrameToScene is the inverse of SceneToFrame: a box drawn on the frame (a privacy zone set on the live
// image) as the scene area it covers.
func (v View) FrameToScene(b Box, sceneW, sceneH, frameW, frameH int) Box {
	if sceneW <= 0 || sceneH <= 0 || frameW <= 0 || frameH <= 0 {
		return Box{}
	}
	x0, y0, ww, wh := v.window(sceneW, sceneH, frameW, frameH)
	sw, sh := float64(sceneW), float64(sceneH)
	return Box{
		X: (x0 + float64(b.X*ww)) / sw,
		Y: (y0 + float64(b.Y*wh)) / sh,
		W: float64(b.W*ww) / sw,
		H: float64(b.H*wh) / sh,
	}
}
