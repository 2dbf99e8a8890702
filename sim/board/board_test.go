package board

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"

	"vsslab/fixtures"
	hilboard "vsslab/hil/board"
	"vsslab/hil/ov5640"
	"vsslab/sim/clock"
)

// uniqueProfile is the sim-ov5640 fixture with names of its own, since periph's registries are
// process-wide and tests may run in parallel with other packages' boards.
func uniqueProfile(t *testing.T) hilboard.Profile {
	t.Helper()
	p, err := hilboard.Load(fixtures.Boards(), "sim-ov5640")
	if err != nil {
		t.Fatal(err)
	}
	tag := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	p.I2C = "T_" + tag + "_I2C"
	lines := map[string]string{}
	for k, v := range p.Lines {
		lines[k] = fmt.Sprintf("T_%s_%s", tag, v)
	}
	probes := map[string]string{}
	for k, v := range p.Probes {
		probes[k] = fmt.Sprintf("T_%s_%s", tag, v)
	}
	p.Lines, p.Probes = lines, probes
	return p
}

func TestOpenRegistersWhatHilBoardOpens(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	p := uniqueProfile(t)
	sim, err := Open(p, Options{Clock: clk})
	g.Expect(err).NotTo(HaveOccurred())

	_, err = Open(p, Options{Clock: clk})
	g.Expect(err).To(MatchError(ContainSubstring("twice")), "one board per name at a time")

	b, err := hilboard.Open(p, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Sensor.Reset()).To(Succeed())
	g.Expect(b.Sensor.Stream(true)).To(Succeed())
	f, err := sim.Frames.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Image.Rect.Dx()).To(Equal(ov5640.ModeWidth))

	g.Expect(b.MicEnable.Out(gpio.High)).To(Succeed())
	g.Expect(sim.Pin(hilboard.LineMicEnable).Edges()).To(Equal([]Edge{{Time: clk.Now(), Level: gpio.High}}))
	g.Expect(sim.Pin("card_power")).To(BeIdenticalTo(gpioreg.ByName(p.Probes["card_power"])))
	g.Expect(b.Close()).To(Succeed())

	g.Expect(sim.Close()).To(Succeed())
	_, err = i2creg.Open(p.I2C)
	g.Expect(err).To(HaveOccurred(), "Close unregisters the bus")
	g.Expect(gpioreg.ByName(p.Lines[hilboard.LineLED])).To(BeNil(), "and the pins")
	_, err = hilboard.Open(p, nil)
	g.Expect(err).To(MatchError(hilboard.ErrNotFound))
}

func TestOpenUndoesPartialRegistration(t *testing.T) {
	g := NewWithT(t)
	p := uniqueProfile(t)
	taken, _ := NewPin(p.Lines[hilboard.LineMotionIn], 0, clock.New(time.Time{}))
	g.Expect(gpioreg.Register(taken)).To(Succeed())
	defer gpioreg.Unregister(taken.Name())
	_, err := Open(p, Options{Clock: clock.New(time.Time{})})
	g.Expect(err).To(MatchError(ContainSubstring("register GPIO")))
	_, err = i2creg.Open(p.I2C)
	g.Expect(err).To(HaveOccurred(), "the bus was unregistered again")
	g.Expect(gpioreg.ByName(p.Lines[hilboard.LineLED])).To(BeNil())
	_, err = Open(p, Options{})
	g.Expect(err).To(MatchError(ContainSubstring("clock is required")))
}
