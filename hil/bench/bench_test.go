package bench

import (
	"crypto/tls"
	"image"
	"net/http"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/camera"
	"vsslab/fixtures"
	"vsslab/hil/board"
	"vsslab/hil/sdcard"
	simboard "vsslab/sim/board"
	simclock "vsslab/sim/clock"
)

// fakeFrames stands in for the board's video device: a flat grey frame at the clock's time.
type fakeFrames struct {
	clk    *simclock.Virtual
	mu     sync.Mutex
	closed int
}

func (f *fakeFrames) Capture() (camera.Frame, error) {
	img := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = 128
		}
	}
	return camera.Frame{Image: img, Captured: f.clk.Now()}, nil
}

func (f *fakeFrames) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

// openVirtual registers a virtual board under names of the test's own and opens it as a bench opens
// a real one, with its sensor streaming.
func openVirtual(t *testing.T, g *WithT, clk *simclock.Virtual) (*simboard.Board, *board.Board) {
	t.Helper()
	p, err := board.Load(fixtures.Boards(), "sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	p.Name, p.I2C = "bench-test", "BENCH_TEST_I2C" // its own names: tests may run beside other boards
	for role, name := range p.Lines {
		p.Lines[role] = "BENCH_TEST_" + name
	}
	for probe, name := range p.Probes {
		p.Probes[probe] = "BENCH_TEST_" + name
	}
	virtual, err := simboard.Open(p, simboard.Options{Clock: clk})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = virtual.Close() })
	opened, err := board.Open(p, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(opened.Sensor.Reset()).To(Succeed())
	g.Expect(opened.Sensor.Stream(true)).To(Succeed())
	return virtual, opened
}

func TestCameraOnTheVirtualBoardsLines(t *testing.T) {
	g := NewWithT(t)
	clk := simclock.New(simclock.Epoch())
	virtual, opened := openVirtual(t, g, clk)
	frames := &fakeFrames{clk: clk}

	c, err := Start(opened, frames, Options{
		StateDir: t.TempDir(), Model: camera.ModelIoT, Serial: "VSS-BENCH", Clock: clk,
		HTTPS: "127.0.0.1:0", RTSP: "127.0.0.1:0",
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Server.HTTPSURL()).To(HavePrefix("https://127.0.0.1:"))
	g.Expect(c.RTSPURL()).To(MatchRegexp(`^rtsp://127\.0\.0\.1:\d+/live$`))

	// The API answers over TLS with the certificate the camera reports.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(c.Server.HTTPSURL() + "/")
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.TLS.PeerCertificates).NotTo(BeEmpty())

	// The camera drives the board's lines: the microphone and debug lines are outputs, low in the
	// factory state.
	for _, role := range []string{board.LineMicEnable, board.LineDebugEnable} {
		g.Expect(virtual.Pin(role).IsOutput()).To(BeTrue(), role)
		g.Expect(virtual.Pin(role).Read()).To(Equal(gpio.Low), role)
	}

	// Close stops the frames, powers the sensor down and closes the board, so it opens again.
	g.Expect(c.Close()).To(Succeed())
	g.Expect(frames.closed).To(Equal(1))
	g.Expect(virtual.Model.Status().PoweredDown).To(BeTrue())
	again, err := board.Open(virtual.Profile, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Close()).To(Succeed())
}

func TestConfigWiresTheBoard(t *testing.T) {
	g := NewWithT(t)
	clk := simclock.New(simclock.Epoch())
	_, opened := openVirtual(t, g, clk)
	defer opened.Close()
	frames := &fakeFrames{clk: clk}
	cfg := Config(opened, frames, Options{StateDir: "s", Model: camera.ModelIoT, Serial: "x", Clock: clk})
	g.Expect(cfg.Sensor).To(BeIdenticalTo(frames))
	g.Expect(cfg.MotionInput).To(BeIdenticalTo(opened.MotionIn))
	g.Expect(opened.ResetIn).NotTo(BeNil(), "the virtual board has a reset button")
	g.Expect(cfg.ResetButton).To(BeIdenticalTo(opened.ResetIn))
	g.Expect(cfg.MicEnable).To(BeIdenticalTo(opened.MicEnable))
	g.Expect(cfg.DebugEnable).To(BeIdenticalTo(opened.DebugEnable))
	g.Expect(cfg.LED).To(BeIdenticalTo(opened.LED))
	g.Expect(cfg.Hosts).To(Equal([]string{"localhost", "127.0.0.1", "::1"}))
	g.Expect(cfg.Card).To(BeNil(), "no card given: the camera answers that it has none")
	sd, err := sdcard.Open("/mnt/vsslab-card")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(Config(opened, frames, Options{Card: sd}).Card).To(BeIdenticalTo(sd))
	g.Expect(cfg.Dialer).NotTo(BeNil())

	// A line the profile leaves out stays a nil interface, which the camera checks for.
	opened.LED, opened.ResetIn = nil, nil
	g.Expect(Config(opened, frames, Options{}).LED).To(BeNil())
	g.Expect(Config(opened, frames, Options{}).ResetButton).To(BeNil(), "a board without a button")
}

func TestStartFailureClosesWhatItWasGiven(t *testing.T) {
	g := NewWithT(t)
	clk := simclock.New(simclock.Epoch())
	virtual, opened := openVirtual(t, g, clk)
	frames := &fakeFrames{clk: clk}
	// A board has no pan-tilt head: the move model is refused.
	_, err := Start(opened, frames, Options{StateDir: t.TempDir(), Model: camera.ModelMove, Serial: "x", Clock: clk, HTTPS: "127.0.0.1:0"})
	g.Expect(err).To(MatchError(ContainSubstring("start camera on board bench-test: new camera: the move model needs a sensor that can pan, tilt and zoom")))
	g.Expect(frames.closed).To(Equal(1))
	g.Expect(virtual.Model.Status().PoweredDown).To(BeTrue())

	_, err = Start(nil, frames, Options{})
	g.Expect(err).To(MatchError(ContainSubstring("a board and a frame source are required")))
}
