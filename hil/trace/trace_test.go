package trace

import (
	"bytes"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/i2c/i2ctest"

	"vsslab/fixtures"
)

func sample() Trace {
	return Trace{Description: "d", Board: "b", Bus: "I2C1", Ops: []i2ctest.IO{
		{Addr: 0x3C, W: []byte{0x30, 0x0A}, R: []byte{0x56}},
		{Addr: 0x3C, W: []byte{0x30, 0x08, 0x82}},
	}}
}

func TestWriteParseRoundTrip(t *testing.T) {
	g := NewWithT(t)
	var buf bytes.Buffer
	g.Expect(sample().Write(&buf)).To(Succeed())
	g.Expect(buf.String()).To(Equal(`{"format":"vsslab-i2c-trace/1","description":"d","board":"b","bus":"I2C1","ops": [
  {"addr":60,"w":"300a","r":"56"},
  {"addr":60,"w":"300882"}
]}
`))
	got, err := Read(&buf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(sample()))
}

func TestParseIsStrict(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`{"format":"other","description":"","ops":[]}`, `format is "other"`},
		{`{"format":"vsslab-i2c-trace/1","ops":[],"extra":1}`, `unknown field "extra"`},
		{`{"format":"vsslab-i2c-trace/1","ops":[{"addr":60,"w":"30zz"}]}`, `ops[0].w: must be hex`},
		{`{"format":"vsslab-i2c-trace/1","ops":[{"addr":60},{"addr":60,"r":"5"}]}`, `ops[1].r: must be hex`},
		{`{"format":"vsslab-i2c-trace/1","ops":[{"addr":1024}]}`, `ops[0].addr: 0x400 is beyond a 10-bit`},
		{`{"format":"vsslab-i2c-trace/1","ops":[]} {}`, `data after the trace`},
		{``, `parse trace`},
	} {
		_, err := Parse([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", c.data, err, c.want)
		}
	}
}

func TestPlaybackReportsInsteadOfPanicking(t *testing.T) {
	g := NewWithT(t)
	tr := sample()
	p := tr.Playback()
	r := make([]byte, 1)
	g.Expect(p.Tx(0x3C, []byte{0x30, 0x0A}, r)).To(Succeed())
	g.Expect(r).To(Equal([]byte{0x56}))
	g.Expect(p.Close()).To(MatchError(ContainSubstring("expected playback to be empty")))
	g.Expect(p.Tx(0x3C, []byte{0x30, 0x08, 0x02}, nil)).To(MatchError(ContainSubstring("unexpected write")))
	p.Ops[0].R[0] = 0 // the playback holds a copy
	g.Expect(tr.Ops[0].R[0]).To(Equal(byte(0x56)))
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := sample().Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	files, _ := fs.Glob(fixtures.Traces(), "*.json")
	for _, name := range files {
		data, err := fs.ReadFile(fixtures.Traces(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"format":"vsslab-i2c-trace/1","ops":[{"addr":1023,"w":"","r":"00"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses writes back to a file that parses to the same trace.
		var out bytes.Buffer
		if err := tr.Write(&out); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("written trace does not parse: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(normal(tr), normal(again)) {
			t.Fatalf("round trip changed the trace:\n%#v\n%#v", tr, again)
		}
	})
}

// normal treats nil and empty byte slices alike, as the file format does.
func normal(t Trace) Trace {
	for i := range t.Ops {
		if len(t.Ops[i].W) == 0 {
			t.Ops[i].W = nil
		}
		if len(t.Ops[i].R) == 0 {
			t.Ops[i].R = nil
		}
	}
	return t
}
