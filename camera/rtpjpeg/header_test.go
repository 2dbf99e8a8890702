package rtpjpeg

import (
	"bytes"
	"testing"

	. "github.com/onsi/gomega"
)

func TestHeaderLayoutFollowsRFC2435(t *testing.T) {
	g := NewWithT(t)
	tables := bytes.Repeat([]byte{7}, qTablesLen)

	first := payloadHeader{offset: 0, typ: typeYUV420, q: qDynamic, width: 40, height: 30, qtables: tables, hasQHeader: true}
	b := first.appendTo(nil)
	g.Expect(b[:12]).To(Equal([]byte{
		0,       // type-specific
		0, 0, 0, // fragment offset
		1,      // type 1: 4:2:0
		255,    // Q: tables in-band
		40, 30, // 320×240 in 8-pixel blocks
		0, 0, 0, 128, // quantisation table header: MBZ, precision 0, length 128
	}))
	g.Expect(b[12:]).To(Equal(tables))
	g.Expect(first.size()).To(Equal(len(b)))

	later := payloadHeader{offset: 0x0A0B0C, typ: typeYUV422, q: qDynamic, width: 255, height: 1, restartInterval: 0x1234}
	b = later.appendTo(nil)
	g.Expect(b).To(Equal([]byte{
		0,
		0x0A, 0x0B, 0x0C,
		64 + 0, // type 0 with a restart marker header
		255, 255, 1,
		0x12, 0x34, // restart interval
		0xFF, 0xFF, // F=1, L=1, restart count 0x3FFF
	}))
	g.Expect(later.size()).To(Equal(len(b)))
}

func TestParsePayloadReadsWhatAppendToWrites(t *testing.T) {
	g := NewWithT(t)
	tables := make([]byte, qTablesLen)
	for i := range tables {
		tables[i] = byte(i + 1)
	}
	for _, h := range []payloadHeader{
		{offset: 0, typ: typeYUV420, q: qDynamic, width: 40, height: 30, qtables: tables, hasQHeader: true},
		{offset: 0, typ: typeYUV422, q: 200, width: 1, height: 255, restartInterval: 9, qtables: tables, hasQHeader: true},
		{offset: 1380, typ: typeYUV420, q: qDynamic, width: 40, height: 30},
		{offset: 1<<24 - 1, typ: typeYUV420, q: 50, width: 40, height: 30, restartInterval: 1},
	} {
		data := []byte{1, 2, 3, 0xFF, 0x00}
		got, rest, err := parsePayload(append(h.appendTo(nil), data...))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(h))
		g.Expect(rest).To(Equal(data))
	}
}

func TestParsePayloadTakesTablesOnlyInTheFirstPacket(t *testing.T) {
	g := NewWithT(t)
	// At a non-zero offset, bytes that look like a table header are scan data.
	p := append((payloadHeader{offset: 8, typ: typeYUV420, q: qDynamic, width: 1, height: 1}).appendTo(nil), 0, 0, 0, 128)
	h, rest, err := parsePayload(p)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.hasQHeader).To(BeFalse())
	g.Expect(rest).To(Equal([]byte{0, 0, 0, 128}))

	// Q 128 to 254 may leave the tables out once sent.
	p = []byte{0, 0, 0, 0, 1, 128, 1, 1, 0, 0, 0, 0, 0xAB}
	h, rest, err = parsePayload(p)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.hasQHeader).To(BeTrue())
	g.Expect(h.qtables).To(BeNil())
	g.Expect(rest).To(Equal([]byte{0xAB}))

	// Q 1 to 99 has no table header at all.
	p = []byte{0, 0, 0, 0, 1, 50, 1, 1, 0, 0, 0, 128}
	h, rest, err = parsePayload(p)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.hasQHeader).To(BeFalse())
	g.Expect(rest).To(HaveLen(4))
}

func TestParsePayloadRefusesMalformedHeaders(t *testing.T) {
	tables := make([]byte, qTablesLen)
	withTables := func(precision byte, length int, n int) []byte {
		p := []byte{0, 0, 0, 0, 1, 255, 40, 30, 0, precision, byte(length >> 8), byte(length)}
		return append(p, tables[:n]...)
	}
	for name, c := range map[string]struct {
		payload []byte
		want    string
	}{
		"empty":                {nil, "shorter than the 8-byte main header"},
		"short":                {[]byte{0, 0, 0, 0, 1, 255, 40}, "shorter than the 8-byte main header"},
		"interlaced":           {[]byte{1, 0, 0, 8, 1, 255, 40, 30}, "interlaced"},
		"type 2":               {[]byte{0, 0, 0, 8, 2, 255, 40, 30}, "type 2 unsupported"},
		"type 66":              {[]byte{0, 0, 0, 8, 66, 255, 40, 30, 0, 1, 0xFF, 0xFF}, "type 66 unsupported"},
		"dynamic type 128":     {[]byte{0, 0, 0, 8, 128, 255, 40, 30}, "type 128 unsupported"},
		"Q 0":                  {[]byte{0, 0, 0, 8, 1, 0, 40, 30}, "reserved Q 0"},
		"Q 100":                {[]byte{0, 0, 0, 8, 1, 100, 40, 30}, "reserved Q 100"},
		"Q 127":                {[]byte{0, 0, 0, 8, 1, 127, 40, 30}, "reserved Q 127"},
		"zero width":           {[]byte{0, 0, 0, 8, 1, 255, 0, 30}, "zero width or height"},
		"zero height":          {[]byte{0, 0, 0, 8, 1, 255, 40, 0}, "zero width or height"},
		"no restart header":    {[]byte{0, 0, 0, 8, 65, 255, 40, 30, 0, 1}, "no room for the restart marker header"},
		"restart interval 0":   {[]byte{0, 0, 0, 8, 65, 255, 40, 30, 0, 0, 0xFF, 0xFF}, "restart interval 0"},
		"no table header":      {[]byte{0, 0, 0, 0, 1, 255, 40, 30, 0, 0}, "no room for the quantisation table header"},
		"16-bit tables":        {withTables(1, 256, 128), "16-bit quantisation tables"},
		"one table":            {withTables(0, 64, 64), "quantisation tables of 64 bytes, want 128"},
		"tables truncated":     {withTables(0, 128, 100), "only 100 left"},
		"Q 255 without tables": {withTables(0, 0, 0), "Q 255 without quantisation tables"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, _, err := parsePayload(c.payload)
			g.Expect(err).To(MatchError(ErrMalformedPacket))
			g.Expect(err).To(MatchError(ContainSubstring(c.want)))
		})
	}
}
