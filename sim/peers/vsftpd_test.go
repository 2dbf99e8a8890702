package peers

import (
	"os/user"
	"testing"
)

func TestVsftpdListensAndCleansUp(t *testing.T) {
	v, err := StartVsftpd()
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
