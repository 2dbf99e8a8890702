package mask

import (
	"fmt"
	"image"
	"image/color"
	"time"
)

// Painter masks frames. It is made from validated masks and is safe to share between goroutines.
type Painter struct {
	masks []Mask
}

// NewPainter validates the masks and returns a painter for them.
func NewPainter(ms []Mask) (*Painter, error) {
	if err := ValidateAll(ms); err != nil {
		return nil, fmt.Errorf("masks%w", err)
	}
	return &Painter{masks: append([]Mask(nil), ms...)}, nil
}

// Placement maps a mask's rectangle to the frame: the identity for a fixed camera; a PTZ camera maps
// its scene-fixed privacy zones through the current view. It returns false when the area is not in
// view at all.
type Placement func(rect [4]float64) ([4]float64, bool)

// Apply overwrites the masked areas of img, which must be 4:2:0 YCbCr, for the masks active at t.
// It returns the pixel areas it covered (for evidence and tests).
func (p *Painter) Apply(img *image.YCbCr, t time.Time, place Placement) ([]image.Rectangle, error) {
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, fmt.Errorf("mask frame: %v is not 4:2:0", img.SubsampleRatio)
	}
	if img.Rect.Min != (image.Point{}) {
		return nil, fmt.Errorf("mask frame: the image must start at 0,0")
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var out []image.Rectangle
	for _, m := range p.masks {
		if !m.Active(t) {
			continue
		}
		rect := m.Rect
		if place != nil {
			var ok bool
			if rect, ok = place(rect); !ok {
				continue
			}
		}
		area := Area(rect, w, h)
		if area.Empty() {
			continue
		}
		switch m.Style {
		case Color:
			r, g, b, _ := parseColor(m.Color)
			fill(img, area, r, g, b)
		case Pixelate:
			pixelate(img, area, m.Tile)
		}
		out = append(out, area)
	}
	return out, nil
}

// fill paints area (even-aligned) with one colour.
func fill(img *image.YCbCr, area image.Rectangle, r, g, b uint8) {
	yy, cb, cr := color.RGBToYCbCr(r, g, b)
	for y := area.Min.Y; y < area.Max.Y; y++ {
		row := img.Y[y*img.YStride+area.Min.X : y*img.YStride+area.Max.X]
		for i := range row {
			row[i] = yy
		}
	}
	c := chroma(area)
	for y := c.Min.Y; y < c.Max.Y; y++ {
		rb := img.Cb[y*img.CStride+c.Min.X : y*img.CStride+c.Max.X]
		rr := img.Cr[y*img.CStride+c.Min.X : y*img.CStride+c.Max.X]
		for i := range rb {
			rb[i], rr[i] = cb, cr
		}
	}
}

// chroma is the 4:2:0 chroma rectangle of an even-aligned luma rectangle; an odd frame edge rounds
// up so the last chroma sample is covered too.
func chroma(r image.Rectangle) image.Rectangle {
	return image.Rect(r.Min.X/2, r.Min.Y/2, (r.Max.X+1)/2, (r.Max.Y+1)/2)
}

// pixelate sets every tile of area to its mean. Tiles sit on a frame-wide grid of size tile, so the same
// scene area gives the same tiles whatever the mask's exact edges.
func pixelate(img *image.YCbCr, area image.Rectangle, tile int) {
	for ty := area.Min.Y / tile * tile; ty < area.Max.Y; ty += tile {
		for tx := area.Min.X / tile * tile; tx < area.Max.X; tx += tile {
			t := image.Rect(tx, ty, tx+tile, ty+tile).Intersect(area)
			if t.Empty() {
				continue
			}
			flatten(img.Y, img.YStride, t)
			c := chroma(t)
			flatten(img.Cb, img.CStride, c)
			flatten(img.Cr, img.CStride, c)
		}
	}
}

// flatten replaces the samples of r in a plane by their rounded mean.
func flatten(plane []uint8, stride int, r image.Rectangle) {
	sum, n := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range plane[y*stride+r.Min.X : y*stride+r.Max.X] {
			sum += int(v)
		}
		n += r.Dx()
	}
	if n == 0 {
		return
	}
	mean := uint8((sum + n/2) / n)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := plane[y*stride+r.Min.X : y*stride+r.Max.X]
		for i := range row {
			row[i] = mean
		}
	}
}
