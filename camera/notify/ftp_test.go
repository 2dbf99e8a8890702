package notify

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vsslab/sim/peers"
)

// ftpPeer starts vsftpd in the given TLS mode and returns it with its host and port.
func ftpPeer(t *testing.T, mode string) (*peers.Vsftpd, string, int) {
	t.Helper()
	srv, err := peers.StartVsftpd(peers.VsftpdOptions{TLS: mode})
	skipUnavailable(t, err)
	t.Cleanup(func() { srv.Close() })
	host, p, _ := net.SplitHostPort(srv.Addr)
	port, _ := strconv.Atoi(p)
	return srv, host, port
}

func TestFTPUploadsImageAndTextToVsftpdOverTLS(t *testing.T) {
	for _, mode := range []string{"explicit", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			srv, host, port := ftpPeer(t, mode)
			// The server refuses a login or a transfer that is not encrypted, and a data connection
			// that does not resume the control connection's session, so an upload proves all three.
			ch, err := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: srv.Password,
				Dir: "alarms/cam7", TLS: mode, TrustConfig: TrustConfig{CAPEM: string(srv.Cert.PEM)}})
			if err != nil {
				t.Fatal(err)
			}
			m := storageMessage()
			if err := ch.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(srv.Root, "alarms", "cam7")
			img, err := os.ReadFile(filepath.Join(dir, ImageName(m)))
			if err != nil || !bytes.Equal(img, fakeJPEG) {
				t.Fatalf("image on server %x (%v)", img, err)
			}
			txt, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(ImageName(m), ".jpg")+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"cam-7 SN0042", "storage_failure", "2026-03-04T05:06:07Z", "card removed"} {
				if !strings.Contains(string(txt), want) {
					t.Errorf("text %q lacks %q", txt, want)
				}
			}

			bad, _ := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: "wrong-pass", TLS: mode,
				TrustConfig: TrustConfig{CAPEM: string(srv.Cert.PEM)}})
			if err := bad.Send(context.Background(), m); err == nil || strings.Contains(err.Error(), "wrong-pass") {
				t.Fatalf("wrong password gave %v", err)
			}
		})
	}
}

func TestFTPRefusesAServerItDoesNotTrust(t *testing.T) {
	srv, host, port := ftpPeer(t, "explicit")
	other, err := peers.NewServerCert()
	if err != nil {
		t.Fatal(err)
	}
	for name, trust := range map[string]TrustConfig{
		"system roots":  {},
		"another CA":    {CAPEM: string(other.PEM)},
		"another's pin": {PinSHA256: hex.EncodeToString(other.SHA256[:])},
	} {
		ch, err := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: srv.Password, TrustConfig: trust})
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Send(context.Background(), storageMessage()); err == nil {
			t.Errorf("%s: uploaded to an untrusted server", name)
		}
	}
	sum := srv.Cert.SHA256
	pinned, _ := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: srv.Password,
		TrustConfig: TrustConfig{PinSHA256: hex.EncodeToString(sum[:])}})
	if err := pinned.Send(context.Background(), storageMessage()); err != nil {
		t.Fatalf("the pinned server: %v", err)
	}
}

func TestFTPDoesNotFallBackToPlain(t *testing.T) {
	srv, host, port := ftpPeer(t, "")
	ch, err := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: srv.Password})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), storageMessage()); err == nil {
		t.Fatal("sent to a server that offers no TLS")
	}
	entries, _ := os.ReadDir(srv.Root)
	if len(entries) != 0 {
		t.Fatalf("files reached the server: %v", entries)
	}
}

func TestNewFTPValidates(t *testing.T) {
	for name, c := range map[string]FTPConfig{
		"no host":            {Port: 21, Username: "u"},
		"bad port":           {Host: "h", Username: "u"},
		"no user":            {Host: "h", Port: 21},
		"crlf dir":           {Host: "h", Port: 21, Username: "u", Dir: "a\r\nDELE x"},
		"unknown tls":        {Host: "h", Port: 21, Username: "u", TLS: "starttls"},
		"password in clear":  {Host: "h", Port: 21, Username: "u", Password: "p", TLS: "none"},
		"bad pin":            {Host: "h", Port: 21, Username: "u", TrustConfig: TrustConfig{PinSHA256: "abc"}},
		"ca that is not pem": {Host: "h", Port: 21, Username: "u", TrustConfig: TrustConfig{CAPEM: "x"}},
	} {
		if _, err := NewFTP(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewFTP(FTPConfig{Host: "h", Port: 21, Username: "anonymous", TLS: "none"}); err != nil {
		t.Errorf("anonymous plain FTP refused: %v", err)
	}
}
