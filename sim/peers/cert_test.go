package peers

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/pem"
	"testing"
)

func TestServerCertServesWhatClientsTrust(t *testing.T) {
	c, err := NewServerCert()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(c.PEM)
	if block == nil || sha256.Sum256(block.Bytes) != c.SHA256 {
		t.Fatal("SHA256 is not the hash of the PEM's certificate")
	}
	certFile, keyFile, err := c.writeFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatalf("a server program could not load the files: %v", err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if conn, err := l.Accept(); err == nil {
			conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	conn, err := tls.Dial("tcp", l.Addr().String(), c.ClientTLS())
	if err != nil {
		t.Fatalf("ClientTLS does not trust the certificate: %v", err)
	}
	conn.Close()

	other, _ := NewServerCert()
	go func() {
		if conn, err := l.Accept(); err == nil {
			conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	if conn, err := tls.Dial("tcp", l.Addr().String(), other.ClientTLS()); err == nil {
		conn.Close()
		t.Fatal("another certificate's ClientTLS trusted this one")
	}
}
