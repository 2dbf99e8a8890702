package rtpjpeg

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	. "github.com/onsi/gomega"
)

// ffmpegComplaints are what ffmpeg's RTP/JPEG depacketiser (rtpdec_jpeg.c)
// logs when a stream breaks RFC 2435 or uses what it does not implement.
// "Received packet without a start chunk" is not among them: it happens
// when ffmpeg starts listening in the middle of a frame.
var ffmpegComplaints = []string{
	"Invalid RTP/JPEG packet",
	"Too short RTP/JPEG packet",
	"RTP/JPEG type",
	"Reserved q value",
	"No quantization tables known",
	"Only 8-bit precision is supported",
	"Missing packets; dropping frame",
	"RTP timestamps don't match",
}

// TestFFmpegDecodesTheStream proves the stream interoperates: ffmpeg
// receives it over UDP on the loopback, rebuilds the JPEGs with its own
// headers and decodes them, and the pictures match the source.
//
// ffmpeg is a real process that binds its port when it is ready, so this
// test sends a frame every few milliseconds of real time until ffmpeg has
// decoded what it was asked for, bounded by a timeout: the one place in
// this package's tests where real time passes.
func TestFFmpegDecodesTheStream(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not on PATH; interoperability with ffmpeg's RTP/JPEG depacketiser not checked")
	}
	for name, jpegBytes := range map[string][]byte{
		"4:2:0 from image/jpeg": encodeJPEG(t, testImage(320, 240, 60), 90),
		"4:2:2 with restart markers": flatJPEG(flatSpec{
			width: 320, height: 240, typ: typeYUV422, restart: 7, qtables: uniformTables(8, 8), dc: mosaic,
		}),
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			want := decodeYCbCr(t, jpegBytes)
			w, h := want.Rect.Dx(), want.Rect.Dy()
			const frames = 3

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			port := freeRTPPort(t)
			sdp := filepath.Join(t.TempDir(), "stream.sdp")
			g.Expect(os.WriteFile(sdp, []byte(fmt.Sprintf(
				"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=vsslab rtpjpeg\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
					"m=video %d RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n", port)), 0o600)).To(Succeed())

			cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "info",
				"-protocol_whitelist", "file,udp,rtp", "-i", sdp,
				"-frames:v", fmt.Sprint(frames), "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			g.Expect(cmd.Start()).To(Succeed())
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()

			conn, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
			g.Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
			packetizer := rtp.NewPacketizer(1200, 26, 0xC0FFEE, &Payloader{}, rtp.NewRandomSequencer(), 90000)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			var waitErr error
		send:
			for {
				select {
				case waitErr = <-done:
					break send
				case <-tick.C:
					for _, p := range packetizer.Packetize(jpegBytes, 3600) {
						raw, err := p.Marshal()
						g.Expect(err).NotTo(HaveOccurred())
						_, _ = conn.Write(raw) // refused until ffmpeg listens
					}
				}
			}
			log := stderr.String()
			g.Expect(waitErr).NotTo(HaveOccurred(), "ffmpeg failed:\n%s", log)
			for _, complaint := range ffmpegComplaints {
				g.Expect(log).NotTo(ContainSubstring(complaint), "ffmpeg log:\n%s", log)
			}
			g.Expect(log).To(ContainSubstring(fmt.Sprintf("%dx%d", w, h)), "ffmpeg saw another size:\n%s", log)
			g.Expect(stdout.Len()).To(Equal(frames*w*h), "ffmpeg log:\n%s", log)

			var wantMean float64
			for y := range h {
				for x := range w {
					wantMean += float64(want.Y[want.YOffset(x, y)])
				}
			}
			wantMean /= float64(w * h)
			for f := range frames {
				got := stdout.Bytes()[f*w*h : (f+1)*w*h]
				var mean, diff float64
				for y := range h {
					for x := range w {
						v := float64(got[y*w+x])
						mean += v
						diff += max(v-float64(want.Y[want.YOffset(x, y)]), float64(want.Y[want.YOffset(x, y)])-v)
					}
				}
				mean /= float64(w * h)
				diff /= float64(w * h)
				g.Expect(mean).To(BeNumerically("~", wantMean, 1.5), "frame %d mean luma", f)
				g.Expect(diff).To(BeNumerically("<", 2), "frame %d mean absolute luma difference from image/jpeg's decoding", f)
			}
		})
	}
}

// freeRTPPort returns an even loopback UDP port whose successor (ffmpeg's
// RTCP port) is free too.
func freeRTPPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		port &^= 1
		a, errA := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		b, errB := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		if a != nil {
			a.Close()
		}
		if b != nil {
			b.Close()
		}
		if errA == nil && errB == nil {
			return port
		}
	}
	t.Fatalf("no free pair of UDP ports")
	return 0
}
