package v4l2

import (
	"fmt"
	"image"
)

// ConvertYUYV converts one YUYV 4:2:2 frame (V4L2_PIX_FMT_YUYV: Y0 U Y1 V per pair of pixels) into
// dst, a YCbCr 4:2:0 image at the origin whose size is the frame's. The camera's pipeline works in
// 4:2:0, the sensors' usual output, so the two chroma samples of each column pair on rows 2k and 2k+1
// are averaged (rounded half up) into row k of Cb and Cr; an odd last row keeps its own chroma.
//
// stride is the bytes from one row's start to the next (V4L2's bytesperline): at least 2×width, more
// when the driver pads rows. src must hold stride×(height-1) + 2×width bytes; bytes after that are
// ignored. The width must be even, since YUYV carries chroma per pair of pixels.
//
// It writes every sample of dst and allocates nothing, so a capture loop can reuse one image.
func ConvertYUYV(dst *image.YCbCr, src []byte, stride int) error {
	if dst == nil {
		return fmt.Errorf("convert YUYV: no destination image")
	}
	if dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("convert YUYV: destination is %v, want 4:2:0", dst.SubsampleRatio)
	}
	if dst.Rect.Min != (image.Point{}) {
		return fmt.Errorf("convert YUYV: destination starts at %v, want the origin", dst.Rect.Min)
	}
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("convert YUYV: empty destination %dx%d", w, h)
	}
	if w%2 != 0 {
		return fmt.Errorf("convert YUYV: width %d is odd: YUYV carries chroma per pair of pixels", w)
	}
	row := 2 * w
	if stride < row {
		return fmt.Errorf("convert YUYV: stride %d is less than a %d-pixel row (%d bytes)", stride, w, row)
	}
	if need := stride*(h-1) + row; len(src) < need {
		return fmt.Errorf("convert YUYV: %d bytes for a %dx%d frame with stride %d, want at least %d", len(src), w, h, stride, need)
	}
	cw := w / 2
	if len(dst.Y) < dst.YStride*(h-1)+w || len(dst.Cb) < dst.CStride*((h+1)/2-1)+cw || len(dst.Cr) < len(dst.Cb) {
		return fmt.Errorf("convert YUYV: destination planes are too small for %dx%d", w, h)
	}
	for y := 0; y < h; y += 2 {
		a := src[y*stride : y*stride+row]
		b := a // an odd last row averages with itself
		if y+1 < h {
			b = src[(y+1)*stride : (y+1)*stride+row]
		}
		ya := dst.Y[y*dst.YStride : y*dst.YStride+w]
		cb := dst.Cb[(y/2)*dst.CStride : (y/2)*dst.CStride+cw]
		cr := dst.Cr[(y/2)*dst.CStride : (y/2)*dst.CStride+cw]
		for i := 0; i < cw; i++ {
			p, q := a[4*i:4*i+4:4*i+4], b[4*i:4*i+4:4*i+4]
			ya[2*i], ya[2*i+1] = p[0], p[2]
			cb[i] = uint8((uint16(p[1]) + uint16(q[1]) + 1) >> 1)
			cr[i] = uint8((uint16(p[3]) + uint16(q[3]) + 1) >> 1)
		}
		if y+1 < h {
			yb := dst.Y[(y+1)*dst.YStride : (y+1)*dst.YStride+w]
			for i := 0; i < cw; i++ {
				yb[2*i], yb[2*i+1] = b[4*i], b[4*i+2]
			}
		}
	}
	return nil
}
