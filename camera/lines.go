package camera

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera/settings"
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
