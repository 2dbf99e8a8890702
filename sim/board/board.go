package board

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"

	"vsslab/camera"
	hilboard "vsslab/hil/board"
	"vsslab/hil/ov5640"
	"vsslab/sim/sensor"
)

// Options are what the virtual board needs from the simulated world.
type Options struct {
	// Clock stamps pin changes and test patterns and runs WaitForEdge's timeouts. Required.
	Clock Clock
	// Sensor is the scene the OV5640 model looks at. nil gives a test chart of the driver's mode size
	// (ov5640.ModeWidth×ModeHeight), the size the model's output registers hold after Reset.
	Sensor camera.Sensor
}

// Board is the virtual board for one profile, registered in periph's i2creg (the profile's bus name)
// and gpioreg (each line's and probe's GPIO name) until Close. hil/board.Open then opens it.
type Board struct {
	Profile hilboard.Profile
	// Model is the OV5640 register model on the bus.
	Model *OV5640
	// Frames is the camera's sensor: it follows the model's registers (see Frames).
	Frames *Frames

	pins map[string]*Pin // by GPIO name
}

// Open builds the virtual board for p and registers it. The registries are periph's process-wide
// ones, so a name can be registered once at a time: a second board for the same profile, or a real
// driver already holding a name, is an error naming it. Tests that open several boards give each its
// own names (a profile is plain data).
func Open(p hilboard.Profile, opts Options) (*Board, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("open sim board %s: %w", p.Name, err)
	}
	if opts.Clock == nil {
		return nil, fmt.Errorf("open sim board %s: a clock is required", p.Name)
	}
	inner := opts.Sensor
	if inner == nil {
		chart, err := sensor.NewTestChart(opts.Clock, ov5640.ModeWidth, ov5640.ModeHeight, 1)
		if err != nil {
			return nil, fmt.Errorf("open sim board %s: %w", p.Name, err)
		}
		inner = chart
	}
	model, err := NewOV5640(p.I2C, p.Sensor.Addr)
	if err != nil {
		return nil, fmt.Errorf("open sim board %s: %w", p.Name, err)
	}
	frames, err := NewFrames(model, inner, opts.Clock)
	if err != nil {
		return nil, fmt.Errorf("open sim board %s: %w", p.Name, err)
	}
	b := &Board{Profile: p, Model: model, Frames: frames, pins: map[string]*Pin{}}
	for i, name := range p.GPIOs() {
		pin, err := NewPin(name, i, opts.Clock)
		if err != nil {
			return nil, fmt.Errorf("open sim board %s: %w", p.Name, err)
		}
		b.pins[name] = pin
	}
	if err := i2creg.Register(p.I2C, nil, -1, func() (i2c.BusCloser, error) { return model.Open() }); err != nil {
		return nil, fmt.Errorf("open sim board %s: register I2C bus: %w", p.Name, err)
	}
	var registered []string
	for _, name := range p.GPIOs() {
		if err := gpioreg.Register(b.pins[name]); err != nil {
			for _, r := range registered {
				_ = gpioreg.Unregister(r)
			}
			_ = i2creg.Unregister(p.I2C)
			return nil, fmt.Errorf("open sim board %s: register GPIO: %w", p.Name, err)
		}
		registered = append(registered, name)
	}
	return b, nil
}

// Pin returns the virtual pin of a camera line role (hil/board.LineLED, …) or a probe name; nil if
// the profile has none.
func (b *Board) Pin(name string) *Pin {
	gpio, ok := b.Profile.Lines[name]
	if !ok {
		gpio = b.Profile.Probes[name]
	}
	return b.pins[gpio]
}

// Close unregisters the bus and the pins, so the names are free for the next board.
func (b *Board) Close() error {
	var errs []error
	if err := i2creg.Unregister(b.Profile.I2C); err != nil {
		errs = append(errs, err)
	}
	for _, name := range b.Profile.GPIOs() {
		if err := gpioreg.Unregister(name); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sim board %s: %w", b.Profile.Name, err)
	}
	return nil
}
