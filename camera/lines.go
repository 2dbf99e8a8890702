package camera

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera/settings"
	"vsslab/camera/users"
)

// driveLines puts the camera's output lines where the settings say: the microphone's enable line is
// high only while an admin has switched the microphone on (PBD-1), the debug-enable line only while
// debugging is on (NET-2). On a board these lines cut the hardware itself, so a bench can check the
// settings from the outside. A line that fails is audited; the camera goes on.
func (c *Camera) driveLines(s settings.Settings) {
	drive := func(name string, pin gpio.PinOut, on bool) {
		if pin == nil {
			return
		}
		level := gpio.Low
		if on {
			level = gpio.High
		}
		if err := pin.Out(level); err != nil {
			c.record(system(), "line."+name, pin.Name(), "failed", map[string]string{"reason": err.Error(), "level": fmt.Sprint(level)})
		}
	}
	drive("mic_enable", c.cfg.MicEnable, s.Microphone.Enabled)
	drive("debug_enable", c.cfg.DebugEnable, s.Debug.Enabled)
}

// DefaultResetHold is how long the reset button must be held for a factory reset: long enough that a
// knock on the housing or a brief press while mounting the camera never wipes it.
const DefaultResetHold = 5 * time.Second

// watchResetButton turns a long press of the reset button into a factory reset: pressed (high) for
// ResetHold or longer, then released. The press is timed on the camera's clock from the edges the
// line reports; a shorter press does nothing. The reset is the one an admin can ask for through the
// API (settings, accounts, keys and records gone, the audit trail kept and told of it), and it is the
// way back for a camera halted by corrupt state or a lost admin password.
func (c *Camera) watchResetButton(stop <-chan struct{}) {
	pin := c.cfg.ResetButton
	hold := c.cfg.ResetHold
	if hold <= 0 {
		hold = DefaultResetHold
	}
	if err := pin.In(gpio.PullDown, gpio.BothEdges); err != nil {
		c.record(system(), "input.reset_button", pin.Name(), "failed", map[string]string{"reason": err.Error()})
		return
	}
	var pressed time.Time
	down := false
	for nextEdge(pin, stop) {
		now := c.cfg.Clock.Now()
		switch up := pin.Read() == gpio.Low; {
		case !up && !down:
			down, pressed = true, now
		case up && down:
			down = false
			if now.Sub(pressed) < hold {
				continue
			}
			button := Actor{Name: "system", Level: users.Admin, Source: "reset button"}
			if err := c.FactoryReset(button); err != nil {
				c.record(button, "system.factory_reset", pin.Name(), "failed", map[string]string{"reason": err.Error()})
			}
		}
	}
}
