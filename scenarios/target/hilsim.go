package target

import (
	"errors"
	"fmt"
	"image"
	"time"

	"periph.io/x/conn/v3/gpio"

	hilboard "vsslab/hil/board"
	"vsslab/hil/ov5640"
	simboard "vsslab/sim/board"
)

// HILSim is the reference camera on the virtual board (sim/board) opened through hil/board.Open, as
// on a bench: the target of `vsslab run --target hil-sim`. It is the Sim target with the board in
// between (one camera, one set of capabilities, so every spec that passes on sim must pass here) plus
// what only a board has: the camera's lines seen from the probe side (Lines) and the sensor's test
// pattern (TestPattern).
type HILSim struct {
	*Sim
}

// NewHILSim starts the camera on the virtual board of profile p, in a fresh state directory under dir.
func NewHILSim(dir, model string, seed int64, p hilboard.Profile) (*HILSim, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("hil-sim target: %w", err)
	}
	s, err := newSim("hil-sim", dir, model, seed, &p)
	if err != nil {
		return nil, err
	}
	return &HILSim{Sim: s}, nil
}

// board is the current power-on's board; every power cycle opens it anew.
func (h *HILSim) board() *simboard.Board { return h.world().Board.Virtual }

// Line reads the probe side of one of the camera's lines: its level now and its changes since the
// camera last powered on.
func (h *HILSim) Line(role string) (gpio.Level, []Edge, error) {
	pin := h.board().Pin(role)
	if pin == nil {
		return gpio.Low, nil, fmt.Errorf("hil-sim target: board %s has no line %q", h.board().Profile.Name, role)
	}
	var edges []Edge
	for _, e := range pin.Edges() {
		edges = append(edges, Edge{Time: e.Time, Level: e.Level})
	}
	return pin.Read(), edges, nil
}

// ShowTestPattern switches the sensor's colour bars on or off through the OV5640 driver on the board's
// bus, as a bench does, and returns the picture the pattern is at the sensor's output size (nil when
// off). The next power cycle or reset starts the sensor without a pattern.
func (h *HILSim) ShowTestPattern(on bool) (*image.YCbCr, error) {
	d := h.world().Board.Opened.Sensor
	p := ov5640.PatternOff
	if on {
		p = ov5640.PatternColorBars
	}
	if err := d.SetTestPattern(p); err != nil {
		return nil, fmt.Errorf("hil-sim target: %w", err)
	}
	if !on {
		return nil, nil
	}
	st, err := d.State()
	if err != nil {
		return nil, fmt.Errorf("hil-sim target: %w", err)
	}
	img, err := simboard.TestPattern(uint8(p), st.Width, st.Height)
	if err != nil {
		return nil, fmt.Errorf("hil-sim target: %w", err)
	}
	return img, nil
}

// pulseBoardPin pulses the virtual board's motion input: it waits for the camera to watch the line,
// drives it high, holds it until the camera has taken the rising edge and come back to watch again
// (the camera reads the level after the edge, so a shorter pulse would be missed, as a too-short PIR
// pulse would on a real board), then drives it low. The waits are on observable pin state, bounded in
// wall time by edgeTimeout so that a camera that never watches fails the pulse instead of hanging.
func pulseBoardPin(pin *simboard.Pin) error {
	if pin == nil {
		return errors.New("hil-sim target: the board has no motion_in line")
	}
	deadline := time.Now().Add(edgeTimeout)
	wait := func(what string, done func() bool) error {
		for !done() {
			if time.Now().After(deadline) {
				return fmt.Errorf("hil-sim target: motion input: %s not seen within %s", what, edgeTimeout)
			}
			time.Sleep(time.Millisecond) // polling the pin's state, not waiting for time to pass
		}
		return nil
	}
	if err := wait("the camera watching the line", func() bool { _, w := pin.Watch(); return w }); err != nil {
		return err
	}
	before, _ := pin.Watch()
	if err := pin.Drive(gpio.High); err != nil {
		return fmt.Errorf("hil-sim target: motion input: %w", err)
	}
	if err := wait("the camera taking the rising edge", func() bool { n, w := pin.Watch(); return n > before && w }); err != nil {
		return err
	}
	if err := pin.Drive(gpio.Low); err != nil {
		return fmt.Errorf("hil-sim target: motion input: %w", err)
	}
	return nil
}

var (
	_ Lines       = (*HILSim)(nil)
	_ TestPattern = (*HILSim)(nil)
	_ Grounded    = (*HILSim)(nil)
	_ Card        = (*HILSim)(nil)
	_ MotionInput = (*HILSim)(nil)
	_ Scenery     = (*HILSim)(nil)
	_ Clocked     = (*HILSim)(nil)
	_ Observed    = (*HILSim)(nil)
	_ Storage     = (*HILSim)(nil)
)
