package rtsp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func parse(s string) (*request, error) {
	return readRequest(bufio.NewReader(strings.NewReader(s)))
}

func TestReadRequest(t *testing.T) {
	g := NewWithT(t)
	req, err := parse("\r\nSETUP rtsp://cam/live/trackID=0 RTSP/1.0\r\nCSeq: 3\r\ntransport:  RTP/AVP/TCP;unicast \r\nContent-Length: 4\r\n\r\nbodyNEXT")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(req.Method).To(Equal("SETUP"))
	g.Expect(req.URI).To(Equal("rtsp://cam/live/trackID=0"))
	g.Expect(req.Proto).To(Equal("RTSP/1.0"))
	v, ok := req.get("Transport")
	g.Expect(ok).To(BeTrue())
	g.Expect(v).To(Equal("RTP/AVP/TCP;unicast"), "case-insensitive names, trimmed values")
	g.Expect(string(req.Body)).To(Equal("body"))

	req, err = parse("OPTIONS * RTSP/1.0\nCSeq: 1\n\n")
	g.Expect(err).NotTo(HaveOccurred(), "bare LF line ends are tolerated")
	g.Expect(req.all("CSeq")).To(Equal([]string{"1"}))
}

func TestReadRequestRefusesMalformedInput(t *testing.T) {
	for name, raw := range map[string]string{
		"two words":         "OPTIONS *\r\n\r\n",
		"four words":        "OPTIONS * RTSP/1.0 x\r\n\r\n",
		"double space":      "OPTIONS  * RTSP/1.0\r\n\r\n",
		"method not token":  "OPT(IONS * RTSP/1.0\r\n\r\n",
		"protocol":          "OPTIONS * HTTP/1.1\r\n\r\n",
		"protocol digits":   "OPTIONS * RTSP/1.x\r\n\r\n",
		"no colon":          "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n",
		"space before name": "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n  X: y\r\n\r\n",
		"empty name":        "OPTIONS * RTSP/1.0\r\n: y\r\n\r\n",
		"NUL in value":      "OPTIONS * RTSP/1.0\r\nX: a\x00b\r\n\r\n",
		"length sign":       "OPTIONS * RTSP/1.0\r\nContent-Length: +1\r\n\r\nx",
		"length hex":        "OPTIONS * RTSP/1.0\r\nContent-Length: 0x10\r\n\r\n",
		"length too big":    "OPTIONS * RTSP/1.0\r\nContent-Length: 65537\r\n\r\n",
		"length 7 digits":   "OPTIONS * RTSP/1.0\r\nContent-Length: 0000001\r\n\r\nx",
		"headers too long":  "OPTIONS * RTSP/1.0\r\nX: " + strings.Repeat("a", maxHeaderBytes) + "\r\n\r\n",
		"blank-line flood":  strings.Repeat("\r\n", maxHeaderBytes/2+1) + "OPTIONS * RTSP/1.0\r\n\r\n",
		"65 headers":        "OPTIONS * RTSP/1.0\r\n" + strings.Repeat("X: y\r\n", 65) + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse(raw)
			NewWithT(t).Expect(err).To(MatchError(errMalformed))
		})
	}
}

func TestReadRequestLimitsAreInclusive(t *testing.T) {
	g := NewWithT(t)
	_, err := parse("OPTIONS * RTSP/1.0\r\n" + strings.Repeat("X: y\r\n", 64) + "\r\n")
	g.Expect(err).NotTo(HaveOccurred(), "64 headers")
	line := "OPTIONS * RTSP/1.0\r\n"
	pad := maxHeaderBytes - len(line) - len("X: \r\n") - len("\r\n")
	req, err := parse(line + "X: " + strings.Repeat("a", pad) + "\r\n\r\n")
	g.Expect(err).NotTo(HaveOccurred(), "exactly 8 KiB")
	g.Expect(req.marshal()).To(HaveLen(maxHeaderBytes))
	req, err = parse("OPTIONS * RTSP/1.0\r\nContent-Length: 65536\r\n\r\n" + strings.Repeat("b", 65536))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(req.Body).To(HaveLen(65536))
}

func TestReadRequestDistinguishesHangUpsFromGarbage(t *testing.T) {
	g := NewWithT(t)
	_, err := parse("")
	g.Expect(err).To(MatchError(io.EOF))
	_, err = parse("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n")
	g.Expect(err).To(MatchError(io.ErrUnexpectedEOF))
	g.Expect(errors.Is(err, errMalformed)).To(BeFalse())
	_, err = parse("OPTIONS * RTSP/1.0\r\nContent-Length: 5\r\n\r\nab")
	g.Expect(err).To(MatchError(io.ErrUnexpectedEOF))
}

func TestResponseMarshal(t *testing.T) {
	g := NewWithT(t)
	r := &response{Status: 200, Body: []byte("v=0\r\n")}
	r.set("CSeq", "2")
	r.set("X-Evil", "a\r\nInjected: yes")
	g.Expect(string(r.marshal())).To(Equal("RTSP/1.0 200 OK\r\nCSeq: 2\r\nX-Evil: a  Injected: yes\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
	g.Expect(string((&response{Status: 453}).marshal())).To(Equal("RTSP/1.0 453 Not Enough Bandwidth\r\n\r\n"))
}

// FuzzParseRequest checks that the parser never panics, keeps to its limits, and that whatever it
// accepts serialises back to bytes that parse to the same request.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n",
		"DESCRIBE rtsp://127.0.0.1:8554/live RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\nAuthorization: Digest username=\"a\", nonce=\"n\"\r\n\r\n",
		"SETUP rtsp://cam/live/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
		"GET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 3\r\nSession: abc\r\n\r\nx\r\n",
		"\r\n\r\nPLAY rtsp://cam/live RTSP/1.0\nCSeq: 4\n\n",
		"OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n",
		"OPTIONS * RTSP/1.0\r\nX:\t\r\n\r\n",
		"$\x00\x00\x04abcd",
		"\x00\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		req, err := readRequest(br)
		if err != nil {
			return
		}
		if len(req.Header) > maxHeaders || len(req.Body) > maxBodyBytes {
			t.Fatalf("limits broken: %d headers, %d body bytes", len(req.Header), len(req.Body))
		}
		rest, _ := io.ReadAll(br)
		consumed := len(data) - len(rest)
		if consumed > maxHeaderBytes+len(req.Body) {
			t.Fatalf("consumed %d bytes for a %d-byte body", consumed, len(req.Body))
		}
		if _, ok := req.get("Content-Length"); !ok && len(req.Body) > 0 {
			t.Fatalf("body without Content-Length")
		}
		wire := req.marshal()
		again, err := readRequest(bufio.NewReader(bytes.NewReader(wire)))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", wire, err)
		}
		if again.Method != req.Method || again.URI != req.URI || again.Proto != req.Proto ||
			!bytes.Equal(again.Body, req.Body) || len(again.Header) != len(req.Header) {
			t.Fatalf("re-parse differs:\n%#v\n%#v", req, again)
		}
		for i := range req.Header {
			if again.Header[i] != req.Header[i] {
				t.Fatalf("header %d differs: %q vs %q", i, req.Header[i], again.Header[i])
			}
		}
		for _, f := range req.Header {
			if strings.ContainsAny(f.Name+f.Value, "\r\n") {
				t.Fatalf("line end inside header %q", f)
			}
		}
	})
}
