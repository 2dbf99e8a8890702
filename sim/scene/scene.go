// Package scene is the simulated world's picture: deterministic scenes with people walking known
// paths, and the ground truth for every frame — the image before any processing and each visible
// person's id and box. Privacy-mask scenarios compare what leaves the camera with this truth (inside a
// colour mask the output must not depend on the source; inside a pixelation mask no detail finer than a
// tile survives), analytics scenarios count the people, and PTZ scenarios check that privacy zones stay
// on their scene area as the View moves.
//
// A scene is rendered once at its own size (a wide panorama for PTZ) with fine texture everywhere and
// larger structure (walls, doors, tiles); a frame samples a window of it and draws the people on top.
// Everything is 4:2:0 Y'CbCr, as the sensor delivers, and everything is computed with integers or with
// floating point in a fixed order without fused multiply-adds, so a frame is byte-identical on every run
// and platform for the same spec, world seed, time, view and size.
package scene

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"slices"
	"time"
)

// Scene is a validated Spec with its background rendered. It is immutable, so Render may be called
// from several goroutines at once.
type Scene struct {
	w, h  int // scene size in pixels
	bg    *image.YCbCr
	walks []walk // the people, in spec order, each with its own copy of its points
}

// Truth is what a frame shows, for checking the camera's outputs against.
type Truth struct {
	// T is the scene time of the frame.
	T time.Duration
	// View is the view as passed to Render; its methods map boxes exactly as the frame was drawn.
	View View
	// People are the people in the frame, sorted by id, with boxes in frame fractions clipped to the
	// frame. A box is whole pixels: the person's scene box mapped through the view (as SceneToFrame
	// does) with each edge rounded to the nearest even pixel, the 4:2:0 chroma grid. The person is drawn
	// inside it, so none of their pixels, luma or chroma, lies outside it. A person hidden behind
	// another is still listed; one narrower or shorter than two pixels is not.
	People []Person
}

// seedOf mixes a scene's own seed with the world's, so each world sees its own texture while one
// world always sees the same.
func seedOf(spec, world int64) uint64 {
	return mix64(mix64(uint64(spec)) ^ (uint64(world) + 0x632be59bd9b4e019))
}

// New validates spec (errors are *FieldError, as from Load) and renders its background, which takes
// tens of milliseconds per megapixel: do it once per scene, not per frame.
func New(spec Spec, worldSeed int64) (*Scene, error) {
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("new scene %q: %w", spec.Name, err)
	}
	seed := seedOf(spec.Seed, worldSeed)
	bg, err := background(spec.Texture, spec.Width, spec.Height, seed)
	if err != nil {
		return nil, fmt.Errorf("new scene %q: %w", spec.Name, err)
	}
	s := &Scene{w: spec.Width, h: spec.Height, bg: bg}
	for _, p := range spec.People {
		s.walks = append(s.walks, newWalk(p, spec.Width, spec.Height, seed))
	}
	return s, nil
}

// Size is the scene's size in pixels, which View.SceneToFrame and View.FrameToScene need.
func (s *Scene) Size() (w, h int) { return s.w, s.h }

// CheckFrameSize says whether Render accepts a frame of w×h: both even (4:2:0) and 2..8192. A sensor
// checks its size with it once, at construction, because Render itself cannot return an error.
func CheckFrameSize(w, h int) error {
	if w < 2 || h < 2 || w > maxSize || h > maxSize || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("frame size %dx%d: must be even and between 2 and %d", w, h, maxSize)
	}
	return nil
}

// Render draws the frame at scene time t seen through view, scaled to w×h, into dst (reused when it is
// a 4:2:0 image of exactly w×h, else a new image is allocated) and returns it with the truth. The
// background is sampled nearest-neighbour, so a fixed camera at scene size sees the scene's pixels
// exactly. Render panics if CheckFrameSize refuses w×h, like image.NewYCbCr for a bad rectangle: the
// size is the caller's configuration, checked once, not outside input.
func (s *Scene) Render(dst *image.YCbCr, t time.Duration, view View, w, h int) (*image.YCbCr, Truth) {
	return s.render(dst, t, view, w, h, true)
}

// render is Render with the people's drawing optional, so that tests can compare a frame with its
// empty background; the truth is the same either way.
func (s *Scene) render(dst *image.YCbCr, t time.Duration, view View, w, h int, drawPeople bool) (*image.YCbCr, Truth) {
	if err := CheckFrameSize(w, h); err != nil {
		panic("scene: render: " + err.Error())
	}
	dst = fit(dst, w, h)
	x0, y0, ww, wh := view.window(s.w, s.h, w, h)
	xs, ys := samples(x0, ww, w, 1), samples(y0, wh, h, 1)
	xc, yc := samples(x0, ww, w/2, 2), samples(y0, wh, h/2, 2)
	copyPlane(dst.Y, dst.YStride, s.bg.Y, s.bg.YStride, s.w, s.h, xs, ys, 16)
	copyPlane(dst.Cb, dst.CStride, s.bg.Cb, s.bg.CStride, s.w/2, s.h/2, halve(xc), halve(yc), 128)
	copyPlane(dst.Cr, dst.CStride, s.bg.Cr, s.bg.CStride, s.w/2, s.h/2, halve(xc), halve(yc), 128)

	truth := Truth{T: t, View: view}
	type placed struct {
		k      *walk
		feetY  float64
		b, c   frameBox
		ox, oy int
	}
	var order []placed
	sw, sh := float64(s.w), float64(s.h)
	fw, fh := float64(w), float64(h)
	for i := range s.walks {
		k := &s.walks[i]
		f, ok := k.feet(t)
		if !ok {
			continue
		}
		sb := k.box(f)
		left, top := float64(sb.X*sw), float64(sb.Y*sh)
		right, bottom := left+float64(sb.W*sw), top+float64(sb.H*sh)
		b := frameBox{
			x0: even(float64((left-x0)*fw) / ww), x1: even(float64((right-x0)*fw) / ww),
			y0: even(float64((top-y0)*fh) / wh), y1: even(float64((bottom-y0)*fh) / wh),
		}
		if b.x1 <= b.x0 || b.y1 <= b.y0 {
			continue // thinner than two pixels at this zoom
		}
		c := frameBox{x0: max(b.x0, 0), y0: max(b.y0, 0), x1: min(b.x1, w), y1: min(b.y1, h)}
		if c.x1 <= c.x0 || c.y1 <= c.y0 {
			continue // out of view
		}
		order = append(order, placed{k: k, feetY: f.Y, b: b, c: c, ox: toInt(math.Floor(left)), oy: toInt(math.Floor(top))})
		truth.People = append(truth.People, Person{ID: k.ID, Box: Box{
			X: float64(c.x0) / fw, Y: float64(c.y0) / fh,
			W: float64(c.x1-c.x0) / fw, H: float64(c.y1-c.y0) / fh,
		}})
	}
	slices.SortFunc(truth.People, func(a, b Person) int { return a.ID - b.ID })
	if drawPeople {
		// Farther people (feet higher in the picture) first, so nearer ones cover them.
		slices.SortFunc(order, func(a, b placed) int {
			switch {
			case a.feetY < b.feetY:
				return -1
			case a.feetY > b.feetY:
				return 1
			}
			return a.k.ID - b.k.ID
		})
		for _, p := range order {
			p.k.draw(dst, p.b, p.c, xs, ys, p.ox, p.oy)
		}
	}
	return dst, truth
}

// fit returns dst if it is a 4:2:0 image of exactly w×h, else a new one.
func fit(dst *image.YCbCr, w, h int) *image.YCbCr {
	if dst != nil && dst.Rect == image.Rect(0, 0, w, h) && dst.SubsampleRatio == image.YCbCrSubsampleRatio420 &&
		dst.YStride >= w && dst.CStride >= w/2 && len(dst.Y) >= (h-1)*dst.YStride+w &&
		len(dst.Cb) >= (h/2-1)*dst.CStride+w/2 && len(dst.Cr) >= (h/2-1)*dst.CStride+w/2 {
		return dst
	}
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// samples maps n frame samples, each covering k frame pixels, to the scene pixel under each one's
// centre: origin o and span in scene pixels over the frame's n*k pixels. Values are not clamped to the
// scene; the people's texture needs them as they are.
func samples(o, span float64, n, k int) []int {
	out := make([]int, n)
	total := float64(n * k)
	for i := range out {
		centre := float64(i*k) + float64(float64(k)/2)
		out[i] = toInt(math.Floor(o + float64(centre*span)/total))
	}
	return out
}

// halve turns scene pixel positions into scene chroma positions (floor division).
func halve(v []int) []int {
	out := make([]int, len(v))
	for i, p := range v {
		out[i] = p >> 1
	}
	return out
}

// toInt converts a float that may be far out of range (a person far off screen at high zoom).
func toInt(f float64) int {
	return int(min(max(f, -1<<28), 1<<28))
}

// even rounds a position in frame pixels to the nearest even pixel.
func even(f float64) int {
	return 2 * toInt(math.Floor(float64(f/2)+0.5))
}

// copyPlane fills a frame plane from a scene plane through the sample tables; samples outside the
// scene get fill. A table that maps the frame 1:1 onto a row is copied at memory speed, and a frame row
// that shows the same scene row as the one above (zoomed in) is a copy of it.
func copyPlane(dst []uint8, dstStride int, src []uint8, srcStride, sw, sh int, xs, ys []int, fill uint8) {
	inside, identity := true, len(xs) <= sw
	for i, x := range xs {
		inside = inside && x >= 0 && x < sw
		identity = identity && x == xs[0]+i
	}
	for fy, sy := range ys {
		row := dst[fy*dstStride : fy*dstStride+len(xs)]
		if fy > 0 && sy == ys[fy-1] {
			copy(row, dst[(fy-1)*dstStride:])
			continue
		}
		if sy < 0 || sy >= sh {
			for i := range row {
				row[i] = fill
			}
			continue
		}
		srow := src[sy*srcStride : sy*srcStride+sw]
		switch {
		case inside && identity:
			copy(row, srow[xs[0]:])
		case inside:
			gather(row, srow, xs)
		default:
			for i, x := range xs {
				if x >= 0 && x < sw {
					row[i] = srow[x]
				} else {
					row[i] = fill
				}
			}
		}
	}
}

// gather is the inner loop of copyPlane for a row wholly inside the scene, kept small so that the
// compiler keeps it in registers.
func gather(row, srow []uint8, xs []int) {
	row = row[:len(xs)]
	i := 0
	for ; i+8 <= len(xs); i += 8 {
		x := xs[i : i+8 : i+8]
		v := uint64(srow[x[0]]) | uint64(srow[x[1]])<<8 | uint64(srow[x[2]])<<16 | uint64(srow[x[3]])<<24 |
			uint64(srow[x[4]])<<32 | uint64(srow[x[5]])<<40 | uint64(srow[x[6]])<<48 | uint64(srow[x[7]])<<56
		binary.LittleEndian.PutUint64(row[i:], v)
	}
	for ; i < len(xs); i++ {
		row[i] = srow[xs[i]]
	}
}
