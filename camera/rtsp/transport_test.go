package rtsp

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseTransport(t *testing.T) {
	g := NewWithT(t)
	tr, err := parseTransport("RTP/AVP;unicast;client_port=5000-5001")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr).To(Equal(transport{Ports: [2]int{5000, 5001}, HasPorts: true}))

	tr, err = parseTransport("RTP/AVP/UDP;unicast;client_port=5002")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr.Ports).To(Equal([2]int{5002, 5003}), "a single port means the pair")

	tr, err = parseTransport("RTP/AVP/TCP;unicast;interleaved=2-3;mode=\"PLAY\"")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr).To(Equal(transport{TCP: true, Ports: [2]int{2, 3}, HasPorts: true}))

	tr, err = parseTransport("RTP/AVP/TCP;unicast")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr).To(Equal(transport{TCP: true}), "the server picks the channels")

	tr, err = parseTransport("RTP/AVP;multicast, RTP/AVP/TCP;unicast;interleaved=0-1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr.TCP).To(BeTrue(), "the first acceptable alternative")

	tr, err = parseTransport("RTP/AVP;unicast;client_port=6000-6001;destination=203.0.113.9;source=198.51.100.1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tr).To(Equal(transport{Ports: [2]int{6000, 6001}, HasPorts: true}), "destination is not even kept")
}

func TestParseTransportRefusals(t *testing.T) {
	g := NewWithT(t)
	for _, h := range []string{
		"RTP/AVP;multicast;client_port=5000-5001",
		"RTP/AVP/TCP;unicast;mode=record",
		"RAW/RAW/UDP;unicast;client_port=5000-5001",
	} {
		_, err := parseTransport(h)
		g.Expect(err).To(MatchError(errUnsupportedTransport), h)
	}
	for _, h := range []string{
		"",
		"RTP/AVP;unicast",
		"RTP/AVP;unicast;client_port=0-1",
		"RTP/AVP;unicast;client_port=65535",
		"RTP/AVP;unicast;client_port=65536-65537",
		"RTP/AVP;unicast;client_port=5000-5000",
		"RTP/AVP;unicast;client_port=-5",
		"RTP/AVP;unicast;client_port",
		"RTP/AVP;unicast;client_port=5000-5001;client_port=7000-7001",
		"RTP/AVP/TCP;unicast;interleaved=256-257",
		"RTP/AVP/TCP;unicast;interleaved=255",
		"RTP/AVP/TCP;unicast;interleaved=1-x",
		"RTP/AVP/TCP;unicast;interleaved=000000001",
	} {
		_, err := parseTransport(h)
		g.Expect(err).To(MatchError(errMalformed), h)
	}
}

// FuzzParseTransport checks that accepted transports are within range and survive a round trip.
func FuzzParseTransport(f *testing.F) {
	for _, seed := range []string{
		"RTP/AVP;unicast;client_port=5000-5001",
		"RTP/AVP/TCP;unicast;interleaved=0-1",
		"RTP/AVP/TCP;unicast",
		"RTP/AVP;multicast,RTP/AVP/TCP;unicast;interleaved=254-255;mode=PLAY",
		"RTP/AVP;unicast;client_port=65534;destination=10.0.0.1",
		"RTP/AVP/TCP;interleaved=255-0",
		";;,;=;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tr, err := parseTransport(h)
		if err != nil {
			return
		}
		lo, hi := 1, 65535
		if tr.TCP {
			lo, hi = 0, 255
		}
		if !tr.TCP && !tr.HasPorts {
			t.Fatalf("UDP transport without client ports from %q", h)
		}
		if tr.HasPorts {
			for _, p := range tr.Ports {
				if p < lo || p > hi {
					t.Fatalf("port or channel %d outside %d-%d from %q", p, lo, hi, h)
				}
			}
			if tr.Ports[0] == tr.Ports[1] {
				t.Fatalf("RTP and RTCP on the same port from %q", h)
			}
		}
		again, err := parseTransport(tr.String())
		if err != nil || again != tr {
			t.Fatalf("round trip of %q: %q gives %+v, %v", h, tr.String(), again, err)
		}
	})
}
