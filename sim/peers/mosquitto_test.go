package peers

import "testing"

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
