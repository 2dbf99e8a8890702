package rtsp

// Test doubles and a small RTSP client used by the tests of every file in this package.

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	. "github.com/onsi/gomega"
)

// ioGuard bounds every blocking read in the tests, so that a broken server fails a test instead of
// hanging it. It is never what a test asserts on.
const ioGuard = 20 * time.Second

// epoch is where fake time starts.
var epoch = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fakeSub struct {
	frames chan Frame
	audio  chan AudioChunk
	asked  bool // whether the server asked for audio
	closed atomic.Bool
}

func (s *fakeSub) Frames() <-chan Frame { return s.frames }
func (s *fakeSub) Audio() <-chan AudioChunk {
	if s.audio == nil {
		return nil
	}
	return s.audio
}
func (s *fakeSub) Close() { s.closed.Store(true) }

// fakeStream emits media only when the test pushes it.
type fakeStream struct {
	mu        sync.Mutex
	audio     bool
	leakAudio bool // deliver audio even to subscribers that did not ask for it (a buggy camera)
	fps       float64
	w, h      int
	allowed   error
	subs      []*fakeSub
}

func (f *fakeStream) Audio() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.audio
}
func (f *fakeStream) FrameRate() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fps
}

func (f *fakeStream) Size() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.w, f.h
}

func (f *fakeStream) setSize(w, h int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.w, f.h = w, h
}
func (f *fakeStream) Allowed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.allowed
}

func (f *fakeStream) Subscribe(audio bool) Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeSub{frames: make(chan Frame, 256), asked: audio}
	if audio || f.leakAudio {
		s.audio = make(chan AudioChunk, 256)
	}
	f.subs = append(f.subs, s)
	return s
}

func (f *fakeStream) setAudio(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audio = on
}

func (f *fakeStream) setAllowed(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allowed = err
}

func (f *fakeStream) open() []*fakeSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeSub
	for _, s := range f.subs {
		if !s.closed.Load() {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeStream) all() []*fakeSub {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeSub(nil), f.subs...)
}

// push offers a frame to every open subscriber, dropping it for full ones as the contract says.
func (f *fakeStream) push(fr Frame) {
	for _, s := range f.open() {
		select {
		case s.frames <- fr:
		default:
		}
	}
}

func (f *fakeStream) pushAudio(a AudioChunk) {
	for _, s := range f.open() {
		if s.audio == nil {
			continue
		}
		select {
		case s.audio <- a:
		default:
		}
	}
}

// drained waits until every open subscriber has taken all pushed media: whatever the server does
// with it happens before it handles anything pushed later.
func (f *fakeStream) drained(g Gomega) {
	g.Eventually(func() int {
		n := 0
		for _, s := range f.open() {
			n += len(s.frames)
			if s.audio != nil {
				n += len(s.audio)
			}
		}
		return n
	}).WithTimeout(ioGuard).Should(BeZero())
}

// frame builds a frame of n payloads, captured at epoch+at.
func frame(at time.Duration, payloads ...string) Frame {
	f := Frame{Captured: epoch.Add(at)}
	for _, p := range payloads {
		f.Payloads = append(f.Payloads, []byte(p))
	}
	return f
}

type fakeAuth struct {
	mu        sync.Mutex
	realm     string
	users     map[string]string
	public    bool
	guestFPS  float64
	locked    map[string]bool
	forbidden map[string]bool
	calls     []string // "basic:name@source", "digest:name@source", "anonymous@source"
	failures  int
}

func newFakeAuth() *fakeAuth {
	return &fakeAuth{
		realm:     defaultRealm,
		users:     map[string]string{"operator": "Quiet-River-88", "viewer": "Green-Lamp-42"},
		locked:    map[string]bool{},
		forbidden: map[string]bool{},
	}
}

func (a *fakeAuth) verdict(name string, ok bool) (Viewer, error) {
	switch {
	case a.locked[name]:
		a.failures++
		return Viewer{}, fmt.Errorf("account %s: %w", name, ErrLocked)
	case !ok:
		a.failures++
		return Viewer{}, errors.New("bad credentials")
	case a.forbidden[name]:
		return Viewer{}, fmt.Errorf("account %s: %w", name, ErrForbidden)
	}
	return Viewer{Name: name}, nil
}

func (a *fakeAuth) Basic(name, password, source string) (Viewer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "basic:"+name+"@"+source)
	pw, known := a.users[name]
	return a.verdict(name, known && pw == password)
}

func (a *fakeAuth) Digest(name, source string, check func(ha1 string) bool) (Viewer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "digest:"+name+"@"+source)
	pw, known := a.users[name]
	return a.verdict(name, known && check(md5hex(name+":"+a.realm+":"+pw)))
}

func (a *fakeAuth) Anonymous(source string) (Viewer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "anonymous@"+source)
	if !a.public {
		return Viewer{}, errors.New("public access is off")
	}
	return Viewer{Name: "guest", MaxFPS: a.guestFPS}, nil
}

func (a *fakeAuth) callLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

func (a *fakeAuth) failureCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failures
}

// harness is a running server on a loopback port with fake camera parts.
type harness struct {
	t      *testing.T
	srv    *Server
	addr   string
	stream *fakeStream
	auth   *fakeAuth
	clock  *fakeClock
}

func startServer(t *testing.T, edit ...func(*Config)) *harness {
	t.Helper()
	return startTunedServer(t, nil, edit...)
}

// startTunedServer lets a test change the server's internals before it serves.
func startTunedServer(t *testing.T, tune func(*Server), edit ...func(*Config)) *harness {
	t.Helper()
	g := NewWithT(t)
	h := &harness{
		t:      t,
		stream: &fakeStream{fps: 25, w: 640, h: 480},
		auth:   newFakeAuth(),
		clock:  &fakeClock{now: epoch},
	}
	cfg := Config{
		Stream: h.stream,
		Auth:   h.auth,
		Clock:  h.clock,
		Random: rand.NewChaCha8([32]byte{7}),
	}
	for _, e := range edit {
		e(&cfg)
	}
	srv, err := New(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	h.srv, h.addr = srv, ln.Addr().String()
	if tune != nil {
		tune(srv)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		g.Expect(srv.Close()).To(Succeed())
		g.Eventually(served).WithTimeout(ioGuard).Should(Receive(MatchError(ErrServerClosed)))
	})
	return h
}

func (h *harness) url(path string) string { return "rtsp://" + h.addr + path }

// resp is a parsed RTSP response.
type resp struct {
	status int
	header []field
	body   []byte
}

func (r *resp) get(name string) string {
	for _, f := range r.header {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

func (r *resp) all(name string) []string {
	var out []string
	for _, f := range r.header {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// packet is one interleaved frame from the server.
type packet struct {
	channel int
	data    []byte
}

// client speaks RTSP the way ffmpeg does, just enough for the tests.
type client struct {
	t       *testing.T
	h       *harness
	nc      net.Conn
	br      *bufio.Reader
	cseq    int
	user    string
	pass    string
	basic   bool              // answer challenges with Basic instead of Digest
	chal    map[string]string // the last Digest challenge
	nc8     int               // Digest nonce count
	qopNone bool              // answer Digest without qop (RFC 2069 style)
	session string
	pending []packet
}

func (h *harness) dial() *client {
	h.t.Helper()
	nc, err := net.Dial("tcp", h.addr)
	NewWithT(h.t).Expect(err).NotTo(HaveOccurred())
	_ = nc.SetDeadline(time.Now().Add(ioGuard))
	h.t.Cleanup(func() { _ = nc.Close() })
	return &client{t: h.t, h: h, nc: nc, br: bufio.NewReader(nc)}
}

// login makes a client that authenticates as user with Digest (or Basic).
func (h *harness) login(user, pass string, basic bool) *client {
	c := h.dial()
	c.user, c.pass, c.basic = user, pass, basic
	return c
}

func (c *client) send(raw string) {
	c.t.Helper()
	_, err := c.nc.Write([]byte(raw))
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred())
}

// authorization computes the header a client sends after a challenge.
func (c *client) authorization(method, uri string) string {
	if c.user == "" {
		return ""
	}
	if c.basic {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass))
	}
	if c.chal == nil {
		return ""
	}
	realm, nonce := c.chal["realm"], c.chal["nonce"]
	ha1 := md5hex(c.user + ":" + realm + ":" + c.pass)
	ha2 := md5hex(method + ":" + uri)
	if c.qopNone {
		r := md5hex(ha1 + ":" + nonce + ":" + ha2)
		return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"`, c.user, realm, nonce, uri, r)
	}
	c.nc8++
	nc := fmt.Sprintf("%08x", c.nc8)
	cnonce := "0a4f113b"
	r := md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"`,
		c.user, realm, nonce, uri, r, nc, cnonce)
}

// raw sends one request with CSeq, session and credentials, and returns the response, without retry.
func (c *client) raw(method, uri string, headers ...string) *resp {
	c.t.Helper()
	c.cseq++
	var b strings.Builder
	b.WriteString(method + " " + uri + " RTSP/1.0\r\nCSeq: " + strconv.Itoa(c.cseq) + "\r\n")
	if a := c.authorization(method, uri); a != "" {
		b.WriteString("Authorization: " + a + "\r\n")
	}
	if c.session != "" {
		b.WriteString("Session: " + c.session + "\r\n")
	}
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	c.send(b.String())
	r := c.response()
	NewWithT(c.t).Expect(r.get("CSeq")).To(Equal(strconv.Itoa(c.cseq)), "CSeq echoed")
	return r
}

// do is raw plus one retry after a Digest challenge, as players do.
func (c *client) do(method, uri string, headers ...string) *resp {
	c.t.Helper()
	r := c.raw(method, uri, headers...)
	if r.status == 401 && c.user != "" && !c.basic {
		c.takeChallenge(r)
		r = c.raw(method, uri, headers...)
	}
	if s := r.get("Session"); s != "" {
		c.session, _, _ = strings.Cut(s, ";")
	}
	return r
}

func (c *client) takeChallenge(r *resp) {
	c.t.Helper()
	for _, h := range r.all("WWW-Authenticate") {
		if rest, ok := strings.CutPrefix(h, "Digest "); ok {
			p, err := parseDigestParams(rest)
			NewWithT(c.t).Expect(err).NotTo(HaveOccurred())
			c.chal, c.nc8 = p, 0
			return
		}
	}
	c.t.Fatalf("no Digest challenge in %v", r.header)
}

// response reads the next response, keeping interleaved packets that come before it.
func (c *client) response() *resp {
	c.t.Helper()
	g := NewWithT(c.t)
	for {
		b, err := c.br.Peek(1)
		g.Expect(err).NotTo(HaveOccurred(), "reading a response")
		if b[0] == '$' {
			c.pending = append(c.pending, c.readFrame())
			continue
		}
		break
	}
	line, err := c.br.ReadString('\n')
	g.Expect(err).NotTo(HaveOccurred())
	parts := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
	g.Expect(parts).To(HaveLen(3), "status line %q", line)
	g.Expect(parts[0]).To(Equal("RTSP/1.0"))
	r := &resp{}
	r.status, err = strconv.Atoi(parts[1])
	g.Expect(err).NotTo(HaveOccurred())
	for {
		l, err := c.br.ReadString('\n')
		g.Expect(err).NotTo(HaveOccurred())
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		g.Expect(ok).To(BeTrue(), "header line %q", l)
		r.header = append(r.header, field{name, strings.TrimSpace(value)})
	}
	if n := r.get("Content-Length"); n != "" {
		size, err := strconv.Atoi(n)
		g.Expect(err).NotTo(HaveOccurred())
		r.body = make([]byte, size)
		_, err = io.ReadFull(c.br, r.body)
		g.Expect(err).NotTo(HaveOccurred())
	}
	return r
}

func (c *client) readFrame() packet {
	c.t.Helper()
	var hdr [4]byte
	_, err := io.ReadFull(c.br, hdr[:])
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred(), "reading an interleaved frame")
	NewWithT(c.t).Expect(hdr[0]).To(Equal(byte('$')))
	data := make([]byte, binary.BigEndian.Uint16(hdr[2:]))
	_, err = io.ReadFull(c.br, data)
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred())
	return packet{channel: int(hdr[1]), data: data}
}

// next returns the next interleaved frame (a pending one first).
func (c *client) next() packet {
	c.t.Helper()
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		return p
	}
	b, err := c.br.Peek(1)
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred(), "waiting for an interleaved frame")
	NewWithT(c.t).Expect(b[0]).To(Equal(byte('$')), "expected interleaved data, got a response")
	return c.readFrame()
}

// rtpUntilMarker reads interleaved frames until an RTP packet with the marker bit on channel ch,
// returning the RTP packets of channel ch and all RTCP packets seen on the way.
func (c *client) rtpUntilMarker(ch int) ([]rtp.Packet, []rtcp.Packet) {
	c.t.Helper()
	var pkts []rtp.Packet
	var ctl []rtcp.Packet
	for {
		p := c.next()
		if p.channel%2 == 1 {
			cp, err := rtcp.Unmarshal(p.data)
			NewWithT(c.t).Expect(err).NotTo(HaveOccurred())
			ctl = append(ctl, cp...)
			continue
		}
		var rp rtp.Packet
		NewWithT(c.t).Expect(rp.Unmarshal(p.data)).To(Succeed())
		if p.channel != ch {
			pkts = append(pkts, rp)
			continue
		}
		pkts = append(pkts, rp)
		if rp.Marker {
			return pkts, ctl
		}
	}
}

// expectClosed reads to the end of the connection and reports what came before it.
func (c *client) expectClosed() []byte {
	c.t.Helper()
	rest, err := io.ReadAll(c.br)
	NewWithT(c.t).Expect(err).NotTo(HaveOccurred(), "the server should close the connection")
	return rest
}

// udpClient is a pair of client ports for RTP over UDP.
type udpClient struct {
	rtp, rtcp *net.UDPConn
}

func newUDPClient(t *testing.T) *udpClient {
	t.Helper()
	g := NewWithT(t)
	a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return &udpClient{rtp: a, rtcp: b}
}

func (u *udpClient) transport() string {
	return fmt.Sprintf("Transport: RTP/AVP;unicast;client_port=%d-%d", udpPort(u.rtp), udpPort(u.rtcp))
}

func readUDP(t *testing.T, pc *net.UDPConn) ([]byte, *net.UDPAddr) {
	t.Helper()
	_ = pc.SetReadDeadline(time.Now().Add(ioGuard))
	buf := make([]byte, 70000)
	n, from, err := pc.ReadFromUDP(buf)
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "waiting for a UDP packet")
	return buf[:n], from
}

func (u *udpClient) nextRTP(t *testing.T) rtp.Packet {
	t.Helper()
	b, _ := readUDP(t, u.rtp)
	var p rtp.Packet
	NewWithT(t).Expect(p.Unmarshal(b)).To(Succeed())
	return p
}

func (u *udpClient) nextRTCP(t *testing.T) []rtcp.Packet {
	t.Helper()
	b, _ := readUDP(t, u.rtcp)
	p, err := rtcp.Unmarshal(b)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return p
}

// playTCP sets up the video (and optionally audio) track over TCP and plays; it waits until the
// server has subscribed, so pushed frames reach the session.
func (c *client) playTCP(audio bool) {
	c.t.Helper()
	g := NewWithT(c.t)
	before := len(c.h.stream.all())
	g.Expect(c.do("SETUP", c.h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1").status).To(Equal(200))
	if audio {
		g.Expect(c.do("SETUP", c.h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast;interleaved=2-3").status).To(Equal(200))
	}
	g.Expect(c.do("PLAY", c.h.url("/live/"), "Range: npt=0.000-").status).To(Equal(200))
	g.Expect(c.h.stream.all()).To(HaveLen(before + 1))
}

func goodbyes(ps []rtcp.Packet) []*rtcp.Goodbye {
	var out []*rtcp.Goodbye
	for _, p := range ps {
		if b, ok := p.(*rtcp.Goodbye); ok {
			out = append(out, b)
		}
	}
	return out
}

func senderReports(ps []rtcp.Packet) []*rtcp.SenderReport {
	var out []*rtcp.SenderReport
	for _, p := range ps {
		if b, ok := p.(*rtcp.SenderReport); ok {
			out = append(out, b)
		}
	}
	return out
}
