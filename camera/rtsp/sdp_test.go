package rtsp

import (
	"math"
	"net/netip"
	"testing"

	. "github.com/onsi/gomega"
)

func TestSDPVideoOnly(t *testing.T) {
	g := NewWithT(t)
	s := sdp(sdpParams{id: 42, localIP: netip.MustParseAddr("192.0.2.7"), frameRate: 12.5, width: 1280, height: 720})
	g.Expect(s).To(Equal("v=0\r\n" +
		"o=- 42 1 IN IP4 192.0.2.7\r\n" +
		"s=vsslab camera live\r\n" +
		"c=IN IP4 0.0.0.0\r\n" +
		"t=0 0\r\n" +
		"a=control:*\r\n" +
		"a=range:npt=0-\r\n" +
		"m=video 0 RTP/AVP 26\r\n" +
		"a=rtpmap:26 JPEG/90000\r\n" +
		"a=control:trackID=0\r\n" +
		"a=framerate:12.5\r\n" +
		"a=x-dimensions:1280,720\r\n" +
		"a=cliprect:0,0,720,1280\r\n"))
}

func TestSDPAudioOnlyWhenMicrophoneOn(t *testing.T) {
	g := NewWithT(t)
	s := sdp(sdpParams{localIP: netip.MustParseAddr("::1"), frameRate: 25, width: 640, height: 480, audio: true})
	g.Expect(s).To(ContainSubstring("o=- 0 1 IN IP6 ::1\r\n"))
	g.Expect(s).To(ContainSubstring("c=IN IP6 ::\r\n"))
	g.Expect(s).To(HaveSuffix("m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=1\r\n"))
}

func TestSDPLeavesOutUnknownValues(t *testing.T) {
	g := NewWithT(t)
	for _, fr := range []float64{0, -5, math.NaN(), math.Inf(1)} {
		s := sdp(sdpParams{frameRate: fr})
		g.Expect(s).NotTo(ContainSubstring("framerate"), "frame rate %v", fr)
		g.Expect(s).NotTo(ContainSubstring("dimensions"))
		g.Expect(s).NotTo(ContainSubstring("NaN"))
	}
}
