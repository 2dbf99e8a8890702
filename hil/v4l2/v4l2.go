// Package v4l2 is a real board's frame source: the camera's images from the board's video device
// (a profile's Video, /dev/video0 on a Raspberry Pi's CSI receiver) through Video4Linux2, with
// github.com/blackjack/webcam. The sensor itself is set up over I2C by the ov5640 driver; this
// package only negotiates the device's pixel format and reads the frames it delivers, converting
// them to the YCbCr 4:2:0 the camera works in.
package v4l2

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blackjack/webcam"

	"vsslab/camera"
)

// FormatYUYV is V4L2_PIX_FMT_YUYV, the fourcc 'YUYV': YUV 4:2:2, packed Y0 U Y1 V.
const FormatYUYV webcam.PixelFormat = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24

// FrameTimeout is how long Capture waits for the device's next frame. A sensor that streams sends
// one every few tens of milliseconds; two seconds without one means it is not streaming.
const FrameTimeout = 2 * time.Second

// Clock stamps the frames with their capture time; the camera's clock on a bench.
type Clock interface {
	Now() time.Time
}

// videoDevice is the part of *webcam.Webcam the source uses, so that tests can stand in for a device
// this machine does not have.
type videoDevice interface {
	GetSupportedFormats() map[webcam.PixelFormat]string
	GetSupportedFrameSizes(f webcam.PixelFormat) []webcam.FrameSize
	SetImageFormat(f webcam.PixelFormat, width, height uint32) (webcam.PixelFormat, uint32, uint32, error)
	StartStreaming() error
	WaitForFrame(timeout uint32) error
	GetFrame() ([]byte, uint32, error)
	ReleaseFrame(index uint32) error
	StopStreaming() error
	Close() error
}

// Source is a streaming video device delivering frames to the camera: it implements camera.Sensor.
type Source struct {
	name string
	clk  Clock
	mu   sync.Mutex
	dev  videoDevice // nil once closed
	img  *image.YCbCr
}

var _ camera.Sensor = (*Source)(nil)

// Open opens device, selects YUYV at w×h and starts streaming. It refuses, naming what the device
// offers, when YUYV at that size is not available (or the driver answers with another format or
// size), because the camera's frame size is fixed when it starts.
func Open(device string, w, h int, clk Clock) (*Source, error) {
	return open(device, w, h, clk, func(name string) (videoDevice, error) {
		d, err := webcam.Open(name)
		if err != nil {
			return nil, err // webcam returns a nil *Webcam then, which must not become a non-nil device
		}
		return d, nil
	})
}

// open is Open with the device's opener as a parameter, for tests.
func open(name string, w, h int, clk Clock, openDev func(string) (videoDevice, error)) (*Source, error) {
	if name == "" {
		return nil, errors.New("open video device: the board's profile names none (video:)")
	}
	if clk == nil {
		return nil, fmt.Errorf("open %s: no clock", name)
	}
	if w <= 0 || h <= 0 || w%2 != 0 {
		return nil, fmt.Errorf("open %s: frame size %dx%d: want a positive, even width and a positive height", name, w, h)
	}
	dev, err := openDev(name)
	if err != nil {
		return nil, openError(name, err)
	}
	if err := selectYUYV(dev, w, h); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", name, err), dev.Close())
	}
	if err := dev.StartStreaming(); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: start streaming: %w", name, err), dev.Close())
	}
	return &Source{
		name: name,
		clk:  clk,
		dev:  dev,
		img:  image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420),
	}, nil
}

// openError says what is missing when the device does not open: the module or its driver, or the
// user's permission.
func openError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return fmt.Errorf("open %s: no such device: is the camera module connected and its driver loaded? see docs/bench.md", name)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("open %s: permission denied: run as root or add the user to the video group (sudo usermod -aG video $USER); see docs/bench.md", name)
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// selectYUYV checks that the device offers YUYV at w×h and selects it. A driver that enumerates no
// frame sizes for YUYV (some CSI receivers take any size) is asked for w×h, and its answer checked.
func selectYUYV(dev videoDevice, w, h int) error {
	formats := dev.GetSupportedFormats()
	if _, ok := formats[FormatYUYV]; !ok {
		return fmt.Errorf("YUYV %dx%d is not available: the device offers %s", w, h, describe(dev, formats))
	}
	if sizes := dev.GetSupportedFrameSizes(FormatYUYV); len(sizes) > 0 && !offers(sizes, w, h) {
		return fmt.Errorf("YUYV %dx%d is not available: the device offers %s", w, h, describe(dev, formats))
	}
	f, gw, gh, err := dev.SetImageFormat(FormatYUYV, uint32(w), uint32(h))
	if err != nil {
		return fmt.Errorf("select YUYV %dx%d: %w", w, h, err)
	}
	if f != FormatYUYV || int(gw) != w || int(gh) != h {
		return fmt.Errorf("select YUYV %dx%d: the driver chose %s %dx%d instead", w, h, fourcc(f), gw, gh)
	}
	return nil
}

// offers reports whether one of the sizes includes w×h.
func offers(sizes []webcam.FrameSize, w, h int) bool {
	in := func(v int, lo, hi, step uint32) bool {
		if v < int(lo) || v > int(hi) {
			return false
		}
		return step == 0 || (uint32(v)-lo)%step == 0
	}
	for _, s := range sizes {
		if in(w, s.MinWidth, s.MaxWidth, s.StepWidth) && in(h, s.MinHeight, s.MaxHeight, s.StepHeight) {
			return true
		}
	}
	return false
}

// describe lists the device's formats with their sizes, sorted, for an error message.
func describe(dev videoDevice, formats map[webcam.PixelFormat]string) string {
	if len(formats) == 0 {
		return "no formats"
	}
	var out []string
	for f, desc := range formats {
		var sizes []string
		for _, s := range dev.GetSupportedFrameSizes(f) {
			sizes = append(sizes, s.GetString())
		}
		d := fmt.Sprintf("%s (%s)", fourcc(f), desc)
		if len(sizes) > 0 {
			d += " " + strings.Join(sizes, ", ")
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// fourcc spells a pixel format's four characters, as V4L2 tools print them.
func fourcc(f webcam.PixelFormat) string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	return string(b)
}

// Capture waits up to FrameTimeout for the device's next frame, converts it to 4:2:0 and stamps it
// with the clock's time when it was dequeued. The returned image is the source's own and is valid
// until the next Capture: the camera overwrites it while masking, as it does with other sensors, and
// copies what it keeps.
func (s *Source) Capture() (camera.Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dev == nil {
		return camera.Frame{}, fmt.Errorf("capture from %s: closed", s.name)
	}
	if err := s.dev.WaitForFrame(uint32(FrameTimeout / time.Second)); err != nil {
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			return camera.Frame{}, fmt.Errorf("capture from %s: no frame within %s: is the sensor streaming?", s.name, FrameTimeout)
		}
		return camera.Frame{}, fmt.Errorf("capture from %s: wait for a frame: %w", s.name, err)
	}
	buf, index, err := s.dev.GetFrame()
	if err != nil {
		return camera.Frame{}, fmt.Errorf("capture from %s: dequeue a frame: %w", s.name, err)
	}
	captured := s.clk.Now()
	// The device's row length (bytesperline) is not exposed by webcam; a frame is h rows of it. A
	// frame too short for even unpadded rows is measured against those, so the error says so.
	stride := max(len(buf)/s.img.Rect.Dy(), 2*s.img.Rect.Dx())
	cerr := ConvertYUYV(s.img, buf, stride)
	if rerr := s.dev.ReleaseFrame(index); rerr != nil {
		return camera.Frame{}, errors.Join(fmt.Errorf("capture from %s: requeue buffer %d: %w", s.name, index, rerr), cerr)
	}
	if cerr != nil {
		return camera.Frame{}, fmt.Errorf("capture from %s: %w", s.name, cerr)
	}
	return camera.Frame{Image: s.img, Captured: captured}, nil
}

// String names the device, as periph's devices do.
func (s *Source) String() string { return "v4l2 " + s.name }

// Close stops streaming and closes the device. Closing twice is harmless.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dev == nil {
		return nil
	}
	dev := s.dev
	s.dev = nil
	if err := errors.Join(dev.StopStreaming(), dev.Close()); err != nil {
		return fmt.Errorf("close %s: %w", s.name, err)
	}
	return nil
}
