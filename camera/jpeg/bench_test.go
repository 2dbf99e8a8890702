//go:build unix

package jpeg

import (
	"bytes"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of Encoder against image/jpeg and ffmpeg's MJPEG encoder on the
// same synthetic frame. Run with
//
//	go test -run '^$' -bench . -benchtime 3s ./camera/jpeg/
//
// On a shared machine compare figures from one run only; BenchmarkRatio*
// measures both encoders back to back for that reason, and also compares the
// CPU time each spends per frame, which other processes disturb much less
// than wall-clock rates. (The file is unix-only for getrusage.)

const (
	// benchQuality is the IJG quality used for our encoder and image/jpeg.
	// On the synthetic frame it gives about the bytes per frame of ffmpeg's
	// "-q:v 3" (ffmpeg scales the MPEG-1 intra matrix, not the Annex K
	// tables, and by default optimises its Huffman tables per frame, so no
	// quality matches exactly; the benchmarks report both sizes).
	benchQuality = 80
	ffmpegQScale = "3"
)

// benchFrame returns the synthetic frame and its raw planar 4:2:0 bytes.
func benchFrame(w, h int) (*image.YCbCr, []byte) {
	img := syntheticFrame(w, h, 1)
	raw := make([]byte, 0, len(img.Y)+len(img.Cb)+len(img.Cr))
	raw = append(append(append(raw, img.Y...), img.Cb...), img.Cr...)
	return img, raw
}

// newBenchEncoder is the camera's configuration: a restart interval of one MCU
// row, as RTP/JPEG senders use to bound the damage of a lost packet, coded on
// all CPUs.
func newBenchEncoder(tb testing.TB, w int) *Encoder {
	e, err := NewEncoder(Options{Quality: benchQuality, RestartInterval: (w + 15) / 16})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func benchmarkEncode(b *testing.B, w, h int) {
	img, _ := benchFrame(w, h)
	e := newBenchEncoder(b, w)
	out, err := e.Encode(nil, img)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(img.Y) + len(img.Cb) + len(img.Cr)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		out, _ = e.Encode(out[:0], img)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(len(out)), "bytes/frame")
}

func BenchmarkEncode1080p(b *testing.B) { benchmarkEncode(b, 1920, 1080) }
func BenchmarkEncode720p(b *testing.B)  { benchmarkEncode(b, 1280, 720) }

func benchmarkStdlib(b *testing.B, w, h int) {
	img, _ := benchFrame(w, h)
	var buf bytes.Buffer
	b.SetBytes(int64(len(img.Y) + len(img.Cb) + len(img.Cr)))
	b.ReportAllocs()
	for range b.N {
		buf.Reset()
		if err := stdjpeg.Encode(&buf, img, &stdjpeg.Options{Quality: benchQuality}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(buf.Len()), "bytes/frame")
}

func BenchmarkStdlibEncode1080p(b *testing.B) { benchmarkStdlib(b, 1920, 1080) }
func BenchmarkStdlibEncode720p(b *testing.B)  { benchmarkStdlib(b, 1280, 720) }

// ffmpegPath returns ffmpeg's path or skips the benchmark.
func ffmpegPath(b *testing.B) string {
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		b.Skip("ffmpeg is not on PATH; install it (apt-get install ffmpeg) for the comparison")
	}
	return path
}

// countWriter counts what ffmpeg writes so bytes/frame can be reported.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// ffmpegMJPEG pipes n copies of the raw frame through one ffmpeg MJPEG
// encoder process and returns the bytes it produced and the CPU time the
// process used. The input is declared
// yuvj420p, the same planar layout as yuv420p but full-range, which is what
// the camera's frames are; declared as yuv420p, ffmpeg would insert a
// range-converting scaler before its encoder and be slowed by it.
func ffmpegMJPEG(b *testing.B, path string, raw []byte, w, h, n int) (int, time.Duration) {
	cmd := exec.Command(path, "-v", "error", "-hide_banner",
		"-f", "rawvideo", "-pix_fmt", "yuvj420p", "-s", fmt.Sprintf("%dx%d", w, h), "-i", "-",
		"-c:v", "mjpeg", "-q:v", ffmpegQScale, "-threads", "2", "-f", "mjpeg", "-")
	var out countWriter
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		defer in.Close()
		for range n {
			if _, err := in.Write(raw); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	if err := <-werr; err != nil {
		b.Fatalf("feeding ffmpeg: %v", err)
	}
	return out.n, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// cpuTime is the CPU time this process has used so far, all goroutines included.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkFFmpeg runs one ffmpeg process for all b.N frames, so its start-up
// (tens of milliseconds) is included, spread over the frames.
func benchmarkFFmpeg(b *testing.B, w, h int) {
	path := ffmpegPath(b)
	_, raw := benchFrame(w, h)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	n, _ := ffmpegMJPEG(b, path, raw, w, h, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(n)/float64(b.N), "bytes/frame")
}

func BenchmarkFFmpegMJPEG1080p(b *testing.B) { benchmarkFFmpeg(b, 1920, 1080) }
func BenchmarkFFmpegMJPEG720p(b *testing.B)  { benchmarkFFmpeg(b, 1280, 720) }

// benchmarkRatio encodes the same frames with our encoder and with ffmpeg back
// to back in every iteration, in chunks short enough that both see the same
// machine load. The rates come from the fastest chunk of each kind, the one
// least disturbed by other processes. ffmpeg's figures are its steady state:
// the time of a one-frame run (process start, probing, first frame) is
// subtracted from that of an n-frame run. cpu_ratio compares CPU time per
// frame (ffmpeg's over ours, so above 1 means we spend less), summed over all
// iterations; it is the figure to trust on a busy machine.
func benchmarkRatio(b *testing.B, w, h int) {
	const n = 20
	path := ffmpegPath(b)
	img, raw := benchFrame(w, h)
	e := newBenchEncoder(b, w)
	out, err := e.Encode(nil, img)
	if err != nil {
		b.Fatal(err)
	}
	best := func(d *time.Duration, v time.Duration) {
		if *d == 0 || v < *d {
			*d = v
		}
	}
	var ours, ffmpegN, ffmpeg1 time.Duration          // fastest wall-clock chunks
	var oursCPU, ffmpegCPUN, ffmpegCPU1 time.Duration // CPU time, summed
	ffBytes := 0
	b.ResetTimer()
	for range b.N {
		c0, t0 := cpuTime(b), b.Elapsed()
		for range n {
			out, _ = e.Encode(out[:0], img)
		}
		c1, t1 := cpuTime(b), b.Elapsed()
		size, cpuN := ffmpegMJPEG(b, path, raw, w, h, n)
		t2 := b.Elapsed()
		_, cpu1 := ffmpegMJPEG(b, path, raw, w, h, 1)
		t3 := b.Elapsed()
		ffBytes = size / n
		best(&ours, t1-t0)
		best(&ffmpegN, t2-t1)
		best(&ffmpeg1, t3-t2)
		oursCPU += c1 - c0
		ffmpegCPUN += cpuN
		ffmpegCPU1 += cpu1
	}
	oursFPS := n / ours.Seconds()
	ffFPS := (n - 1) / (ffmpegN - ffmpeg1).Seconds()
	oursCPUPerFrame := oursCPU.Seconds() / float64(n*b.N)
	ffCPUPerFrame := (ffmpegCPUN - ffmpegCPU1).Seconds() / float64((n-1)*b.N)
	b.ReportMetric(oursFPS, "ours_fps")
	b.ReportMetric(ffFPS, "ffmpeg_fps")
	b.ReportMetric(oursFPS/ffFPS, "ratio")
	b.ReportMetric(oursCPUPerFrame*1e3, "ours_cpu_ms/frame")
	b.ReportMetric(ffCPUPerFrame*1e3, "ffmpeg_cpu_ms/frame")
	b.ReportMetric(ffCPUPerFrame/oursCPUPerFrame, "cpu_ratio")
	b.ReportMetric(float64(len(out)), "ours_bytes/frame")
	b.ReportMetric(float64(ffBytes), "ffmpeg_bytes/frame")
}

func BenchmarkRatio1080p(b *testing.B) { benchmarkRatio(b, 1920, 1080) }
func BenchmarkRatio720p(b *testing.B)  { benchmarkRatio(b, 1280, 720) }
