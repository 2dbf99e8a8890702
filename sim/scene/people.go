package scene

import (
	"image"
	"math"
	"slices"
	"time"
)

// walk is a Path prepared for sampling: the distance along the path to each point and the time one
// pass takes, computed once in New in a fixed order so every platform gets the same positions.
type walk struct {
	Path
	cum    []float64     // cum[i] is the distance from the first point to point i, in scene widths
	period time.Duration // one pass from the first point to the last; 0 for a standing person
	look   look
	seed   uint64
}

// segLen is the length of a step in scene widths; aspect (height/width) converts the vertical part.
// The explicit conversions forbid fused multiply-adds, whose rounding differs between platforms.
func segLen(a, b Point, aspect float64) float64 {
	dx := b.X - a.X
	dy := float64((b.Y - a.Y) * aspect)
	return math.Sqrt(float64(dx*dx) + float64(dy*dy))
}

// pathLength is a path's length in scene widths for a scene of w×h pixels.
func pathLength(pts []Point, w, h int) float64 {
	aspect := float64(h) / float64(w)
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += segLen(pts[i-1], pts[i], aspect)
	}
	return total
}

func newWalk(p Path, w, h int, sceneSeed uint64) walk {
	p.Points = slices.Clone(p.Points)
	k := walk{Path: p, cum: make([]float64, len(p.Points))}
	aspect := float64(h) / float64(w)
	for i := 1; i < len(p.Points); i++ {
		k.cum[i] = k.cum[i-1] + segLen(p.Points[i-1], p.Points[i], aspect)
	}
	if len(p.Points) > 1 {
		secs := k.cum[len(k.cum)-1] / p.Speed
		k.period = max(time.Duration(math.Round(float64(secs*1e9))), 1)
	}
	k.seed = hash(p.ID, 0x5eed, sceneSeed)
	k.look = newLook(k.seed)
	return k
}

// feet is where the person's feet are at scene time t, and whether they are in the scene then.
func (k *walk) feet(t time.Duration) (Point, bool) {
	if t < k.Start {
		return Point{}, false
	}
	if k.period == 0 {
		return k.Points[0], true
	}
	var el time.Duration
	if k.Loop {
		// Reduce before subtracting so that no time, however far out, overflows.
		el = (t%k.period - k.Start%k.period) % k.period
		if el < 0 {
			el += k.period
		}
	} else {
		el = t - k.Start
		if el < 0 || el >= k.period { // el < 0: the subtraction overflowed, the walk is long over
			return Point{}, false
		}
	}
	d := float64(float64(el) / 1e9 * k.Speed)
	last := len(k.cum) - 1
	for i := 1; i <= last; i++ {
		if d < k.cum[i] {
			a, b := k.Points[i-1], k.Points[i]
			f := (d - k.cum[i-1]) / (k.cum[i] - k.cum[i-1])
			return Point{X: a.X + float64((b.X-a.X)*f), Y: a.Y + float64((b.Y-a.Y)*f)}, true
		}
	}
	return k.Points[last], true
}

// box is the person's box in scene fractions when their feet are at f: centred on the feet
// horizontally, standing on them.
func (k *walk) box(f Point) Box {
	return Box{X: f.X - float64(k.Size.X/2), Y: f.Y - k.Size.Y, W: k.Size.X, H: k.Size.Y}
}

// People is the ground truth in scene fractions at scene time t: everyone walking then, sorted by id,
// whatever a camera sees. Boxes are not clipped (a person stepping in from the edge has a box partly
// outside 0..1). Analytics checks (a person crossed a line in the scene) and PTZ checks use it; Render's
// Truth gives the same people as seen through a view.
func (s *Scene) People(t time.Duration) []Person {
	var out []Person
	for i := range s.walks {
		k := &s.walks[i]
		if f, ok := k.feet(t); ok {
			out = append(out, Person{ID: k.ID, Box: k.box(f)})
		}
	}
	slices.SortFunc(out, func(a, b Person) int { return a.ID - b.ID })
	return out
}

// look is a person's colours in Y'CbCr.
type look struct{ hair, skin, shirt, trousers [3]int }

func newLook(seed uint64) look {
	b := func(shift uint, n int) int { return int((seed >> shift) % uint64(n)) }
	return look{
		hair:     [3]int{20 + b(0, 60), 118 + b(6, 16), 126 + b(12, 20)},
		skin:     [3]int{110 + b(18, 80), 100 + b(24, 20), 135 + b(30, 30)},
		shirt:    [3]int{60 + b(36, 140), 58 + b(44, 140), 58 + b(52, 140)},
		trousers: [3]int{30 + b(3, 60), 98 + b(9, 60), 98 + b(15, 60)},
	}
}

// Body parts, from part().
const (
	partNone = iota
	partHair
	partSkin
	partShirt
	partTrousers
)

// part is the body part at (u, v) in the person's box, both in 1/1024ths of the box: a head ellipse,
// a torso the full width of the box (arms at the sides) and two legs, covering about three quarters of
// the box so that the truth box is tight around the drawn person.
func part(u, v int) int {
	switch {
	case v < 224:
		du, dv := u-512, v-112
		if int64(du*du)*112*112+int64(dv*dv)*176*176 > 176*176*112*112 {
			return partNone
		}
		if v < 64 {
			return partHair
		}
		return partSkin
	case v < 608:
		return partShirt
	case (u >= 64 && u < 464) || (u >= 560 && u < 960):
		return partTrousers
	}
	return partNone
}

// colour is the person's colour for a body part at (lx, ly), the scene pixel within the person's box:
// the texture is attached to the person (it moves and scales with them) and has detail down to one
// scene pixel, so that pixelating a person visibly removes it.
func (k *walk) colour(p, lx, ly int) (y, cb, cr int) {
	var c [3]int
	switch p {
	case partHair:
		c = k.look.hair
	case partSkin:
		c = k.look.skin
	case partShirt:
		c = k.look.shirt
		if (ly/3)%2 == 0 { // stripes, three scene pixels wide
			c[0] += 28
		}
	default:
		c = k.look.trousers
		if (lx/2+ly/2)%2 == 0 { // a fine check
			c[0] += 14
		}
	}
	h := hash(lx, ly, k.seed)
	return c[0] + int(h&31) - 16, c[1] + int(h>>8&7) - 4, c[2] + int(h>>16&7) - 4
}

// frameBox is a person's box in frame pixels, even on every edge so that the 4:2:0 chroma samples the
// person touches lie inside it, and not clipped to the frame.
type frameBox struct{ x0, y0, x1, y1 int }

// draw paints the person over dst inside the box clipped to clip. xs and ys map frame columns and rows
// to scene pixels (unclamped); ox, oy is the scene pixel of the person's box corner.
func (k *walk) draw(dst *image.YCbCr, b, clip frameBox, xs, ys []int, ox, oy int) {
	bw, bh := b.x1-b.x0, b.y1-b.y0
	for y := clip.y0; y < clip.y1; y++ {
		v := frac(y-b.y0, bh)
		row := dst.Y[y*dst.YStride:]
		ly := ys[y] - oy
		for x := clip.x0; x < clip.x1; x++ {
			p := part(frac(x-b.x0, bw), v)
			if p == partNone {
				continue
			}
			yv, _, _ := k.colour(p, xs[x]-ox, ly)
			row[x] = clampY(yv)
		}
	}
	for cy := clip.y0 / 2; cy < clip.y1/2; cy++ {
		y := 2 * cy
		v := frac(y-b.y0, bh)
		ly := ys[y] - oy
		off := cy * dst.CStride
		for cx := clip.x0 / 2; cx < clip.x1/2; cx++ {
			x := 2 * cx
			p := part(frac(x-b.x0, bw), v)
			if p == partNone {
				continue
			}
			_, cb, cr := k.colour(p, xs[x]-ox, ly)
			dst.Cb[off+cx] = clampC(cb)
			dst.Cr[off+cx] = clampC(cr)
		}
	}
}

// frac is d/size in 1/1024ths, in 64 bits so that a huge box (a person far off screen at high zoom)
// cannot overflow.
func frac(d, size int) int {
	return int(int64(d) * 1024 / int64(size))
}
