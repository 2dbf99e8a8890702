package board_test

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"vsslab/fixtures"
	"vsslab/hil/board"
	simboard "vsslab/sim/board"
	"vsslab/sim/clock"
)

func profile(t *testing.T, tag string) board.Profile {
	t.Helper()
	p, err := board.Load(fixtures.Boards(), "sim-ov5640")
	if err != nil {
		t.Fatal(err)
	}
	p.I2C = "HB_" + tag
	p.Lines = map[string]string{"led": tag + "_1", "mic_enable": tag + "_2", "debug_enable": tag + "_3", "motion_in": tag + "_4"}
	p.Probes = map[string]string{"card_power": tag + "_5"}
	return p
}

func TestOpenWithoutABoardSaysWhatToDo(t *testing.T) {
	g := NewWithT(t)
	_, err := board.Open(profile(t, "nothing"), nil)
	g.Expect(errors.Is(err, board.ErrNotFound)).To(BeTrue())
	g.Expect(err).To(MatchError(ContainSubstring(`no I2C bus named "HB_nothing": is this a board? run as root or add the user to the i2c and gpio groups; see docs/bench.md`)))
	initErr := errors.New("boom")
	_, err = board.Open(profile(t, "nothing"), &board.Options{Init: func() error { return initErr }})
	g.Expect(errors.Is(err, initErr)).To(BeTrue())
}

func TestOpenTheVirtualBoardThroughTheRegistries(t *testing.T) {
	g := NewWithT(t)
	p := profile(t, "open")
	clk := clock.New(clock.Epoch())
	sim, err := simboard.Open(p, simboard.Options{Clock: clk})
	g.Expect(err).NotTo(HaveOccurred())
	defer sim.Close()

	var rec *i2ctest.Record
	b, err := board.Open(p, &board.Options{WrapBus: func(bus i2c.Bus) i2c.Bus { rec = &i2ctest.Record{Bus: bus}; return rec }})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rec.Ops).To(HaveLen(2), "the chip ID check went through the wrapper")
	g.Expect(b.Line(board.LineLED)).To(BeIdenticalTo(b.LED))
	g.Expect(b.Line("card_power")).NotTo(BeNil())
	g.Expect(b.Line("nope")).To(BeNil())
	g.Expect(b.DebugEnable.Out(gpio.Low)).To(Succeed())
	g.Expect(b.LED.Out(gpio.High)).To(Succeed())
	g.Expect(sim.Pin(board.LineLED).Read()).To(Equal(gpio.High))
	g.Expect(sim.Pin(board.LineMotionIn).Drive(gpio.High)).To(Succeed())
	g.Expect(b.MotionIn.Read()).To(Equal(gpio.High))
	g.Expect(b.Close()).To(Succeed())

	// A chip at another address is not found, and says where it looked.
	p2 := p
	p2.Sensor.Addr = 0x3D
	_, err = board.Open(p2, nil)
	g.Expect(errors.Is(err, board.ErrNotFound)).To(BeTrue())
	g.Expect(err).To(MatchError(ContainSubstring("no OV5640 at 0x3D on I2C bus HB_open")))
	// A line missing from gpioreg is not found either.
	p3 := p
	p3.Probes = map[string]string{"card_power": "HB_absent"}
	_, err = board.Open(p3, nil)
	g.Expect(err).To(MatchError(ContainSubstring(`no GPIO named "HB_absent" for the probe card_power`)))
}
