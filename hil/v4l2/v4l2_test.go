package v4l2

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blackjack/webcam"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// fakeDevice stands in for a V4L2 device: its formats and sizes, and the frames it delivers.
type fakeDevice struct {
	formats  map[webcam.PixelFormat]string
	sizes    map[webcam.PixelFormat][]webcam.FrameSize
	chosenW  uint32 // the size the driver answers SetImageFormat with; the asked size when 0
	frames   [][]byte
	waitErr  error
	calls    []string
	released []uint32
}

func (d *fakeDevice) GetSupportedFormats() map[webcam.PixelFormat]string { return d.formats }
func (d *fakeDevice) GetSupportedFrameSizes(f webcam.PixelFormat) []webcam.FrameSize {
	return d.sizes[f]
}
func (d *fakeDevice) SetImageFormat(f webcam.PixelFormat, w, h uint32) (webcam.PixelFormat, uint32, uint32, error) {
	d.calls = append(d.calls, "set")
	if d.chosenW != 0 {
		w = d.chosenW
	}
	return f, w, h, nil
}
func (d *fakeDevice) StartStreaming() error { d.calls = append(d.calls, "start"); return nil }
func (d *fakeDevice) WaitForFrame(uint32) error {
	if d.waitErr != nil {
		return d.waitErr
	}
	if len(d.frames) == 0 {
		return new(webcam.Timeout)
	}
	return nil
}
func (d *fakeDevice) GetFrame() ([]byte, uint32, error) {
	f := d.frames[0]
	d.frames = d.frames[1:]
	return f, 3, nil
}
func (d *fakeDevice) ReleaseFrame(i uint32) error { d.released = append(d.released, i); return nil }
func (d *fakeDevice) StopStreaming() error        { d.calls = append(d.calls, "stop"); return nil }
func (d *fakeDevice) Close() error                { d.calls = append(d.calls, "close"); return nil }

const fmtMJPG webcam.PixelFormat = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24

func yuyvDevice(w, h uint32) *fakeDevice {
	return &fakeDevice{
		formats: map[webcam.PixelFormat]string{FormatYUYV: "YUYV 4:2:2", fmtMJPG: "Motion-JPEG"},
		sizes: map[webcam.PixelFormat][]webcam.FrameSize{
			FormatYUYV: {{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h}},
			fmtMJPG:    {{MinWidth: 1920, MaxWidth: 1920, MinHeight: 1080, MaxHeight: 1080}},
		},
	}
}

func openFake(t *testing.T, d *fakeDevice, w, h int) (*Source, error) {
	t.Helper()
	return open("/dev/video0", w, h, fixedClock{time.Unix(100, 0)}, func(string) (videoDevice, error) { return d, nil })
}

func TestOpenMissingDeviceSaysWhatIsMissing(t *testing.T) {
	// This machine has no /dev/video9 (nor any /dev/video*): the real webcam.Open is exercised.
	_, err := Open("/dev/video9", 1280, 720, fixedClock{})
	want := "open /dev/video9: no such device: is the camera module connected and its driver loaded? see docs/bench.md"
	if err == nil || err.Error() != want {
		t.Fatalf("Open = %v, want %q", err, want)
	}
}

func TestOpenErrorsNameTheCause(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.ENODEV: "no such device: is the camera module connected",
		syscall.EACCES: "permission denied: run as root or add the user to the video group",
		syscall.EBUSY:  "open /dev/video0: device or resource busy",
	} {
		_, err := open("/dev/video0", 4, 2, fixedClock{}, func(string) (videoDevice, error) { return nil, errno })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: Open = %v, want %q", errno, err, want)
		}
	}
}

func TestOpenRefusesBadArguments(t *testing.T) {
	never := func(string) (videoDevice, error) { t.Fatal("opened the device"); return nil, nil }
	for _, tc := range []struct {
		name string
		w, h int
		clk  Clock
		want string
	}{
		{"", 4, 2, fixedClock{}, "the board's profile names none"},
		{"/dev/video0", 4, 2, nil, "no clock"},
		{"/dev/video0", 3, 2, fixedClock{}, "frame size 3x2"},
		{"/dev/video0", 4, 0, fixedClock{}, "frame size 4x0"},
	} {
		if _, err := open(tc.name, tc.w, tc.h, tc.clk, never); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("open(%q, %d, %d) = %v, want %q", tc.name, tc.w, tc.h, err, tc.want)
		}
	}
}

func TestOpenRefusesAMissingFormatNamingWhatIsOffered(t *testing.T) {
	d := yuyvDevice(640, 480)
	_, err := openFake(t, d, 1280, 720)
	want := "open /dev/video0: YUYV 1280x720 is not available: the device offers MJPG (Motion-JPEG) 1920x1080; YUYV (YUYV 4:2:2) 640x480"
	if err == nil || err.Error() != want {
		t.Fatalf("Open = %v\nwant %q", err, want)
	}
	if strings.Join(d.calls, ",") != "close" {
		t.Errorf("calls %v, want the device closed and nothing set", d.calls)
	}

	d = yuyvDevice(640, 480)
	delete(d.formats, FormatYUYV)
	if _, err := openFake(t, d, 640, 480); err == nil || !strings.Contains(err.Error(), "YUYV 640x480 is not available: the device offers MJPG (Motion-JPEG) 1920x1080") {
		t.Fatalf("Open without YUYV = %v", err)
	}
}

func TestOpenChecksTheDriversAnswer(t *testing.T) {
	d := yuyvDevice(1280, 720)
	d.sizes[FormatYUYV] = nil // a receiver that enumerates no sizes is asked anyway
	d.chosenW = 1024
	_, err := openFake(t, d, 1280, 720)
	if err == nil || !strings.Contains(err.Error(), "the driver chose YUYV 1024x720 instead") {
		t.Fatalf("Open = %v", err)
	}
}

func TestOpenAcceptsAStepwiseSize(t *testing.T) {
	d := yuyvDevice(0, 0)
	d.sizes[FormatYUYV] = []webcam.FrameSize{{MinWidth: 32, MaxWidth: 2592, StepWidth: 16, MinHeight: 32, MaxHeight: 1944, StepHeight: 8}}
	s, err := openFake(t, d, 1280, 720)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := openFake(t, yuyvDevice(0, 0), 1284, 720); err == nil {
		t.Fatal("opened a size off the step")
	}
}

func TestCaptureConvertsStampsAndReleases(t *testing.T) {
	d := yuyvDevice(4, 2)
	first := []byte{10, 100, 11, 200, 12, 102, 13, 202, 20, 103, 21, 203, 22, 106, 23, 207}
	second := make([]byte, 16)
	d.frames = [][]byte{first, second}
	s, err := openFake(t, d, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.calls, ","); got != "set,start" {
		t.Fatalf("calls %s, want set,start", got)
	}
	f, err := s.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if !f.Captured.Equal(time.Unix(100, 0)) {
		t.Errorf("captured at %v, want the clock's time", f.Captured)
	}
	equalBytes(t, "Y", f.Image.Y, []byte{10, 11, 12, 13, 20, 21, 22, 23})
	equalBytes(t, "Cb", f.Image.Cb, []byte{102, 104})
	equalBytes(t, "Cr", f.Image.Cr, []byte{202, 205})
	g, err := s.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if g.Image != f.Image || f.Image.Y[0] != 0 {
		t.Error("the second frame did not reuse (and overwrite) the first one's image")
	}
	if len(d.released) != 2 {
		t.Errorf("released %v, want both buffers back", d.released)
	}

	_, err = s.Capture()
	if want := "capture from /dev/video0: no frame within 2s: is the sensor streaming?"; err == nil || err.Error() != want {
		t.Errorf("Capture with no frame = %v, want %q", err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got := strings.Join(d.calls, ","); got != "set,start,stop,close" {
		t.Errorf("calls %s, want set,start,stop,close", got)
	}
	if _, err := s.Capture(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Capture after Close = %v", err)
	}
}

func TestCaptureRefusesAShortFrame(t *testing.T) {
	d := yuyvDevice(4, 2)
	d.frames = [][]byte{make([]byte, 10)}
	s, err := openFake(t, d, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Capture(); err == nil || !strings.HasPrefix(err.Error(), "capture from /dev/video0: convert YUYV: 10 bytes") {
		t.Fatalf("Capture = %v", err)
	}
	if len(d.released) != 1 {
		t.Error("the short frame's buffer was not given back")
	}
}

func TestCaptureWaitError(t *testing.T) {
	d := yuyvDevice(4, 2)
	d.waitErr = errors.New("poll: bad file descriptor")
	s, err := openFake(t, d, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Capture(); err == nil || err.Error() != "capture from /dev/video0: wait for a frame: poll: bad file descriptor" {
		t.Fatalf("Capture = %v", err)
	}
}
