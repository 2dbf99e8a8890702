// Package nas is the simulated world's NAS: a real SFTP server (github.com/pkg/sftp over
// golang.org/x/crypto/ssh) on loopback, serving one directory, with faults a scenario injects at any
// time: unreachable (SetDown), slow (SetLatency) and refusing the login (SetRefuseLogin).
//
// The camera under test talks to it exactly as to any SFTP NAS (sftp://user@127.0.0.1:PORT/ with a
// pinned host key and key-only login), so what is exercised is the camera's real transport, and what
// the camera sees for each fault is what a real NAS would make it see: a refused connection, a
// deadline that passes, or an authentication failure. Scenarios then read the evidence from outside:
// the files that arrived (Files), the logins and the completed uploads.
package nas

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	cameranas "vsslab/camera/nas"
)

// Options configure Start.
type Options struct {
	// Root is the directory served; it must exist. Clients see it as "/" and cannot reach outside it.
	Root string
	// User is the only login name accepted.
	User string
	// Addr is the loopback address to listen on; empty means 127.0.0.1 on a free port. Only loopback
	// is allowed: the simulated camera can reach nothing else, and a test server must not be exposed.
	Addr string
	// HostKey is the server's key; nil generates a fresh ed25519 key. Passing one keeps the key (and
	// so the camera's pinned storage.nas_host_key) the same across servers.
	HostKey ssh.Signer
}

// ErrClosed is returned by calls that would need the listener after Close.
var ErrClosed = errors.New("simulated NAS: closed")

// Server is a running simulated NAS. All methods are safe for concurrent use.
type Server struct {
	user     string
	rootDir  string
	root     *os.Root
	hostKey  ssh.Signer
	cfg      *ssh.ServerConfig
	addr     string // fixed at Start, so the camera's URL stays valid across SetDown
	lat      *latency
	wg       sync.WaitGroup // every goroutine the server started
	closing  sync.Once
	closeErr error

	mu      sync.Mutex
	ln      net.Listener // nil while down or closed
	conns   map[*delayConn]struct{}
	keys    [][]byte // authorised client keys, wire format
	down    bool
	refuse  bool
	closed  bool
	logins  int
	uploads int
}

// Start validates o, opens the root and starts serving.
func Start(o Options) (*Server, error) {
	if err := checkUser(o.User); err != nil {
		return nil, fmt.Errorf("start simulated NAS: %w", err)
	}
	if o.Root == "" {
		return nil, errors.New("start simulated NAS: no root directory")
	}
	dir, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("start simulated NAS: root: %w", err)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("start simulated NAS: root: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("start simulated NAS: root %s is not a directory", dir)
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, fmt.Errorf("start simulated NAS: %w", err)
	}
	hk := o.HostKey
	if hk == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("start simulated NAS: host key: %w", err)
		}
		if hk, err = ssh.NewSignerFromKey(priv); err != nil {
			return nil, fmt.Errorf("start simulated NAS: host key: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("start simulated NAS: %w", err)
	}
	s := &Server{
		user:    o.User,
		rootDir: dir,
		root:    root,
		hostKey: hk,
		lat:     newLatency(),
		conns:   map[*delayConn]struct{}{},
	}
	// Public keys only: with no password or keyboard-interactive callback, x/crypto/ssh offers no
	// other method, and NoClientAuth stays false.
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: s.checkKey,
		ServerVersion:     "SSH-2.0-vsslab-simnas",
	}
	s.cfg.AddHostKey(hk)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("start simulated NAS: %w", err)
	}
	s.addr = ln.Addr().String()
	s.mu.Lock()
	s.listen(ln)
	s.mu.Unlock()
	return s, nil
}

func checkUser(u string) error {
	if u == "" {
		return errors.New("no user name")
	}
	if len(u) > 64 {
		return fmt.Errorf("user name is %d bytes, want at most 64", len(u))
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '@' || u[i] == ':' || u[i] == '/' {
			return fmt.Errorf("user name byte %d (0x%02x) is not printable ASCII without '@', ':' or '/'", i, u[i])
		}
	}
	return nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback IP", addr)
	}
	return nil
}

// listen starts accepting on ln; s.mu must be held.
func (s *Server) listen(ln net.Listener) {
	s.ln = ln
	s.wg.Go(func() { s.accept(ln) })
}

// accept serves the connections ln accepts until ln is closed.
func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by SetDown or Close; any other failure also ends this listener
		}
		dc := newDelayConn(c, s.lat)
		s.mu.Lock()
		if s.closed || s.down {
			// Accepted just before the listener closed: drop it like the others.
			s.mu.Unlock()
			_ = c.Close()
			continue
		}
		s.conns[dc] = struct{}{}
		s.wg.Go(dc.pump)
		s.wg.Go(func() { s.serve(dc) })
		s.mu.Unlock()
	}
}

// checkKey accepts only the configured user with an authorised key, and nothing while the login
// fault is set.
func (s *Server) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse {
		return nil, errors.New("login refused (injected fault)")
	}
	if meta.User() != s.user {
		return nil, fmt.Errorf("unknown user %q", meta.User())
	}
	wire := key.Marshal()
	if !slices.ContainsFunc(s.keys, func(k []byte) bool { return bytes.Equal(k, wire) }) {
		return nil, fmt.Errorf("key %s is not authorised", ssh.FingerprintSHA256(key))
	}
	return nil, nil
}

// serve runs one client connection: the SSH handshake, then SFTP on every session channel.
func (s *Server) serve(c *delayConn) {
	defer s.forget(c)
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return // handshake or login failed, or the connection was dropped
	}
	defer sc.Close()
	s.mu.Lock()
	s.logins++
	s.mu.Unlock()
	s.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.wg.Go(func() { s.session(ch, creqs) })
	}
}

// session serves one session channel: the sftp subsystem and nothing else (no shell, no exec).
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		ok := req.Type == "subsystem" && string(req.Payload) == "\x00\x00\x00\x04sftp"
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
		if !ok {
			continue
		}
		// Later requests on this channel (none are expected) must still be answered or the
		// connection stalls.
		s.wg.Go(func() { ssh.DiscardRequests(reqs) })
		fsys := &rootFS{root: s.root, uploaded: s.uploaded}
		rs := sftp.NewRequestServer(ch, fsys.handlers(), sftp.WithStartDirectory("/"))
		_ = rs.Serve() // returns when the client closes the session or the connection drops
		_ = rs.Close()
		return
	}
}

func (s *Server) uploaded() {
	s.mu.Lock()
	s.uploads++
	s.mu.Unlock()
}

func (s *Server) forget(c *delayConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	_ = c.Close()
}

// dropAll closes every open connection; s.mu must be held.
func (s *Server) dropAll() {
	for c := range s.conns {
		_ = c.Close()
		delete(s.conns, c)
	}
}

// Authorize lets key log in as the server's user. Keys are checked at every login, so a key added
// while a camera is retrying is used by its next attempt.
func (s *Server) Authorize(key ssh.PublicKey) error {
	if key == nil {
		return errors.New("authorise key: nil key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key.Marshal())
	return nil
}

// AuthorizeLine is Authorize for an authorized_keys line, the form in which the camera shows its
// own NAS key (GET /api/v1/storage, nas_client_key).
func (s *Server) AuthorizeLine(line string) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return fmt.Errorf("authorise key: %w", err)
	}
	return s.Authorize(key)
}

// Addr is the host:port the server listens on; it stays the same while the server is down.
func (s *Server) Addr() string { return s.addr }

// URL is the NAS URL a camera is configured with: sftp://user@127.0.0.1:PORT/, the path being the
// server's view of Root. A subdirectory of Root is URL() + "sub".
func (s *Server) URL() string {
	return (&url.URL{Scheme: "sftp", User: url.User(s.user), Host: s.addr, Path: "/"}).String()
}

// HostKey is the server's public key, which the camera pins.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// HostKeyLine is HostKey as an authorized_keys line without newline, the form the camera's
// storage.nas_host_key setting takes.
func (s *Server) HostKeyLine() string {
	return string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(s.hostKey.PublicKey())))
}

// Root is the absolute path of the directory served.
func (s *Server) Root() string { return s.rootDir }

// SetDown makes the NAS unreachable (true) or brings it back (false).
//
// Down: the listener is closed, so a camera's connection attempt is refused at once (ErrUnreachable
// from camera/nas, long before any deadline), and every open connection is dropped, so a call in
// flight fails with ErrUnreachable and the next call tries to reconnect.
//
// Back up: the server listens again on the same address (Go sets SO_REUSEADDR on listeners, so the
// dropped connections' TIME_WAIT does not block it) and the camera's next call reconnects. The error
// is that of listening again, or ErrClosed after Close.
func (s *Server) SetDown(down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("set simulated NAS down=%t: %w", down, ErrClosed)
	}
	if down == s.down {
		return nil
	}
	if down {
		s.down = true
		_ = s.ln.Close()
		s.ln = nil
		s.dropAll()
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("bring simulated NAS back up on %s: %w", s.addr, err)
	}
	s.down = false
	s.listen(ln)
	return nil
}

// SetLatency makes the NAS slow: every byte a client sends is delivered to the server d after it
// arrived, in real time, as over a slow link. Each round trip therefore takes d more: with camera/nas,
// connecting and logging in takes about 10 round trips, a Put about 6, a List 4 and a Remove 2, so a
// camera whose call deadline is shorter sees ErrUnreachable wrapping context.DeadlineExceeded. Requests
// already waiting are re-timed, so lowering the latency (Heal) releases them at once; a connection the
// client abandoned meanwhile is cleaned up then, or at Close. Zero clears the fault.
func (s *Server) SetLatency(d time.Duration) error {
	if err := s.lat.set(d); err != nil {
		return fmt.Errorf("simulated NAS: %w", err)
	}
	return nil
}

// SetRefuseLogin makes the SSH server reject every public key (true) or accept authorised keys
// again (false). Setting it also drops open connections, as a NAS whose access was revoked would
// restart its sessions: otherwise a camera with a live session would never log in and never see the
// fault. A camera then sees ErrAuth (not ErrUnreachable) on its next connection; a call that was in
// flight at that moment fails with ErrUnreachable first.
func (s *Server) SetRefuseLogin(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refuse && !s.refuse {
		s.dropAll()
	}
	s.refuse = refuse
}

// Heal clears every fault: up, no latency, logins accepted. The error is that of listening again.
func (s *Server) Heal() error {
	s.SetRefuseLogin(false)
	_ = s.lat.set(0)
	return s.SetDown(false)
}

// Files returns the records in Root, sorted: regular files whose names the camera's NAS client
// accepts as records. Temporary upload files (whose names contain '~') and directories are left out.
func (s *Server) Files() ([]string, error) {
	d, err := s.root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("list simulated NAS: %w", err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("list simulated NAS: %w", err)
	}
	out := []string{}
	for _, e := range entries {
		if e.Type().IsRegular() && cameranas.CheckName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// Logins is the number of successful logins so far; a camera that reconnects after a fault logs in
// again, so this shows reconnections.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Uploads is the number of records completed so far: a file renamed from a non-record (temporary)
// name to a record name, or a file opened for writing under a record name and closed.
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads
}

// Close stops listening, drops every connection and waits for every goroutine the server started.
// Calling it again (even concurrently) waits for the first call and returns its result.
func (s *Server) Close() error {
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.ln != nil {
			_ = s.ln.Close()
			s.ln = nil
		}
		s.dropAll()
		s.mu.Unlock()
		s.wg.Wait()
		if err := s.root.Close(); err != nil {
			s.closeErr = fmt.Errorf("close simulated NAS: %w", err)
		}
	})
	return s.closeErr
}

// String names the server for logs.
func (s *Server) String() string { return "simulated NAS " + s.URL() }
