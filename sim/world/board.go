package world

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera"
	"vsslab/camera/ptz"
	"vsslab/camera/users"
	hilboard "vsslab/hil/board"
	simboard "vsslab/sim/board"
	"vsslab/sim/card"
)

// Board is the camera's board in a world built with Options.Board: the virtual board (the bench's
// side: its pins record every edge and drive motion_in) and the same board as hil/board.Open opened
// it (the camera's side: the OV5640 driver and the lines the camera drives). The camera gets only the
// opened side, so it runs on exactly the code path a real board takes.
type Board struct {
	// Virtual is the virtual board: read a line's edges with Virtual.Pin(role).Edges(), drive the
	// motion input with Virtual.Pin(hilboard.LineMotionIn).Drive.
	Virtual *simboard.Board
	// Opened is the board as the bench opens it: Opened.Sensor is the OV5640 driver on the profile's
	// bus (for a test pattern), Opened.LED … Opened.MotionIn the camera's lines.
	Opened *hilboard.Board
}

// openBoard puts the scene sensor behind the virtual board for p, opens that board through
// hil/board.Open as a bench opens a real one, resets the sensor into its mode, scales its output to
// w×h (the scene's size, which the register model passes on unscaled) and starts streaming. On an
// error nothing stays registered.
func openBoard(p hilboard.Profile, clk simboard.Clock, scene camera.Sensor, w, h int) (*Board, error) {
	virtual, err := simboard.Open(p, simboard.Options{Clock: clk, Sensor: scene})
	if err != nil {
		return nil, fmt.Errorf("open board %s: %w", p.Name, err)
	}
	opened, err := hilboard.Open(p, nil)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open board %s: %w", p.Name, err), virtual.Close())
	}
	b := &Board{Virtual: virtual, Opened: opened}
	if err := b.start(w, h); err != nil {
		return nil, errors.Join(fmt.Errorf("open board %s: %w", p.Name, err), b.Close())
	}
	return b, nil
}

// start initialises the sensor as the probe and a bench do: Reset, the output size, Stream(true).
func (b *Board) start(w, h int) error {
	d := b.Opened.Sensor
	if err := d.Reset(); err != nil {
		return err
	}
	if err := d.SetOutputSize(w, h); err != nil {
		return err
	}
	return d.Stream(true)
}

// switchCard has the card follow the profile's card_power probe line, when it names one: the bench
// switching it low cuts the card's supply (the card is gone, as if pulled), high restores it.
func (b *Board) switchCard(sd *card.Card) error {
	return b.supplySwitch(hilboard.ProbeCardPower, func(on bool) {
		if on {
			sd.Insert()
		} else {
			sd.Eject()
		}
	})
}

// supplySwitch closes the bench's supply switch on the probe line name (high: the supply is on, as on
// a board whose switch was never opened) and has follow called with the supply's state at every
// change of the line afterwards. A profile without the line wires nothing.
func (b *Board) supplySwitch(name string, follow func(on bool)) error {
	p := b.Virtual.Pin(name)
	if p == nil {
		return nil
	}
	if err := p.Drive(gpio.High); err != nil {
		return fmt.Errorf("close the %s switch: %w", name, err)
	}
	p.OnChange(func(l gpio.Level) { follow(l == gpio.High) })
	return nil
}

// wireResetButton wires the profile's reset_button probe to the camera's reset_in line, as a bench's
// transistor beside the button is: whatever level the bench drives on the probe, the camera's button
// line takes. Either end missing wires nothing.
func (b *Board) wireResetButton() {
	probe, button := b.Virtual.Pin(hilboard.ProbeResetButton), b.Virtual.Pin(hilboard.LineResetIn)
	if probe == nil || button == nil {
		return
	}
	probe.OnChange(func(l gpio.Level) {
		// Refused only if the camera drove its own button line as an output, which it never does; a
		// bench's transistor could not win against it either.
		_ = button.Drive(l)
	})
}

// switchPower has the camera start again when the bench switches the profile's power line off and on
// (a relay in the board's supply). The virtual board's camera is a process of the harness, so a power
// cut is its reboot from what it stored: what was not persisted is gone and streams end, as after a
// cut, but the camera does not stop answering while the line is low.
func (b *Board) switchPower(cam *camera.Camera) error {
	return b.supplySwitch(hilboard.ProbePower, func(on bool) {
		if on {
			// An error halts the camera, which then answers every request with it: what a bench sees.
			_ = cam.Reboot(camera.Actor{Name: "system", Level: users.Admin, Source: "power"})
		}
	})
}

// wire gives the camera the board: frames from the virtual board's sensor (which follow the
// registers the driver wrote), and the lines the opened board found by name.
func (b *Board) wire(cfg *camera.Config, scene camera.Sensor) {
	cfg.Sensor = b.Virtual.Frames
	if head, ok := scene.(camera.PTZ); ok {
		cfg.Sensor = panTiltHead{Sensor: b.Virtual.Frames, head: head}
	}
	cfg.MotionInput = b.Opened.MotionIn
	if b.Opened.ResetIn != nil {
		cfg.ResetButton = b.Opened.ResetIn
	}
	cfg.MicEnable = b.Opened.MicEnable
	cfg.DebugEnable = b.Opened.DebugEnable
	cfg.LED = b.Opened.LED
}

// halt halts the camera's inputs (the motion input and the reset button), as a board's GPIO driver
// does when the firmware stops: it wakes the camera's WaitForEdge, which otherwise waits out its
// timeout on the board's clock, and a virtual clock does not move while the camera closes. A nil
// Board halts nothing.
func (b *Board) halt() error {
	if b == nil {
		return nil
	}
	for _, in := range []gpio.PinIO{b.Opened.MotionIn, b.Opened.ResetIn} {
		if in == nil {
			continue
		}
		if err := in.Halt(); err != nil {
			return fmt.Errorf("halt board %s input %s: %w", b.Virtual.Profile.Name, in, err)
		}
	}
	return nil
}

// Close powers the sensor down, closes the bus and unregisters the virtual board's names, so that a
// power cycle can open the board again. A nil Board closes nothing.
func (b *Board) Close() error {
	if b == nil {
		return nil
	}
	var errs []error
	if b.Opened != nil {
		errs = append(errs, b.Opened.Sensor.Halt(), b.Opened.Close())
	}
	errs = append(errs, b.Virtual.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close board %s: %w", b.Virtual.Profile.Name, err)
	}
	return nil
}

// panTiltHead is the move model's camera on the virtual board: the board's sensor on a pan-tilt-zoom
// head. Moving the head changes what the sensor looks at (the simulated scene's view); the frames
// still come through the board's sensor and its registers.
type panTiltHead struct {
	camera.Sensor
	head camera.PTZ
}

func (p panTiltHead) Geometry() ptz.Geometry   { return p.head.Geometry() }
func (p panTiltHead) SetView(v ptz.View) error { return p.head.SetView(v) }
