package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
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

// SnapshotQuality is the JPEG quality of live snapshots.
const SnapshotQuality = 85

// Snapshot is the current live image as JPEG, refused while privacy mode is on.
func (c *Camera) Snapshot(who Actor) ([]byte, error) {
	if err := c.checkPrivacy(); err != nil {
		return nil, err
	}
	f, err := c.cfg.Sensor.Capture()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, f.Image, &jpeg.Options{Quality: SnapshotQuality}); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}
