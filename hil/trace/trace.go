// Package trace is the file format of a recorded I2C bus trace (fixtures/traces/NAME.json): the
// transactions i2ctest.Record saw, with a description, so that a bench's real traffic can be kept
// and a driver test can replay it with i2ctest.Playback, failure paths included.
package trace

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"periph.io/x/conn/v3/i2c/i2ctest"
)

// Format is the value of a trace file's "format" field; a reader refuses any other, so that a later
// change of format is noticed rather than misread.
const Format = "vsslab-i2c-trace/1"

// Limits on a trace file, so that a corrupt or hostile file cannot make Parse allocate without bound.
const (
	maxFileSize = 4 << 20
	maxOps      = 100_000
	maxOpBytes  = 4096
	maxText     = 1024
)

// Trace is a recorded sequence of I2C transactions.
type Trace struct {
	// Description says what the trace is of and how it was made.
	Description string
	// Board and Bus say where it was recorded (a profile name and an i2creg bus name).
	Board, Bus string
	// Ops are the transactions in order, as i2ctest records them.
	Ops []i2ctest.IO
}

// file is the JSON form: bytes as hex strings, so a trace reads like a logic analyser's listing
// ("w": "300a", "r": "56").
type file struct {
	Format      string `json:"format"`
	Description string `json:"description"`
	Board       string `json:"board,omitempty"`
	Bus         string `json:"bus,omitempty"`
	Ops         []op   `json:"ops"`
}

type op struct {
	Addr uint16 `json:"addr"`
	W    string `json:"w,omitempty"`
	R    string `json:"r,omitempty"`
}

// Write writes t as indented JSON, one transaction per line.
func (t Trace) Write(w io.Writer) error {
	var b strings.Builder
	head, err := json.Marshal(file{Format: Format, Description: t.Description, Board: t.Board, Bus: t.Bus})
	if err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	// Splice the ops in by hand so each is on its own line: diffs of a re-recorded trace stay readable.
	b.Write(head[:len(head)-len(`"ops":null}`)])
	b.WriteString("\"ops\": [")
	for i, io := range t.Ops {
		line, err := json.Marshal(op{Addr: io.Addr, W: hex.EncodeToString(io.W), R: hex.EncodeToString(io.R)})
		if err != nil {
			return fmt.Errorf("write trace: %w", err)
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}

// Parse reads a trace strictly: unknown fields, a wrong format, trailing data, bad hex, addresses
// beyond 10 bits and oversized files are refused, with the transaction's index in the error.
func Parse(data []byte) (Trace, error) {
	if len(data) > maxFileSize {
		return Trace{}, fmt.Errorf("parse trace: larger than %d bytes", maxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return Trace{}, fmt.Errorf("parse trace: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Trace{}, errors.New("parse trace: data after the trace")
	}
	if f.Format != Format {
		return Trace{}, fmt.Errorf("parse trace: format is %q, want %q", f.Format, Format)
	}
	if len(f.Description) > maxText || len(f.Board) > maxText || len(f.Bus) > maxText {
		return Trace{}, fmt.Errorf("parse trace: description, board and bus must be at most %d bytes", maxText)
	}
	if len(f.Ops) > maxOps {
		return Trace{}, fmt.Errorf("parse trace: %d transactions, at most %d", len(f.Ops), maxOps)
	}
	t := Trace{Description: f.Description, Board: f.Board, Bus: f.Bus, Ops: make([]i2ctest.IO, 0, len(f.Ops))}
	for i, o := range f.Ops {
		if o.Addr > 0x3FF {
			return Trace{}, fmt.Errorf("parse trace: ops[%d].addr: 0x%X is beyond a 10-bit I2C address", i, o.Addr)
		}
		w, err := decodeHex(o.W)
		if err != nil {
			return Trace{}, fmt.Errorf("parse trace: ops[%d].w: %w", i, err)
		}
		r, err := decodeHex(o.R)
		if err != nil {
			return Trace{}, fmt.Errorf("parse trace: ops[%d].r: %w", i, err)
		}
		t.Ops = append(t.Ops, i2ctest.IO{Addr: o.Addr, W: w, R: r})
	}
	return t, nil
}

func decodeHex(s string) ([]byte, error) {
	if len(s) > 2*maxOpBytes {
		return nil, fmt.Errorf("more than %d bytes", maxOpBytes)
	}
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("must be hex bytes such as \"300a\": %w", err)
	}
	return b, nil
}

// Read reads and parses a trace.
func Read(r io.Reader) (Trace, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return Trace{}, fmt.Errorf("read trace: %w", err)
	}
	return Parse(data)
}

// Playback returns a bus that replays the trace: it answers the recorded transactions in order and
// returns an error (never panics) on any other transaction, on one too many, and from Close when
// transactions are left over. Each call gets its own copy.
func (t Trace) Playback() *i2ctest.Playback {
	return &i2ctest.Playback{Ops: t.clone(), DontPanic: true}
}

func (t Trace) clone() []i2ctest.IO {
	out := make([]i2ctest.IO, len(t.Ops))
	for i, o := range t.Ops {
		out[i] = i2ctest.IO{Addr: o.Addr, W: bytes.Clone(o.W), R: bytes.Clone(o.R)}
	}
	return out
}
