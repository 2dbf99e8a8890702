package rtsp

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/pion/rtcp"

	. "github.com/onsi/gomega"
)

func TestNewValidatesConfig(t *testing.T) {
	g := NewWithT(t)
	good := func() Config {
		return Config{Stream: &fakeStream{}, Auth: newFakeAuth(), Clock: &fakeClock{now: epoch}, Random: rand.NewChaCha8([32]byte{})}
	}
	for name, edit := range map[string]func(*Config){
		"no stream":        func(c *Config) { c.Stream = nil },
		"no auth":          func(c *Config) { c.Auth = nil },
		"no clock":         func(c *Config) { c.Clock = nil },
		"no random":        func(c *Config) { c.Random = nil },
		"quote in realm":   func(c *Config) { c.Realm = `a"b` },
		"CRLF in realm":    func(c *Config) { c.Realm = "a\r\nX-Injected: 1" },
		"negative timeout": func(c *Config) { c.SessionTimeout = -time.Second },
		"tiny timeout":     func(c *Config) { c.SessionTimeout = time.Millisecond },
		"negative max":     func(c *Config) { c.MaxSessions = -1 },
		"failing random":   func(c *Config) { c.Random = iotest.ErrReader(errors.New("no entropy")) },
	} {
		cfg := good()
		edit(&cfg)
		_, err := New(cfg)
		g.Expect(err).To(HaveOccurred(), name)
	}
	s, err := New(good())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.realm).To(Equal("vsslab camera"))
	g.Expect(s.timeout).To(Equal(60 * time.Second))
	g.Expect(s.maxSessions).To(Equal(16))
	g.Expect(s.Close()).To(Succeed())
	g.Expect(s.Serve(nil)).To(MatchError(ErrServerClosed), "a closed server does not serve again")
}

func TestPrivacyModeRefusesPlay(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	h.stream.setAllowed(errors.New("privacy mode is on"))
	c := h.login("operator", "Quiet-River-88", false)
	g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200))
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	r := c.do("PLAY", h.url("/live"))
	g.Expect(r.status).To(Equal(403))
	g.Expect(string(r.body)).To(ContainSubstring("privacy mode is on"))
	g.Expect(h.stream.all()).To(BeEmpty(), "no subscription while privacy mode is on")

	h.stream.setAllowed(nil)
	g.Expect(c.do("PLAY", h.url("/live")).status).To(Equal(200))
}

func TestEndAllEndsEverySessionWithBye(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	tcp := h.login("operator", "Quiet-River-88", false)
	tcp.playTCP(false)
	u := newUDPClient(t)
	udp := h.login("viewer", "Green-Lamp-42", false)
	g.Expect(udp.do("SETUP", h.url("/live/trackID=0"), u.transport()).status).To(Equal(200))
	g.Expect(udp.do("PLAY", h.url("/live")).status).To(Equal(200))
	idle := h.login("operator", "Quiet-River-88", false) // set up, never played
	g.Expect(idle.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	g.Expect(h.srv.Sessions()).To(Equal(3))

	h.stream.push(frame(0, "a"))
	tcp.rtpUntilMarker(0)
	g.Expect(u.nextRTP(t).Payload).To(Equal([]byte("a")))
	g.Expect(senderReports(u.nextRTCP(t))).To(HaveLen(1))

	h.stream.setAllowed(errors.New("privacy mode is on"))
	h.srv.EndAll("privacy mode")
	g.Expect(h.srv.Sessions()).To(BeZero())
	g.Expect(h.stream.open()).To(BeEmpty(), "every subscription closed")

	var seen []rtcp.Packet
	for len(goodbyes(seen)) == 0 {
		p := tcp.next()
		g.Expect(p.channel).To(Equal(1), "only RTCP after EndAll")
		ps, err := rtcp.Unmarshal(p.data)
		g.Expect(err).NotTo(HaveOccurred())
		seen = append(seen, ps...)
	}
	g.Expect(goodbyes(seen)[0].Reason).To(Equal("privacy mode"))
	g.Expect(tcp.expectClosed()).To(BeEmpty(), "TCP connection closed after the BYE")

	bye := goodbyes(u.nextRTCP(t))
	g.Expect(bye).To(HaveLen(1))
	g.Expect(bye[0].Reason).To(Equal("privacy mode"))

	g.Expect(udp.do("PLAY", h.url("/live")).status).To(Equal(454), "the UDP session is gone")
	udp.session = ""
	g.Expect(udp.do("SETUP", h.url("/live/trackID=0"), u.transport()).status).To(Equal(200))
	g.Expect(udp.do("PLAY", h.url("/live")).status).To(Equal(403), "and a new one cannot play")
}

func TestMaxSessions(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t, func(c *Config) { c.MaxSessions = 2 })
	a := h.login("operator", "Quiet-River-88", false)
	b := h.login("operator", "Quiet-River-88", false)
	c := h.login("operator", "Quiet-River-88", false)
	g.Expect(a.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	g.Expect(b.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(453))
	g.Expect(h.srv.Sessions()).To(Equal(2))
	g.Expect(a.do("TEARDOWN", h.url("/live")).status).To(Equal(200))
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))

	h.clock.Advance(61 * time.Second)
	d := h.login("operator", "Quiet-River-88", false)
	g.Expect(d.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200), "timed-out sessions make room")
	g.Expect(h.srv.Sessions()).To(Equal(1))
}

func TestConnectionLimit(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t, func(c *Config) { c.MaxSessions = 1 })
	var conns []*client
	for range connsPerSession {
		c := h.dial()
		g.Expect(c.raw("OPTIONS", "*").status).To(Equal(200))
		conns = append(conns, c)
	}
	extra, err := net.Dial("tcp", h.addr)
	g.Expect(err).NotTo(HaveOccurred())
	defer extra.Close()
	_ = extra.SetDeadline(time.Now().Add(ioGuard))
	got, err := io.ReadAll(extra)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("RTSP/1.0 503 Service Unavailable\r\n\r\n"))

	_ = conns[0].nc.Close()
	g.Eventually(func() int {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			return 0
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioGuard))
		_, _ = c.Write([]byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if strings.HasPrefix(line, "RTSP/1.0 200") {
			return 200
		}
		return 503
	}).WithTimeout(ioGuard).Should(Equal(200), "a freed slot is usable again")
}

func TestCloseEndsEverything(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	c.playTCP(false)
	u := newUDPClient(t)
	d := h.login("operator", "Quiet-River-88", false)
	g.Expect(d.do("SETUP", h.url("/live/trackID=0"), u.transport()).status).To(Equal(200))
	g.Expect(d.do("PLAY", h.url("/live")).status).To(Equal(200))
	idle := h.dial()
	g.Expect(idle.raw("OPTIONS", "*").status).To(Equal(200))

	g.Expect(h.srv.Close()).To(Succeed()) // returns only once every goroutine has finished
	g.Expect(h.srv.Sessions()).To(BeZero())
	g.Expect(h.stream.open()).To(BeEmpty())
	idle.expectClosed()
	d.expectClosed()
	rest := c.expectClosed()
	g.Expect(len(rest)).To(BeNumerically(">", 0), "the TCP session got its BYE")
	g.Expect(goodbyes(u.nextRTCP(t))).To(HaveLen(1))
	_, err := net.Dial("tcp", h.addr)
	g.Expect(err).To(HaveOccurred(), "the listener is closed")
	g.Expect(h.srv.Close()).To(Succeed(), "Close is idempotent")
}

// The two guards below run on real time by design (a virtual Clock must not disable them), so these
// tests wait for them, bounded by ioGuard; they assert only that the guard acts, not when.

func TestSilentConnectionIsClosed(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t, func(c *Config) { c.SessionTimeout = time.Second })
	c := h.dial()
	c.send("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n") // and never the blank line
	g.Expect(c.expectClosed()).To(BeEmpty())
}

func TestClientThatStopsReadingIsDropped(t *testing.T) {
	g := NewWithT(t)
	h := startTunedServer(t, func(s *Server) { s.writeStall = 200 * time.Millisecond })
	good := h.login("operator", "Quiet-River-88", false)
	good.playTCP(false)
	stuck := h.login("viewer", "Green-Lamp-42", false)
	stuck.playTCP(false) // and then reads nothing more

	big := make([]byte, 60000)
	g.Eventually(func() int {
		// Pushing never blocks the camera; the good client keeps reading its copy.
		h.stream.push(Frame{Payloads: [][]byte{big, big, big, big}, Captured: epoch})
		good.rtpUntilMarker(0)
		return h.srv.Sessions()
	}).WithTimeout(ioGuard).Should(Equal(1), "the stuck client's session ends")
	h.stream.push(frame(time.Second, "still here"))
	for {
		pkts, _ := good.rtpUntilMarker(0)
		if string(pkts[len(pkts)-1].Payload) == "still here" {
			break
		}
	}
}

func TestNilSubscriptionIsRefused(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t, func(c *Config) { c.Stream = nilStream{c.Stream.(*fakeStream)} })
	c := h.login("operator", "Quiet-River-88", false)
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
	g.Expect(c.do("PLAY", h.url("/live")).status).To(Equal(503))
}

type nilStream struct{ *fakeStream }

func (nilStream) Subscribe(bool) Subscription { return nil }
