package mask

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"sync"
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
		case Pixelate, Playback:
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
	c := chroma(area)
	// A large area is done on two cores: the luma's upper tile rows with Cb, the rest with Cr. The
	// split is on a tile boundary of the frame-wide grid, so the result is the same.
	mid := (area.Min.Y + area.Dy()/2) / tile * tile
	if area.Dx()*area.Dy() < parallelPixels || mid <= area.Min.Y {
		pixelatePlane(img.Y, img.YStride, area, tile)
		pixelatePlane(img.Cb, img.CStride, c, tile/2)
		pixelatePlane(img.Cr, img.CStride, c, tile/2)
		return
	}
	upper, lower := area, area
	upper.Max.Y, lower.Min.Y = mid, mid
	var wg sync.WaitGroup
	wg.Go(func() {
		pixelatePlane(img.Y, img.YStride, upper, tile)
		pixelatePlane(img.Cb, img.CStride, c, tile/2)
	})
	pixelatePlane(img.Y, img.YStride, lower, tile)
	pixelatePlane(img.Cr, img.CStride, c, tile/2)
	wg.Wait()
}

// parallelPixels is the area from which pixelation is worth a second goroutine.
const parallelPixels = 128 * 1024

// pixelatePlane flattens the tiles of one plane. It works a band of tiles at a time and row by row
// (sums first, then fills), which keeps memory access sequential: a quarter of a 1080p frame takes a
// fraction of a millisecond.
func pixelatePlane(plane []uint8, stride int, area image.Rectangle, tile int) {
	// edges are the x boundaries of the tile columns inside area.
	var edgesBuf [258]int
	edges := edgesBuf[:0]
	edges = append(edges, area.Min.X)
	for x := area.Min.X/tile*tile + tile; x < area.Max.X; x += tile {
		edges = append(edges, x)
	}
	edges = append(edges, area.Max.X)
	cols := len(edges) - 1
	var sumsBuf [257]int
	var sums []int
	if cols <= len(sumsBuf) {
		sums = sumsBuf[:cols]
	} else {
		sums = make([]int, cols)
	}
	// On the usual 8-aligned grid, a row is read as whole 64-bit words, each belonging to one tile.
	aligned := area.Min.X%8 == 0 && area.Max.X%8 == 0 && tile%8 == 0
	var ownerBuf [512]int32
	var owner []int32 // tile column of each word of a row
	if aligned && (area.Max.X-area.Min.X)/8 <= len(ownerBuf) {
		owner = ownerBuf[:(area.Max.X-area.Min.X)/8]
		c := 0
		for i := range owner {
			if x := area.Min.X + 8*i; x >= edges[c+1] {
				c++
			}
			owner[i] = int32(c)
		}
	}
	for ty := area.Min.Y / tile * tile; ty < area.Max.Y; ty += tile {
		y0, y1 := max(ty, area.Min.Y), min(ty+tile, area.Max.Y)
		clear(sums)
		for y := y0; y < y1; y++ {
			row := plane[y*stride+area.Min.X : y*stride+area.Max.X]
			if owner != nil {
				for i, c := range owner {
					v := binary.LittleEndian.Uint64(row[8*i:])
					v = v&0x00FF00FF00FF00FF + v>>8&0x00FF00FF00FF00FF
					sums[c] += int(v * 0x0001000100010001 >> 48)
				}
				continue
			}
			for c := range sums {
				sums[c] += sumBytes(row[edges[c]-area.Min.X : edges[c+1]-area.Min.X])
			}
		}
		for c := range sums {
			n := (edges[c+1] - edges[c]) * (y1 - y0)
			sums[c] = (sums[c] + n/2) / n // now the tile's mean
		}
		if owner != nil {
			var wordsBuf [257]uint64
			words := wordsBuf[:0]
			if cols > len(wordsBuf) {
				words = make([]uint64, 0, cols)
			}
			for _, m := range sums {
				words = append(words, uint64(m)*0x0101010101010101)
			}
			for y := y0; y < y1; y++ {
				row := plane[y*stride+area.Min.X : y*stride+area.Max.X]
				for i, c := range owner {
					binary.LittleEndian.PutUint64(row[8*i:], words[c])
				}
			}
			continue
		}
		for c, mean := range sums {
			for y := y0; y < y1; y++ {
				fillBytes(plane[y*stride+edges[c]:y*stride+edges[c+1]], uint8(mean))
			}
		}
	}
}

// fillBytes sets every byte of b to v, eight at a time.
func fillBytes(b []uint8, v uint8) {
	word := uint64(v) * 0x0101010101010101
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, word)
		b = b[8:]
	}
	for i := range b {
		b[i] = v
	}
}

// sumBytes adds bytes eight at a time: pairs are added into 16-bit lanes, then the lanes are summed
// by one multiplication.
func sumBytes(b []uint8) int {
	total := 0
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		v = v&0x00FF00FF00FF00FF + v>>8&0x00FF00FF00FF00FF
		total += int(v * 0x0001000100010001 >> 48)
		b = b[8:]
	}
	for _, x := range b {
		total += int(x)
	}
	return total
}

// PixelateArea pixelates a pixel area that Area produced (on the 16-pixel grid) with tile-sized
// tiles. Playback uses it to put back the playback masks recorded with an event (MASK-5).
func PixelateArea(img *image.YCbCr, area image.Rectangle, tile int) error {
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("pixelate: image is not 4:2:0")
	}
	if tile < Grid || tile > 256 || tile%Grid != 0 {
		return fmt.Errorf("pixelate: tile %d is not a multiple of %d between %d and 256", tile, Grid, Grid)
	}
	snap := func(v int, up bool) int {
		if up {
			v += Grid - 1
		}
		return v - ((v%Grid)+Grid)%Grid
	}
	area = image.Rect(snap(area.Min.X, false), snap(area.Min.Y, false), snap(area.Max.X, true), snap(area.Max.Y, true))
	area = area.Intersect(img.Rect)
	if area.Empty() {
		return nil
	}
	pixelate(img, area, tile)
	return nil
}
