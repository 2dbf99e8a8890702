package nas

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	. "github.com/onsi/gomega"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testServer is an in-process SSH server with the SFTP subsystem of github.com/pkg/sftp on loopback.
// It accepts exactly one client key. It can be stopped and restarted on the same address, and stalled
// (every reply held back) to imitate a NAS that hangs.
type testServer struct {
	t       *testing.T
	addr    string
	cfg     *ssh.ServerConfig
	hostKey ssh.Signer

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	gate  chan struct{} // non-nil while stalled
	wg    sync.WaitGroup
}

func newTestServer(t *testing.T, client ssh.PublicKey) *testServer {
	s := &testServer{t: t, hostKey: newSigner(t), conns: map[net.Conn]bool{}}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if bytes.Equal(key.Marshal(), client.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	s.cfg.AddHostKey(s.hostKey)
	s.start("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.ln = ln
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
}

// stop closes the listener and every connection, like a NAS that went down.
func (s *testServer) stop() {
	s.mu.Lock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.conns = map[net.Conn]bool{}
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testServer) stall() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
}

func (s *testServer) unstall() {
	s.mu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
}

// gatedChannel holds back the server's replies while the server is stalled.
type gatedChannel struct {
	ssh.Channel
	s *testServer
}

func (c gatedChannel) Write(p []byte) (int, error) {
	c.s.mu.Lock()
	g := c.s.gate
	c.s.mu.Unlock()
	if g != nil {
		<-g
	}
	return c.Channel.Write(p)
}

func (s *testServer) serve(c net.Conn) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer ch.Close()
			for req := range creqs {
				ok := req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp"
				_ = req.Reply(ok, nil)
				if !ok {
					continue
				}
				srv, err := sftp.NewServer(gatedChannel{ch, s})
				if err != nil {
					return
				}
				_ = srv.Serve()
				return
			}
		}()
	}
}

// sftpEnv is a camera key, a server that trusts it, and a directory the server serves.
type sftpEnv struct {
	client ssh.Signer
	srv    *testServer
	dir    string
}

func newSFTPEnv(t *testing.T) *sftpEnv {
	client := newSigner(t)
	return &sftpEnv{client: client, srv: newTestServer(t, client.PublicKey()), dir: t.TempDir()}
}

func (e *sftpEnv) url() string { return fmt.Sprintf("sftp://cam@%s%s", e.srv.addr, e.dir) }

func (e *sftpEnv) options() Options {
	return Options{ClientKey: e.client, HostKey: e.srv.hostKey.PublicKey(), DialTimeout: 5 * time.Second}
}

func (e *sftpEnv) open(t *testing.T) Target {
	t.Helper()
	tg, err := Open(context.Background(), e.url(), e.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Close() })
	return tg
}

// roundTrip puts a few records, reads them back through the target and from disk, lists and removes.
func roundTrip(t *testing.T, tg Target, dir string) {
	g := NewWithT(t)
	ctx := context.Background()
	big := make([]byte, 300_000) // several SFTP packets
	_, _ = rand.Read(big)
	want := map[string][]byte{"c.enc": big, "a.enc": []byte("alpha"), "b.enc": {}}
	for n, d := range want {
		g.Expect(tg.Put(ctx, n, d)).To(Succeed(), n)
	}
	g.Expect(tg.Put(ctx, "a.enc", []byte("alpha, replaced"))).To(Succeed())
	want["a.enc"] = []byte("alpha, replaced")
	for n, d := range want {
		got, err := tg.Get(ctx, n)
		g.Expect(err).NotTo(HaveOccurred(), n)
		g.Expect(bytes.Equal(got, d)).To(BeTrue(), n)
		onDisk, err := os.ReadFile(filepath.Join(dir, n))
		g.Expect(err).NotTo(HaveOccurred(), n)
		g.Expect(bytes.Equal(onDisk, d)).To(BeTrue(), n)
		st, err := os.Stat(filepath.Join(dir, n))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.Mode().Perm()&^0o640).To(BeZero(), "mode of %s is %v", n, st.Mode())
	}
	// A crash mid-transfer leaves a temporary file; it is not a record.
	g.Expect(os.WriteFile(filepath.Join(dir, tempMarker+"leftover"), []byte("part"), 0o600)).To(Succeed())
	files, err := tg.List(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(3))
	g.Expect([]string{files[0].Name, files[1].Name, files[2].Name}).To(Equal([]string{"a.enc", "b.enc", "c.enc"}))
	g.Expect(files[2].Size).To(Equal(int64(len(big))))
	g.Expect(files[0].ModTime.IsZero()).To(BeFalse())

	_, err = tg.Get(ctx, "missing")
	g.Expect(err).To(MatchError(ErrNotFound))
	g.Expect(tg.Remove(ctx, "a.enc")).To(Succeed())
	g.Expect(tg.Remove(ctx, "a.enc")).To(Succeed(), "removing a missing file is not an error")
	_, err = os.Stat(filepath.Join(dir, "a.enc"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
	files, err = tg.List(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(2))
}

func TestSFTPRoundTrip(t *testing.T) {
	env := newSFTPEnv(t)
	tg := env.open(t)
	NewWithT(t).Expect(tg.String()).To(Equal(env.url()))
	roundTrip(t, tg, env.dir)
}

func TestSFTPOpenNeedsKeys(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	o := env.options()
	o.HostKey = nil
	_, err := Open(context.Background(), env.url(), o)
	g.Expect(err).To(MatchError(ContainSubstring("pinned host key")))
	o = env.options()
	o.ClientKey = nil
	_, err = Open(context.Background(), env.url(), o)
	g.Expect(err).To(MatchError(ContainSubstring("client key")))
	_, err = Open(context.Background(), fmt.Sprintf("sftp://cam@%s%s/missing", env.srv.addr, env.dir), env.options())
	g.Expect(err).To(MatchError(os.ErrNotExist))
}

func TestSFTPWrongHostKey(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	o := env.options()
	o.HostKey = newSigner(t).PublicKey()
	_, err := Open(context.Background(), env.url(), o)
	g.Expect(err).To(MatchError(ErrHostKey))
	g.Expect(err.Error()).To(ContainSubstring(ssh.FingerprintSHA256(o.HostKey)))
	g.Expect(err.Error()).To(ContainSubstring(ssh.FingerprintSHA256(env.srv.hostKey.PublicKey())))
}

func TestSFTPUnknownClientKey(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	o := env.options()
	o.ClientKey = newSigner(t)
	_, err := Open(context.Background(), env.url(), o)
	g.Expect(err).To(MatchError(ErrAuth))
	g.Expect(err).NotTo(MatchError(ErrUnreachable))
}

func TestSFTPServerDownAndBack(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	tg := env.open(t)
	g.Expect(tg.Put(context.Background(), "before", []byte("1"))).To(Succeed())

	env.srv.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := tg.Put(ctx, "during", []byte("2"))
	g.Expect(err).To(MatchError(ErrUnreachable))
	g.Expect(ctx.Err()).NotTo(HaveOccurred(), "a refused connection is reported before the deadline")
	_, err = tg.List(ctx)
	g.Expect(err).To(MatchError(ErrUnreachable))

	env.srv.start(env.srv.addr) // the NAS came back on the same port
	g.Expect(tg.Put(context.Background(), "after", []byte("3"))).To(Succeed())
	got, err := os.ReadFile(filepath.Join(env.dir, "after"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("3"))
	_, err = os.Stat(filepath.Join(env.dir, "during"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
}

func TestSFTPHungServerRespectsDeadline(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	tg := env.open(t)
	env.srv.stall()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := tg.Put(ctx, "stuck", []byte("x"))
	g.Expect(err).To(MatchError(ErrUnreachable))
	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	env.srv.unstall()
	g.Expect(tg.Put(context.Background(), "next", []byte("y"))).To(Succeed(), "reconnects after the hang")
	files, err := tg.List(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(1), "the stalled Put left no record")
	g.Expect(files[0].Name).To(Equal("next"))
}

func TestSFTPSilentServerRespectsDialTimeout(t *testing.T) {
	g := NewWithT(t)
	// A port that accepts TCP but never speaks SSH.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	o := Options{ClientKey: newSigner(t), HostKey: newSigner(t).PublicKey(), DialTimeout: 200 * time.Millisecond}
	_, err = Open(context.Background(), "sftp://cam@"+ln.Addr().String()+"/x", o)
	g.Expect(err).To(MatchError(ErrUnreachable))
	g.Expect(err).To(MatchError(context.DeadlineExceeded))

	o.DialTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Open(ctx, "sftp://cam@"+ln.Addr().String()+"/x", o)
	g.Expect(err).To(MatchError(ErrUnreachable))
	g.Expect(err).To(MatchError(context.DeadlineExceeded))
}

func TestSFTPUsesGivenDialer(t *testing.T) {
	g := NewWithT(t)
	env := newSFTPEnv(t)
	o := env.options()
	var dialed []string
	o.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tg, err := Open(context.Background(), env.url(), o)
	g.Expect(err).NotTo(HaveOccurred())
	defer tg.Close()
	g.Expect(dialed).To(Equal([]string{"tcp " + env.srv.addr}))
	g.Expect(tg.Close()).To(Succeed())
	g.Expect(tg.Put(context.Background(), "x", nil)).To(MatchError(ErrClosed))
}

// TestSFTPAgainstOpenSSH runs the round trip against the real OpenSSH sshd (docs: /work/shared/PEERS.md).
func TestSFTPAgainstOpenSSH(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skipf("OpenSSH sshd not installed (%v): apt-get install openssh-server to run this test", err)
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skipf("ssh-keygen not found: %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("sshd needs root here (privilege separation, log in as root)")
	}
	g := NewWithT(t)
	tmp := t.TempDir()
	for _, k := range []string{"host", "client"} {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(tmp, k)).CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), string(out))
	}
	clientPub, err := os.ReadFile(filepath.Join(tmp, "client.pub"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(tmp, "authorized_keys"), clientPub, 0o600)).To(Succeed())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	port := ln.Addr().(*net.TCPAddr).Port
	g.Expect(ln.Close()).To(Succeed())

	cfg := filepath.Join(tmp, "sshd_config")
	g.Expect(os.WriteFile(cfg, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
Subsystem sftp internal-sftp
UsePAM no
`, port, filepath.Join(tmp, "host"), filepath.Join(tmp, "sshd.pid"), filepath.Join(tmp, "authorized_keys"))), 0o600)).To(Succeed())
	g.Expect(os.MkdirAll("/run/sshd", 0o755)).To(Succeed())
	if out, err := exec.Command(sshd, "-t", "-f", cfg).CombinedOutput(); err != nil {
		t.Skipf("sshd refuses the configuration: %v: %s", err, out)
	}

	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	stderr, err := cmd.StderrPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Start()).To(Succeed())
	var logMu sync.Mutex
	var log strings.Builder
	listening := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "Server listening on 127.0.0.1") {
				once.Do(func() { close(listening) })
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	sshdLog := func() string { logMu.Lock(); defer logMu.Unlock(); return log.String() }
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-exited
		if t.Failed() {
			t.Logf("sshd log:\n%s", sshdLog())
		}
	})
	// Wait for sshd's own "listening" line (bounded); then the port must accept.
	select {
	case <-listening:
	case <-exited:
		t.Fatalf("sshd exited before listening:\n%s", sshdLog())
	case <-time.After(15 * time.Second):
		t.Fatalf("sshd did not listen within 15s:\n%s", sshdLog())
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	g.Expect(err).NotTo(HaveOccurred())
	_ = c.Close()

	keyPEM, err := os.ReadFile(filepath.Join(tmp, "client"))
	g.Expect(err).NotTo(HaveOccurred())
	client, err := ssh.ParsePrivateKey(keyPEM)
	g.Expect(err).NotTo(HaveOccurred())
	hostPub, err := os.ReadFile(filepath.Join(tmp, "host.pub"))
	g.Expect(err).NotTo(HaveOccurred())
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey(hostPub)
	g.Expect(err).NotTo(HaveOccurred())

	data := t.TempDir()
	raw := fmt.Sprintf("sftp://root@127.0.0.1:%d%s", port, data)
	o := Options{ClientKey: client, HostKey: hostKey, DialTimeout: 10 * time.Second}
	tg, err := Open(context.Background(), raw, o)
	if err != nil {
		t.Fatalf("open %s: %v\nsshd log:\n%s", raw, err, sshdLog())
	}
	defer tg.Close()
	roundTrip(t, tg, data)

	// The real server refuses a key it does not know, and the pin refuses the real server's key.
	bad := o
	bad.ClientKey = newSigner(t)
	_, err = Open(context.Background(), raw, bad)
	g.Expect(err).To(MatchError(ErrAuth))
	bad = o
	bad.HostKey = newSigner(t).PublicKey()
	_, err = Open(context.Background(), raw, bad)
	g.Expect(err).To(MatchError(ErrHostKey))
	g.Expect(err.Error()).To(ContainSubstring(ssh.FingerprintSHA256(hostKey)))
}
