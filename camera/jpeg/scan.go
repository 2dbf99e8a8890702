package jpeg

// frame describes the image being encoded, in the terms the scan needs. The
// Encoder fills it once per Encode; workers only read it.
type frame struct {
	y, cb, cr    []byte
	yStride      int
	cStride      int
	w, h         int // luma size
	cw, ch       int // chroma size: ceil(w/2) × ceil(h/2)
	mcuCols      int
	fullCols     int // MCU columns lying entirely inside the image
	fullRows     int // MCU rows lying entirely inside the image
	mcus         int
	interval     int // MCUs per restart interval; mcus when there are no restarts
	intervals    int
	restartCodes bool // whether intervals are separated by RST markers
}

// segment is a run of restart intervals [first, last) and their coding.
type segment struct {
	first, last int
	bw          bitWriter
}

// worker is the scratch space of one goroutine coding segments. It lives here
// rather than on the stack so nothing is cleared per block.
type worker struct {
	tmp  [64]int
	coef [64]int
	edge [16*16 + 2*8*8]byte // one MCU padded by edge replication: Y, Cb, Cr
}

// Layout of worker.edge.
const (
	edgeCb = 16 * 16
	edgeCr = edgeCb + 8*8
)

// scan codes the intervals of s, appending to s.bw.buf. Each interval starts
// with zero DC predictions and ends byte-aligned, followed by RST(i mod 8)
// unless it is the last of the image, which is what lets intervals be coded
// independently and simply concatenated.
func (wk *worker) scan(f *frame, t *tables, s *segment) {
	bw := &s.bw
	for iv := s.first; iv < s.last; iv++ {
		m0 := iv * f.interval
		m1 := min(m0+f.interval, f.mcus)
		col, row := m0%f.mcuCols, m0/f.mcuCols
		var py, pcb, pcr int
		for range m1 - m0 {
			if col < f.fullCols && row < f.fullRows {
				yo := row*16*f.yStride + col*16
				co := row*8*f.cStride + col*8
				py = wk.block(bw, f.y, yo, f.yStride, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				py = wk.block(bw, f.y, yo+8, f.yStride, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				yo += 8 * f.yStride
				py = wk.block(bw, f.y, yo, f.yStride, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				py = wk.block(bw, f.y, yo+8, f.yStride, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				pcb = wk.block(bw, f.cb, co, f.cStride, &t.quant[1], pcb, &t.huff[chromaDC], &t.huff[chromaAC])
				pcr = wk.block(bw, f.cr, co, f.cStride, &t.quant[1], pcr, &t.huff[chromaDC], &t.huff[chromaAC])
			} else {
				wk.fillEdge(f, col, row)
				e := wk.edge[:]
				py = wk.block(bw, e, 0, 16, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				py = wk.block(bw, e, 8, 16, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				py = wk.block(bw, e, 128, 16, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				py = wk.block(bw, e, 136, 16, &t.quant[0], py, &t.huff[lumaDC], &t.huff[lumaAC])
				pcb = wk.block(bw, e, edgeCb, 8, &t.quant[1], pcb, &t.huff[chromaDC], &t.huff[chromaAC])
				pcr = wk.block(bw, e, edgeCr, 8, &t.quant[1], pcr, &t.huff[chromaDC], &t.huff[chromaAC])
			}
			if col++; col == f.mcuCols {
				col, row = 0, row+1
			}
		}
		bw.align()
		if f.restartCodes && iv+1 < f.intervals {
			bw.buf = append(bw.buf, 0xff, 0xd0|byte(iv&7))
		}
	}
}

// block transforms, quantises and codes one 8×8 block, returning the new DC prediction.
func (wk *worker) block(bw *bitWriter, src []byte, off, stride int, q *quantTable, prev int, dc, ac *[256]huffmanCode) int {
	nz := fdctQuant(src, off, stride, q, &wk.tmp, &wk.coef)
	return bw.block(&wk.coef, nz, prev, dc, ac)
}

// fillEdge copies the MCU at (col, row) into wk.edge, replicating the last
// column and row of each plane into the part that lies outside the image, so
// partial MCUs need no special case in the transform and the padding costs few
// bits (T.81 A.2.4 leaves its content to the encoder).
func (wk *worker) fillEdge(f *frame, col, row int) {
	for r := range 16 {
		y := min(row*16+r, f.h-1) * f.yStride
		for c := range 16 {
			wk.edge[r*16+c] = f.y[y+min(col*16+c, f.w-1)]
		}
	}
	for r := range 8 {
		y := min(row*8+r, f.ch-1) * f.cStride
		for c := range 8 {
			x := y + min(col*8+c, f.cw-1)
			wk.edge[edgeCb+r*8+c] = f.cb[x]
			wk.edge[edgeCr+r*8+c] = f.cr[x]
		}
	}
}
