// Package jpeg encodes the camera's 4:2:0 frames as baseline JFIF for the live
// snapshot and the RTP/JPEG (RFC 2435) stream.
//
// It exists because image/jpeg works through generic colour paths and is far
// too slow for 1080p at 30 frames/s. This encoder reads the Y, Cb and Cr planes
// as they are, uses a fast integer DCT and a table-driven Huffman coder, and
// codes restart intervals on all CPUs. Its output is what RFC 2435 type 1
// (4:2:0) payloads expect: standard Huffman tables, tables 0 and 1 for luma and
// chroma, and restart markers when asked for.
package jpeg

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
)

// Errors callers may branch on; the returned errors wrap them with details.
var (
	// ErrInvalidOptions reports Options that NewEncoder cannot honour.
	ErrInvalidOptions = errors.New("invalid jpeg options")
	// ErrUnsupportedImage reports an image Encode cannot code as baseline 4:2:0
	// JFIF: another subsampling, an empty or too large size, or planes that are
	// too short for the image's rectangle and strides.
	ErrUnsupportedImage = errors.New("unsupported image for jpeg")
)

// MaxDimension is the largest width or height a baseline JPEG frame header can carry.
const MaxDimension = 65535

// Options of an encoding.
type Options struct {
	// Quality is 1..100, the IJG scaling of the standard (Annex K) tables, as
	// image/jpeg and libjpeg apply it, so a quality means the same tables here.
	Quality int
	// RestartInterval in MCUs (0 = none, at most 65535). With restart markers
	// the scan is cut into independent segments, which Encoder codes in
	// parallel; RFC 2435 receivers also use them to resynchronise after loss.
	RestartInterval int
}

// tables are the per-quality constants of an Encoder.
type tables struct {
	quant [2]quantTable       // [0] luma, [1] chroma
	huff  [4][256]huffmanCode // indexed lumaDC, lumaAC, chromaDC, chromaAC
}

// Encoder codes frames with fixed Options. It keeps its scratch buffers,
// precomputed tables and helper goroutines between frames so that
// steady-state encoding allocates nothing; for the same reason it is not safe
// for concurrent use (use one per stream). The helpers end by themselves once
// the Encoder is garbage.
type Encoder struct {
	opts    Options
	header  []byte // SOI … SOS, with a zero size in SOF0
	sofSize int    // offset in header of SOF0's height and width
	st      *state
	// parallelism overrides runtime.GOMAXPROCS(0) as the number of goroutines
	// when positive (tests use 1 to get the serial coding of the same intervals).
	parallelism int
}

// state is what the helper goroutines share with Encode. It is separate from
// Encoder so that the helpers do not keep the Encoder reachable.
type state struct {
	tabs     tables
	frame    frame
	segments []segment
	nsegs    int           // segments in use for the current frame
	next     atomic.Int64  // next segment to code
	own      worker        // scratch of the goroutine calling Encode
	helpers  int           // helper goroutines started so far
	alive    atomic.Int32  // helper goroutines not yet ended
	wake     chan struct{} // one token per helper wanted for the frame
	wg       sync.WaitGroup
}

// segmentsPerWorker is how many segments each goroutine gets on average.
// Handing out several small segments rather than one large one per goroutine
// keeps all CPUs busy to the end of the frame even when one of them is taken
// away for a while by other work on the camera.
const segmentsPerWorker = 8

// NewEncoder validates o and precomputes the scaled tables and the headers.
func NewEncoder(o Options) (*Encoder, error) {
	if o.Quality < 1 || o.Quality > 100 {
		return nil, fmt.Errorf("new jpeg encoder: %w: quality %d is outside 1..100", ErrInvalidOptions, o.Quality)
	}
	if o.RestartInterval < 0 || o.RestartInterval > 0xffff {
		return nil, fmt.Errorf("new jpeg encoder: %w: restart interval %d is outside 0..65535", ErrInvalidOptions, o.RestartInterval)
	}
	st := &state{wake: make(chan struct{})}
	q := scaledQuant(o.Quality)
	zig := newZigzagMasks()
	for i := range q {
		st.tabs.quant[i] = newQuantTable(&q[i], zig)
	}
	for i := range standardHuffman {
		st.tabs.huff[i] = standardHuffman[i].codes()
	}
	e := &Encoder{opts: o, st: st}
	e.header, e.sofSize = buildHeader(&q, o.RestartInterval)
	runtime.AddCleanup(e, func(wake chan struct{}) { close(wake) }, st.wake)
	return e, nil
}

// Quality reports the quality the Encoder was made with. RFC 2435 defines its
// Q values 1..99 as exactly these IJG-scaled tables, so an RTP/JPEG sender can
// put the quality in the Q field as is; quality 100 has no Q value of its own
// and needs the tables sent in-band (Q ≥ 128).
func (e *Encoder) Quality() int { return e.opts.Quality }

// Encode appends img as a baseline JFIF to dst and returns the extended slice,
// like append; passing the previous result's dst[:0] reuses its memory. img
// must be 4:2:0 with a width and height of 1..65535, odd sizes included (the
// chroma planes then cover the last column or row with a half-used sample);
// partial MCUs are padded by edge replication internally. On error dst is
// returned unchanged and the Encoder is as before.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr) ([]byte, error) {
	st := e.st
	if err := st.setFrame(img, e.opts.RestartInterval); err != nil {
		return dst, fmt.Errorf("encode jpeg: %w", err)
	}
	f := &st.frame
	start := len(dst)
	dst = append(dst, e.header...)
	sof := dst[start+e.sofSize:]
	sof[0], sof[1] = byte(f.h>>8), byte(f.h)
	sof[2], sof[3] = byte(f.w>>8), byte(f.w)

	// Restart intervals are cut into segments, coded by n goroutines that
	// take the next uncoded segment until none is left. Segment boundaries
	// depend only on the frame and n, never on which goroutine codes what,
	// and with restarts every split gives the same bytes.
	n := e.parallelism
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	k := 1
	if n > 1 {
		k = min(f.intervals, n*segmentsPerWorker)
	}
	n = min(n, k)
	for len(st.segments) < k {
		st.segments = append(st.segments, segment{})
	}
	for ; st.helpers < n-1; st.helpers++ {
		st.alive.Add(1)
		go st.help()
	}
	for i := range k {
		s := &st.segments[i]
		s.first, s.last = i*f.intervals/k, (i+1)*f.intervals/k
		s.bw.buf = s.bw.buf[:0]
	}
	st.nsegs = k
	st.next.Store(0)
	// Segment 0 is written straight after the header; the others fill their
	// own buffers, which are appended in order afterwards.
	s0 := &st.segments[0]
	keep := s0.bw.buf
	s0.bw.buf = dst
	st.wg.Add(n - 1)
	for range n - 1 {
		st.wake <- struct{}{}
	}
	st.work(&st.own)
	st.wg.Wait()
	// The cleanup that ends the helpers must not run before they are done
	// with this frame, even if the caller drops e during the call.
	runtime.KeepAlive(e)
	dst, s0.bw.buf = s0.bw.buf, keep
	for i := 1; i < k; i++ {
		dst = append(dst, st.segments[i].bw.buf...)
	}
	f.y, f.cb, f.cr = nil, nil, nil // do not keep the caller's frame alive
	return append(dst, 0xff, 0xd9), nil
}

// help is a helper goroutine: on every token it codes segments until none is
// left. It ends when the Encoder's cleanup closes wake.
func (st *state) help() {
	defer st.alive.Add(-1)
	var wk worker
	for range st.wake {
		st.work(&wk)
		st.wg.Done()
	}
}

// work codes segments of the current frame with wk's scratch space until none is left.
func (st *state) work(wk *worker) {
	for {
		i := int(st.next.Add(1) - 1)
		if i >= st.nsegs {
			return
		}
		wk.scan(&st.frame, &st.tabs, &st.segments[i])
	}
}

// setFrame checks img and describes it in st.frame.
func (st *state) setFrame(img *image.YCbCr, restartInterval int) error {
	if img == nil {
		return fmt.Errorf("%w: nil image", ErrUnsupportedImage)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: subsampling %v, want 4:2:0", ErrUnsupportedImage, img.SubsampleRatio)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 1 || h < 1 || w > MaxDimension || h > MaxDimension {
		return fmt.Errorf("%w: size %dx%d, want 1..%d on each side", ErrUnsupportedImage, w, h, MaxDimension)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if img.YStride < w || img.CStride < cw {
		return fmt.Errorf("%w: strides %d/%d too small for %dx%d", ErrUnsupportedImage, img.YStride, img.CStride, w, h)
	}
	// Chroma sample (x/2, y/2) of pixel (x, y) is stored relative to
	// Rect.Min/2, so for an odd Rect.Min the relative indices below still
	// stay within the rows image.YCbCr guarantees.
	if len(img.Y) < (h-1)*img.YStride+w || len(img.Cb) < (ch-1)*img.CStride+cw || len(img.Cr) < (ch-1)*img.CStride+cw {
		return fmt.Errorf("%w: planes %d/%d/%d bytes too short for %dx%d with strides %d/%d",
			ErrUnsupportedImage, len(img.Y), len(img.Cb), len(img.Cr), w, h, img.YStride, img.CStride)
	}
	mcuCols, mcuRows := (w+15)/16, (h+15)/16
	mcus := mcuCols * mcuRows
	interval := restartInterval
	if interval == 0 {
		interval = mcus
	}
	st.frame = frame{
		y: img.Y, cb: img.Cb, cr: img.Cr,
		yStride: img.YStride, cStride: img.CStride,
		w: w, h: h, cw: cw, ch: ch,
		mcuCols:      mcuCols,
		fullCols:     w / 16,
		fullRows:     h / 16,
		mcus:         mcus,
		interval:     interval,
		intervals:    (mcus + interval - 1) / interval,
		restartCodes: restartInterval > 0,
	}
	return nil
}

// buildHeader returns the markers from SOI to SOS for the tables q (natural
// order) and the restart interval, and the offset of SOF0's size fields.
func buildHeader(q *[2][64]uint8, restart int) ([]byte, int) {
	b := []byte{0xff, 0xd8} // SOI
	// JFIF APP0: version 1.01, aspect ratio 1:1, no thumbnail.
	b = append(b, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	// DQT: both tables, 8-bit precision, zig-zag order.
	b = append(b, 0xff, 0xdb, 0, 2+2*65)
	for t := range q {
		b = append(b, byte(t))
		for _, n := range zigzag {
			b = append(b, q[t][n])
		}
	}
	// SOF0: 8-bit, size filled in per frame, Y 2×2 with table 0, Cb and Cr
	// 1×1 with table 1.
	b = append(b, 0xff, 0xc0, 0, 17, 8)
	sofSize := len(b)
	b = append(b, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	// DHT: the four Annex K tables in one segment.
	n := 2
	for _, s := range standardHuffman {
		n += 1 + 16 + len(s.values)
	}
	b = append(b, 0xff, 0xc4, byte(n>>8), byte(n))
	for i, s := range standardHuffman {
		b = append(b, dhtClassID[i])
		b = append(b, s.counts[:]...)
		b = append(b, s.values...)
	}
	if restart > 0 {
		b = append(b, 0xff, 0xdd, 0, 4, byte(restart>>8), byte(restart))
	}
	// SOS: all three components, Y with tables 0/0, chroma with 1/1, full
	// spectral range, no successive approximation.
	b = append(b, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
	return b, sofSize
}
