package scene

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/fixtures"
)

// fixture builds one of the embedded scenes for a world seed.
func fixture(g Gomega, name string, worldSeed int64) *Scene {
	spec, err := Load(fixtures.Scenes(), name)
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	s, err := New(spec, worldSeed)
	g.ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return s
}

func planes(img *image.YCbCr) [3][]byte { return [3][]byte{img.Y, img.Cb, img.Cr} }

func digest(img *image.YCbCr) string {
	h := sha256.New()
	for _, p := range planes(img) {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestRenderIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	a, b := fixture(g, "lobby", 7), fixture(g, "lobby", 7)
	for _, v := range []View{{}, {Pan: 0.4, Tilt: 0.6, Zoom: 1.7}} {
		imgA, truthA := a.Render(nil, 4200*time.Millisecond, v, 1280, 720)
		imgB, truthB := b.Render(nil, 4200*time.Millisecond, v, 1280, 720)
		g.Expect(planes(imgA)).To(Equal(planes(imgB)), "the same scene, seed, time and view give the same bytes")
		g.Expect(truthA).To(Equal(truthB))
		g.Expect(truthA.People).NotTo(BeEmpty())
	}
}

// TestRenderGolden pins the bytes of a few frames, so that a change to the pictures is deliberate and
// a platform that renders differently (fused multiply-adds, int size) fails here rather than in a
// scenario. Update the digests when the pictures are changed on purpose. This machine cannot run
// other architectures; that none fuses a multiply-add shows in the assembly:
// GOARCH=arm64 go build -gcflags=-S ./sim/scene 2>&1 | grep -E 'FN?M(ADD|SUB)D' finds nothing.
func TestRenderGolden(t *testing.T) {
	g := NewWithT(t)
	lobby, panorama := fixture(g, "lobby", 1), fixture(g, "panorama", 1)
	fixed, _ := lobby.Render(nil, 5*time.Second, View{}, 640, 360)
	ptz, _ := panorama.Render(nil, 12*time.Second, View{Pan: 0.31, Tilt: 0.55, Zoom: 2.5}, 640, 360)
	g.Expect(digest(fixed)).To(Equal("388af17205a5ab620dd727ceff3032c911c8a32afc8a5c03865aadc29cb2754a"))
	g.Expect(digest(ptz)).To(Equal("53d96c75e47af7c9eeaa45cdc380610e1e18e5c888d7d0e8a9a4ae31c73e70fe"))
}

func TestWorldSeedChangesTheTexture(t *testing.T) {
	g := NewWithT(t)
	one, _ := fixture(g, "lobby", 1).render(nil, 0, View{}, 640, 360, false)
	two, _ := fixture(g, "lobby", 2).render(nil, 0, View{}, 640, 360, false)
	differ := 0
	for i := range one.Y {
		if one.Y[i] != two.Y[i] {
			differ++
		}
	}
	g.Expect(float64(differ)/float64(len(one.Y))).To(BeNumerically(">", 0.9), "another world, another texture")
}

// differs says whether frame pixel (x, y) differs between a and b in Y' or in its chroma sample.
func differs(a, b *image.YCbCr, x, y int) bool {
	yi, ci := y*a.YStride+x, (y/2)*a.CStride+x/2
	return a.Y[yi] != b.Y[yi] || a.Cb[ci] != b.Cb[ci] || a.Cr[ci] != b.Cr[ci]
}

type pixelBox struct{ x0, y0, x1, y1 int }

// toPixels turns a truth box back into frame pixels (it was made from whole pixels).
func toPixels(b Box, w, h int) pixelBox {
	r := func(f float64, n int) int { return int(f*float64(n) + 0.5) }
	return pixelBox{r(b.X, w), r(b.Y, h), r(b.X+b.W, w), r(b.Y+b.H, h)}
}

func (p pixelBox) has(x, y int) bool { return x >= p.x0 && x < p.x1 && y >= p.y0 && y < p.y1 }

// TestTruthBoxesMatchThePixels renders each frame with and without its people: every pixel the
// people change lies in a truth box, and every person fully in frame changes most of their box.
func TestTruthBoxesMatchThePixels(t *testing.T) {
	cases := []struct {
		scene string
		at    time.Duration
		view  View
		w, h  int
	}{
		{"lobby", 6 * time.Second, View{}, 1280, 720},
		{"lobby", 9 * time.Second, View{}, 640, 360},
		{"lobby", 21 * time.Second, View{Pan: 0.5, Tilt: 0.7, Zoom: 1.5}, 1280, 720},
		{"corridor", 6 * time.Second, View{}, 1280, 720},
		{"corridor", 19 * time.Second, View{}, 640, 480},
		{"panorama", 10 * time.Second, View{}, 1280, 720},
		{"panorama", 10 * time.Second, View{Pan: 0.3, Tilt: 0.5, Zoom: 2}, 1280, 720},
		{"panorama", 47 * time.Second, View{Pan: 0.78, Tilt: 0.6, Zoom: 1.2}, 1280, 720},
	}
	whole := 0
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%v/%+v/%dx%d", c.scene, c.at, c.view, c.w, c.h), func(t *testing.T) {
			g := NewWithT(t)
			s := fixture(g, c.scene, 3)
			with, truth := s.render(nil, c.at, c.view, c.w, c.h, true)
			without, truthWithout := s.render(nil, c.at, c.view, c.w, c.h, false)
			g.Expect(truthWithout).To(Equal(truth), "the truth does not depend on drawing")
			g.Expect(truth.T).To(Equal(c.at))
			g.Expect(truth.View).To(Equal(c.view))
			g.Expect(truth.People).NotTo(BeEmpty())
			boxes := make([]pixelBox, len(truth.People))
			for i, p := range truth.People {
				boxes[i] = toPixels(p.Box, c.w, c.h)
				g.Expect(boxes[i].x1).To(BeNumerically(">", boxes[i].x0))
				g.Expect(boxes[i].y1).To(BeNumerically(">", boxes[i].y0))
			}
			changed := make([]int, len(boxes))
			for y := range c.h {
				for x := range c.w {
					if !differs(with, without, x, y) {
						continue
					}
					inside := false
					for i, b := range boxes {
						if b.has(x, y) {
							inside = true
							changed[i]++
						}
					}
					g.Expect(inside).To(BeTrue(), "pixel %d,%d changed outside every truth box %+v", x, y, truth.People)
				}
			}
			for i, b := range boxes {
				if b.x0 == 0 || b.y0 == 0 || b.x1 == c.w || b.y1 == c.h {
					continue // clipped: only part of the person shows
				}
				whole++
				area := (b.x1 - b.x0) * (b.y1 - b.y0)
				g.Expect(float64(changed[i])/float64(area)).To(BeNumerically(">", 0.65),
					"person %d covers most of their box %+v", truth.People[i].ID, b)
			}
		})
	}
	if whole < 8 {
		t.Fatalf("only %d whole people checked; the cases no longer show people fully in frame", whole)
	}
}

func TestFixedCameraAtSceneSizeShowsTheScenePixels(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "lobby", 1)
	img, _ := s.render(nil, 0, View{}, 1280, 720, false)
	g.Expect(planes(img)).To(Equal(planes(s.bg)))
	img, _ = s.render(nil, 0, View{Pan: 0.5, Tilt: 0.5, Zoom: 1}, 1280, 720, false)
	g.Expect(planes(img)).To(Equal(planes(s.bg)), "zoom 1 on a 16:9 scene in a 16:9 frame is the whole scene")
}

func TestWindowBeyondTheSceneIsBlack(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "lobby", 1)
	img, _ := s.render(nil, 0, View{Pan: 0.5, Tilt: 0.5, Zoom: 1}, 2560, 720, false)
	for _, y := range []int{0, 359, 719} {
		for _, x := range []int{0, 639, 1920, 2559} {
			g.Expect(img.Y[y*img.YStride+x]).To(Equal(uint8(16)))
			g.Expect(img.Cb[(y/2)*img.CStride+x/2]).To(Equal(uint8(128)))
			g.Expect(img.Cr[(y/2)*img.CStride+x/2]).To(Equal(uint8(128)))
		}
		g.Expect(img.Y[y*img.YStride+640:y*img.YStride+1920]).To(Equal(s.bg.Y[y*s.bg.YStride:y*s.bg.YStride+1280]), "the scene in the middle, 1:1")
	}
}

func TestRenderReusesAFittingImage(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "corridor", 1)
	fresh, _ := s.Render(nil, 3*time.Second, View{}, 640, 360)
	dst := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	for i := range dst.Y {
		dst.Y[i] = 99
	}
	got, _ := s.Render(dst, 3*time.Second, View{}, 640, 360)
	g.Expect(got).To(BeIdenticalTo(dst))
	g.Expect(planes(got)).To(Equal(planes(fresh)), "nothing of the old picture survives")
	for _, other := range []*image.YCbCr{
		image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420),
		image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio444),
	} {
		got, _ = s.Render(other, 3*time.Second, View{}, 640, 360)
		g.Expect(got).NotTo(BeIdenticalTo(other))
		g.Expect(planes(got)).To(Equal(planes(fresh)))
	}
}

func TestCheckFrameSize(t *testing.T) {
	g := NewWithT(t)
	g.Expect(CheckFrameSize(2, 2)).To(Succeed())
	g.Expect(CheckFrameSize(8192, 4320)).To(Succeed())
	for _, sz := range [][2]int{{0, 0}, {641, 360}, {640, 361}, {8194, 2}, {-2, 2}} {
		g.Expect(CheckFrameSize(sz[0], sz[1])).To(MatchError(ContainSubstring("must be even")), "%v", sz)
	}
	s := fixture(g, "lobby", 1)
	g.Expect(func() { s.Render(nil, 0, View{}, 641, 360) }).To(PanicWith(ContainSubstring("641x360")))
}

func TestSize(t *testing.T) {
	g := NewWithT(t)
	w, h := fixture(g, "panorama", 1).Size()
	g.Expect([]int{w, h}).To(Equal([]int{3840, 1080}))
}

// BenchmarkRender720p is the sensor's per-frame cost: a fixed camera on the lobby (rows copied) and a
// PTZ window on the panorama (every pixel looked up).
func BenchmarkRender720p(b *testing.B) {
	for _, c := range []struct {
		name, scene string
		view        View
	}{{"fixed", "lobby", View{}}, {"ptz", "panorama", View{Pan: 0.4, Tilt: 0.5, Zoom: 1.3}}} {
		b.Run(c.name, func(b *testing.B) {
			spec, err := Load(fixtures.Scenes(), c.scene)
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(spec, 1)
			if err != nil {
				b.Fatal(err)
			}
			var dst *image.YCbCr
			at := time.Duration(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				dst, _ = s.Render(dst, at, c.view, 1280, 720)
				at += 40 * time.Millisecond
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

func TestRenderConcurrently(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "lobby", 1)
	want, _ := s.Render(nil, time.Second, View{Pan: 0.6, Tilt: 0.5, Zoom: 1.5}, 320, 180)
	done := make(chan *image.YCbCr)
	for range 4 {
		go func() {
			img, _ := s.Render(nil, time.Second, View{Pan: 0.6, Tilt: 0.5, Zoom: 1.5}, 320, 180)
			done <- img
		}()
	}
	for range 4 {
		g.Expect(planes(<-done)).To(Equal(planes(want)), "a Scene is shared by concurrent renders")
	}
}
