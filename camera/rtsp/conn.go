package rtsp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// publicMethods is the OPTIONS answer. GET_PARAMETER in it makes ffmpeg use GET_PARAMETER keep-alives.
const publicMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER"

// conn is one RTSP control connection. Requests are handled one at a time by serve; writes (responses
// and, for TCP-interleaved sessions, RTP and RTCP) are serialised by wmu.
type conn struct {
	srv      *Server
	nc       net.Conn
	br       *bufio.Reader
	remoteIP netip.Addr
	localIP  netip.Addr

	wmu   sync.Mutex
	stall *time.Timer // closes the connection when one write blocks longer than writeStall

	idle      *time.Timer // fires after SessionTimeout (real time) without a complete message
	closeOnce sync.Once
	dead      atomic.Bool

	mu       sync.Mutex
	sessions map[*session]struct{} // sessions set up on this connection
	channels [256]bool             // interleaved channels in use
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:      s,
		nc:       nc,
		br:       bufio.NewReaderSize(nc, 4096),
		remoteIP: addrIP(nc.RemoteAddr()),
		localIP:  addrIP(nc.LocalAddr()),
		sessions: map[*session]struct{}{},
	}
	c.stall = time.AfterFunc(s.writeStall, c.close)
	c.stall.Stop()
	c.idle = time.AfterFunc(s.timeout, c.onIdle)
	return c
}

func addrIP(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.dead.Store(true)
		_ = c.nc.Close()
	})
}

// write sends b whole, or closes the connection: a partial write would desynchronise the framing.
func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.dead.Load() {
		return net.ErrClosed
	}
	c.stall.Reset(c.srv.writeStall)
	_, err := c.nc.Write(b)
	c.stall.Stop()
	if err != nil {
		c.close()
	}
	return err
}

// writeInterleaved frames an RTP or RTCP packet as "$", channel, 16-bit length (RFC 2326 10.12).
func (c *conn) writeInterleaved(channel int, pkt []byte) error {
	if len(pkt) > 0xffff {
		return errors.New("packet too large for interleaving")
	}
	b := make([]byte, 4+len(pkt))
	b[0] = '$'
	b[1] = byte(channel)
	binary.BigEndian.PutUint16(b[2:], uint16(len(pkt)))
	copy(b[4:], pkt)
	return c.write(b)
}

// onIdle runs when nothing complete arrived for a whole SessionTimeout of real time. A connection
// without sessions is closed (slow or silent clients must not hold a connection slot); sessions are
// ended only by the Clock, so they are checked and the timer re-armed while any is alive.
func (c *conn) onIdle() {
	if c.dead.Load() {
		return
	}
	c.srv.sweep()
	c.mu.Lock()
	alive := len(c.sessions) > 0
	c.mu.Unlock()
	if alive {
		c.idle.Reset(c.srv.timeout)
		return
	}
	c.srv.log.Debug("rtsp connection idle, closing", "source", c.remoteIP.String())
	c.close()
}

func (c *conn) serve() {
	defer c.finish()
	for {
		b, err := c.br.Peek(1)
		if err != nil {
			return
		}
		if b[0] == '$' {
			if err := c.readInterleaved(); err != nil {
				return
			}
			c.idle.Reset(c.srv.timeout)
			continue
		}
		req, err := readRequest(c.br)
		if err != nil {
			if errors.Is(err, errMalformed) {
				c.srv.log.Info("rtsp malformed request", "source", c.remoteIP.String(), "err", err)
				_ = c.write((&response{Status: 400}).marshal())
			}
			return
		}
		c.idle.Reset(c.srv.timeout)
		resp, after := c.handle(req)
		if cseq, ok := req.get("CSeq"); ok && isDigits(cseq) && len(cseq) <= 10 {
			resp.Header = append([]field{{"CSeq", cseq}}, resp.Header...)
		}
		if err := c.write(resp.marshal()); err != nil {
			return
		}
		if resp.Status == 400 {
			return // a client that sends bad requests gets no second chance on this connection
		}
		if after != nil {
			after()
		}
	}
}

// readInterleaved consumes one "$" frame from the client: RTCP receiver reports of TCP sessions count
// as keep-alive, anything else is read and dropped.
func (c *conn) readInterleaved() error {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint16(hdr[2:]))
	if _, err := c.br.Discard(n); err != nil {
		return err
	}
	ch := int(hdr[1])
	c.mu.Lock()
	var owner *session
	for ss := range c.sessions {
		if ss.usesChannel(ch) {
			owner = ss
		}
	}
	c.mu.Unlock()
	if owner != nil {
		owner.touch()
	}
	return nil
}

// finish runs when the connection ends: sessions streamed over it end with it; UDP sessions that
// are playing survive (RFC 2326 sessions outlive connections) until TEARDOWN or their time-out.
func (c *conn) finish() {
	c.close()
	c.idle.Stop()
	c.mu.Lock()
	var ending []*session
	for ss := range c.sessions {
		if ss.isTCP() || !ss.isPlaying() {
			ending = append(ending, ss)
		}
	}
	c.mu.Unlock()
	c.srv.endSessions(ending, "connection closed")
	c.srv.removeConn(c)
}

func (c *conn) addSession(ss *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sessions[ss] = struct{}{}
}

func (c *conn) forget(ss *session, channels []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sessions, ss)
	for _, ch := range channels {
		c.channels[ch] = false
	}
}

// reserveChannels claims an interleaved pair: the one asked for, or the first free pair.
func (c *conn) reserveChannels(t transport) ([2]int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.HasPorts {
		if c.channels[t.Ports[0]] || c.channels[t.Ports[1]] {
			return [2]int{}, false
		}
		c.channels[t.Ports[0]], c.channels[t.Ports[1]] = true, true
		return t.Ports, true
	}
	for ch := 0; ch < 256; ch += 2 {
		if !c.channels[ch] && !c.channels[ch+1] {
			c.channels[ch], c.channels[ch+1] = true, true
			return [2]int{ch, ch + 1}, true
		}
	}
	return [2]int{}, false
}

// touchAll refreshes every session of this connection: any authenticated request on the control
// connection shows the client is alive, whichever keep-alive style it uses.
func (c *conn) touchAll() {
	c.mu.Lock()
	list := make([]*session, 0, len(c.sessions))
	for ss := range c.sessions {
		list = append(list, ss)
	}
	c.mu.Unlock()
	for _, ss := range list {
		ss.touch()
	}
}

// target is what a request URI names.
type target struct {
	base  string // "rtsp://host/live", without credentials, for Content-Base and RTP-Info
	track int    // -1 for the aggregate /live, else 0 (video) or 1 (audio)
	found bool   // false: not a path this server has
}

func parseTarget(uri string) (target, bool) {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "rtsp") || u.Host == "" || u.Opaque != "" {
		return target{}, false
	}
	t := target{base: "rtsp://" + u.Host + "/live", track: -1, found: true}
	switch u.Path {
	case "/live", "/live/":
	case "/live/trackID=0":
		t.track = 0
	case "/live/trackID=1":
		t.track = 1
	default:
		t.found = false
	}
	return t, true
}

// handle answers one request. after, if not nil, runs once the response has been written (PLAY
// starts media only then, so the response precedes the first interleaved packet).
func (c *conn) handle(req *request) (*response, func()) {
	cseq, ok := req.get("CSeq")
	if !ok || !isDigits(cseq) || len(cseq) > 10 {
		return &response{Status: 400}, nil
	}
	if req.Proto != "RTSP/1.0" {
		return &response{Status: 505}, nil
	}
	switch req.Method {
	case "OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER":
	default:
		r := &response{Status: 501}
		r.set("Public", publicMethods)
		return r, nil
	}
	c.srv.log.Debug("rtsp request", "method", req.Method, "source", c.remoteIP.String())
	if opts := req.all("Require"); len(opts) > 0 {
		// RFC 2326 12.32: this server implements no protocol extensions.
		r := &response{Status: 551}
		r.set("Unsupported", strings.Join(opts, ", "))
		return r, nil
	}
	if req.Method == "OPTIONS" {
		return c.options(req), nil
	}
	tgt, ok := parseTarget(req.URI)
	if !ok {
		return &response{Status: 400}, nil
	}
	auth := c.authenticate(req)
	if auth.refuse != nil {
		return auth.refuse, nil
	}
	if !tgt.found || (tgt.track == 1 && !c.srv.stream.Audio()) {
		return &response{Status: 404}, nil
	}
	c.touchAll()
	switch req.Method {
	case "DESCRIBE":
		return c.describe(tgt), nil
	case "SETUP":
		return c.setup(req, tgt, auth.viewer), nil
	case "PLAY":
		return c.play(req, tgt, auth.viewer)
	case "PAUSE":
		return c.pause(req, auth.viewer), nil
	case "TEARDOWN":
		return c.teardown(req, auth.viewer), nil
	default: // GET_PARAMETER
		return c.getParameter(req, auth.viewer), nil
	}
}

func (c *conn) options(req *request) *response {
	if req.URI != "*" {
		tgt, ok := parseTarget(req.URI)
		if !ok {
			return &response{Status: 400}
		}
		if !tgt.found {
			return &response{Status: 404}
		}
	}
	// OPTIONS is unauthenticated; it refreshes a session only from the session's own address.
	if id, ok := sessionID(req); ok {
		if ss := c.srv.lookup(id); ss != nil && ss.ip == c.remoteIP {
			ss.touch()
		}
	}
	r := &response{Status: 200}
	r.set("Public", publicMethods)
	return r
}

func (c *conn) describe(tgt target) *response {
	if tgt.track != -1 {
		return &response{Status: 404}
	}
	w, h := c.srv.stream.Size()
	body := sdp(sdpParams{
		id:        c.srv.sdpID,
		localIP:   c.localIP,
		frameRate: c.srv.stream.FrameRate(),
		width:     w,
		height:    h,
		audio:     c.srv.stream.Audio(),
	})
	r := &response{Status: 200, Body: []byte(body)}
	r.set("Content-Type", "application/sdp")
	r.set("Content-Base", tgt.base+"/")
	return r
}

func sessionID(req *request) (string, bool) {
	v, ok := req.get("Session")
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(v, ";")
	id = strings.TrimSpace(id)
	return id, id != ""
}

// ownedSession finds the request's session if it belongs to this viewer at this address. A session
// id alone is not a credential: another viewer, or the same name from elsewhere, gets 454.
func (c *conn) ownedSession(req *request, v Viewer) (*session, *response) {
	id, ok := sessionID(req)
	if !ok {
		return nil, &response{Status: 454}
	}
	ss := c.srv.lookup(id)
	if ss == nil || ss.ip != c.remoteIP || ss.viewer.Name != v.Name {
		return nil, &response{Status: 454}
	}
	ss.touch()
	return ss, nil
}

func (c *conn) sessionHeader(r *response, ss *session) {
	secs := int(c.srv.timeout / time.Second)
	r.set("Session", ss.id+";timeout="+strconv.Itoa(secs))
}

func (c *conn) setup(req *request, tgt target, v Viewer) *response {
	if tgt.track == -1 {
		return &response{Status: 459}
	}
	th, ok := req.get("Transport")
	if !ok {
		return &response{Status: 461}
	}
	tr, err := parseTransport(th)
	if errors.Is(err, errUnsupportedTransport) {
		return &response{Status: 461}
	}
	if err != nil {
		c.srv.log.Info("rtsp bad transport", "source", c.remoteIP.String(), "err", err)
		return &response{Status: 400}
	}
	var ss *session
	if _, has := req.get("Session"); has {
		var refuse *response
		if ss, refuse = c.ownedSession(req, v); refuse != nil {
			return refuse
		}
		if status := ss.canAddTrack(tgt.track, tr.TCP, c); status != 0 {
			return &response{Status: status}
		}
	} else {
		c.srv.sweep()
		ss, err = newSession(c, v)
		if err != nil {
			c.srv.log.Error("rtsp new session", "err", err)
			return &response{Status: 500}
		}
		if !c.srv.addSession(ss) {
			return &response{Status: 453}
		}
		c.addSession(ss)
		c.srv.log.Info("rtsp session started", "session", ss.logID(), "user", v.Name, "source", c.remoteIP.String())
	}
	reply, status := ss.addTrack(tgt.track, tr)
	if status != 0 {
		if ss.trackCount() == 0 {
			ss.end("setup failed", false)
		}
		return &response{Status: status}
	}
	r := &response{Status: 200}
	r.set("Transport", reply)
	c.sessionHeader(r, ss)
	return r
}

func (c *conn) play(req *request, tgt target, v Viewer) (*response, func()) {
	ss, refuse := c.ownedSession(req, v)
	if refuse != nil {
		return refuse, nil
	}
	if err := c.srv.stream.Allowed(); err != nil {
		c.srv.log.Info("rtsp play refused", "session", ss.logID(), "reason", err.Error())
		r := &response{Status: 403, Body: []byte(sanitize(err.Error()) + "\r\n")}
		r.set("Content-Type", "text/plain")
		return r, nil
	}
	info, status := ss.preparePlay(tgt.base)
	if status != 0 {
		return &response{Status: status}, nil
	}
	r := &response{Status: 200}
	c.sessionHeader(r, ss)
	r.set("Range", "npt=0.000-")
	r.set("RTP-Info", info)
	return r, ss.startPlay
}

func (c *conn) pause(req *request, v Viewer) *response {
	ss, refuse := c.ownedSession(req, v)
	if refuse != nil {
		return refuse
	}
	ss.pause()
	r := &response{Status: 200}
	c.sessionHeader(r, ss)
	return r
}

func (c *conn) teardown(req *request, v Viewer) *response {
	ss, refuse := c.ownedSession(req, v)
	if refuse != nil {
		return refuse
	}
	ss.end("teardown", false)
	return &response{Status: 200}
}

func (c *conn) getParameter(req *request, v Viewer) *response {
	r := &response{Status: 200}
	if _, has := req.get("Session"); has {
		ss, refuse := c.ownedSession(req, v)
		if refuse != nil {
			return refuse
		}
		c.sessionHeader(r, ss)
	}
	return r
}
