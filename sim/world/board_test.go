package world

import (
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/fixtures"
	hilboard "vsslab/hil/board"
	simclock "vsslab/sim/clock"
)

func TestWorldOnTheVirtualBoard(t *testing.T) {
	g := NewWithT(t)
	p, err := hilboard.Load(fixtures.Boards(), "sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	p.Name, p.I2C = "world-test", "WORLD_TEST_I2C" // its own names: tests may run beside other boards
	for role, name := range p.Lines {
		p.Lines[role] = "WORLD_TEST_" + name
	}
	for probe, name := range p.Probes {
		p.Probes[probe] = "WORLD_TEST_" + name
	}
	start := func() *World {
		w, err := Start(Options{StateDir: t.TempDir(), Model: "iot", Seed: 1, Clock: simclock.New(simclock.Epoch()), HTTPS: "127.0.0.1:0", Board: &p})
		g.Expect(err).NotTo(HaveOccurred())
		return w
	}
	w := start()
	g.Expect(w.MotionInput).To(BeNil(), "the board's motion_in is the line")
	st, err := w.Board.Opened.Sensor.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]any{st.Streaming, st.Width, st.Height}).To(Equal([]any{true, 640, 360}), "the driver sized the output to the world")
	f, err := w.Board.Virtual.Frames.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Image.Rect.Dx()).To(Equal(640))
	g.Expect(w.Board.Virtual.Pin(hilboard.LineMicEnable).IsOutput()).To(BeTrue(), "the camera drives its lines")
	g.Expect(w.Board.Virtual.Pin(hilboard.LineMicEnable).Read()).To(Equal(gpio.Low))

	// Close unregisters the names and powers the sensor down, so the board opens again.
	model := w.Board.Virtual.Model
	g.Expect(w.Close()).To(Succeed())
	g.Expect(model.Status().PoweredDown).To(BeTrue())
	w = start()
	g.Expect(w.Close()).To(Succeed())
}

func TestWorldRefusesABoardLargerThanItsMode(t *testing.T) {
	g := NewWithT(t)
	p, err := hilboard.Load(fixtures.Boards(), "sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = Start(Options{StateDir: t.TempDir(), Model: "iot", Clock: simclock.New(simclock.Epoch()), HTTPS: "127.0.0.1:0", Width: 1920, Height: 1080, Board: &p})
	g.Expect(err).To(MatchError(ContainSubstring("output size 1920x1080")))
	// Nothing stays registered after the failure.
	w, err := Start(Options{StateDir: t.TempDir(), Model: "iot", Clock: simclock.New(simclock.Epoch()), HTTPS: "127.0.0.1:0", Board: &p})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.Close()).To(Succeed())
}
