// Package ov5640 drives an OmniVision OV5640 image sensor over I2C (SCCB), in the style of periph's
// devices: New checks the chip ID, Reset loads one modest mode, Stream and SetTestPattern control it,
// Halt powers it down, State reads back what the chip says. It talks only through an i2c.Bus, so the
// same code drives the chip on a bench and the register model in sim/board, and its traffic can be
// recorded and replayed with i2ctest (see hil/trace).
package ov5640

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/mmr"
)

// Mode is the one output mode Reset loads: 1280×720 YUV 4:2:2, binned from the full array. A
// security camera's stream needs no more, and one mode keeps the init sequence short enough to read.
const (
	ModeWidth  = 1280
	ModeHeight = 720
)

// ResetSettle is how long the chip needs after a software reset before it takes writes again.
const ResetSettle = 5 * time.Millisecond

// Opts configures New. The zero value (or nil) is the chip at its usual address without waits.
type Opts struct {
	// Addr is the 7-bit I2C address; 0 means Address (0x3C), the address every OV5640 module uses
	// unless its SID pin is strapped otherwise.
	Addr uint16
	// Settle waits after a software reset. nil waits not at all, which the register model needs; a
	// bench passes a wall-clock wait, since a real chip NACKs writes for a few milliseconds.
	Settle func(time.Duration)
}

// Pattern is a test pattern, as written to RegTestPattern.
type Pattern uint8

// The test patterns. Their values are RegTestPattern's: bit 7 enables, bits 1:0 pick the pattern.
const (
	PatternOff          Pattern = 0x00
	PatternColorBars    Pattern = 0x80
	PatternColorSquares Pattern = 0x82
	PatternBlack        Pattern = 0x83
)

// Valid reports whether p is one of the patterns above.
func (p Pattern) Valid() bool {
	switch p {
	case PatternOff, PatternColorBars, PatternColorSquares, PatternBlack:
		return true
	}
	return false
}

func (p Pattern) String() string {
	switch p {
	case PatternOff:
		return "off"
	case PatternColorBars:
		return "colour bars"
	case PatternColorSquares:
		return "colour squares"
	case PatternBlack:
		return "black"
	}
	return fmt.Sprintf("pattern(0x%02X)", uint8(p))
}

// State is what the chip's registers say, read back rather than remembered, so that a probe shows
// the chip's truth even after another program touched it.
type State struct {
	ChipID      uint16
	PoweredDown bool // RegSystemCtrl0 bit 6
	Streaming   bool // not powered down and RegFrameCtrl lets frames out
	Pattern     Pattern
	Width       int // RegOutputWidthHigh:Low
	Height      int // RegOutputHeightHigh:Low
}

func (s State) String() string {
	power := "running"
	if s.PoweredDown {
		power = "powered down"
	}
	stream := "not streaming"
	if s.Streaming {
		stream = "streaming"
	}
	return fmt.Sprintf("chip 0x%04X, %s, %s, test pattern %s, output %dx%d", s.ChipID, power, stream, s.Pattern, s.Width, s.Height)
}

// Dev is an OV5640 on an I2C bus. Its methods are safe for concurrent use.
type Dev struct {
	mu     sync.Mutex
	c      mmr.Dev16
	addr   uint16
	name   string
	settle func(time.Duration)
}

// New talks to the OV5640 at opts.Addr on bus and checks its chip ID, so that a wrong address or
// another chip fails here rather than as strange pictures later. It changes no register.
func New(bus i2c.Bus, opts *Opts) (*Dev, error) {
	if bus == nil {
		return nil, errors.New("ov5640: no I2C bus")
	}
	var o Opts
	if opts != nil {
		o = *opts
	}
	if o.Addr == 0 {
		o.Addr = Address
	}
	if o.Addr < 0x08 || o.Addr > 0x77 {
		return nil, fmt.Errorf("ov5640: address 0x%02X is not a 7-bit I2C device address (0x08..0x77)", o.Addr)
	}
	d := &Dev{
		c:      mmr.Dev16{Conn: &i2c.Dev{Bus: bus, Addr: o.Addr}, Order: binary.BigEndian},
		addr:   o.Addr,
		name:   bus.String(),
		settle: o.Settle,
	}
	id, err := d.chipID()
	if err != nil {
		return nil, err
	}
	if id != ChipID {
		return nil, fmt.Errorf("ov5640: chip ID at 0x%04X/0x%04X is 0x%04X, want 0x%04X: is another chip at address 0x%02X?", RegChipIDHigh, RegChipIDLow, id, ChipID, o.Addr)
	}
	return d, nil
}

func (d *Dev) String() string {
	return fmt.Sprintf("OV5640{%s, 0x%02X}", d.name, d.addr)
}

// Addr is the chip's I2C address.
func (d *Dev) Addr() uint16 { return d.addr }

// initSequence is the mode Reset loads after the software reset, in order. The chip is held in power
// down while it is configured and leaves with frames held (RegFrameCtrl) until Stream(true). The values
// are OmniVision's 1280×720 binned mode (as in the Linux ov5640 driver), DVP/MIPI 8-bit, YUYV.
var initSequence = [...]struct {
	reg uint16
	val uint8
}{
	{RegSystemCtrl0, SystemPowerDown | SystemDefault},
	{RegSCCBClock, 0x01},
	// PLL: 8-bit mode, system divider 2, multiplier 105, root divider 2, pre-divider 3.
	{RegPLL1, 0x18}, {RegPLL2, 0x21}, {RegPLL3, 0x69}, {RegPLL4, 0x13},
	// Sensor window: x 0..2623, y 250..1705.
	{0x3800, 0x00}, {0x3801, 0x00}, {0x3802, 0x00}, {0x3803, 0xFA},
	{0x3804, 0x0A}, {0x3805, 0x3F}, {0x3806, 0x06}, {0x3807, 0xA9},
	// Output size 1280×720, total size 1892×740.
	{RegOutputWidthHigh, ModeWidth >> 8}, {RegOutputWidthLow, ModeWidth & 0xFF},
	{RegOutputHeightHigh, ModeHeight >> 8}, {RegOutputHeightLow, ModeHeight & 0xFF},
	{RegHTSHigh, 0x07}, {0x380D, 0x64}, {0x380E, 0x02}, {0x380F, 0xE4},
	// ISP offsets 16, 4; subsampling 2×2.
	{RegISPXOffsetHigh, 0x00}, {0x3811, 0x10}, {0x3812, 0x00}, {0x3813, 0x04},
	{RegXInc, 0x31}, {RegYInc, 0x31},
	{RegFormatCtrl, FormatYUYV},
	{RegISPFormatMux, 0x00},
	{RegTestPattern, uint8(PatternOff)},
	{RegFrameCtrl, FrameHold},
}

// Reset resets the chip (RegSystemCtrl0 bit 7) and loads the 1280×720 mode, not streaming.
func (d *Dev) Reset() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.write(RegSystemCtrl0, SystemReset|SystemDefault); err != nil {
		return err
	}
	if d.settle != nil {
		d.settle(ResetSettle)
	}
	for _, rv := range initSequence {
		if err := d.write(rv.reg, rv.val); err != nil {
			return err
		}
	}
	return nil
}

// Stream starts (power up, let frames out) or stops (hold frames, stay powered) the output.
func (d *Dev) Stream(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if on {
		if err := d.write(RegSystemCtrl0, SystemDefault); err != nil {
			return err
		}
		return d.write(RegFrameCtrl, FrameRun)
	}
	return d.write(RegFrameCtrl, FrameHold)
}

// SetTestPattern replaces the picture with p, or with the sensor's picture again for PatternOff. A
// test pattern lets a bench check the whole path from sensor to stream against a known image.
func (d *Dev) SetTestPattern(p Pattern) error {
	if !p.Valid() {
		return fmt.Errorf("ov5640: unknown test pattern 0x%02X", uint8(p))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.write(RegTestPattern, uint8(p))
}

// Output size limits SetOutputSize accepts: the ISP scales the sensor window down (never up), and a
// frame must keep whole 2×2 chroma blocks.
const (
	MinOutputSize = 16
)

// SetOutputSize makes the chip put out w×h frames from the mode's sensor window, scaled by the ISP
// (scaling is on in ISP CONTROL 01 after reset). A smaller picture than the mode's 1280×720 costs the
// camera a quarter of the work per frame at 640×360, which is what the simulated world runs at. The
// four size registers go in one auto-incrementing write, so the chip never sees half a size. Call it
// after Reset; a Reset loads the mode's size again.
func (d *Dev) SetOutputSize(w, h int) error {
	if w < MinOutputSize || h < MinOutputSize || w > ModeWidth || h > ModeHeight || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("ov5640: output size %dx%d: want even sizes from %dx%d up to the mode's %dx%d (the ISP scales down only)", w, h, MinOutputSize, MinOutputSize, ModeWidth, ModeHeight)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	size := []uint8{uint8(w >> 8), uint8(w), uint8(h >> 8), uint8(h)}
	if err := d.c.WriteStruct(RegOutputWidthHigh, size); err != nil {
		return fmt.Errorf("ov5640: write 0x%04X..0x%04X = %dx%d: %w", RegOutputWidthHigh, RegOutputHeightLow, w, h, err)
	}
	return nil
}

// Halt stops the output and powers the chip down (software power down keeps the registers, so
// Stream(true) resumes the same mode).
func (d *Dev) Halt() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.write(RegFrameCtrl, FrameHold); err != nil {
		return err
	}
	return d.write(RegSystemCtrl0, SystemPowerDown|SystemDefault)
}

// State reads the chip ID, power, stream, test pattern and output size registers.
func (d *Dev) State() (State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s State
	var err error
	if s.ChipID, err = d.chipID(); err != nil {
		return State{}, err
	}
	sys, err := d.read(RegSystemCtrl0)
	if err != nil {
		return State{}, err
	}
	frame, err := d.read(RegFrameCtrl)
	if err != nil {
		return State{}, err
	}
	pat, err := d.read(RegTestPattern)
	if err != nil {
		return State{}, err
	}
	// The four size registers are read in one auto-incrementing transaction, as a real driver does.
	size := make([]uint8, 4)
	if err := d.c.ReadStruct(RegOutputWidthHigh, size); err != nil {
		return State{}, fmt.Errorf("ov5640: read 0x%04X..0x%04X: %w", RegOutputWidthHigh, RegOutputHeightLow, err)
	}
	s.PoweredDown = sys&SystemPowerDown != 0
	s.Streaming = !s.PoweredDown && frame == FrameRun
	s.Pattern = Pattern(pat)
	s.Width = int(size[0])<<8 | int(size[1])
	s.Height = int(size[2])<<8 | int(size[3])
	return s, nil
}

func (d *Dev) chipID() (uint16, error) {
	hi, err := d.read(RegChipIDHigh)
	if err != nil {
		return 0, err
	}
	lo, err := d.read(RegChipIDLow)
	if err != nil {
		return 0, err
	}
	return uint16(hi)<<8 | uint16(lo), nil
}

func (d *Dev) read(reg uint16) (uint8, error) {
	v, err := d.c.ReadUint8(reg)
	if err != nil {
		return 0, fmt.Errorf("ov5640: read 0x%04X: %w", reg, err)
	}
	return v, nil
}

func (d *Dev) write(reg uint16, v uint8) error {
	if err := d.c.WriteUint8(reg, v); err != nil {
		return fmt.Errorf("ov5640: write 0x%04X = 0x%02X: %w", reg, v, err)
	}
	return nil
}
