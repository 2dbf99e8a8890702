package ptz

import (
	"testing"

	. "github.com/onsi/gomega"
)

var pano = Geometry{SceneW: 3840, SceneH: 1080, FrameW: 1280, FrameH: 720}

func TestHomeViewShowsTheMiddleAtFullHeight(t *testing.T) {
	g := NewWithT(t)
	x, y, w, h := pano.Window(Home())
	g.Expect([]float64{x, y, w, h}).To(Equal([]float64{960, 0, 1920, 1080}))
}

func TestAZoneStaysOnItsSceneAreaWhenPanning(t *testing.T) {
	g := NewWithT(t)
	zone := [4]float64{0.5, 0.25, 0.05, 0.2} // scene fractions
	a, ok := pano.SceneToFrame(Home(), zone)
	g.Expect(ok).To(BeTrue())
	right := View{Pan: 0.55, Tilt: 0.5, Zoom: 1}
	b, ok := pano.SceneToFrame(right, zone)
	g.Expect(ok).To(BeTrue())
	g.Expect(b[0]).To(BeNumerically("<", a[0]), "panning right moves the zone left in the frame")
	g.Expect(b[2]).To(BeNumerically("~", a[2], 1e-9), "same size at the same zoom")
	// The zone's scene centre is where the frame says it is.
	sx, sy := pano.FrameToScene(right, b[0]+b[2]/2, b[1]+b[3]/2)
	g.Expect(sx).To(BeNumerically("~", 0.525, 1e-9))
	g.Expect(sy).To(BeNumerically("~", 0.35, 1e-9))
	// Zooming in doubles its size in the frame.
	z, ok := pano.SceneToFrame(View{Pan: 0.525, Tilt: 0.35, Zoom: 2}, zone)
	g.Expect(ok).To(BeTrue())
	g.Expect(z[2]).To(BeNumerically("~", 2*a[2], 1e-9))
	// Out of view.
	_, ok = pano.SceneToFrame(View{Pan: 0, Tilt: 0.5, Zoom: 1}, zone)
	g.Expect(ok).To(BeFalse())
}

func TestWindowStaysInsideTheScene(t *testing.T) {
	g := NewWithT(t)
	x, y, w, h := pano.Window(View{Pan: 1, Tilt: 1, Zoom: 2})
	g.Expect(x + w).To(BeNumerically("~", 3840, 1e-9))
	g.Expect(y + h).To(BeNumerically("~", 1080, 1e-9))
	wide := Geometry{SceneW: 1000, SceneH: 1000, FrameW: 1600, FrameH: 400}
	x, _, w, h = wide.Window(Home())
	g.Expect(w/h).To(BeNumerically("~", 4, 1e-9), "the frame's aspect ratio")
	g.Expect(x).To(BeNumerically("~", -1500, 1e-9), "a window wider than the scene is centred on it")
}

func TestValidate(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Home().Validate()).To(Succeed())
	g.Expect(View{Pan: 1.1, Tilt: 0.5, Zoom: 1}.Validate()).To(MatchError(HavePrefix("pan")))
	g.Expect(View{Pan: 0.5, Tilt: -0.1, Zoom: 1}.Validate()).To(MatchError(HavePrefix("tilt")))
	g.Expect(View{Pan: 0.5, Tilt: 0.5, Zoom: 0.5}.Validate()).To(MatchError(HavePrefix("zoom")))
}
