package scene

import (
	"math"
	"testing"

	. "github.com/onsi/gomega"
)

const near = 1e-9

func TestViewMappingRoundTrips(t *testing.T) {
	g := NewWithT(t)
	views := []View{{}, {Pan: 0.5, Tilt: 0.5, Zoom: 1}, {Pan: 0.3, Tilt: 0.6, Zoom: 2}, {Pan: 0.9, Tilt: 0.1, Zoom: 5.5}, {Pan: 0, Tilt: 1, Zoom: 64}}
	boxes := []Box{{0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}, {0.45, 0.5, 0.01, 0.02}, {-0.2, 0.9, 0.5, 0.3}}
	sizes := [][4]int{{3840, 1080, 1280, 720}, {1280, 720, 1280, 720}, {1280, 720, 640, 480}, {640, 480, 1920, 1080}}
	for _, v := range views {
		for _, b := range boxes {
			for _, sz := range sizes {
				f := v.SceneToFrame(b, sz[0], sz[1], sz[2], sz[3])
				back := v.FrameToScene(f, sz[0], sz[1], sz[2], sz[3])
				g.Expect(back.X).To(BeNumerically("~", b.X, near), "%+v %+v %v", v, b, sz)
				g.Expect(back.Y).To(BeNumerically("~", b.Y, near))
				g.Expect(back.W).To(BeNumerically("~", b.W, near))
				g.Expect(back.H).To(BeNumerically("~", b.H, near))
			}
		}
	}
}

func TestFixedViewShowsTheWholeScene(t *testing.T) {
	g := NewWithT(t)
	whole := Box{0, 0, 1, 1}
	g.Expect(View{}.SceneToFrame(whole, 3840, 1080, 1280, 720)).To(Equal(whole), "a fixed camera sees all of a panorama")
	g.Expect(View{Pan: 0.2, Tilt: 0.9}.SceneToFrame(Box{0.25, 0.5, 0.5, 0.25}, 3840, 1080, 640, 360)).To(Equal(Box{0.25, 0.5, 0.5, 0.25}),
		"zoom 0 ignores pan and tilt")
}

func TestPanMovesSceneBoxesTheOtherWay(t *testing.T) {
	g := NewWithT(t)
	zone := Box{0.45, 0.4, 0.05, 0.2} // a privacy zone on the panorama
	var last float64 = math.Inf(1)
	for _, pan := range []float64{0.3, 0.4, 0.5, 0.6, 0.7} {
		f := View{Pan: pan, Tilt: 0.5, Zoom: 1}.SceneToFrame(zone, 3840, 1080, 1280, 720)
		g.Expect(f.X).To(BeNumerically("<", last), "panning right moves the zone left on screen")
		if !math.IsInf(last, 1) {
			// At zoom 1 the window is 1920 scene pixels wide: a 0.1 pan (384 px) is 0.2 of the frame.
			g.Expect(last - f.X).To(BeNumerically("~", 0.2, near))
		}
		g.Expect(f.W).To(BeNumerically("~", 0.1, near), "the zone keeps its size while panning")
		g.Expect(f.Y).To(BeNumerically("~", 0.4, near))
		last = f.X
	}
	up := View{Pan: 0.5, Tilt: 0.3, Zoom: 2}.SceneToFrame(zone, 3840, 1080, 1280, 720)
	down := View{Pan: 0.5, Tilt: 0.7, Zoom: 2}.SceneToFrame(zone, 3840, 1080, 1280, 720)
	g.Expect(down.Y).To(BeNumerically("<", up.Y), "tilting down moves the zone up on screen")
}

func TestZoomTwoHalvesTheWindow(t *testing.T) {
	g := NewWithT(t)
	frame := Box{0, 0, 1, 1}
	one := View{Pan: 0.5, Tilt: 0.5, Zoom: 1}.FrameToScene(frame, 3840, 1080, 1280, 720)
	two := View{Pan: 0.5, Tilt: 0.5, Zoom: 2}.FrameToScene(frame, 3840, 1080, 1280, 720)
	g.Expect(one).To(Equal(Box{0.25, 0, 0.5, 1}), "zoom 1: the full height, 16:9 of it wide")
	g.Expect(two.W).To(BeNumerically("~", one.W/2, near))
	g.Expect(two.H).To(BeNumerically("~", one.H/2, near))
	g.Expect(two.X+two.W/2).To(BeNumerically("~", 0.5, near), "zooming keeps the centre")
	g.Expect(two.Y + two.H/2).To(BeNumerically("~", 0.5, near))
}

func TestViewIsClampedToTheScene(t *testing.T) {
	g := NewWithT(t)
	frame := Box{0, 0, 1, 1}
	at := func(v View) Box { return v.FrameToScene(frame, 3840, 1080, 1280, 720) }
	g.Expect(at(View{Pan: -3, Tilt: 0.5, Zoom: 1}).X).To(Equal(0.0), "a pan past the left edge stops at the edge")
	g.Expect(at(View{Pan: 0.1, Tilt: 0.5, Zoom: 1})).To(Equal(at(View{Pan: 0, Tilt: 0.5, Zoom: 1})))
	right := at(View{Pan: 2, Tilt: 0.5, Zoom: 1})
	g.Expect(right.X + right.W).To(BeNumerically("~", 1, near))
	g.Expect(at(View{Pan: 0.5, Tilt: 0.9, Zoom: 1})).To(Equal(at(View{Pan: 0.5, Tilt: 0.1, Zoom: 1})), "zoom 1 shows the full height: tilt has nowhere to go")
	g.Expect(at(View{Pan: math.NaN(), Tilt: math.NaN(), Zoom: 2})).To(Equal(at(View{Pan: 0.5, Tilt: 0.5, Zoom: 2})), "NaN is the centre")
	g.Expect(at(View{Pan: 0.5, Tilt: 0.5, Zoom: 0.5})).To(Equal(at(View{Pan: 0.5, Tilt: 0.5, Zoom: 1})), "zoom below 1 is 1")
	g.Expect(at(View{Pan: 0.5, Tilt: 0.5, Zoom: math.NaN()})).To(Equal(at(View{Pan: 0.5, Tilt: 0.5, Zoom: 1})))
	g.Expect(at(View{Pan: 0.5, Tilt: 0.5, Zoom: 1e9})).To(Equal(at(View{Pan: 0.5, Tilt: 0.5, Zoom: MaxZoom})))

	// A frame wider than the scene at zoom 1: the window is centred and overhangs both sides.
	wide := View{Pan: 0.1, Tilt: 0.5, Zoom: 1}.FrameToScene(frame, 1280, 720, 2560, 720)
	g.Expect(wide).To(Equal(Box{-0.5, 0, 2, 1}))
}

func TestViewRefusesBadSizes(t *testing.T) {
	g := NewWithT(t)
	b := Box{0.1, 0.1, 0.5, 0.5}
	g.Expect(View{}.SceneToFrame(b, 0, 720, 1280, 720)).To(Equal(Box{}))
	g.Expect(View{}.FrameToScene(b, 1280, 720, 1280, -2)).To(Equal(Box{}))
}

// TestRenderUsesTheViewMapping checks that the frame shows, at each place, the scene pixel that
// FrameToScene says is there: the PTZ privacy zones rely on the mapping being the rendering's.
func TestRenderUsesTheViewMapping(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "panorama", 1)
	for _, v := range []View{{}, {Pan: 0.3, Tilt: 0.4, Zoom: 2}, {Pan: 0.77, Tilt: 0.5, Zoom: 1.3}, {Pan: 0.5, Tilt: 0.5, Zoom: 7}} {
		const w, h = 640, 360
		img, _ := s.render(nil, 0, v, w, h, false)
		for _, p := range [][2]int{{0, 0}, {17, 301}, {320, 180}, {639, 359}, {500, 3}} {
			pixel := Box{X: (float64(p[0]) + 0.5) / w, Y: (float64(p[1]) + 0.5) / h}
			sb := v.FrameToScene(pixel, 3840, 1080, w, h)
			// A pixel centre can fall exactly on a scene pixel's edge, where the mapping's last-bit
			// rounding decides; the renderer computes that edge exactly, so nudge past it.
			sx, sy := int(math.Floor(sb.X*3840+1e-7)), int(math.Floor(sb.Y*1080+1e-7))
			g.Expect(img.Y[p[1]*img.YStride+p[0]]).To(Equal(s.bg.Y[sy*s.bg.YStride+sx]), "view %+v frame pixel %v ↔ scene pixel %d,%d", v, p, sx, sy)
		}
	}
}
