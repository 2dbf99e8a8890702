// Package rtsp is the reference camera's RTSP 1.0 server (RFC 2326): live Motion-JPEG video (RFC 2435)
// and, when the microphone is on, G.711 µ-law audio at rtsp://HOST:PORT/live, over RTP on UDP or
// interleaved in the RTSP connection.
//
// It is a network service that certifiers probe, so it is written defensively: every request except
// OPTIONS is authenticated (Digest or Basic, or anonymous when public access is on), requests are
// size-limited and malformed ones close the connection, RTP goes only to the address the RTSP
// connection came from, a slow client never blocks the camera or other clients, and privacy mode
// (Stream.Allowed, EndAll) stops every stream at once.
package rtsp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Frame is one encoded video frame, already split into RFC 2435 RTP payloads by the camera's pipeline
// (payloaded once, fanned out to every session).
type Frame struct {
	Payloads [][]byte
	Captured time.Time
}

// AudioChunk is G.711 µ-law (PCMU, 8 kHz) samples, one byte per sample. Captured is when the first
// sample was taken: the chunk's RTP time is derived from it, on the same time base as video frames.
type AudioChunk struct {
	PCMU     []byte
	Captured time.Time
}

// Subscription delivers media to one session until Close. Slow sessions must not block the camera:
// the Stream side drops frames for a subscriber whose channel is full.
type Subscription interface {
	// Frames delivers video frames in capture order.
	Frames() <-chan Frame
	// Audio is a nil channel when there is no audio.
	Audio() <-chan AudioChunk
	// Close stops delivery; the server calls it exactly once, when the session ends.
	Close()
}

// Stream is the camera side: what the server describes and where sessions get their media.
type Stream interface {
	// Audio tells whether the microphone is on: DESCRIBE offers a PCMU track only then, and no audio
	// packet is ever sent while it is off.
	Audio() bool
	// FrameRate is the nominal frame rate, for SDP a=framerate.
	FrameRate() float64
	// Size is the picture size, for SDP a=x-dimensions and a=cliprect.
	Size() (w, h int)
	// Allowed is nil, or why PLAY is refused right now (privacy mode).
	Allowed() error
	// Subscribe starts delivering media for one session.
	Subscribe(audio bool) Subscription
}

// Viewer is who watches a session, as the Authenticator decided.
type Viewer struct {
	Name string
	// MaxFPS limits the frame rate (frames are dropped by capture time); 0 means unlimited. Guests get
	// a limit so that public access cannot take the camera's whole uplink.
	MaxFPS float64
}

// Authenticator is the camera's account store as the RTSP server sees it. It counts failures, locks
// accounts and audits; the server only turns its verdicts into RTSP answers.
type Authenticator interface {
	// Basic checks a name and password sent in clear (RTSP Basic).
	Basic(name, password, source string) (Viewer, error)
	// Digest: check(ha1) reports whether the client's response matches for that HA1 =
	// MD5(name:realm:password); the camera looks up the account's HA1, counts failures and lockouts.
	Digest(name, source string, check func(ha1 string) bool) (Viewer, error)
	// Anonymous returns the guest viewer, or an error when public access is off.
	Anonymous(source string) (Viewer, error)
}

// Clock is the camera's wall clock: session time-outs, Digest nonce ages and RTCP NTP times. It is an
// interface so that tests and the simulator run the server on virtual time.
type Clock interface{ Now() time.Time }

// Config is what New needs. Stream, Auth, Clock and Random are required.
type Config struct {
	Stream Stream
	Auth   Authenticator
	Clock  Clock
	// Realm is the authentication realm; "vsslab camera" when empty.
	Realm string
	// SessionTimeout ends a session without a request or RTCP packet for that long (Clock time);
	// 60 s when zero, else at least one second, as RTSP counts it in whole seconds.
	SessionTimeout time.Duration
	// MaxSessions is how many sessions may exist at once (453 beyond); 16 when zero.
	MaxSessions int
	// Log gets connection, session and authentication events; never credentials. Discarded when nil.
	Log *slog.Logger
	// Random supplies session ids, nonces, the nonce key, SSRCs and initial sequence numbers and
	// timestamps (crypto/rand.Reader in the camera).
	Random io.Reader
}

// ErrServerClosed is what Serve returns after Close.
var ErrServerClosed = errors.New("rtsp: server closed")

const (
	defaultRealm          = "vsslab camera"
	defaultSessionTimeout = 60 * time.Second
	defaultMaxSessions    = 16
	// connsPerSession bounds open RTSP connections (connsPerSession × MaxSessions), so that idle or
	// half-open connections cannot exhaust the camera's file descriptors.
	connsPerSession = 4
	// defaultWriteStall is how long one write to a client may block before the connection is
	// dropped. It is real time, not Clock time: it protects the server against a client that stopped
	// reading, and a virtual Clock must not be able to stretch or shrink it.
	defaultWriteStall = 10 * time.Second
)

// Server is the RTSP server. It is safe for concurrent use.
type Server struct {
	stream      Stream
	auth        Authenticator
	clock       Clock
	realm       string
	timeout     time.Duration
	maxSessions int
	writeStall  time.Duration
	log         *slog.Logger
	nonceKey    [32]byte
	sdpID       uint64

	randMu sync.Mutex
	rand   io.Reader

	authMu      sync.Mutex
	nonceCounts map[string]nonceCount

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	sessions  map[string]*session
	wg        sync.WaitGroup
}

// New checks the configuration and makes a server; nothing listens until Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Stream == nil || cfg.Auth == nil || cfg.Clock == nil || cfg.Random == nil {
		return nil, errors.New("new rtsp server: Stream, Auth, Clock and Random are required")
	}
	realm := cfg.Realm
	if realm == "" {
		realm = defaultRealm
	}
	for _, r := range realm {
		if r < ' ' || r == 0x7f || r == '"' || r == '\\' {
			return nil, fmt.Errorf("new rtsp server: realm %q has a quote, backslash or control character", realm)
		}
	}
	if cfg.SessionTimeout < 0 || (cfg.SessionTimeout > 0 && cfg.SessionTimeout < time.Second) {
		return nil, fmt.Errorf("new rtsp server: session timeout %v is below one second", cfg.SessionTimeout)
	}
	if cfg.MaxSessions < 0 {
		return nil, fmt.Errorf("new rtsp server: max sessions %d is negative", cfg.MaxSessions)
	}
	s := &Server{
		stream:      cfg.Stream,
		auth:        cfg.Auth,
		clock:       cfg.Clock,
		realm:       realm,
		timeout:     cfg.SessionTimeout,
		maxSessions: cfg.MaxSessions,
		writeStall:  defaultWriteStall,
		log:         cfg.Log,
		rand:        cfg.Random,
		nonceCounts: map[string]nonceCount{},
		listeners:   map[net.Listener]struct{}{},
		conns:       map[*conn]struct{}{},
		sessions:    map[string]*session{},
	}
	if s.timeout == 0 {
		s.timeout = defaultSessionTimeout
	}
	if s.maxSessions == 0 {
		s.maxSessions = defaultMaxSessions
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.random(s.nonceKey[:]); err != nil {
		return nil, fmt.Errorf("new rtsp server: %w", err)
	}
	id, err := s.random32()
	if err != nil {
		return nil, fmt.Errorf("new rtsp server: %w", err)
	}
	s.sdpID = uint64(id)
	return s, nil
}

// random fills b from Config.Random (serialised: the reader need not be safe for concurrent use).
func (s *Server) random(b []byte) error {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return fmt.Errorf("read random: %w", err)
	}
	return nil
}

func (s *Server) random32() (uint32, error) {
	var b [4]byte
	if err := s.random(b[:]); err != nil {
		return 0, err
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), nil
}

// Serve accepts RTSP connections on ln until Close (then it returns ErrServerClosed) or until
// accepting fails. It may be called for several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("rtsp: accept on %s: %w", ln.Addr(), err)
		}
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = nc.Close()
		return
	}
	if len(s.conns) >= connsPerSession*s.maxSessions {
		s.mu.Unlock()
		s.log.Warn("rtsp connection refused: too many connections", "source", addrIP(nc.RemoteAddr()).String())
		// Best effort: a fresh socket's send buffer takes this without blocking.
		_, _ = nc.Write([]byte("RTSP/1.0 503 Service Unavailable\r\n\r\n"))
		_ = nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.serve()
	}()
}

// Close stops every listener, ends every session (with RTCP BYE where the client can still get it),
// closes every connection and waits until all of the server's goroutines have returned.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var lns []net.Listener
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	s.mu.Unlock()
	var errs []error
	for _, ln := range lns {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close rtsp listener: %w", err))
		}
	}
	s.endSessions(s.allSessions(), "server closing")
	s.mu.Lock()
	var conns []*conn
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// EndAll ends every session now, for example because privacy mode was switched on: each gets an
// RTCP BYE carrying reason, TCP-interleaved connections are closed after it, UDP sessions dropped.
// When EndAll returns no further media packet is sent for any of them. The camera makes
// Stream.Allowed refuse first, so that no new PLAY slips in behind it.
func (s *Server) EndAll(reason string) {
	s.endSessions(s.allSessions(), reason)
}

// Sessions counts the live sessions. Sessions that have timed out by the Clock are ended first, so
// the answer never counts a session that could no longer receive media.
func (s *Server) Sessions() int {
	s.sweep()
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) allSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

// endSessions ends sessions in parallel, so that one client whose socket is stuck delays the others
// by at most writeStall, not by writeStall each.
func (s *Server) endSessions(list []*session, reason string) {
	var wg sync.WaitGroup
	for _, ss := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.end(reason, true)
		}()
	}
	wg.Wait()
}

// sweep ends sessions that have timed out by the Clock.
func (s *Server) sweep() {
	now := s.clock.Now()
	var expired []*session
	for _, ss := range s.allSessions() {
		if ss.expired(now) {
			expired = append(expired, ss)
		}
	}
	s.endSessions(expired, "session timed out")
}

func (s *Server) lookup(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// addSession registers a new session unless the server is full or closed.
func (s *Server) addSession(ss *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.sessions) >= s.maxSessions {
		return false
	}
	s.sessions[ss.id] = ss
	return true
}

func (s *Server) removeSession(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[ss.id] == ss {
		delete(s.sessions, ss.id)
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// goTracked runs f in a goroutine that Close waits for; false when the server is already closed.
func (s *Server) goTracked(f func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}
