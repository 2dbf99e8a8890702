package mask

import (
	"testing"
	"time"
)

// BenchmarkPixelateQuarter1080p is the masking cost on a warm 1080p frame with a quarter pixelated
// (camera/pipeline_bench_test.go measures it inside the whole pipeline).
func BenchmarkPixelateQuarter1080p(b *testing.B) {
	img := noise(1920, 1080, 9)
	p, err := NewPainter([]Mask{{ID: "q", Rect: [4]float64{0.5, 0.5, 0.5, 0.5}, Style: Pixelate, Tile: 32}})
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for range b.N {
		if _, err := p.Apply(img, at, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}
