package v4l2

import (
	"image"
	"testing"
)

// newImage is a 4:2:0 image of w×h filled with 0xEE, so that a sample the converter fails to write
// shows.
func newImage(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = 0xEE
		}
	}
	return img
}

func equalBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if string(got) != string(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestConvertYUYVKnownFrame(t *testing.T) {
	// 4×2: two pairs per row. Row 0: Y 10 11 12 13, U 100 102, V 200 202.
	// Row 1: Y 20 21 22 23, U 103 106, V 203 207.
	src := []byte{
		10, 100, 11, 200, 12, 102, 13, 202,
		20, 103, 21, 203, 22, 106, 23, 207,
	}
	img := newImage(4, 2)
	if err := ConvertYUYV(img, src, 8); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "Y", img.Y, []byte{10, 11, 12, 13, 20, 21, 22, 23})
	// (100+103+1)/2 = 102, (102+106+1)/2 = 104; (200+203+1)/2 = 202, (202+207+1)/2 = 205.
	equalBytes(t, "Cb", img.Cb, []byte{102, 104})
	equalBytes(t, "Cr", img.Cr, []byte{202, 205})
}

func TestConvertYUYVRoundsHalfUpWithoutOverflow(t *testing.T) {
	src := []byte{
		0, 255, 0, 0, 0, 1, 0, 254,
		0, 255, 0, 1, 0, 2, 0, 255,
	}
	img := newImage(4, 2)
	if err := ConvertYUYV(img, src, 8); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "Cb", img.Cb, []byte{255, 2}) // (1+2+1)/2 = 2
	equalBytes(t, "Cr", img.Cr, []byte{1, 255}) // (0+1+1)/2 = 1, (254+255+1)/2 = 255
}

func TestConvertYUYVOddHeightKeepsTheLastRowsChroma(t *testing.T) {
	src := []byte{
		1, 10, 2, 20,
		3, 30, 4, 40,
		5, 50, 6, 60, // the odd last row: its chroma row is its own
	}
	img := newImage(2, 3)
	if err := ConvertYUYV(img, src, 4); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "Y", img.Y, []byte{1, 2, 3, 4, 5, 6})
	equalBytes(t, "Cb", img.Cb, []byte{20, 50})
	equalBytes(t, "Cr", img.Cr, []byte{30, 60})
}

func TestConvertYUYVSkipsRowPadding(t *testing.T) {
	// Rows of 4 bytes padded to a stride of 7 (the padding is 0xFF, which must not appear).
	src := []byte{
		1, 10, 2, 20, 0xFF, 0xFF, 0xFF,
		3, 30, 4, 40, 0xFF, 0xFF, 0xFF,
		5, 50, 6, 60, // the last row needs no padding
	}
	img := newImage(2, 3)
	if err := ConvertYUYV(img, src, 7); err != nil {
		t.Fatal(err)
	}
	equalBytes(t, "Y", img.Y, []byte{1, 2, 3, 4, 5, 6})
	equalBytes(t, "Cb", img.Cb, []byte{20, 50})
	equalBytes(t, "Cr", img.Cr, []byte{30, 60})
}

func TestConvertYUYVRefuses(t *testing.T) {
	ok := make([]byte, 4*2*2)
	for _, tc := range []struct {
		name   string
		dst    *image.YCbCr
		src    []byte
		stride int
	}{
		{"no image", nil, ok, 8},
		{"4:2:2 destination", image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio422), ok, 8},
		{"not at the origin", image.NewYCbCr(image.Rect(2, 2, 6, 4), image.YCbCrSubsampleRatio420), ok, 8},
		{"empty", image.NewYCbCr(image.Rect(0, 0, 0, 0), image.YCbCrSubsampleRatio420), ok, 8},
		{"odd width", image.NewYCbCr(image.Rect(0, 0, 3, 2), image.YCbCrSubsampleRatio420), ok, 6},
		{"short stride", newImage(4, 2), ok, 7},
		{"short frame", newImage(4, 2), ok[:15], 8},
		{"short padded frame", newImage(4, 2), ok, 9},
	} {
		if err := ConvertYUYV(tc.dst, tc.src, tc.stride); err == nil {
			t.Errorf("%s: converted, want an error", tc.name)
		}
	}
}

func BenchmarkConvertYUYV1280x720(b *testing.B) {
	img := newImage(1280, 720)
	src := make([]byte, 1280*2*720)
	for i := range src {
		src[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if err := ConvertYUYV(img, src, 1280*2); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzConvertYUYV converts random bytes at random sizes and strides: it must never panic, and when
// it accepts it must have written every sample, each equal to a reference conversion.
func FuzzConvertYUYV(f *testing.F) {
	f.Add(uint8(4), uint8(2), uint8(0), []byte{10, 100, 11, 200, 12, 102, 13, 202, 20, 103, 21, 203, 22, 106, 23, 207})
	f.Add(uint8(2), uint8(3), uint8(3), []byte{1, 10, 2, 20, 9, 9, 9, 3, 30, 4, 40, 9, 9, 9, 5, 50, 6, 60})
	f.Add(uint8(3), uint8(1), uint8(0), []byte{1, 2, 3, 4, 5, 6})
	f.Fuzz(func(t *testing.T, w8, h8, pad uint8, src []byte) {
		w, h := int(w8%64), int(h8%64)
		stride := 2*w + int(pad%16)
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		err := ConvertYUYV(img, src, stride)
		valid := w > 0 && h > 0 && w%2 == 0 && len(src) >= stride*(h-1)+2*w
		if (err == nil) != valid {
			t.Fatalf("%dx%d stride %d, %d bytes: err %v, want valid=%v", w, h, stride, len(src), err, valid)
		}
		if err != nil {
			return
		}
		if len(img.Y) != w*h || len(img.Cb) != (w/2)*((h+1)/2) || len(img.Cr) != len(img.Cb) {
			t.Fatalf("%dx%d: planes Y %d Cb %d Cr %d", w, h, len(img.Y), len(img.Cb), len(img.Cr))
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if got, want := img.Y[y*img.YStride+x], src[y*stride+2*x]; got != want {
					t.Fatalf("Y(%d,%d) = %d, want %d", x, y, got, want)
				}
			}
		}
		for cy := 0; cy < (h+1)/2; cy++ {
			y0, y1 := 2*cy, min(2*cy+1, h-1)
			for cx := 0; cx < w/2; cx++ {
				u := (int(src[y0*stride+4*cx+1]) + int(src[y1*stride+4*cx+1]) + 1) / 2
				v := (int(src[y0*stride+4*cx+3]) + int(src[y1*stride+4*cx+3]) + 1) / 2
				if got := img.Cb[cy*img.CStride+cx]; int(got) != u {
					t.Fatalf("Cb(%d,%d) = %d, want %d", cx, cy, got, u)
				}
				if got := img.Cr[cy*img.CStride+cx]; int(got) != v {
					t.Fatalf("Cr(%d,%d) = %d, want %d", cx, cy, got, v)
				}
			}
		}
	})
}
