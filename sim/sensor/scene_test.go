package sensor

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/ptz"
	"vsslab/fixtures"
	"vsslab/sim/scene"
)

var _ camera.PTZ = (*Scene)(nil)

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { return c.t }

func newSceneSensor(t *testing.T, name string) (*Scene, *stepClock) {
	t.Helper()
	spec, err := scene.Load(fixtures.Scenes(), name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scene.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	clk := &stepClock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	s, err := NewScene(clk, sc, 320, 180)
	if err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func TestSceneSensorMovesWithTime(t *testing.T) {
	g := NewWithT(t)
	s, clk := newSceneSensor(t, "lobby")
	a, err := s.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Image.Rect.Dx()).To(Equal(320))
	g.Expect(a.Captured).To(Equal(clk.t))
	again, _ := s.Capture()
	g.Expect(again.Image.Y).To(Equal(a.Image.Y), "same time, same picture")
	img, truth, err := s.Truth()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.Y).To(Equal(a.Image.Y), "the ground truth is what the sensor captures")
	clk.t = clk.t.Add(3 * time.Second)
	b, _ := s.Capture()
	g.Expect(b.Image.Y).NotTo(Equal(a.Image.Y), "people walked")
	_, later, _ := s.Truth()
	g.Expect(later.People).NotTo(Equal(truth.People))
}

func TestSceneSensorPTZ(t *testing.T) {
	g := NewWithT(t)
	s, _ := newSceneSensor(t, "panorama")
	geo := s.Geometry()
	g.Expect(geo.SceneW).To(BeNumerically(">", geo.FrameW))
	whole, _ := s.Capture()
	g.Expect(s.SetView(ptz.View{Pan: 0.2, Tilt: 0.5, Zoom: 2})).To(Succeed())
	zoomed, _ := s.Capture()
	g.Expect(zoomed.Image.Y).NotTo(Equal(whole.Image.Y))
	g.Expect(s.SetView(ptz.View{Pan: 2, Tilt: 0.5, Zoom: 1})).To(HaveOccurred())
	s.Fail(errors.New("lens cap"))
	_, err := s.Capture()
	g.Expect(err).To(MatchError("lens cap"))
}

func TestSceneSensorTruthAtReplaysThePast(t *testing.T) {
	g := NewWithT(t)
	s, clk := newSceneSensor(t, "lobby")
	start := clk.t
	clk.t = clk.t.Add(2 * time.Second)
	then, err := s.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	_, thenTruth, _ := s.Truth()
	clk.t = clk.t.Add(5 * time.Second)
	now, _ := s.Capture()
	g.Expect(now.Image.Y).NotTo(Equal(then.Image.Y), "people walked")

	img, truth, err := s.TruthAt(then.Captured)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.Y).To(Equal(then.Image.Y), "the truth at a past time is what the sensor captured then")
	g.Expect(truth.People).To(Equal(thenTruth.People))
	img, _, err = s.TruthAt(clk.t)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.Y).To(Equal(now.Image.Y), "at now it is Truth")
	_, _, err = s.TruthAt(start)
	g.Expect(err).NotTo(HaveOccurred(), "the sensor's first instant is in range")

	_, _, err = s.TruthAt(start.Add(-time.Second))
	g.Expect(err).To(MatchError(ContainSubstring("before the sensor started")))
	_, _, err = s.TruthAt(clk.t.Add(time.Second))
	g.Expect(err).To(MatchError(ContainSubstring("after now")))
	s.Fail(errors.New("lens cap"))
	_, _, err = s.TruthAt(then.Captured)
	g.Expect(err).To(MatchError("lens cap"))
}
