package camera_test

import (
	"bytes"
	"fmt"
	"image"
	"os/exec"
	"testing"
	"time"

	"vsslab/camera"
	"vsslab/camera/jpeg"
	"vsslab/camera/mask"
	"vsslab/camera/rtpjpeg"
	"vsslab/fixtures"
	"vsslab/sim/scene"
)

// The pipeline's benchmarks: what the camera does to every frame after capture (mask, encode,
// packetize), on the same raw frames that ffmpeg's MJPEG encoder gets in the same run, so the ratio
// means something on any machine. Run them with `make bench`.

// benchScene renders one frame of the lobby scene at w×h: a realistic picture, not noise.
func benchScene(b *testing.B, w, h int) *image.YCbCr {
	b.Helper()
	spec, err := scene.Load(fixtures.Scenes(), "lobby")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := scene.New(spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	img, _ := sc.Render(nil, 3*time.Second, scene.View{}, w, h)
	return img
}

// quarterPixelated is a mask list that pixelates a quarter of the frame and colours a small area.
func quarterPixelated(b *testing.B) *mask.Painter {
	b.Helper()
	p, err := mask.NewPainter([]mask.Mask{
		{ID: "quarter", Rect: [4]float64{0.5, 0.5, 0.5, 0.5}, Style: mask.Pixelate, Tile: 32},
		{ID: "door", Rect: [4]float64{0.05, 0.1, 0.1, 0.3}, Style: mask.Color, Color: "#3050C0"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func copyFrame(dst, src *image.YCbCr) {
	copy(dst.Y, src.Y)
	copy(dst.Cb, src.Cb)
	copy(dst.Cr, src.Cr)
}

// pipelineFPS runs mask + encode + packetize over n frames and returns frames per second of wall
// time. The copy of the raw frame into the working buffer stands for the sensor's DMA and is included.
func pipelineFPS(b *testing.B, src *image.YCbCr, n int) float64 {
	p := quarterPixelated(b)
	enc, err := jpeg.NewEncoder(jpeg.Options{Quality: camera.JPEGQuality, RestartInterval: camera.RestartMCUs})
	if err != nil {
		b.Fatal(err)
	}
	work := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
	var out []byte
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	for range n {
		copyFrame(work, src)
		if _, err := p.Apply(work, at, nil); err != nil {
			b.Fatal(err)
		}
		if out, err = enc.Encode(out[:0], work); err != nil {
			b.Fatal(err)
		}
		if _, err := rtpjpeg.Packetize(out, camera.StreamMTU); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// ffmpegFPS encodes the same raw frame n times with ffmpeg's MJPEG encoder on all cores, fed through
// a pipe (as the camera's frames arrive) and declared full-range 4:2:0 as they are, so ffmpeg converts
// nothing; it returns frames per second of wall time, ffmpeg's start-up included.
func ffmpegFPS(b *testing.B, src *image.YCbCr, n int) float64 {
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		b.Skip("ffmpeg is not installed (apt-get install ffmpeg): no reference to compare with")
	}
	var raw bytes.Buffer
	raw.Write(src.Y)
	raw.Write(src.Cb)
	raw.Write(src.Cr)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	cmd := exec.Command(path, "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuvj420p", "-s", fmt.Sprintf("%dx%d", w, h), "-i", "-",
		"-c:v", "mjpeg", "-q:v", "3", "-threads", "0", "-f", "null", "-")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		defer in.Close()
		for range n {
			if _, err := in.Write(raw.Bytes()); err != nil {
				return
			}
		}
	}()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	return float64(n) / time.Since(start).Seconds()
}

func benchmarkPipeline(b *testing.B, w, h int) {
	src := benchScene(b, w, h)
	const frames = 100
	var ours, theirs float64
	b.ResetTimer()
	for range b.N {
		ours = pipelineFPS(b, src, frames)
		theirs = ffmpegFPS(b, src, frames)
	}
	b.ReportMetric(ours, "frames/s")
	b.ReportMetric(theirs, "ffmpeg_frames/s")
	b.ReportMetric(ours/theirs, "ratio")
}

// BenchmarkPipeline1080p: mask + encode + packetize at 1920×1080 against ffmpeg -c:v mjpeg.
func BenchmarkPipeline1080p(b *testing.B) { benchmarkPipeline(b, 1920, 1080) }

// BenchmarkPipeline720p: the same at 1280×720.
func BenchmarkPipeline720p(b *testing.B) { benchmarkPipeline(b, 1280, 720) }

// BenchmarkMask1080p is the masking alone on a 1080p frame with a quarter of it pixelated.
func BenchmarkMask1080p(b *testing.B) {
	src := benchScene(b, 1920, 1080)
	p := quarterPixelated(b)
	work := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var spent time.Duration
	for range b.N {
		copyFrame(work, src)
		start := time.Now()
		if _, err := p.Apply(work, at, nil); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(spent.Microseconds())/1000/float64(b.N), "ms/frame")
}
