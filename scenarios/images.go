package scenarios

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
)

// These helpers measure decoded camera output against the ground truth. They are the scenarios' own
// code, independent of the camera's: a verifier must not share the implementation it verifies.

// decodeYCbCr decodes a JPEG the camera sent into YCbCr planes.
func decodeYCbCr(data []byte) (*image.YCbCr, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode JPEG: %w", err)
	}
	y, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("the JPEG is %T, not YCbCr", img)
	}
	return y, nil
}

// pixelRect is the pixels a fraction rectangle [x, y, w, h] fully covers in a w×h frame: what a mask
// must cover at the very least.
func pixelRect(r [4]float64, w, h int) image.Rectangle {
	return image.Rect(
		int(math.Ceil(r[0]*float64(w)-1e-6)), int(math.Ceil(r[1]*float64(h)-1e-6)),
		int(math.Floor((r[0]+r[2])*float64(w)+1e-6)), int(math.Floor((r[1]+r[3])*float64(h)+1e-6)),
	)
}

// lumaAt reads one luma sample.
func lumaAt(img *image.YCbCr, x, y int) float64 {
	return float64(img.Y[img.YOffset(x, y)])
}

// maxDeviation is the largest |Y, Cb, Cr − want| over area.
func maxDeviation(img *image.YCbCr, area image.Rectangle, want color.YCbCr) int {
	worst := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			c := img.YCbCrAt(x, y)
			for _, d := range []int{int(c.Y) - int(want.Y), int(c.Cb) - int(want.Cb), int(c.Cr) - int(want.Cr)} {
				if d < 0 {
					d = -d
				}
				worst = max(worst, d)
			}
		}
	}
	return worst
}

// tileStats checks pixelation: for every whole tile (on the frame-wide grid of size tile) inside area,
// the spread (max − min) of the output's luma and the difference between the output's tile value and
// the source's tile mean. It returns the worst of each and the number of tiles.
func tileStats(out, src *image.YCbCr, area image.Rectangle, tile int) (spread, meanErr float64, tiles int) {
	for ty := (area.Min.Y + tile - 1) / tile * tile; ty+tile <= area.Max.Y; ty += tile {
		for tx := (area.Min.X + tile - 1) / tile * tile; tx+tile <= area.Max.X; tx += tile {
			lo, hi, sumOut, sumSrc := 255.0, 0.0, 0.0, 0.0
			for y := ty; y < ty+tile; y++ {
				for x := tx; x < tx+tile; x++ {
					v := lumaAt(out, x, y)
					lo, hi = math.Min(lo, v), math.Max(hi, v)
					sumOut += v
					sumSrc += lumaAt(src, x, y)
				}
			}
			n := float64(tile * tile)
			spread = math.Max(spread, hi-lo)
			meanErr = math.Max(meanErr, math.Abs(sumOut/n-sumSrc/n))
			tiles++
		}
	}
	return spread, meanErr, tiles
}

// residualCorrelation is the correlation, over the whole tiles inside area, between the source's
// detail (each pixel minus its tile's mean) and the output's detail. Near 0 means no detail finer
// than a tile survived; an unmasked area gives a value near 1.
func residualCorrelation(out, src *image.YCbCr, area image.Rectangle, tile int) float64 {
	var sxy, sxx, syy float64
	for ty := (area.Min.Y + tile - 1) / tile * tile; ty+tile <= area.Max.Y; ty += tile {
		for tx := (area.Min.X + tile - 1) / tile * tile; tx+tile <= area.Max.X; tx += tile {
			var ms, mo float64
			for y := ty; y < ty+tile; y++ {
				for x := tx; x < tx+tile; x++ {
					ms += lumaAt(src, x, y)
					mo += lumaAt(out, x, y)
				}
			}
			n := float64(tile * tile)
			ms, mo = ms/n, mo/n
			for y := ty; y < ty+tile; y++ {
				for x := tx; x < tx+tile; x++ {
					a, b := lumaAt(src, x, y)-ms, lumaAt(out, x, y)-mo
					sxy += a * b
					sxx += a * a
					syy += b * b
				}
			}
		}
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

// psnr is the luma PSNR of out against src over area, in dB, capped at 99 (identical).
func psnr(out, src *image.YCbCr, area image.Rectangle) float64 {
	var se float64
	n := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			d := lumaAt(out, x, y) - lumaAt(src, x, y)
			se += d * d
			n++
		}
	}
	if n == 0 || se == 0 {
		return 99
	}
	return math.Min(99, 10*math.Log10(255*255/(se/float64(n))))
}

// lumaVariance is the variance of the luma over area.
func lumaVariance(img *image.YCbCr, area image.Rectangle) float64 {
	var s, ss float64
	n := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			v := lumaAt(img, x, y)
			s += v
			ss += v * v
			n++
		}
	}
	if n == 0 {
		return 0
	}
	m := s / float64(n)
	return ss/float64(n) - m*m
}

// evidencePicture puts the source and the camera's output side by side with the mask areas outlined,
// as a picture report entry the HTML report shows.
func evidencePicture(src, out *image.YCbCr, areas ...image.Rectangle) map[string]string {
	b := src.Bounds()
	pic := image.NewRGBA(image.Rect(0, 0, 2*b.Dx()+8, b.Dy()))
	draw.Draw(pic, pic.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(pic, b, src, b.Min, draw.Src)
	right := b.Add(image.Pt(b.Dx()+8, 0))
	draw.Draw(pic, right, out, b.Min, draw.Src)
	outline := color.RGBA{255, 0, 255, 255}
	for _, a := range areas {
		for _, off := range []image.Point{{}, {b.Dx() + 8, 0}} {
			r := a.Add(off)
			for x := r.Min.X; x < r.Max.X; x++ {
				pic.Set(x, r.Min.Y, outline)
				pic.Set(x, r.Max.Y-1, outline)
			}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				pic.Set(r.Min.X, y, outline)
				pic.Set(r.Max.X-1, y, outline)
			}
		}
	}
	// JPEG keeps the report small (a picture illustrates; the measured values are the evidence).
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, pic, &jpeg.Options{Quality: 90})
	return map[string]string{"kind": "image", "mime": "image/jpeg", "data": base64.StdEncoding.EncodeToString(buf.Bytes()),
		"caption": "left: the scene before masking (ground truth); right: what the camera sent; magenta: the requested mask areas"}
}

// lumaCorrelation is the correlation of out's and src's luma over area: near 1 where the output shows
// the scene (whatever the codec's error on fine texture), near 0 where it does not.
func lumaCorrelation(out, src *image.YCbCr, area image.Rectangle) float64 {
	var sa, sb, saa, sbb, sab float64
	n := 0.0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			a, b := lumaAt(src, x, y), lumaAt(out, x, y)
			sa, sb, saa, sbb, sab = sa+a, sb+b, saa+a*a, sbb+b*b, sab+a*b
			n++
		}
	}
	if n == 0 {
		return 0
	}
	cov := sab/n - sa/n*sb/n
	va, vb := saa/n-sa/n*sa/n, sbb/n-sb/n*sb/n
	if va <= 0 || vb <= 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

// meanAbsDiff is the mean |out − src| of luma over area: a few units where the output shows the
// scene (the codec's error), tens where something else was painted there.
func meanAbsDiff(out, src *image.YCbCr, area image.Rectangle) float64 {
	var s float64
	n := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			s += math.Abs(lumaAt(out, x, y) - lumaAt(src, x, y))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}
