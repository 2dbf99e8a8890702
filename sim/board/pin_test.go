package board

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"

	"vsslab/sim/clock"
)

func TestPinRecordsEveryChangeOnTheClock(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	p, err := NewPin("SIM_LED", 1, clk)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Out(gpio.High)).To(Succeed())
	g.Expect(clk.Advance(250 * time.Millisecond)).To(Succeed())
	g.Expect(p.Out(gpio.High)).To(Succeed()) // no change, no edge
	g.Expect(p.Out(gpio.Low)).To(Succeed())
	g.Expect(p.Edges()).To(Equal([]Edge{
		{Time: clock.Epoch(), Level: gpio.High},
		{Time: clock.Epoch().Add(250 * time.Millisecond), Level: gpio.Low},
	}))
	g.Expect(p.Read()).To(Equal(gpio.Low))
	g.Expect(p.Func()).To(Equal(gpio.OUT_LOW))
	g.Expect(p.Drive(gpio.High)).To(MatchError(ContainSubstring("drives it as an output")))
	g.Expect(p.PWM(gpio.DutyHalf, 0)).To(HaveOccurred())
}

func TestPinEdgeDetection(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	p, _ := NewPin("SIM_MOTION", 2, clk)
	g.Expect(p.WaitForEdge(0)).To(BeFalse(), "no edge detection yet")
	g.Expect(p.In(gpio.PullDown, gpio.RisingEdge)).To(Succeed())
	g.Expect(p.Drive(gpio.High)).To(Succeed())
	g.Expect(p.WaitForEdge(-1)).To(BeTrue(), "the pending rising edge")
	g.Expect(p.Drive(gpio.Low)).To(Succeed())

	// A falling edge is not asked for: the wait times out on the virtual clock.
	done := make(chan bool)
	go func() { done <- p.WaitForEdge(time.Second) }()
	g.Eventually(clk.Pending).Should(HaveLen(1))
	g.Consistently(done, 20*time.Millisecond).ShouldNot(Receive(), "virtual time has not moved")
	g.Expect(clk.Advance(time.Second)).To(Succeed())
	g.Eventually(done).Should(Receive(BeFalse()))

	go func() { done <- p.WaitForEdge(-1) }()
	g.Expect(p.Drive(gpio.High)).To(Succeed())
	g.Eventually(done).Should(Receive(BeTrue()))

	go func() { done <- p.WaitForEdge(-1) }()
	g.Consistently(done, 20*time.Millisecond).ShouldNot(Receive())
	g.Expect(p.Halt()).To(Succeed())
	g.Eventually(done).Should(Receive(BeFalse()), "Halt wakes a waiter")
	g.Expect(p.Edges()).To(HaveLen(3))
	g.Expect(p.Pull()).To(Equal(gpio.PullDown))
	g.Expect(p.Func()).To(Equal(gpio.IN_HIGH))
}

func TestPinPullSetsAnUndrivenInput(t *testing.T) {
	g := NewWithT(t)
	p, _ := NewPin("SIM_X", 3, clock.New(clock.Epoch()))
	g.Expect(p.In(gpio.PullUp, gpio.NoEdge)).To(Succeed())
	g.Expect(p.Read()).To(Equal(gpio.High))
	g.Expect(p.SetFunc(gpio.OUT_LOW)).To(Succeed())
	g.Expect(p.IsOutput()).To(BeTrue())
	g.Expect(p.In(gpio.Float, gpio.Edge(9))).To(HaveOccurred())
	_, err := NewPin("", 0, nil)
	g.Expect(err).To(HaveOccurred())
}

func TestPinWatchShowsWhenTheCameraTookAnEdge(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	p, _ := NewPin("SIM_MOTION", 2, clk)
	g.Expect(p.In(gpio.PullDown, gpio.RisingEdge)).To(Succeed())
	taken, waiting := p.Watch()
	g.Expect(taken).To(Equal(0))
	g.Expect(waiting).To(BeFalse())

	got := make(chan bool)
	go func() { got <- p.WaitForEdge(time.Second) }()
	g.Eventually(func() bool { _, w := p.Watch(); return w }).Should(BeTrue(), "the waiter shows")
	g.Expect(p.Drive(gpio.High)).To(Succeed())
	g.Expect(<-got).To(BeTrue())
	taken, waiting = p.Watch()
	g.Expect(taken).To(Equal(1))
	g.Expect(waiting).To(BeFalse(), "the camera has not come back to wait yet")

	// A timeout on the board clock is no edge taken.
	go func() { got <- p.WaitForEdge(time.Second) }()
	// The first wait's timer is still on the clock; wait for the second's too.
	g.Eventually(clk.Pending).Should(HaveLen(2))
	g.Expect(clk.Advance(time.Second)).To(Succeed())
	g.Expect(<-got).To(BeFalse())
	taken, _ = p.Watch()
	g.Expect(taken).To(Equal(1))
}

func TestPinOnChangeSeesEveryChangeOnce(t *testing.T) {
	g := NewWithT(t)
	p, _ := NewPin("SIM_CARD_POWER", 3, clock.New(clock.Epoch()))
	var seen []gpio.Level
	p.OnChange(func(l gpio.Level) {
		g.Expect(p.Read()).To(Equal(l), "the watcher runs after the change, and may read the pin")
		seen = append(seen, l)
	})
	g.Expect(p.Out(gpio.Low)).To(Succeed()) // already low: no change
	g.Expect(p.Out(gpio.High)).To(Succeed())
	g.Expect(p.Out(gpio.High)).To(Succeed())
	g.Expect(p.Out(gpio.Low)).To(Succeed())
	g.Expect(p.In(gpio.PullUp, gpio.NoEdge)).To(Succeed()) // the pull raises an undriven input
	g.Expect(p.Drive(gpio.Low)).To(Succeed())
	g.Expect(p.Drive(gpio.Low)).To(Succeed())
	g.Expect(seen).To(Equal([]gpio.Level{gpio.High, gpio.Low, gpio.High, gpio.Low}))
}
