package camera

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"vsslab/camera/jpeg"
	"vsslab/camera/mask"
	"vsslab/camera/ptz"
	"vsslab/camera/settings"
)

// JPEGQuality is the quality of every JPEG the camera encodes.
const JPEGQuality = 85

// RestartMCUs is the JPEG restart interval, in 16×16 macroblocks.
const RestartMCUs = 40

// encoder is a JPEG encoder with its lock: encoders reuse their buffers, so each output path has its
// own and uses it one frame at a time.
type encoder struct {
	sync.Mutex
	enc *jpeg.Encoder
}

func newEncoder() (*encoder, error) {
	// Restart markers every RestartMCUs macroblocks let the encoder code the frame's parts on all
	// cores, and let an RTP receiver resynchronise after a lost packet.
	enc, err := jpeg.NewEncoder(jpeg.Options{Quality: JPEGQuality, RestartInterval: RestartMCUs})
	if err != nil {
		return nil, err
	}
	return &encoder{enc: enc}, nil
}

// masking is the current masks, swapped as a whole when the settings change. A frame is masked and
// encoded under the read lock, and a change takes the write lock, so every frame encoded after a mask
// change returns is masked the new way, and none is half one way, half the other.
type masking struct {
	sync.RWMutex
	// painter holds the in-camera masks (pixelate, color): burnt into every output. playback holds
	// the playback masks (MASK-5): pixelated on live images and snapshots, but kept out of recordings
	// and put back at playback for viewers without the right to remove them.
	painter  *mask.Painter
	playback *mask.Painter
	pbMasks  []mask.Mask
	// ptz and view are the PTZ sensor and where it looks (move model only); moves happen under the
	// write lock too, so a frame's zones are placed with the view it was captured with.
	ptz  PTZ
	view ptz.View
}

func (m *masking) set(s settings.Settings) error {
	var inCamera, playback []mask.Mask
	for _, mk := range s.Masks {
		if mk.Style == mask.Playback {
			playback = append(playback, mk)
		} else {
			inCamera = append(inCamera, mk)
		}
	}
	p, err := mask.NewPainter(inCamera)
	if err != nil {
		return err
	}
	pb, err := mask.NewPainter(playback)
	if err != nil {
		return err
	}
	m.Lock()
	m.painter, m.playback, m.pbMasks = p, pb, playback
	m.Unlock()
	return nil
}

// frame captures one image, masks it and encodes it with enc. The returned JPEG is a fresh copy.
// The sensor's frame buffer itself is overwritten: nothing keeps the unmasked pixels.
func (c *Camera) frame(enc *jpeg.Encoder) ([]byte, time.Time, error) {
	c.masks.RLock()
	defer c.masks.RUnlock()
	f, err := c.cfg.Sensor.Capture()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("capture: %w", err)
	}
	if _, err := c.masks.painter.Apply(f.Image, f.Captured, c.placement()); err != nil {
		return nil, time.Time{}, fmt.Errorf("mask: %w", err)
	}
	if _, err := c.masks.playback.Apply(f.Image, f.Captured, c.placement()); err != nil {
		return nil, time.Time{}, fmt.Errorf("mask: %w", err)
	}
	out, err := enc.Encode(nil, f.Image)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("encode: %w", err)
	}
	return append([]byte(nil), out...), f.Captured, nil
}

// PTZ is a sensor that can move its view: the move model's.
type PTZ interface {
	Geometry() ptz.Geometry
	SetView(ptz.View) error
}

// placement maps masks to the frame: unchanged on a fixed camera; on a PTZ camera the privacy zones
// are fixed in the scene and follow the view. The caller holds c.masks.
func (c *Camera) placement() mask.Placement {
	if c.masks.ptz == nil {
		return nil
	}
	g, v := c.masks.ptz.Geometry(), c.masks.view
	return func(r [4]float64) ([4]float64, bool) { return g.SceneToFrame(v, r) }
}

// Geometry is a PTZ camera's scene and frame sizes.
func (c *Camera) Geometry() (ptz.Geometry, error) {
	if c.masks.ptz == nil {
		return ptz.Geometry{}, fmt.Errorf("%w: this model has no pan, tilt or zoom", ErrUnsupported)
	}
	return c.masks.ptz.Geometry(), nil
}

// View is where a PTZ camera looks.
func (c *Camera) View() (ptz.View, error) {
	if c.masks.ptz == nil {
		return ptz.View{}, fmt.Errorf("%w: this model has no pan, tilt or zoom", ErrUnsupported)
	}
	c.masks.RLock()
	defer c.masks.RUnlock()
	return c.masks.view, nil
}

// SetView moves a PTZ camera. Every frame captured after it returns is seen, and masked, through the
// new view.
func (c *Camera) SetView(who Actor, v ptz.View) (ptz.View, error) {
	if err := c.ready(); err != nil {
		return ptz.View{}, err
	}
	if c.masks.ptz == nil {
		return ptz.View{}, fmt.Errorf("%w: this model has no pan, tilt or zoom", ErrUnsupported)
	}
	if err := v.Validate(); err != nil {
		return ptz.View{}, &settings.FieldError{Code: "invalid_value", Key: strings.SplitN(err.Error(), ":", 2)[0], Message: strings.TrimSpace(strings.SplitN(err.Error(), ":", 2)[1])}
	}
	c.masks.Lock()
	err := c.masks.ptz.SetView(v)
	if err == nil {
		c.masks.view = v
	}
	c.masks.Unlock()
	if err != nil {
		return ptz.View{}, fmt.Errorf("move: %w", err)
	}
	c.record(who, "ptz.move", "", "ok", map[string]string{"pan": fmt.Sprint(v.Pan), "tilt": fmt.Sprint(v.Tilt), "zoom": fmt.Sprint(v.Zoom)})
	return v, nil
}
