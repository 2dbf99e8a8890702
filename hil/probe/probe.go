// Package probe is `vsslab board probe`: it opens a board, initialises its sensor, reads back the
// sensor's state and every line's level, captures one frame and summarises it, so that a bench's
// wiring can be checked in one command before any scenario runs on it.
package probe

import (
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/pin"

	"vsslab/camera"
	"vsslab/hil/board"
	"vsslab/hil/ov5640"
	"vsslab/hil/trace"
)

// SimPrefix marks a --board argument as a profile for the virtual board ("sim:sim-ov5640").
const SimPrefix = "sim:"

// Target is what a --board argument names: a profile, on a real board or on the virtual one.
type Target struct {
	Profile board.Profile
	Sim     bool
}

// DefaultProfile is the profile a probe uses without --board: the documented Raspberry Pi bench.
const DefaultProfile = "rpi-ov5640"

// ParseTarget reads a --board argument: FILE or NAME (a real board), sim:FILE or sim:NAME (the
// virtual board), "" for DefaultProfile. NAME is an embedded fixtures/boards profile.
func ParseTarget(arg string) (Target, error) {
	sim := strings.HasPrefix(arg, SimPrefix)
	arg = strings.TrimPrefix(arg, SimPrefix)
	if arg == "" {
		if sim {
			return Target{}, errors.New("--board sim: needs a profile, e.g. --board sim:sim-ov5640")
		}
		arg = DefaultProfile
	}
	p, err := board.LoadFile(arg)
	if err != nil {
		return Target{}, err
	}
	return Target{Profile: p, Sim: sim}, nil
}

// Config is one probe.
type Config struct {
	Profile board.Profile
	// Open is passed to board.Open (HostInit and a settle wait for a real board).
	Open board.Options
	// Frames delivers the sensor's frames: the virtual board's frame source. nil on a real board,
	// whose frames come through OpenFrames.
	Frames camera.Sensor
	// OpenFrames opens the profile's video device at the sensor's output size, once the sensor
	// streams (V4L2 on a real board); the probe captures one frame and closes it.
	OpenFrames func(device string, w, h int) (FrameSource, error)
	// Record, if set, receives the I2C trace of the probe (hil/trace format).
	Record io.Writer
}

// FrameSource is a video device the probe opened: frames until Close.
type FrameSource interface {
	camera.Sensor
	Close() error
}

// LineLevel is one line as the probe read it.
type LineLevel struct {
	Name, GPIO string
	Level      gpio.Level
	Func       string // "Out/High", "In/Low", … when the pin tells; else ""
}

// FrameStats summarises one captured frame's luma.
type FrameStats struct {
	Width, Height    int
	MeanLuma         float64
	MinLuma, MaxLuma uint8
}

// Stats computes the luma statistics of img.
func Stats(img *image.YCbCr) FrameStats {
	r := img.Rect
	s := FrameStats{Width: r.Dx(), Height: r.Dy(), MinLuma: 255}
	if s.Width == 0 || s.Height == 0 {
		return FrameStats{Width: s.Width, Height: s.Height}
	}
	var sum uint64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Y[img.YOffset(r.Min.X, y) : img.YOffset(r.Min.X, y)+s.Width]
		for _, v := range row {
			sum += uint64(v)
			s.MinLuma = min(s.MinLuma, v)
			s.MaxLuma = max(s.MaxLuma, v)
		}
	}
	s.MeanLuma = float64(sum) / float64(s.Width*s.Height)
	return s
}

// Report is what a probe found.
type Report struct {
	Board, Bus string
	Addr       uint16
	State      ov5640.State
	Lines      []LineLevel // the camera's lines in board.LineRoles order
	Probes     []LineLevel // the bench's lines in name order
	Frame      *FrameStats // nil when no frame was captured
	FrameNote  string      // why there is no frame
	TraceOps   int         // transactions recorded, when Config.Record was set
}

// Run probes the board: Open, Reset, Stream(true), State, the lines' levels, one frame, Halt, Close.
// It leaves the sensor powered down. The lines are only read, never reconfigured.
func Run(cfg Config) (Report, error) {
	var rec *i2ctest.Record
	opts := cfg.Open
	if cfg.Record != nil {
		wrap := opts.WrapBus
		opts.WrapBus = func(b i2c.Bus) i2c.Bus {
			if wrap != nil {
				b = wrap(b)
			}
			rec = &i2ctest.Record{Bus: b}
			return rec
		}
	}
	b, err := board.Open(cfg.Profile, &opts)
	if err != nil {
		return Report{}, err
	}
	rep, err := run(b, cfg)
	if herr := b.Sensor.Halt(); herr != nil && err == nil {
		err = fmt.Errorf("probe %s: %w", cfg.Profile.Name, herr)
	}
	if cerr := b.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return Report{}, err
	}
	if rec != nil {
		t := trace.Trace{
			Description: "vsslab board probe: New, Reset, Stream(true), State, Halt",
			Board:       cfg.Profile.Name, Bus: cfg.Profile.I2C, Ops: rec.Ops,
		}
		if err := t.Write(cfg.Record); err != nil {
			return Report{}, err
		}
		rep.TraceOps = len(rec.Ops)
	}
	return rep, nil
}

func run(b *board.Board, cfg Config) (Report, error) {
	p := cfg.Profile
	rep := Report{Board: p.Name, Bus: p.I2C, Addr: b.Sensor.Addr()}
	if err := b.Sensor.Reset(); err != nil {
		return Report{}, fmt.Errorf("probe %s: %w", p.Name, err)
	}
	if err := b.Sensor.Stream(true); err != nil {
		return Report{}, fmt.Errorf("probe %s: %w", p.Name, err)
	}
	st, err := b.Sensor.State()
	if err != nil {
		return Report{}, fmt.Errorf("probe %s: %w", p.Name, err)
	}
	rep.State = st
	for _, role := range p.Roles() {
		rep.Lines = append(rep.Lines, level(role, p.Lines[role], b.Line(role)))
	}
	for _, name := range p.ProbeNames() {
		rep.Probes = append(rep.Probes, level(name, p.Probes[name], b.Line(name)))
	}
	frames := cfg.Frames
	if frames == nil {
		switch {
		case p.Video == "":
			rep.FrameNote = "not captured: the profile names no video device (video:)"
			return rep, nil
		case cfg.OpenFrames == nil:
			rep.FrameNote = "not captured: no way to open " + p.Video + " was given"
			return rep, nil
		}
		src, err := cfg.OpenFrames(p.Video, st.Width, st.Height)
		if err != nil {
			return Report{}, fmt.Errorf("probe %s: %w", p.Name, err)
		}
		defer src.Close()
		frames = src
	}
	f, err := frames.Capture()
	if err != nil {
		return Report{}, fmt.Errorf("probe %s: capture a frame: %w", p.Name, err)
	}
	s := Stats(f.Image)
	rep.Frame = &s
	return rep, nil
}

func level(name, gpioName string, p gpio.PinIO) LineLevel {
	l := LineLevel{Name: name, GPIO: gpioName, Level: p.Read()}
	if pf, ok := p.(pin.PinFunc); ok {
		l.Func = string(pf.Func())
	}
	return l
}

// WriteText prints the report for a person at the bench.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "board:   %s (I2C %s, OV5640 at 0x%02X)\n", r.Board, r.Bus, r.Addr)
	fmt.Fprintf(&b, "chip id: 0x%04X\n", r.State.ChipID)
	fmt.Fprintf(&b, "sensor:  %s\n", r.State)
	b.WriteString("lines:\n")
	for _, l := range append(append([]LineLevel(nil), r.Lines...), r.Probes...) {
		fmt.Fprintf(&b, "  %-13s %-12s %-4s %s\n", l.Name, l.GPIO, l.Level, l.Func)
	}
	if r.Frame != nil {
		fmt.Fprintf(&b, "frame:   %dx%d, mean luma %.1f, min %d, max %d\n", r.Frame.Width, r.Frame.Height, r.Frame.MeanLuma, r.Frame.MinLuma, r.Frame.MaxLuma)
	} else {
		fmt.Fprintf(&b, "frame:   %s\n", r.FrameNote)
	}
	if r.TraceOps > 0 {
		fmt.Fprintf(&b, "trace:   %d I2C transactions recorded\n", r.TraceOps)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
