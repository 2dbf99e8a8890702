package peers

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestSIPpListensAndStops(t *testing.T) {
	s, err := StartSIPp(SIPpOptions{Calls: 3})
	skipUnavailable(t, err)
	if s.URI == "" || s.RTPAddr == "" {
		t.Fatalf("peer %+v", s)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStartSIPpRefusesNegativeCalls(t *testing.T) {
	if _, err := StartSIPp(SIPpOptions{Calls: -1}); err == nil {
		t.Fatal("sipp started for -1 calls")
	}
}

// TestSIPpGroupsRTPByStream sends two calls' worth of packets, interleaved, plus a datagram that is
// not RTP, and expects one stream per SSRC in the order the streams began.
func TestSIPpGroupsRTPByStream(t *testing.T) {
	s, err := StartSIPp(SIPpOptions{})
	skipUnavailable(t, err)
	t.Cleanup(func() { s.Close() })
	conn, err := net.Dial("udp", s.RTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pkt := func(ssrc uint32, seq uint16) []byte {
		b := make([]byte, 12+4)
		b[0] = 0x80
		binary.BigEndian.PutUint16(b[2:], seq)
		binary.BigEndian.PutUint32(b[8:], ssrc)
		return b
	}
	sent := [][]byte{pkt(7, 1), pkt(9, 1), []byte("not rtp"), pkt(7, 2), pkt(9, 2), pkt(9, 3)}
	for _, b := range sent {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// UDP on loopback arrives asynchronously: wait for the peer to have read every datagram.
	NewWithT(t).Eventually(func() int { return len(s.RTPPackets()) }).
		WithTimeout(5 * time.Second).WithPolling(5 * time.Millisecond).Should(BeNumerically(">=", len(sent)))
	streams := s.RTPStreams()
	if len(streams) != 2 || len(streams[0]) != 2 || len(streams[1]) != 3 {
		t.Fatalf("streams %d: %v", len(streams), streams)
	}
	if got := binary.BigEndian.Uint32(streams[0][0][8:]); got != 7 {
		t.Fatalf("first stream has SSRC %d, want 7", got)
	}
	if got := binary.BigEndian.Uint16(streams[1][2][2:]); got != 3 {
		t.Fatalf("second stream's last packet has sequence %d, want 3", got)
	}
}
