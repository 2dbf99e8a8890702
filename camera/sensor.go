package camera

import (
	"image"
	"time"
)

// Sensor is where images come from: a simulated scene (sim/) or a real board's sensor (hil/). The
// camera cannot tell which.
type Sensor interface {
	Capture() (Frame, error)
}

// Frame is one captured image in YCbCr 4:2:0, as image sensors deliver it, with its capture time.
type Frame struct {
	Image    *image.YCbCr
	Captured time.Time
}

// Snapshot is the current live image, masked, as JPEG; refused while privacy mode is on. It is
// captured when asked for, so a mask change is in every snapshot taken after the change returns.
func (c *Camera) Snapshot(who Actor) ([]byte, error) {
	if err := c.checkPrivacy(); err != nil {
		return nil, err
	}
	c.snapEnc.Lock()
	defer c.snapEnc.Unlock()
	jpg, _, err := c.frame(c.snapEnc.enc)
	if err != nil {
		return nil, err
	}
	return jpg, nil
}
