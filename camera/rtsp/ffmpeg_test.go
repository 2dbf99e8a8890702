package rtsp

// End-to-end check against real players: ffprobe and ffmpeg connect with Digest authentication, set
// up over TCP and UDP, and decode the stream.

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"vsslab/camera/rtpjpeg"

	. "github.com/onsi/gomega"
)

// stripes is a 4:2:0 test picture: vertical luma bands, so a decoder that mixed up lines, blocks or
// frames shows up as a large luma difference.
func stripes(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8(40 + (x/40)*25 + (y/60)*5)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 110, 150
	}
	return img
}

// pace pushes the same frame (and, when audio is on, 40 ms of silence) every 40 ms of real time until
// stop is closed, for at most a minute: ffmpeg reads in real time, so this helper is the one place in
// the package's tests where real time passes.
func pace(h *harness, payloads [][]byte, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for i := range 1500 {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			at := epoch.Add(time.Duration(i) * 40 * time.Millisecond)
			h.clock.Set(at)
			h.stream.push(Frame{Payloads: payloads, Captured: at})
			h.stream.pushAudio(AudioChunk{PCMU: bytes.Repeat([]byte{0xff}, 320), Captured: at})
		}
	}()
	return &wg
}

// runWhilePacing runs a player while frames flow, killing it after a bounded time.
func runWhilePacing(t *testing.T, h *harness, payloads [][]byte, name string, args ...string) ([]byte, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	stop := make(chan struct{})
	wg := pace(h, payloads, stop)
	err := cmd.Run()
	close(stop)
	wg.Wait()
	return stdout.Bytes(), stderr.String(), err
}

func TestFFmpegPlaysTheStream(t *testing.T) {
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		t.Skip("ffmpeg or ffprobe is not on PATH: interoperability with real RTSP players not checked")
	}
	const w, hgt = 320, 240
	img := stripes(w, hgt)
	var jpg bytes.Buffer
	NewWithT(t).Expect(jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 90})).To(Succeed())
	payloads, err := rtpjpeg.Packetize(jpg.Bytes(), 1400)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(len(payloads)).To(BeNumerically(">", 1), "a frame takes several packets")
	decoded, err := jpeg.Decode(bytes.NewReader(jpg.Bytes()))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	want := decoded.(*image.YCbCr)

	h := startServer(t)
	h.stream.setSize(w, hgt)
	url := "rtsp://operator:Quiet-River-88@" + h.addr + "/live"

	t.Run("ffprobe over TCP sees video and audio", func(t *testing.T) {
		g := NewWithT(t)
		h.stream.setAudio(true)
		defer h.stream.setAudio(false)
		out, log, err := runWhilePacing(t, h, payloads, ffprobe, "-v", "error", "-rtsp_transport", "tcp",
			"-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json", url)
		g.Expect(err).NotTo(HaveOccurred(), "ffprobe: %s\naccount store calls: %v", log, h.auth.callLog())
		var probe struct {
			Streams []struct {
				CodecType string `json:"codec_type"`
				CodecName string `json:"codec_name"`
				Width     int    `json:"width"`
				Height    int    `json:"height"`
			} `json:"streams"`
		}
		diag := "ffprobe output:\n" + string(out) + "\nffprobe log:\n" + log
		g.Expect(json.Unmarshal(out, &probe)).To(Succeed(), diag)
		g.Expect(probe.Streams).To(HaveLen(2), diag)
		g.Expect(probe.Streams[0].CodecType).To(Equal("video"), diag)
		g.Expect(probe.Streams[0].CodecName).To(Equal("mjpeg"), diag)
		g.Expect([]int{probe.Streams[0].Width, probe.Streams[0].Height}).To(Equal([]int{w, hgt}), diag)
		g.Expect(probe.Streams[1].CodecType).To(Equal("audio"), diag)
		g.Expect(probe.Streams[1].CodecName).To(Equal("pcm_mulaw"), diag)
		calls := strings.Join(h.auth.callLog(), " ")
		g.Expect(calls).To(ContainSubstring("digest:operator@127.0.0.1"), "ffprobe chose Digest")
		g.Expect(calls).NotTo(ContainSubstring("basic:"))
		g.Eventually(h.srv.Sessions).WithTimeout(ioGuard).Should(BeZero(), "ffprobe tore its session down")
	})

	t.Run("ffmpeg over UDP decodes the pictures", func(t *testing.T) {
		g := NewWithT(t)
		const frames = 3
		out, log, err := runWhilePacing(t, h, payloads, ffmpeg, "-nostdin", "-v", "error", "-rtsp_transport", "udp",
			"-i", url, "-frames:v", "3", "-f", "rawvideo", "-pix_fmt", "gray", "-")
		g.Expect(err).NotTo(HaveOccurred(), "ffmpeg: %s\naccount store calls: %v", log, h.auth.callLog())
		g.Expect(out).To(HaveLen(frames*w*hgt), "ffmpeg: %s", log)
		for f := range frames {
			got := out[f*w*hgt : (f+1)*w*hgt]
			var diff float64
			for y := range hgt {
				for x := range w {
					a, b := float64(got[y*w+x]), float64(want.Y[want.YOffset(x, y)])
					diff += max(a-b, b-a)
				}
			}
			diff /= float64(w * hgt)
			g.Expect(diff).To(BeNumerically("<", 2), "frame %d: mean absolute luma difference from image/jpeg's decoding", f)
		}
		g.Eventually(h.srv.Sessions).WithTimeout(ioGuard).Should(BeZero(), "ffmpeg tore its session down")
	})
}
