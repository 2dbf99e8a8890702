package rtsp

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestOptionsNeedsNoCredentials(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.dial()
	r := c.raw("OPTIONS", h.url("/live"))
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.get("Public")).To(Equal("OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER"))
	g.Expect(c.raw("OPTIONS", "*").status).To(Equal(200))
	g.Expect(h.auth.callLog()).To(BeEmpty(), "OPTIONS does not consult the account store")
}

func TestDescribeWithoutMicrophoneHasNoAudioTrack(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	r := c.do("DESCRIBE", h.url("/live"), "Accept: application/sdp")
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.get("Content-Type")).To(Equal("application/sdp"))
	g.Expect(r.get("Content-Base")).To(Equal(h.url("/live/")))
	body := string(r.body)
	g.Expect(body).To(ContainSubstring("m=video 0 RTP/AVP 26\r\n"))
	g.Expect(body).To(ContainSubstring("a=rtpmap:26 JPEG/90000\r\n"))
	g.Expect(body).To(ContainSubstring("a=control:trackID=0\r\n"))
	g.Expect(body).To(ContainSubstring("a=framerate:25\r\n"))
	g.Expect(body).To(ContainSubstring("a=x-dimensions:640,480\r\n"))
	g.Expect(body).NotTo(ContainSubstring("m=audio"))
	g.Expect(body).NotTo(ContainSubstring("PCMU"))
	g.Expect(body).NotTo(ContainSubstring("trackID=1"))
}

func TestDescribeWithMicrophoneOffersPCMU(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	h.stream.setAudio(true)
	c := h.login("operator", "Quiet-River-88", false)
	r := c.do("DESCRIBE", h.url("/live"))
	g.Expect(r.status).To(Equal(200))
	body := string(r.body)
	g.Expect(body).To(ContainSubstring("m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=1\r\n"))
	g.Expect(strings.Index(body, "m=video")).To(BeNumerically("<", strings.Index(body, "m=audio")))
}

func TestProtocolErrors(t *testing.T) {
	h := startServer(t)
	h.auth.public = true
	t.Run("unknown method is 501", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		for _, m := range []string{"ANNOUNCE", "RECORD", "SET_PARAMETER", "BREW"} {
			g.Expect(c.raw(m, h.url("/live")).status).To(Equal(501), m)
		}
		g.Expect(c.raw("OPTIONS", "*").status).To(Equal(200), "the connection stays usable")
	})
	t.Run("unknown path is 404", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		for _, p := range []string{"/", "/live2", "/live/trackID=2", "/live/../etc/passwd", "/LIVE"} {
			g.Expect(c.raw("DESCRIBE", h.url(p)).status).To(Equal(404), p)
		}
		g.Expect(c.raw("OPTIONS", h.url("/nope")).status).To(Equal(404))
	})
	t.Run("audio track is 404 while the microphone is off", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		g.Expect(c.do("SETUP", h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast;interleaved=2-3").status).To(Equal(404))
		g.Expect(h.srv.Sessions()).To(BeZero())
	})
	t.Run("request without CSeq is 400 and closes the connection", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		c.send("OPTIONS * RTSP/1.0\r\n\r\n")
		r := c.response()
		g.Expect(r.status).To(Equal(400))
		g.Expect(r.get("CSeq")).To(BeEmpty())
		g.Expect(c.expectClosed()).To(BeEmpty())
	})
	t.Run("other protocol versions are 505", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		c.send("OPTIONS * RTSP/2.0\r\nCSeq: 9\r\n\r\n")
		r := c.response()
		g.Expect(r.status).To(Equal(505))
		g.Expect(r.get("CSeq")).To(Equal("9"))
	})
	t.Run("Require is 551: no extensions", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		r := c.raw("OPTIONS", "*", "Require: com.example.evil")
		g.Expect(r.status).To(Equal(551))
		g.Expect(r.get("Unsupported")).To(Equal("com.example.evil"))
	})
	t.Run("relative request URI is 400", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		c.send("DESCRIBE /live RTSP/1.0\r\nCSeq: 1\r\n\r\n")
		g.Expect(c.response().status).To(Equal(400))
		c.expectClosed()
	})
	t.Run("session commands without a session are 454", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		for _, m := range []string{"PLAY", "PAUSE", "TEARDOWN"} {
			g.Expect(c.raw(m, h.url("/live")).status).To(Equal(454), m)
		}
		c.session = "00112233445566778899aabbccddeeff"
		g.Expect(c.raw("GET_PARAMETER", h.url("/live")).status).To(Equal(454))
		c.session = ""
		g.Expect(c.raw("GET_PARAMETER", h.url("/live")).status).To(Equal(200))
	})
	t.Run("SETUP on the aggregate URL is 459, without Transport 461", func(t *testing.T) {
		g := NewWithT(t)
		c := h.dial()
		g.Expect(c.do("SETUP", h.url("/live"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(459))
		g.Expect(c.do("SETUP", h.url("/live/trackID=0")).status).To(Equal(461))
		g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP;multicast").status).To(Equal(461))
		g.Expect(h.srv.Sessions()).To(BeZero())
	})
}

func TestSessionBelongsToItsViewer(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	owner := h.login("operator", "Quiet-River-88", false)
	g.Expect(owner.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1").status).To(Equal(200))
	g.Expect(owner.session).To(MatchRegexp(`^[0-9a-f]{32}$`))

	other := h.login("viewer", "Green-Lamp-42", false)
	other.session = owner.session
	for _, m := range []string{"PLAY", "PAUSE", "GET_PARAMETER", "TEARDOWN"} {
		g.Expect(other.do(m, h.url("/live")).status).To(Equal(454), m)
	}
	g.Expect(h.srv.Sessions()).To(Equal(1), "the other viewer could not end it")
	g.Expect(owner.do("TEARDOWN", h.url("/live")).status).To(Equal(200))
}

func TestSecondTrackJoinsTheSessionOnTheSameTransport(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	h.stream.setAudio(true)
	c := h.login("operator", "Quiet-River-88", false)
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	first := c.session
	r := c.do("SETUP", h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast")
	g.Expect(r.status).To(Equal(200))
	g.Expect(c.session).To(Equal(first))
	g.Expect(r.get("Transport")).To(HavePrefix("RTP/AVP/TCP;unicast;interleaved=2-3;ssrc="), "the server picks the next free pair")
	g.Expect(c.do("SETUP", h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(455), "set up twice")
	g.Expect(h.srv.Sessions()).To(Equal(1))

	u := newUDPClient(t)
	d := h.login("operator", "Quiet-River-88", false)
	g.Expect(d.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1").status).To(Equal(200))
	g.Expect(d.do("SETUP", h.url("/live/trackID=1"), u.transport()).status).To(Equal(461), "one transport per session")
}

func TestHostileRequestsCloseOnlyTheirConnection(t *testing.T) {
	h := startServer(t)
	good := h.login("operator", "Quiet-River-88", false)
	good.playTCP(false)
	stillStreaming := func(g Gomega) {
		h.stream.push(frame(0, "a", "b"))
		pkts, _ := good.rtpUntilMarker(0)
		g.Expect(pkts).To(HaveLen(2))
	}
	stillStreaming(NewWithT(t))

	cases := map[string]string{
		"garbage":                 "\x00\x01\x02 GARBAGE \xff\r\n\r\n",
		"binary request line":     "DESCRIBE rtsp://x/live\x00 RTSP/1.0\r\nCSeq: 1\r\n\r\n",
		"huge header":             "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Pad: " + strings.Repeat("A", 9000) + "\r\n\r\n",
		"too many headers":        "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + strings.Repeat("X-A: b\r\n", 64) + "\r\n",
		"negative Content-Length": "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n",
		"huge Content-Length":     "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 70000\r\n\r\n",
		"two Content-Lengths":     "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"header folding":          "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n folded\r\n\r\n",
		"CR in header value":      "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-A: a\rInjected: b\r\n\r\n",
		"no CSeq":                 "OPTIONS * RTSP/1.0\r\n\r\n",
		"bad CSeq":                "OPTIONS * RTSP/1.0\r\nCSeq: 1; DROP\r\n\r\n",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := h.dial()
			c.send(raw)
			g.Expect(c.response().status).To(Equal(400))
			g.Expect(c.expectClosed()).To(BeEmpty())
			stillStreaming(g)
		})
	}
	transports := map[string]string{
		"interleaved channel out of range": "Transport: RTP/AVP/TCP;unicast;interleaved=256-257",
		"interleaved pair wrapping":        "Transport: RTP/AVP/TCP;unicast;interleaved=255",
		"client_port pointing nowhere":     "Transport: RTP/AVP;unicast;client_port=0-1",
		"client_port out of range":         "Transport: RTP/AVP;unicast;client_port=70000-70001",
		"client_port missing":              "Transport: RTP/AVP;unicast",
		"client_port not a number":         "Transport: RTP/AVP;unicast;client_port=a-b",
	}
	for name, tr := range transports {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := h.login("operator", "Quiet-River-88", false)
			g.Expect(c.do("SETUP", h.url("/live/trackID=0"), tr).status).To(Equal(400))
			c.expectClosed()
			g.Expect(h.srv.Sessions()).To(Equal(1), "only the good session exists")
			stillStreaming(g)
		})
	}
	t.Run("a destination parameter is ignored: RTP goes to the client's own address", func(t *testing.T) {
		g := NewWithT(t)
		u := newUDPClient(t)
		c := h.login("operator", "Quiet-River-88", false)
		r := c.do("SETUP", h.url("/live/trackID=0"), u.transport()+";destination=192.0.2.1")
		g.Expect(r.status).To(Equal(200))
		g.Expect(r.get("Transport")).NotTo(ContainSubstring("192.0.2.1"))
		g.Expect(c.do("PLAY", h.url("/live")).status).To(Equal(200))
		h.stream.push(frame(0, "x"))
		g.Expect(u.nextRTP(t).Payload).To(Equal([]byte("x")))
		g.Expect(c.do("TEARDOWN", h.url("/live")).status).To(Equal(200))
		pkts, _ := good.rtpUntilMarker(0)
		g.Expect(pkts).To(HaveLen(1))
	})
	t.Run("interleaved data on unknown channels is ignored", func(t *testing.T) {
		g := NewWithT(t)
		c := h.login("operator", "Quiet-River-88", false)
		c.send("$\x07\x00\x03abc")
		g.Expect(c.do("GET_PARAMETER", h.url("/live")).status).To(Equal(200))
		stillStreaming(g)
	})
}

func TestDigestURIMustNameTheRequest(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	c.takeChallenge(c.raw("DESCRIBE", h.url("/live")))
	c.cseq++
	a := c.authorization("DESCRIBE", h.url("/other"))
	c.send("DESCRIBE " + h.url("/live") + " RTSP/1.0\r\nCSeq: 2\r\nAuthorization: " + a + "\r\n\r\n")
	g.Expect(c.response().status).To(Equal(400))
	g.Expect(h.auth.callLog()).To(ConsistOf("anonymous@127.0.0.1"), "the account store was not asked")
}

func TestParseTarget(t *testing.T) {
	g := NewWithT(t)
	tg, ok := parseTarget("rtsp://user:secret@cam:554/live/trackID=1")
	g.Expect(ok).To(BeTrue())
	g.Expect(tg).To(Equal(target{base: "rtsp://cam:554/live", track: 1, found: true}), "credentials never echoed")
	tg, ok = parseTarget("RTSP://cam/live/")
	g.Expect(ok).To(BeTrue())
	g.Expect(tg.track).To(Equal(-1))
	_, ok = parseTarget("http://cam/live")
	g.Expect(ok).To(BeFalse())
	_, ok = parseTarget("/live")
	g.Expect(ok).To(BeFalse())
	tg, ok = parseTarget("rtsp://cam/live/trackID=0/x")
	g.Expect(ok).To(BeTrue())
	g.Expect(tg.found).To(BeFalse())
}
