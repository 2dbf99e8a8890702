package peers

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

func TestMosquittoListensAndStops(t *testing.T) {
	m, err := StartMosquitto(MosquittoOptions{})
	skipUnavailable(t, err)
	if !tcpUp(m.Addr) {
		t.Fatal("broker not listening")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if tcpUp(m.Addr) {
		t.Fatal("broker still listening after Close")
	}
}

// mqttConnect is a minimal MQTT 3.1.1 CONNECT for client id "t", clean session, keep-alive 10 s.
var mqttConnect = []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 10, 0, 1, 't'}

func TestMosquittoTLSListenerSpeaksOnlyTLS(t *testing.T) {
	m, err := StartMosquitto(MosquittoOptions{TLS: true})
	skipUnavailable(t, err)
	t.Cleanup(func() { m.Close() })
	if m.Cert == nil || m.BrokerURL != "ssl://"+m.Addr {
		t.Fatalf("cert %v, url %s", m.Cert, m.BrokerURL)
	}

	tc, err := tls.Dial("tcp", m.Addr, m.Cert.ClientTLS())
	if err != nil {
		t.Fatalf("TLS to the broker: %v", err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Write(mqttConnect); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(tc, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		t.Fatalf("CONNACK over TLS %x (%v)", ack, err)
	}

	plain, err := net.Dial("tcp", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(5 * time.Second))
	plain.Write(mqttConnect)
	if n, err := plain.Read(ack); err == nil && n > 0 && ack[0] == 0x20 {
		t.Fatal("the TLS listener accepted a plain CONNECT")
	}
}
