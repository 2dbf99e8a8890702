// Package board is the virtual camera board: a register model of the OV5640 behind periph's
// i2c.Bus, a frame source that follows the model's registers, and GPIO pins behind gpio.PinIO that
// record every level change on the simulated clock. Open registers them in periph's i2creg and gpioreg
// under a board profile's names, so that hil/board.Open, the code that opens a real board, opens
// this one too: the driver code that runs in CI is the code that runs on the bench.
package board

import (
	"encoding/binary"
	"fmt"
	"sync"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// The OV5640 registers the model gives meaning to. They are written out here from the datasheet,
// not taken from hil/ov5640, so that a wrong address in the driver shows up as a test failure
// rather than being agreed with.
const (
	regSystemCtrl0 = 0x3008
	regChipIDHigh  = 0x300A
	regChipIDLow   = 0x300B
	regOutputSize  = 0x3808 // 0x3808..0x380B: width high, low, height high, low
	regFrameCtrl   = 0x4202
	regTestPattern = 0x503D

	sysReset     = 0x80
	sysPowerDown = 0x40
	frameRun     = 0x00
)

// ov5640Defaults are the datasheet's power-on values of the registers the driver uses; every other
// register reads 0 until written.
var ov5640Defaults = [...]struct {
	reg uint16
	v   byte
}{
	{regSystemCtrl0, 0x02},
	{regChipIDHigh, 0x56}, {regChipIDLow, 0x40},
	{0x3034, 0x1A}, {0x3035, 0x11}, {0x3036, 0x69}, {0x3037, 0x03},
	{0x3108, 0x16},
	{0x3804, 0x0A}, {0x3805, 0x3F}, {0x3806, 0x07}, {0x3807, 0x9F},
	{0x3808, 0x0A}, {0x3809, 0x20}, {0x380A, 0x07}, {0x380B, 0x98}, // 2592×1944
	{0x380C, 0x0B}, {0x380D, 0x1C}, {0x380E, 0x07}, {0x380F, 0xB0},
	{0x3811, 0x10}, {0x3813, 0x04}, {0x3814, 0x11}, {0x3815, 0x11},
	{0x4300, 0xF8},
}

// OV5640 is a register model of the OV5640 on its I2C bus. It answers Tx the way the chip does:
// a write starts with the 2-byte big-endian register address and any further bytes go to
// consecutive registers; a read returns consecutive registers from the address just written (or
// from where the last transaction stopped, like the chip's current-address read). Writing bit 7 of
// 0x3008 restores the power-on values; bit 6 powers the chip down. The chip ID registers ignore
// writes. Another address gets a NACK error, as an empty bus would give. It is safe for concurrent use.
type OV5640 struct {
	name string
	addr uint16

	mu   sync.Mutex
	regs [1 << 16]byte
	ptr  uint16
}

// NewOV5640 makes a chip at the 7-bit address addr, in its power-on state. name is what String
// reports (the bus name, in a board).
func NewOV5640(name string, addr uint16) (*OV5640, error) {
	if addr < 0x08 || addr > 0x77 {
		return nil, fmt.Errorf("sim ov5640: address 0x%02X is not a 7-bit I2C device address (0x08..0x77)", addr)
	}
	m := &OV5640{name: name, addr: addr}
	m.reset()
	return m, nil
}

func (m *OV5640) reset() {
	m.regs = [1 << 16]byte{}
	for _, d := range ov5640Defaults {
		m.regs[d.reg] = d.v
	}
}

// String names the model and its bus.
func (m *OV5640) String() string { return fmt.Sprintf("sim-ov5640(%s, 0x%02X)", m.name, m.addr) }

// Tx implements i2c.Bus.
func (m *OV5640) Tx(addr uint16, w, r []byte) error {
	if addr != m.addr {
		return fmt.Errorf("sim i2c %s: no device acknowledged address 0x%02X (NACK)", m.name, addr)
	}
	if len(w) == 1 {
		return fmt.Errorf("sim ov5640: write of 1 byte: a register address is 2 bytes (NACK)")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(w) >= 2 {
		m.ptr = binary.BigEndian.Uint16(w)
		for _, b := range w[2:] {
			m.write(m.ptr, b)
			m.ptr++
		}
	}
	for i := range r {
		r[i] = m.regs[m.ptr]
		m.ptr++
	}
	return nil
}

func (m *OV5640) write(reg uint16, v byte) {
	switch reg {
	case regChipIDHigh, regChipIDLow:
		return // read-only
	case regSystemCtrl0:
		if v&sysReset != 0 {
			m.reset()
			v &^= sysReset // the reset bit clears itself
		}
	}
	m.regs[reg] = v
}

// SetSpeed implements i2c.Bus; the model works at any speed.
func (m *OV5640) SetSpeed(physic.Frequency) error { return nil }

// Reg reads one register without bus traffic, for tests and the frame source.
func (m *OV5640) Reg(reg uint16) byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.regs[reg]
}

// Status is what the model's registers mean for the picture.
type Status struct {
	PoweredDown   bool
	Streaming     bool // not powered down and frames let out (0x4202 = 0x00)
	Pattern       byte // 0x503D
	Width, Height int  // 0x3808..0x380B
}

// Status reads the registers that decide the picture, in one consistent snapshot.
func (m *OV5640) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{
		PoweredDown: m.regs[regSystemCtrl0]&sysPowerDown != 0,
		Pattern:     m.regs[regTestPattern],
		Width:       int(m.regs[regOutputSize])<<8 | int(m.regs[regOutputSize+1]),
		Height:      int(m.regs[regOutputSize+2])<<8 | int(m.regs[regOutputSize+3]),
	}
	s.Streaming = !s.PoweredDown && m.regs[regFrameCtrl] == frameRun
	return s
}

// busHandle is one opening of the model through i2creg: closing it ends that opening only, so the
// board can be opened again (each i2creg.Open calls the opener anew).
type busHandle struct {
	m *OV5640

	mu     sync.Mutex
	closed bool
}

func (h *busHandle) String() string { return h.m.name }

func (h *busHandle) Tx(addr uint16, w, r []byte) error {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return fmt.Errorf("sim i2c %s: bus is closed", h.m.name)
	}
	return h.m.Tx(addr, w, r)
}

func (h *busHandle) SetSpeed(f physic.Frequency) error { return h.m.SetSpeed(f) }

func (h *busHandle) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("sim i2c %s: closed twice", h.m.name)
	}
	h.closed = true
	return nil
}

// Close implements i2c.BusCloser. The chip stays on its board: it keeps answering, as a chip does
// after one program closes /dev/i2c-N.
func (m *OV5640) Close() error { return nil }

// Open returns a new handle on the model's bus, as i2creg's opener does.
func (m *OV5640) Open() (i2c.BusCloser, error) { return &busHandle{m: m}, nil }

var _ i2c.BusCloser = (*OV5640)(nil)
