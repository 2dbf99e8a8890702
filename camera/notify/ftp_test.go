package notify

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vsslab/sim/peers"
)

func TestFTPUploadsImageAndTextToVsftpd(t *testing.T) {
	srv, err := peers.StartVsftpd()
	skipUnavailable(t, err)
	t.Cleanup(func() { srv.Close() })
	host, p, _ := net.SplitHostPort(srv.Addr)
	port, _ := strconv.Atoi(p)
	ch, err := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: srv.Password, Dir: "alarms/cam7"})
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

	bad, _ := NewFTP(FTPConfig{Host: host, Port: port, Username: srv.User, Password: "wrong-pass"})
	if err := bad.Send(context.Background(), m); err == nil || strings.Contains(err.Error(), "wrong-pass") {
		t.Fatalf("wrong password gave %v", err)
	}
}

func TestNewFTPValidates(t *testing.T) {
	for name, c := range map[string]FTPConfig{
		"no host":  {Port: 21, Username: "u"},
		"bad port": {Host: "h", Username: "u"},
		"no user":  {Host: "h", Port: 21},
		"crlf dir": {Host: "h", Port: 21, Username: "u", Dir: "a\r\nDELE x"},
	} {
		if _, err := NewFTP(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
