package scene

import (
	"math"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// feetOf is where a person's feet are, from their box in scene fractions.
func feetOf(b Box) Point { return Point{X: b.X + b.W/2, Y: b.Y + b.H} }

func personAt(s *Scene, id int, at time.Duration) (Person, bool) {
	for _, p := range s.People(at) {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

func TestPeopleFollowTheirPaths(t *testing.T) {
	g := NewWithT(t)
	corridor := fixture(g, "corridor", 1)
	// Person 1 walks from x -0.05 to 1.05 at 0.1 widths/s from 0 s: at the centre at 5.5 s.
	p, ok := personAt(corridor, 1, 5500*time.Millisecond)
	g.Expect(ok).To(BeTrue())
	g.Expect(feetOf(p.Box).X).To(BeNumerically("~", 0.5, 1e-9))
	g.Expect(feetOf(p.Box).Y).To(BeNumerically("~", 0.88, 1e-9))
	g.Expect(p.Box.W).To(Equal(0.06))
	g.Expect(p.Box.H).To(Equal(0.5))
	p, _ = personAt(corridor, 1, 0)
	g.Expect(feetOf(p.Box).X).To(BeNumerically("~", -0.05, 1e-9), "at the first point at the start time")
	// Person 2 walks right to left from 2 s at 0.125 widths/s.
	p, _ = personAt(corridor, 2, 6400*time.Millisecond)
	g.Expect(feetOf(p.Box).X).To(BeNumerically("~", 0.5, 1e-9))
	_, ok = personAt(corridor, 2, 1999*time.Millisecond)
	g.Expect(ok).To(BeFalse(), "absent before the start")
	_, ok = personAt(corridor, 1, 11*time.Second)
	g.Expect(ok).To(BeFalse(), "gone at the end of a walk that does not loop")
	_, ok = personAt(corridor, 1, 10999*time.Millisecond)
	g.Expect(ok).To(BeTrue())

	lobby := fixture(g, "lobby", 1)
	// Person 2 starts at 1.5 s; its first leg, (1.05, 0.95) → (0.55, 0.88), has its vertical part
	// scaled by 720/1280; at 0.06 widths/s it reaches the corner at that length / 0.06.
	leg := math.Sqrt(0.5*0.5 + (0.07*0.5625)*(0.07*0.5625))
	corner := 1500*time.Millisecond + time.Duration(leg/0.06*1e9)
	p, _ = personAt(lobby, 2, corner)
	g.Expect(feetOf(p.Box).X).To(BeNumerically("~", 0.55, 1e-6))
	g.Expect(feetOf(p.Box).Y).To(BeNumerically("~", 0.88, 1e-6))
	// Looping: person 1 takes 1.1/0.08 = 13.75 s per pass and is where it was a pass earlier.
	for _, at := range []time.Duration{0, 2 * time.Second, 13 * time.Second} {
		a, _ := personAt(lobby, 1, at)
		b, ok := personAt(lobby, 1, at+13750*time.Millisecond)
		g.Expect(ok).To(BeTrue())
		g.Expect(b.Box.X).To(BeNumerically("~", a.Box.X, 1e-9), "at %v", at)
	}

	panorama := fixture(g, "panorama", 1)
	for _, at := range []time.Duration{0, time.Minute, 24 * time.Hour} {
		p, ok := personAt(panorama, 3, at)
		g.Expect(ok).To(BeTrue())
		g.Expect(feetOf(p.Box).X).To(BeNumerically("~", 0.3, 1e-12), "the standing person stays put")
		g.Expect(feetOf(p.Box).Y).To(BeNumerically("~", 0.78, 1e-12))
	}
}

// TestTruthFollowsThePeople checks that Render's truth puts each person where Scene.People says,
// to within the even-pixel snapping.
func TestTruthFollowsThePeople(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "lobby", 1)
	for _, at := range []time.Duration{2 * time.Second, 7 * time.Second, 30 * time.Second} {
		_, truth := s.Render(nil, at, View{}, 1280, 720)
		for _, p := range truth.People {
			want, ok := personAt(s, p.ID, at)
			g.Expect(ok).To(BeTrue())
			if p.Box.Y+p.Box.H >= 1 || p.Box.X <= 0 || p.Box.X+p.Box.W >= 1 {
				continue // clipped at an edge
			}
			g.Expect(feetOf(p.Box).X).To(BeNumerically("~", feetOf(want.Box).X, 2.0/1280))
			g.Expect(feetOf(p.Box).Y).To(BeNumerically("~", feetOf(want.Box).Y, 2.0/720))
		}
	}
}

// TestCorridorCounts checks the counts the corridor fixture promises: crossings of the centre line
// x = 0.5, three left→right (ids 1, 3, 4) and two right→left (ids 2, 5), everyone gone by 31 s.
func TestCorridorCounts(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "corridor", 1)
	side := map[int]float64{}
	right, left := []int{}, []int{}
	for at := time.Duration(0); at <= 40*time.Second; at += 100 * time.Millisecond {
		for _, p := range s.People(at) {
			x := feetOf(p.Box).X
			if was, ok := side[p.ID]; ok && (was < 0.5) != (x < 0.5) {
				if x >= 0.5 {
					right = append(right, p.ID)
				} else {
					left = append(left, p.ID)
				}
			}
			side[p.ID] = x
		}
	}
	g.Expect(right).To(Equal([]int{1, 3, 4}))
	g.Expect(left).To(Equal([]int{2, 5}))
	g.Expect(s.People(31 * time.Second)).To(BeEmpty())
	g.Expect(s.People(30 * time.Second)).To(HaveLen(1))
}

func TestFeetAtExtremeTimes(t *testing.T) {
	g := NewWithT(t)
	s, err := New(Spec{Width: 64, Height: 64, Texture: TextureNoise, People: []Path{
		{ID: 1, Points: []Point{{0, 0.5}, {1, 0.5}}, Speed: 0.3, Start: -24 * time.Hour, Loop: true, Size: Point{0.1, 0.2}},
		{ID: 2, Points: []Point{{0, 0.5}, {1, 0.5}}, Speed: 0.3, Start: -24 * time.Hour, Size: Point{0.1, 0.2}},
	}}, 0)
	g.Expect(err).NotTo(HaveOccurred())
	late := s.People(math.MaxInt64)
	g.Expect(late).To(HaveLen(1), "only the looping person is still walking")
	g.Expect(late[0].ID).To(Equal(1))
	g.Expect(feetOf(late[0].Box).X).To(And(BeNumerically(">=", 0), BeNumerically("<=", 1)))
	g.Expect(s.People(math.MinInt64)).To(BeEmpty())
}

func TestPartCoversMostOfTheBox(t *testing.T) {
	g := NewWithT(t)
	covered := 0
	parts := map[int]int{}
	for v := range 1024 {
		for u := range 1024 {
			if p := part(u, v); p != partNone {
				covered++
				parts[p]++
			}
		}
	}
	g.Expect(float64(covered) / (1024 * 1024)).To(BeNumerically("~", 0.75, 0.03))
	g.Expect(parts).To(HaveLen(4), "hair, skin, shirt and trousers all appear")
	g.Expect(part(512, 0)).To(Equal(partHair), "the head reaches the top of the box")
	g.Expect(part(300, 10)).To(Equal(partNone), "the head is an ellipse, clear of the box's top corners")
	g.Expect(part(0, 0)).To(Equal(partNone))
	g.Expect(part(512, 1023)).To(Equal(partNone), "a gap between the legs")
	g.Expect(part(0, 400)).To(Equal(partShirt), "the torso spans the box")
}

// TestPeopleHaveFineDetail checks that a person's own texture varies pixel to pixel, which is what a
// pixelation mask over them must remove.
func TestPeopleHaveFineDetail(t *testing.T) {
	g := NewWithT(t)
	s := fixture(g, "panorama", 1)
	img, truth := s.Render(nil, 0, View{Pan: 0.3, Tilt: 0.5, Zoom: 2}, 1280, 720)
	var standing Box
	for _, p := range truth.People {
		if p.ID == 3 {
			standing = p.Box
		}
	}
	g.Expect(standing.W).To(BeNumerically(">", 0))
	b := toPixels(standing, 1280, 720)
	// The torso: from 25 % to 55 % of the box height, across its width.
	steps, n := 0, 0
	for y := b.y0 + (b.y1-b.y0)/4; y < b.y0+(b.y1-b.y0)*55/100; y++ {
		for x := b.x0; x+1 < b.x1; x++ {
			d := int(img.Y[y*img.YStride+x]) - int(img.Y[y*img.YStride+x+1])
			steps += max(d, -d)
			n++
		}
	}
	g.Expect(float64(steps)/float64(n)).To(BeNumerically(">", 4), "mean step between neighbouring pixels")
}
