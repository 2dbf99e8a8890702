package probe_test

import (
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/camera"
	"vsslab/fixtures"
	"vsslab/hil/board"
	"vsslab/hil/ov5640"
	"vsslab/hil/probe"
	"vsslab/hil/trace"
	simboard "vsslab/sim/board"
	"vsslab/sim/clock"
)

func TestStats(t *testing.T) {
	g := NewWithT(t)
	img := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	copy(img.Y, []uint8{0, 10, 20, 30, 40, 50, 60, 250})
	g.Expect(probe.Stats(img)).To(Equal(probe.FrameStats{Width: 4, Height: 2, MeanLuma: 57.5, MinLuma: 0, MaxLuma: 250}))
	sub := img.SubImage(image.Rect(1, 1, 3, 2)).(*image.YCbCr)
	g.Expect(probe.Stats(sub)).To(Equal(probe.FrameStats{Width: 2, Height: 1, MeanLuma: 55, MinLuma: 50, MaxLuma: 60}))
}

func TestParseTarget(t *testing.T) {
	g := NewWithT(t)
	tg, err := probe.ParseTarget("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tg.Sim).To(BeFalse())
	g.Expect(tg.Profile.Name).To(Equal("rpi-ov5640"))
	tg, err = probe.ParseTarget("sim:sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tg.Sim).To(BeTrue())
	_, err = probe.ParseTarget("sim:")
	g.Expect(err).To(HaveOccurred())
	_, err = probe.ParseTarget("/no/such.yaml")
	g.Expect(err).To(HaveOccurred())
}

func TestRunOnTheVirtualBoard(t *testing.T) {
	g := NewWithT(t)
	p, err := board.Load(fixtures.Boards(), "sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	p.I2C = "PROBE_I2C"
	for k, v := range p.Lines {
		p.Lines[k] = "PROBE_" + v
	}
	for k, v := range p.Probes {
		p.Probes[k] = "PROBE_" + v
	}
	sim, err := simboard.Open(p, simboard.Options{Clock: clock.New(clock.Epoch())})
	g.Expect(err).NotTo(HaveOccurred())
	defer sim.Close()
	g.Expect(sim.Pin("card_power").Drive(gpio.High)).To(Succeed())

	var rec bytes.Buffer
	rep, err := probe.Run(probe.Config{Profile: p, Frames: sim.Frames, Record: &rec})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rep.State).To(Equal(ov5640.State{ChipID: 0x5640, Streaming: true, Width: 1280, Height: 720}))
	g.Expect(rep.Frame).NotTo(BeNil())
	g.Expect(rep.Frame.Width).To(Equal(1280))
	g.Expect(rep.Frame.MinLuma).To(BeNumerically("<", rep.Frame.MaxLuma), "a real picture, not a flat one")
	g.Expect(rep.Probes).To(ContainElement(probe.LineLevel{Name: "card_power", GPIO: "PROBE_SIM_GPIO6", Level: gpio.High, Func: "In/High"}))
	g.Expect(sim.Model.Status().PoweredDown).To(BeTrue(), "the probe leaves the sensor powered down")

	tr, err := trace.Read(&rec)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr.Ops).To(HaveLen(rep.TraceOps))
	g.Expect(tr.Board).To(Equal(p.Name))

	var out strings.Builder
	g.Expect(rep.WriteText(&out)).To(Succeed())
	g.Expect(out.String()).To(ContainSubstring("chip id: 0x5640\n"))
	g.Expect(out.String()).To(MatchRegexp(`frame:   1280x720, mean luma \d+\.\d, min \d+, max \d+\n`))
	g.Expect(out.String()).To(MatchRegexp(`  led +PROBE_SIM_GPIO17 +Low`))

	// A profile without a video device: the report says why there is no frame.
	rep, err = probe.Run(probe.Config{Profile: p})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rep.Frame).To(BeNil())
	g.Expect(rep.FrameNote).To(ContainSubstring("names no video device"))

	// A real board's frames come from its video device, opened once the sensor streams, at the
	// sensor's output size, and closed again.
	p.Video = "/dev/video9"
	src := &closingFrames{Sensor: sim.Frames}
	var opened []any
	rep, err = probe.Run(probe.Config{Profile: p, OpenFrames: func(device string, w, h int) (probe.FrameSource, error) {
		opened = append(opened, device, w, h, sim.Model.Status().Streaming)
		return src, nil
	}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(opened).To(Equal([]any{"/dev/video9", 1280, 720, true}))
	g.Expect(rep.Frame).NotTo(BeNil())
	g.Expect(rep.Frame.Width).To(Equal(1280))
	g.Expect(src.closed).To(BeTrue())
	_, err = probe.Run(probe.Config{Profile: p, OpenFrames: func(string, int, int) (probe.FrameSource, error) {
		return nil, errors.New("open /dev/video9: no such device")
	}})
	g.Expect(err).To(MatchError(ContainSubstring("no such device")))
	g.Expect(sim.Model.Status().PoweredDown).To(BeTrue(), "a failed capture still leaves the sensor powered down")
}

// closingFrames is a frame source that records its Close.
type closingFrames struct {
	camera.Sensor
	closed bool
}

func (c *closingFrames) Close() error { c.closed = true; return nil }
