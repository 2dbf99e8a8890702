package target

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/fixtures"
	hilboard "vsslab/hil/board"
)

func simBoard(t *testing.T) hilboard.Profile {
	t.Helper()
	p, err := hilboard.Load(fixtures.Boards(), DefaultSimBoard)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHILSimHasEveryCapabilityOfSimAndTheLines(t *testing.T) {
	g := NewWithT(t)
	h, err := NewHILSim(t.TempDir(), "iot", 1, simBoard(t))
	g.Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	var tgt Target = h
	_, clocked := tgt.(Clocked)
	_, observed := tgt.(Observed)
	_, storage := tgt.(Storage)
	_, grounded := tgt.(Grounded)
	_, hasCard := tgt.(Card)
	_, motion := tgt.(MotionInput)
	_, scenery := tgt.(Scenery)
	_, lines := tgt.(Lines)
	_, pattern := tgt.(TestPattern)
	g.Expect([]bool{clocked, observed, storage, grounded, hasCard, motion, scenery, lines, pattern}).To(HaveEach(BeTrue()))
	info, err := h.Info(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Kind).To(Equal("hil-sim"))

	// The plain sim target has no lines, so bench specs are not applicable there.
	var plain Target = h.Sim
	_, simLines := plain.(Lines)
	_, simPattern := plain.(TestPattern)
	g.Expect([]bool{simLines, simPattern}).To(HaveEach(BeFalse()))
}

func TestHILSimLinesAndTheMotionInput(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	h, err := NewHILSim(t.TempDir(), "iot", 1, simBoard(t))
	g.Expect(err).NotTo(HaveOccurred())
	defer h.Close()

	level, edges, err := h.Line("mic_enable")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(level).To(Equal(gpio.Low), "the microphone is off in factory state")
	g.Expect(edges).To(BeEmpty())
	_, _, err = h.Line("fog_horn")
	g.Expect(err).To(MatchError(ContainSubstring(`no line "fog_horn"`)))

	g.Expect(h.PulseMotion()).To(Succeed())
	_, in, err := h.Line("motion_in")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(in).To(HaveLen(2))
	g.Expect([]gpio.Level{in[0].Level, in[1].Level}).To(Equal([]gpio.Level{gpio.High, gpio.Low}))
	taken, _ := h.board().Pin("motion_in").Watch()
	g.Expect(taken).To(Equal(1), "the camera took the rising edge before the line fell")

	// A power cycle closes the board and opens it again under the same names.
	g.Expect(h.PowerCycle(ctx)).To(Succeed())
	g.Expect(h.FactoryReset(ctx)).To(Succeed())
	_, in, err = h.Line("motion_in")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(in).To(BeEmpty(), "a new power-on, a new record")
}

func TestHILSimTestPatternComesThroughTheBoard(t *testing.T) {
	g := NewWithT(t)
	h, err := NewHILSim(t.TempDir(), "iot", 1, simBoard(t))
	g.Expect(err).NotTo(HaveOccurred())
	defer h.Close()
	truth, err := h.Truth()
	g.Expect(err).NotTo(HaveOccurred())

	bars, err := h.ShowTestPattern(true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bars.Bounds()).To(Equal(truth.Image.Bounds()), "the board's output size is the world's")
	f, err := h.world().Board.Virtual.Frames.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Image.Y).To(Equal(bars.Y), "the sensor shows the bars it said")

	off, err := h.ShowTestPattern(false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(off).To(BeNil())
	f, err = h.world().Board.Virtual.Frames.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Image.Y).NotTo(Equal(bars.Y))
}

func TestOpenKinds(t *testing.T) {
	g := NewWithT(t)
	_, err := Open("bench", "", t.TempDir(), "iot", 1)
	g.Expect(errors.Is(err, ErrUnknownKind)).To(BeTrue(), "%v", err)
	_, err = Open("sim", "sim-ov5640", t.TempDir(), "iot", 1)
	g.Expect(errors.Is(err, ErrUnknownKind)).To(BeTrue(), "a board is not silently ignored: %v", err)
	_, err = Open("hil:rpi-ov5640", "", t.TempDir(), "iot", 1)
	g.Expect(errors.Is(err, ErrNeedsCamera)).To(BeTrue(), "a bench is opened with OpenHIL, which takes the camera's address and pin: %v", err)
	_, err = Open("hil-sim", "no-such-board", t.TempDir(), "iot", 1)
	g.Expect(err).To(MatchError(ContainSubstring("no-such-board")))

	tgt, err := Open("hil-sim", "", t.TempDir(), "move", 1)
	g.Expect(err).NotTo(HaveOccurred(), "the move model's PTZ head carries the board")
	g.Expect(tgt).To(BeAssignableToTypeOf(&HILSim{}))
	g.Expect(tgt.Close()).To(Succeed())
}
