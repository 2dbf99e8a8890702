package ov5640_test

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"vsslab/fixtures"
	"vsslab/hil/ov5640"
	"vsslab/hil/trace"
	simboard "vsslab/sim/board"
)

var update = flag.Bool("update", false, "rewrite fixtures/traces from the register model")

const traceName = "ov5640-init-stream-pattern.json"

func model(t *testing.T) *simboard.OV5640 {
	t.Helper()
	m, err := simboard.NewOV5640("sim", ov5640.Address)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDriverOnTheRegisterModel(t *testing.T) {
	g := NewWithT(t)
	m := model(t)
	var settled time.Duration
	d, err := ov5640.New(m, &ov5640.Opts{Settle: func(d time.Duration) { settled += d }})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.String()).To(Equal("OV5640{sim-ov5640(sim, 0x3C), 0x3C}"))

	g.Expect(d.Reset()).To(Succeed())
	g.Expect(settled).To(Equal(ov5640.ResetSettle), "one wait after the software reset")
	st, err := d.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(Equal(ov5640.State{ChipID: 0x5640, PoweredDown: true, Pattern: ov5640.PatternOff, Width: 1280, Height: 720}))

	g.Expect(d.Stream(true)).To(Succeed())
	g.Expect(d.SetTestPattern(ov5640.PatternColorBars)).To(Succeed())
	g.Expect(m.Reg(0x503D)).To(Equal(byte(0x80)))
	st, err = d.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(Equal(ov5640.State{ChipID: 0x5640, Streaming: true, Pattern: ov5640.PatternColorBars, Width: 1280, Height: 720}))
	g.Expect(st.String()).To(Equal("chip 0x5640, running, streaming, test pattern colour bars, output 1280x720"))

	g.Expect(d.Stream(false)).To(Succeed())
	g.Expect(m.Status().Streaming).To(BeFalse())
	g.Expect(d.Halt()).To(Succeed())
	g.Expect(m.Status().PoweredDown).To(BeTrue())
	g.Expect(d.SetTestPattern(ov5640.Pattern(0x81))).To(MatchError(ContainSubstring("unknown test pattern 0x81")))
}

func TestNewRefusesWhatIsNotAnOV5640(t *testing.T) {
	g := NewWithT(t)
	_, err := ov5640.New(nil, nil)
	g.Expect(err).To(HaveOccurred())
	_, err = ov5640.New(model(t), &ov5640.Opts{Addr: 0x3D})
	g.Expect(err).To(MatchError(ContainSubstring("ov5640: read 0x300A: sim i2c sim: no device acknowledged address 0x3D")))
	_, err = ov5640.New(model(t), &ov5640.Opts{Addr: 0x78})
	g.Expect(err).To(MatchError(ContainSubstring("not a 7-bit")))
}

// record runs the committed trace's session on the register model.
func record(t *testing.T) trace.Trace {
	t.Helper()
	rec := &i2ctest.Record{Bus: model(t)}
	d, err := ov5640.New(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{d.Reset, func() error { return d.Stream(true) },
		func() error { return d.SetTestPattern(ov5640.PatternColorBars) },
		func() error { _, err := d.State(); return err }, d.Halt} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return trace.Trace{
		Description: "OV5640 driver on the sim/board register model: New, Reset, Stream(true), SetTestPattern(colour bars), State, Halt. Regenerate with go test ./hil/ov5640 -run TestTraceFixture -update",
		Board:       "sim-ov5640", Bus: "SIM_I2C", Ops: rec.Ops,
	}
}

// TestTraceFixture checks that the committed trace is what the driver does today on the model; a
// change to the driver's bus traffic fails here until the trace is regenerated (-update) and reviewed.
func TestTraceFixture(t *testing.T) {
	var buf bytes.Buffer
	if err := record(t).Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "fixtures", "traces", traceName)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := fs.ReadFile(fixtures.Traces(), traceName)
	if err != nil {
		t.Fatal(err)
	}
	if !*update && !bytes.Equal(committed, buf.Bytes()) {
		t.Fatalf("fixtures/traces/%s is not what the driver does on the model; run go test ./hil/ov5640 -run TestTraceFixture -update and review the diff", traceName)
	}
}

func loadTrace(t *testing.T) trace.Trace {
	t.Helper()
	data, err := fs.ReadFile(fixtures.Traces(), traceName)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trace.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestReplayCommittedTrace runs the driver against the recorded bus alone: every transaction must
// match byte for byte and every recorded one must be used.
func TestReplayCommittedTrace(t *testing.T) {
	g := NewWithT(t)
	bus := loadTrace(t).Playback()
	d, err := ov5640.New(bus, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Reset()).To(Succeed())
	g.Expect(d.Stream(true)).To(Succeed())
	g.Expect(d.SetTestPattern(ov5640.PatternColorBars)).To(Succeed())
	st, err := d.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(Equal(ov5640.State{ChipID: 0x5640, Streaming: true, Pattern: ov5640.PatternColorBars, Width: 1280, Height: 720}))
	g.Expect(d.Halt()).To(Succeed())
	g.Expect(bus.Close()).To(Succeed(), "every recorded transaction was replayed")

	// A different step (colour squares instead of bars) is a mismatch the playback reports.
	bus = loadTrace(t).Playback()
	d, _ = ov5640.New(bus, nil)
	g.Expect(d.Reset()).To(Succeed())
	g.Expect(d.Stream(true)).To(Succeed())
	g.Expect(d.SetTestPattern(ov5640.PatternColorSquares)).To(MatchError(ContainSubstring("ov5640: write 0x503D = 0x82: i2ctest: unexpected write")))
}

func TestReplayWrongChipID(t *testing.T) {
	g := NewWithT(t)
	tr := loadTrace(t)
	g.Expect(tr.Ops[1].W).To(Equal([]byte{0x30, 0x0B}))
	tr.Ops[1].R = []byte{0x42} // an OV5642 answers 0x5642
	_, err := ov5640.New(tr.Playback(), nil)
	g.Expect(err).To(MatchError(ContainSubstring("chip ID at 0x300A/0x300B is 0x5642, want 0x5640")))
}

func TestReplayBusErrorDuringInit(t *testing.T) {
	g := NewWithT(t)
	tr := loadTrace(t)
	// The bus goes away after the ID check, the reset and five init writes.
	tr.Ops = tr.Ops[:2+1+5]
	d, err := ov5640.New(tr.Playback(), nil)
	g.Expect(err).NotTo(HaveOccurred())
	err = d.Reset()
	g.Expect(err).To(MatchError(ContainSubstring("ov5640: write 0x3037 = 0x13: i2ctest: unexpected Tx()")), "the error names the register that failed")

	tr = loadTrace(t)
	tr.Ops = tr.Ops[:1]
	_, err = ov5640.New(tr.Playback(), nil)
	g.Expect(err).To(MatchError(ContainSubstring("ov5640: read 0x300B:")))
	g.Expect(errors.Unwrap(err)).NotTo(BeNil(), "the bus error is wrapped")
}

func TestSetOutputSizeWritesTheSizeRegistersInOneTransaction(t *testing.T) {
	g := NewWithT(t)
	m := model(t)
	rec := &i2ctest.Record{Bus: m}
	d, err := ov5640.New(rec, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Reset()).To(Succeed())
	before := len(rec.Ops)
	g.Expect(d.SetOutputSize(640, 360)).To(Succeed())
	g.Expect(rec.Ops[before:]).To(Equal([]i2ctest.IO{{Addr: ov5640.Address, W: []byte{0x38, 0x08, 0x02, 0x80, 0x01, 0x68}}}))
	st, err := d.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]int{st.Width, st.Height}).To(Equal([]int{640, 360}))
	g.Expect([]int{m.Status().Width, m.Status().Height}).To(Equal([]int{640, 360}), "the model's frames follow")

	for _, bad := range [][2]int{{1920, 1080}, {641, 360}, {8, 8}, {640, 0}} {
		g.Expect(d.SetOutputSize(bad[0], bad[1])).To(MatchError(ContainSubstring("output size")), "%v", bad)
	}
	g.Expect(d.Reset()).To(Succeed())
	st, err = d.State()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]int{st.Width, st.Height}).To(Equal([]int{ov5640.ModeWidth, ov5640.ModeHeight}), "Reset loads the mode's size again")
}
