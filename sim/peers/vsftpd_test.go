package peers

import (
	"bufio"
	"crypto/tls"
	"net"
	"os/user"
	"strings"
	"testing"
	"time"
)

func TestVsftpdListensAndCleansUp(t *testing.T) {
	v, err := StartVsftpd(VsftpdOptions{})
	skipUnavailable(t, err)
	if !tcpUp(v.Addr) {
		t.Fatal("vsftpd not listening")
	}
	if _, err := user.Lookup(v.User); err != nil {
		t.Fatalf("user not created: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if tcpUp(v.Addr) {
		t.Fatal("vsftpd still listening after Close")
	}
	if _, err := user.Lookup(v.User); err == nil {
		t.Fatal("user left behind")
	}
}

// ftpDialog sends each command on conn and returns the reply lines, one per command after the
// greeting.
func ftpDialog(t *testing.T, conn net.Conn, cmds ...string) []string {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	read := func() string {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read reply: %v", err)
		}
		return strings.TrimSpace(line)
	}
	out := []string{read()}
	for _, c := range cmds {
		if _, err := conn.Write([]byte(c + "\r\n")); err != nil {
			t.Fatal(err)
		}
		out = append(out, read())
	}
	return out
}

func TestVsftpdExplicitTLSRefusesAPlainLogin(t *testing.T) {
	v, err := StartVsftpd(VsftpdOptions{TLS: "explicit"})
	skipUnavailable(t, err)
	t.Cleanup(func() { v.Close() })
	if v.Cert == nil {
		t.Fatal("no certificate for a TLS server")
	}
	conn, err := net.Dial("tcp", v.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := ftpDialog(t, conn, "USER "+v.User)
	if !strings.HasPrefix(got[1], "530") {
		t.Fatalf("a plain USER got %q, want 530", got[1])
	}

	conn2, err := net.Dial("tcp", v.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if got := ftpDialog(t, conn2, "AUTH TLS"); !strings.HasPrefix(got[1], "234") {
		t.Fatalf("AUTH TLS got %q", got[1])
	}
	tc := tls.Client(conn2, v.Cert.ClientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake with the peer's own certificate trusted: %v", err)
	}
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Write([]byte("USER " + v.User + "\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "331") {
		t.Fatalf("USER over TLS got %q (%v), want 331", line, err)
	}
}

func TestVsftpdImplicitTLSSpeaksTLSFirst(t *testing.T) {
	v, err := StartVsftpd(VsftpdOptions{TLS: "implicit"})
	skipUnavailable(t, err)
	t.Cleanup(func() { v.Close() })
	conn, err := tls.Dial("tcp", v.Addr, v.Cert.ClientTLS())
	if err != nil {
		t.Fatalf("TLS from the first byte: %v", err)
	}
	defer conn.Close()
	if got := ftpDialog(t, conn); !strings.HasPrefix(got[0], "220") {
		t.Fatalf("greeting %q", got[0])
	}
}

func TestVsftpdRejectsUnknownTLSMode(t *testing.T) {
	if _, err := StartVsftpd(VsftpdOptions{TLS: "sometimes"}); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("got %v", err)
	}
}
