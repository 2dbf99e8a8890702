package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// liveStreams: the RTSP parts of PBD-1, AUTH-3 and PRIV-1, and MASK-2 on the streams.
func liveStreams(s *suite) {
	Describe("Live streams", func() {
		It("offers no audio track while the microphone is off, and a G.711 track once an admin enables it", Label("PBD-1"), func(ctx SpecContext) {
			url := s.rtspURL()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			describe := func() ([]string, rtspResponse) {
				GinkgoHelper()
				c, err := dialRTSP(url, admin)
				Expect(err).NotTo(HaveOccurred())
				defer c.Close()
				r, err := c.do("DESCRIBE", url, map[string]string{"Accept": "application/sdp"})
				Expect(err).NotTo(HaveOccurred())
				Expect(r.Status).To(Equal(200))
				return sdpMedia(r.Body), r
			}
			off, _ := describe()
			Expect(off).To(Equal([]string{"video"}), "no audio track in factory state")

			// Playing with the microphone off: video arrives, no audio packet ever.
			c := s.playing(url, admin)
			_, audioOff := s.collect(ctx, clk, c, 10)
			Expect(audioOff).To(BeZero())

			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"microphone": map[string]any{"enabled": true}})
			on, sdp := describe()
			Expect(on).To(Equal([]string{"video", "audio"}))
			Expect(sdp.Body).To(ContainSubstring("PCMU/8000"))
			evidence("SDP media, microphone off", off)
			evidence("SDP media, microphone on", on)
			evidence("audio packets received in 10 frames with the microphone off", audioOff)
		})

		It("limits guests' live stream to the guest frame rate", Label("AUTH-3"), func(ctx SpecContext) {
			url := s.rtspURL()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			viewer := s.addAccount(ctx, admin, "viewer", "guest")
			operator := s.addAccount(ctx, admin, "operator", "user")
			limit := s.settings(ctx, admin)["access"].(map[string]any)["guest_max_fps"].(float64)

			guest := s.playing(url, viewer)
			user := s.playing(url, operator)

			// The guest reads in the background; the user's frames pace virtual time.
			got := make(chan []uint32, 1)
			go func() {
				defer GinkgoRecover()
				stamps, _, _ := guest.frames(4, 60*time.Second)
				got <- stamps
			}()
			userStamps, _ := s.collect(ctx, clk, user, 50)
			var guestStamps []uint32
			Eventually(got, 30*time.Second).Should(Receive(&guestStamps))
			Expect(len(guestStamps)).To(BeNumerically(">=", 3))
			guestFPS := fps(guestStamps)
			userFPS := fps(userStamps)
			Expect(guestFPS).To(BeNumerically("<=", limit+1e-9), "guest frame rate")
			Expect(userFPS).To(BeNumerically(">", limit), "a user is not limited")
			evidence("guest limit (frames/s)", limit)
			evidence("measured guest frame rate (frames/s, from RTP timestamps)", round3(guestFPS))
			evidence("measured user frame rate (frames/s)", round3(userFPS))
		})

		It("refuses to play during privacy mode and ends running streams when it starts", Label("PRIV-1"), func(ctx SpecContext) {
			url := s.rtspURL()
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			c := s.playing(url, admin)
			s.collect(ctx, clk, c, 2)

			s.expectStatus(ctx, 200, admin, "POST", "/api/v1/privacy", nil)
			Expect(clk.Advance(time.Second)).To(Succeed())
			_, _, err := c.frames(1000, 20*time.Second)
			Expect(err).To(HaveOccurred(), "the running stream ended")

			again, err := dialRTSP(url, admin)
			Expect(err).NotTo(HaveOccurred())
			defer again.Close()
			refused, err := again.play()
			Expect(err).NotTo(HaveOccurred())
			Expect(refused.Status).To(Equal(403), "PLAY is refused while privacy mode is on")

			s.expectStatus(ctx, 200, admin, "DELETE", "/api/v1/privacy", nil)
			s.playing(url, admin)
			evidence("running stream when privacy mode began", "ended")
			evidence("PLAY during privacy mode", refused.Status)
			evidence("PLAY after cancel", 200)
		})

		for _, transport := range []string{"tcp", "udp"} {
			It(fmt.Sprintf("masks every frame ffmpeg receives over RTSP/%s", transport), Label("MASK-2"), func(ctx SpecContext) {
				url := s.rtspURL()
				if _, err := exec.LookPath("ffmpeg"); err != nil {
					Skip("not applicable: ffmpeg, the independent RTSP client, is not installed")
				}
				clk := s.clock()
				truth := s.truth()
				admin := s.takeOwnership(ctx)
				// With public access off, ffmpeg must log in (Digest), and gets the full frame rate.
				s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": false}})
				rect := [4]float64{0.125, 0.25, 0.25, 0.5}
				pixRect := [4]float64{0.5, 0.5, 0.375, 0.4375}
				masks := []map[string]any{{"id": "door", "rect": rect, "style": "color", "color": maskColour}}
				pixelated := s.env.Model != "move" // the move model has colour zones only
				if pixelated {
					masks = append(masks, map[string]any{"id": "desk", "rect": pixRect, "style": "pixelate", "tile": 32})
				}
				s.setMasks(ctx, admin, masks)
				src := truth()
				w, h := src.Bounds().Dx(), src.Bounds().Dy()

				stop := s.flowClock(clk)
				defer stop()
				frames := ffmpegFrames(ctx, transport, authURL(url, admin), w, h, 5)
				Expect(frames).To(HaveLen(5))
				area := s.maskArea(ctx, admin, rect, w, h)
				worst := 0
				for _, f := range frames {
					worst = max(worst, maxDeviation(f, area, maskYCbCr()))
				}
				Expect(worst).To(BeNumerically("<=", colourTolerance), "every frame ffmpeg decoded is masked")
				if pixelated {
					pixArea := s.maskArea(ctx, admin, pixRect, w, h)
					spread := 0.0
					for _, f := range frames {
						sp, _, tiles := tileStats(f, f, pixArea, 32)
						Expect(tiles).To(BeNumerically(">=", 4))
						spread = max(spread, sp)
					}
					Expect(spread).To(BeNumerically("<=", flatTolerance), "every pixelation tile is flat in every frame")
					evidence("pixelation: max spread inside a tile over all frames (luma)", spread)
				}
				clear := image.Rect(0, 3*h/4+32, w/2-32, h)
				corr := lumaCorrelation(frames[len(frames)-1], src, clear)
				Expect(corr).To(BeNumerically(">", 0.9), "control: ffmpeg's frames show the scene outside the mask")
				evidence("client", "ffmpeg over RTSP/"+transport)
				evidence("frames decoded", len(frames))
				evidence("colour mask: max deviation over all frames", worst)
				evidence("ffmpeg frame vs scene", evidencePicture(src, frames[len(frames)-1], area))
			})
		}
	})
}

// playing opens an RTSP session for cred that is playing the live stream; it is closed with the spec.
func (s *suite) playing(url string, cred Cred) *rtspClient {
	GinkgoHelper()
	c, err := dialRTSP(url, cred)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	r, err := c.play()
	Expect(err).NotTo(HaveOccurred())
	Expect(r.Status).To(Equal(200), "PLAY as %q", cred.Name)
	return c
}

// rtspURL is the target's live stream, or marks the spec not applicable.
func (s *suite) rtspURL() string {
	GinkgoHelper()
	u := s.env.Target.RTSPURL()
	if u == "" {
		Skip("not applicable: the target has no RTSP stream")
	}
	return u
}

// collect reads n frames from a playing client, moving virtual time one frame period at a time and
// waiting for each frame, so the count is exact on every run.
func (s *suite) collect(ctx SpecContext, clk target.Clock, c *rtspClient, n int) ([]uint32, int) {
	GinkgoHelper()
	var stamps []uint32
	audio := 0
	for range n {
		Expect(clk.Advance(100 * time.Millisecond)).To(Succeed())
		st, a, err := c.frames(1, 20*time.Second)
		Expect(err).NotTo(HaveOccurred())
		stamps = append(stamps, st...)
		audio += a
	}
	return stamps, audio
}

// flowClock lets virtual time pass at the speed of the wall clock, for a real-time client such as
// ffmpeg, until the returned function is called.
func (s *suite) flowClock(clk target.Clock) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = clk.Advance(50 * time.Millisecond)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// fps is the frame rate that RTP timestamps (90 kHz) describe.
func fps(stamps []uint32) float64 {
	if len(stamps) < 2 {
		return 0
	}
	span := float64(stamps[len(stamps)-1]-stamps[0]) / 90000
	if span <= 0 {
		return 0
	}
	return float64(len(stamps)-1) / span
}

func authURL(raw string, c Cred) string {
	return "rtsp://" + c.Name + ":" + urlEscape(c.Password) + "@" + raw[len("rtsp://"):]
}

func urlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range []byte(s) {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteByte(r)
		} else {
			fmt.Fprintf(&b, "%%%02X", r)
		}
	}
	return b.String()
}

// ffmpegFrames pulls n frames with ffmpeg and returns them decoded as full-range 4:2:0 (yuvj420p, as
// JPEG codes them: no range conversion in between).
func ffmpegFrames(ctx context.Context, transport, url string, w, h, n int) []*image.YCbCr {
	GinkgoHelper()
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, "ffmpeg", "-v", "error", "-analyzeduration", "500000", "-rtsp_transport", transport, "-i", url,
		"-frames:v", fmt.Sprint(n), "-f", "rawvideo", "-pix_fmt", "yuvj420p", "-")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	Expect(err).NotTo(HaveOccurred(), "ffmpeg: %s", stderr.String())
	Expect(stderr.String()).NotTo(ContainSubstring("Invalid RTP/JPEG"))
	size := w*h + 2*(w/2)*(h/2)
	Expect(out.Len()%size).To(BeZero(), "ffmpeg returned whole %dx%d frames", w, h)
	var frames []*image.YCbCr
	data := out.Bytes()
	for off := 0; off+size <= len(data); off += size {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		copy(img.Y, data[off:off+w*h])
		copy(img.Cb, data[off+w*h:off+w*h+(w/2)*(h/2)])
		copy(img.Cr, data[off+w*h+(w/2)*(h/2):off+size])
		frames = append(frames, img)
	}
	return frames
}
