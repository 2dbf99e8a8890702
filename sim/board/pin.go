package board

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// Clock is the board's time: the simulated world's virtual clock, or the wall clock when the virtual
// board stands in for a bench (`vsslab board probe --board sim:…`). Now stamps every level change;
// After is what WaitForEdge's timeout runs on, so a scenario decides when a timeout has passed.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Edge is one level change of a pin, at the board clock's time.
type Edge struct {
	Time  time.Time
	Level gpio.Level
}

// Pin is a virtual GPIO line implementing gpio.PinIO. The camera drives its outputs (Out) and reads
// its inputs (In, Read, WaitForEdge); the bench side drives inputs with Drive and reads every change
// back with Edges. A pin starts as a low input without pull and edge detection, like a GPIO after
// boot. Edge detection remembers at most one pending edge, as Linux GPIO interrupts do: WaitForEdge
// answers "did the line change since I last looked", not "how many times".
type Pin struct {
	name string
	num  int
	clk  Clock

	mu      sync.Mutex
	out     bool
	level   gpio.Level
	driven  bool // the bench has driven the level (a pull no longer decides it)
	pull    gpio.Pull
	edge    gpio.Edge
	pending chan struct{} // capacity 1: an edge happened since the last WaitForEdge
	wake    chan struct{} // closed when edge detection is turned off or the pin halted
	edges   []Edge
	waiting int // WaitForEdge calls waiting now
	taken   int // edges WaitForEdge has returned true for
	watch   []func(gpio.Level)
}

// NewPin makes a pin named name (the name gpioreg will know it by) with logical number num.
func NewPin(name string, num int, clk Clock) (*Pin, error) {
	if name == "" || clk == nil {
		return nil, errors.New("sim pin: a name and a clock are required")
	}
	return &Pin{name: name, num: num, clk: clk, pending: make(chan struct{}, 1), wake: make(chan struct{})}, nil
}

func (p *Pin) String() string { return p.name }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return p.num }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *Pin) Func() pin.Func {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.out && p.level == gpio.High:
		return gpio.OUT_HIGH
	case p.out:
		return gpio.OUT_LOW
	case p.level == gpio.High:
		return gpio.IN_HIGH
	}
	return gpio.IN_LOW
}

// SupportedFuncs implements pin.PinFunc.
func (p *Pin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc for the plain GPIO functions.
func (p *Pin) SetFunc(f pin.Func) error {
	switch f {
	case gpio.IN, gpio.IN_LOW, gpio.IN_HIGH:
		return p.In(gpio.PullNoChange, gpio.NoEdge)
	case gpio.OUT_HIGH:
		return p.Out(gpio.High)
	case gpio.OUT, gpio.OUT_LOW:
		return p.Out(gpio.Low)
	}
	return fmt.Errorf("sim pin %s: function %q is not supported", p.name, f)
}

// Halt implements conn.Resource: it stops edge detection and wakes any WaitForEdge.
func (p *Pin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopEdges()
	return nil
}

// stopEdges ends edge detection; the caller holds p.mu.
func (p *Pin) stopEdges() {
	if p.edge != gpio.NoEdge {
		close(p.wake)
		p.wake = make(chan struct{})
	}
	p.edge = gpio.NoEdge
	select {
	case <-p.pending:
	default:
	}
}

// In implements gpio.PinIn: the pin becomes an input. A pull sets the level until the bench drives it.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	if edge < gpio.NoEdge || edge > gpio.BothEdges {
		return fmt.Errorf("sim pin %s: unknown edge %d", p.name, edge)
	}
	p.mu.Lock()
	p.out = false
	if pull != gpio.PullNoChange {
		p.pull = pull
	}
	changed, level := false, p.level
	if !p.driven {
		switch p.pull {
		case gpio.PullUp:
			changed, level = p.set(gpio.High), gpio.High
		case gpio.PullDown:
			changed, level = p.set(gpio.Low), gpio.Low
		}
	}
	p.stopEdges()
	p.edge = edge
	p.mu.Unlock()
	p.changed(changed, level)
	return nil
}

// Read implements gpio.PinIn (and reads back an output's level).
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge implements gpio.PinIn: it returns true at once if an edge came since the last call, else
// waits for one for timeout on the board's clock (-1: for ever). It returns false without waiting when
// edge detection is off, and false when Halt or In stops edge detection meanwhile.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	if p.edge == gpio.NoEdge {
		p.mu.Unlock()
		return false
	}
	pending, wake := p.pending, p.wake
	p.waiting++
	p.mu.Unlock()
	var expired <-chan time.Time
	if timeout >= 0 {
		expired = p.clk.After(timeout)
	}
	got := false
	select {
	case <-pending:
		got = true
	case <-wake:
	case <-expired:
	}
	p.mu.Lock()
	p.waiting--
	if got {
		p.taken++
	}
	p.mu.Unlock()
	return got
}

// Watch reports how many edges WaitForEdge has handed to the camera so far, and whether a WaitForEdge
// is waiting now. A bench pulse uses it in place of a pulse width: the camera reads the level after
// WaitForEdge returns, so the bench holds the line high until the camera has taken the rising edge
// and come back to wait for the next (taken grew and waiting is true again), and only then drives it
// low. A real PIR output stays high far longer than a GPIO interrupt takes; a virtual one must not
// be shorter than the camera's reaction, which on a virtual clock is not a duration.
func (p *Pin) Watch() (taken int, waiting bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken, p.waiting > 0
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn: virtual pins float after boot.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.Float }

// Out implements gpio.PinOut: the pin becomes an output at level l.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	p.stopEdges()
	p.out = true
	changed := p.set(l)
	p.mu.Unlock()
	p.changed(changed, l)
	return nil
}

// PWM implements gpio.PinOut; the camera's lines are plain levels, so it is refused.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("sim pin %s: PWM is not supported", p.name)
}

// Drive is the bench driving an input (the motion sensor, a probe): it sets the level and signals an
// edge to WaitForEdge when edge detection asks for it. Driving a pin the camera drives as an output
// would be a short circuit on a real board, so it is an error.
func (p *Pin) Drive(l gpio.Level) error {
	p.mu.Lock()
	if p.out {
		p.mu.Unlock()
		return fmt.Errorf("sim pin %s: the camera drives it as an output; the bench cannot drive it too", p.name)
	}
	p.driven = true
	if !p.set(l) {
		p.mu.Unlock()
		return nil
	}
	if p.edge == gpio.BothEdges || (p.edge == gpio.RisingEdge && l == gpio.High) || (p.edge == gpio.FallingEdge && l == gpio.Low) {
		select {
		case p.pending <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
	p.changed(true, l)
	return nil
}

// set changes the level and records the change, reporting whether there was one; the caller holds
// p.mu.
func (p *Pin) set(l gpio.Level) bool {
	if p.level == l {
		return false
	}
	p.level = l
	p.edges = append(p.edges, Edge{Time: p.clk.Now(), Level: l})
	return true
}

// OnChange has f called with the new level after every change of the pin's level, whoever made it: a
// wire on the virtual board that something else on the board follows (the card's supply, switched by
// the bench through card_power). f runs on the changer's goroutine, after the pin's lock is released,
// so it may read the pin.
func (p *Pin) OnChange(f func(gpio.Level)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watch = append(p.watch, f)
}

// changed tells the OnChange watchers of a change to l, if there was one; the caller does not hold
// p.mu.
func (p *Pin) changed(did bool, l gpio.Level) {
	if !did {
		return
	}
	p.mu.Lock()
	watch := append([](func(gpio.Level)){}, p.watch...)
	p.mu.Unlock()
	for _, f := range watch {
		f(l)
	}
}

// Edges returns every level change so far, oldest first (a copy).
func (p *Pin) Edges() []Edge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Edge(nil), p.edges...)
}

// IsOutput reports whether the camera has made the pin an output.
func (p *Pin) IsOutput() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out
}

var (
	_ gpio.PinIO  = (*Pin)(nil)
	_ pin.PinFunc = (*Pin)(nil)
)
