package board

import (
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"

	"vsslab/hil/ov5640"
)

// ErrNotFound matches (errors.Is) Open's errors when a bus, chip or line the profile names is not
// there, so that a caller can tell "no board here" from a board that misbehaves.
var ErrNotFound = errors.New("board not found")

// notFound is an error that says what is missing and what to do, and is ErrNotFound.
type notFound struct{ msg string }

func (e *notFound) Error() string        { return e.msg }
func (e *notFound) Is(target error) bool { return target == ErrNotFound }

func missing(format string, args ...any) error { return &notFound{msg: fmt.Sprintf(format, args...)} }

// benchHint is what to do when a bench's hardware is not where the profile says.
const benchHint = "is this a board? run as root or add the user to the i2c and gpio groups; see docs/bench.md"

// Options changes how Open opens a board. The zero value (or nil) opens what periph's registries hold
// now, which is right for the virtual board registered by sim/board.Open.
type Options struct {
	// Init loads periph's host drivers before Open looks in the registries; HostInit for a real board.
	Init func() error
	// WrapBus wraps the bus before the driver sees it, e.g. in an i2ctest.Record to record a trace.
	WrapBus func(i2c.Bus) i2c.Bus
	// Settle is the sensor driver's wait after a software reset (ov5640.Opts.Settle).
	Settle func(time.Duration)
}

// HostInit loads periph's host drivers (sysfs or /dev/gpiochip GPIO, /dev/i2c-N buses, the SoC's
// own drivers), which register the real board's buses and pins in i2creg and gpioreg.
func HostInit() error {
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("periph host init: %w", err)
	}
	return nil
}

// Board is an opened board: the sensor's driver and the camera's and the bench's lines.
type Board struct {
	Profile Profile
	// Sensor is the OV5640 driver on the profile's bus, chip ID already checked.
	Sensor *ov5640.Dev
	// LED, MicEnable and DebugEnable are the camera's outputs; MotionIn is its input.
	LED, MicEnable, DebugEnable, MotionIn gpio.PinIO
	// ResetIn is the factory-reset button's input; nil on a board without one.
	ResetIn gpio.PinIO
	// Probes are the bench's lines by profile name.
	Probes map[string]gpio.PinIO

	bus i2c.BusCloser
}

// Open finds the profile's bus in periph's registries, the sensor on it, then the lines. Anything
// missing is an error wrapping ErrNotFound that names it and says what to do.
func Open(p Profile, opts *Options) (*Board, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("open board %s: %w", p.Name, err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Init != nil {
		if err := o.Init(); err != nil {
			return nil, fmt.Errorf("open board %s: %w", p.Name, err)
		}
	}
	bus, err := i2creg.Open(p.I2C)
	if err != nil {
		return nil, missing("open board %s: no I2C bus named %q: %s (periph: %v)", p.Name, p.I2C, benchHint, err)
	}
	var driverBus i2c.Bus = bus
	if o.WrapBus != nil {
		driverBus = o.WrapBus(bus)
	}
	dev, err := ov5640.New(driverBus, &ov5640.Opts{Addr: p.Sensor.Addr, Settle: o.Settle})
	if err != nil {
		bus.Close()
		return nil, missing("open board %s: no OV5640 at 0x%02X on I2C bus %s: check the module's cable, power and address (%v)", p.Name, p.Sensor.Addr, p.I2C, err)
	}
	b := &Board{Profile: p, Sensor: dev, bus: bus, Probes: map[string]gpio.PinIO{}}
	if err := b.findLines(); err != nil {
		bus.Close()
		return nil, missing("open board %s: %v", p.Name, err)
	}
	return b, nil
}

// findLines looks up the profile's lines and probes in gpioreg.
func (b *Board) findLines() error {
	lines := map[string]*gpio.PinIO{LineLED: &b.LED, LineMicEnable: &b.MicEnable, LineDebugEnable: &b.DebugEnable, LineMotionIn: &b.MotionIn, LineResetIn: &b.ResetIn}
	for _, role := range b.Profile.Roles() {
		pin, err := findPin(b.Profile.Lines[role], "line "+role)
		if err != nil {
			return err
		}
		*lines[role] = pin
	}
	for _, name := range b.Profile.ProbeNames() {
		pin, err := findPin(b.Profile.Probes[name], "probe "+name)
		if err != nil {
			return err
		}
		b.Probes[name] = pin
	}
	return nil
}

func findPin(name, what string) (gpio.PinIO, error) {
	pin := gpioreg.ByName(name)
	if pin == nil {
		return nil, missing("no GPIO named %q for the %s: %s", name, what, benchHint)
	}
	return pin, nil
}

// Line returns the camera's line for a role (LineLED, …) or a probe line by its profile name; nil if
// the profile has none.
func (b *Board) Line(name string) gpio.PinIO {
	switch name {
	case LineLED:
		return b.LED
	case LineMicEnable:
		return b.MicEnable
	case LineDebugEnable:
		return b.DebugEnable
	case LineMotionIn:
		return b.MotionIn
	case LineResetIn:
		return b.ResetIn
	}
	return b.Probes[name]
}

// Close closes the I2C bus. It leaves the sensor and the lines as they are; Halt the sensor first to
// power it down.
func (b *Board) Close() error {
	if err := b.bus.Close(); err != nil {
		return fmt.Errorf("close board %s: %w", b.Profile.Name, err)
	}
	return nil
}
