// Package motion is the reference camera's video motion detector: it tells, from the picture itself,
// whether something moved between two successive frames, so the camera can raise motion events without
// any external sensor.
//
// It runs on masked frames, after camera/mask has painted the privacy zones. A masked area's pixels
// are constant from frame to frame, so motion inside a colour-masked area can never trigger an event:
// the detector never sees it, rather than seeing it and being told to ignore it.
//
// The method is deliberately simple and cheap, since it runs on every frame: the luma plane is reduced
// to a grid of cells (mean luma per cell), and a cell has changed when its mean moved by more than a
// threshold since the previous frame. Means are robust to per-pixel sensor noise, and a threshold on
// them ignores small global changes in brightness.
package motion

import (
	"encoding/binary"
	"fmt"
	"image"
)

// Defaults used for the zero fields of Options.
const (
	DefaultCell      = 16
	DefaultThreshold = 12
	DefaultMinCells  = 4
)

// Limits that New enforces on Options. Cells below 4 pixels make the means as noisy as the pixels;
// above 64 a person far from the camera disappears inside one cell.
const (
	MinCell      = 4
	MaxCell      = 64
	MaxThreshold = 255
)

// fracBits is the fixed-point precision of the stored cell means, so a mean is not truncated to whole
// luma levels before it is compared (a cell that moved by 12.5 levels has moved by more than 12).
const fracBits = 8

// Options tune the detector. A zero field takes its default.
type Options struct {
	// Cell is the side, in pixels, of the square cells the luma plane is divided into (4..64, default
	// 16). Cells at the right and bottom edges of a frame whose size is not a multiple of Cell are
	// smaller, and their mean is over the pixels they do have.
	Cell int
	// Threshold is how many luma levels a cell's mean must change by, strictly more than, for the
	// cell to count as changed (1..255, default 12).
	Threshold int
	// MinCells is how many cells must change for the frame to show motion (>= 1, default 4).
	MinCells int
}

// Result is the verdict on one frame.
type Result struct {
	Motion  bool // at least MinCells cells changed since the previous frame
	Changed int  // cells whose mean luma changed by more than Threshold; 0 when there was no reference
	Cells   int  // cells in the frame's grid
}

// Detector compares each frame with the one before it. It holds the previous frame's cell means only,
// never a frame, and reuses its buffers, so Observe allocates nothing except when the frame size
// changes.
//
// A Detector is not safe for concurrent use: it is stateful by nature (each verdict depends on the
// previous frame), and the camera feeds it from its one frame goroutine.
type Detector struct {
	cell      int
	threshold int32 // in fixed point, like the means
	minCells  int

	w, h       int     // frame size the grid is laid out for
	cols, rows int     // grid size for w×h
	prev, cur  []int32 // cell means in fixed point, row-major; swapped after each frame
	ref        bool    // prev holds a reference frame
}

// New validates o, fills in its defaults and returns a detector with no reference frame yet. The error
// names the offending field.
func New(o Options) (*Detector, error) {
	if o.Cell == 0 {
		o.Cell = DefaultCell
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.MinCells == 0 {
		o.MinCells = DefaultMinCells
	}
	if o.Cell < MinCell || o.Cell > MaxCell {
		return nil, fmt.Errorf("motion detector: Cell %d is outside %d..%d pixels", o.Cell, MinCell, MaxCell)
	}
	if o.Threshold < 1 || o.Threshold > MaxThreshold {
		return nil, fmt.Errorf("motion detector: Threshold %d is outside 1..%d luma levels", o.Threshold, MaxThreshold)
	}
	if o.MinCells < 1 {
		return nil, fmt.Errorf("motion detector: MinCells %d is below 1", o.MinCells)
	}
	return &Detector{cell: o.Cell, threshold: int32(o.Threshold) << fracBits, minCells: o.MinCells}, nil
}

// Observe reduces img's luma plane to cell means and compares them with the previous frame's; img then
// becomes the reference for the next call. Only luma is read, so any chroma subsampling works, and
// img may be a sub-image (non-zero origin, stride wider than the picture).
//
// The first frame after New or Reset, and a frame whose size differs from the previous one (a
// resolution change), only set the reference: they never show motion, since there is nothing
// comparable to compare them with. A nil or empty img reports nothing and forgets the reference.
func (d *Detector) Observe(img *image.YCbCr) Result {
	if img == nil || img.Rect.Empty() {
		d.ref = false
		return Result{}
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w != d.w || h != d.h || d.cur == nil {
		d.resize(w, h)
	}
	d.means(img)
	res := Result{Cells: len(d.cur)}
	if d.ref {
		for i, m := range d.cur {
			if diff := m - d.prev[i]; diff > d.threshold || -diff > d.threshold {
				res.Changed++
			}
		}
		res.Motion = res.Changed >= d.minCells
	}
	d.prev, d.cur = d.cur, d.prev
	d.ref = true
	return res
}

// Reset forgets the reference frame, so the next frame only sets a new one. The camera calls it when
// arming changes or it restarts, when the previous frame is no longer a fair comparison.
func (d *Detector) Reset() { d.ref = false }

// resize sets the grid up for a w×h frame and drops the reference, which has another size. It is the
// only place that allocates, and it keeps the buffers when they are big enough.
func (d *Detector) resize(w, h int) {
	d.w, d.h = w, h
	d.cols, d.rows = (w+d.cell-1)/d.cell, (h+d.cell-1)/d.cell
	n := d.cols * d.rows
	if cap(d.cur) < n || cap(d.prev) < n {
		d.cur, d.prev = make([]int32, n), make([]int32, n)
	}
	d.cur, d.prev = d.cur[:n], d.prev[:n]
	d.ref = false
}

// means fills d.cur with the fixed-point mean luma of each cell of img, in one pass over the plane.
// Sums fit an int32: a 64×64 cell of 255s is 1,044,480, and shifted by fracBits still below 2^31.
func (d *Detector) means(img *image.YCbCr) {
	clear(d.cur)
	w, cell, cols := d.w, d.cell, d.cols
	for y := range d.h {
		off := y * img.YStride // rows of a sub-image start at its own origin, img.Y[0]
		line := img.Y[off : off+w]
		sums := d.cur[(y/cell)*cols : (y/cell+1)*cols]
		for c := range sums {
			x0 := c * cell
			sums[c] += sumBytes(line[x0:min(x0+cell, w)])
		}
	}
	for r := range d.rows {
		ch := min(cell, d.h-r*cell)
		for c := range cols {
			n := int32(ch * min(cell, w-c*cell))
			i := r*cols + c
			d.cur[i] = (d.cur[i]<<fracBits + n/2) / n
		}
	}
}

// sumBytes returns the sum of b, which is at most MaxCell bytes long. It adds eight bytes at a time as
// four 16-bit lanes (SWAR), which halves the cost of a 720p frame against a byte loop. Each lane gets
// two bytes per word and a cell row has at most 8 words, so a lane holds at most 16×255 and cannot
// overflow into its neighbour, and the four lanes together stay below 2^16 when folded.
func sumBytes(b []uint8) int32 {
	const lo = 0x00ff00ff00ff00ff
	var lanes uint64
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b)
		lanes += v&lo + (v>>8)&lo
		b = b[8:]
	}
	// Fold the four lanes: multiplying by 0x0001000100010001 sums them into the top 16 bits.
	s := int32((lanes * 0x0001000100010001) >> 48)
	for _, v := range b {
		s += int32(v)
	}
	return s
}
