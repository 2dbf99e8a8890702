package rtsp

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	. "github.com/onsi/gomega"
)

// rtpInfo parses "url=…;seq=N;rtptime=T" for one track.
func rtpInfo(g Gomega, header, track string) (uint16, uint32) {
	for _, part := range strings.Split(header, ",") {
		if !strings.Contains(part, "/live/trackID="+track+";") {
			continue
		}
		m := regexp.MustCompile(`;seq=(\d+);rtptime=(\d+)$`).FindStringSubmatch(part)
		g.Expect(m).To(HaveLen(3), "RTP-Info %q", header)
		seq, _ := strconv.ParseUint(m[1], 10, 16)
		ts, _ := strconv.ParseUint(m[2], 10, 32)
		return uint16(seq), uint32(ts)
	}
	g.Expect(header).To(ContainSubstring("trackID="+track), "RTP-Info names the track")
	return 0, 0
}

func ssrcOf(g Gomega, transport string) uint32 {
	m := regexp.MustCompile(`;ssrc=([0-9A-F]{8})$`).FindStringSubmatch(transport)
	g.Expect(m).To(HaveLen(2), "Transport %q", transport)
	v, _ := strconv.ParseUint(m[1], 16, 32)
	return uint32(v)
}

func TestTCPInterleavedStreaming(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	r := c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.get("Transport")).To(HavePrefix("RTP/AVP/TCP;unicast;interleaved=0-1;ssrc="))
	g.Expect(r.get("Session")).To(MatchRegexp(`^[0-9a-f]{32};timeout=60$`))
	ssrc := ssrcOf(g, r.get("Transport"))
	r = c.do("PLAY", h.url("/live/"), "Range: npt=0.000-")
	g.Expect(r.status).To(Equal(200))
	g.Expect(r.get("Range")).To(Equal("npt=0.000-"))
	seq, ts := rtpInfo(g, r.get("RTP-Info"), "0")
	g.Expect(r.get("RTP-Info")).To(HavePrefix("url=" + h.url("/live/trackID=0") + ";"))

	h.stream.push(frame(0, "p1", "p2", "p3"))
	pkts, _ := c.rtpUntilMarker(0)
	g.Expect(pkts).To(HaveLen(3))
	for i, p := range pkts {
		g.Expect(p.Version).To(Equal(uint8(2)))
		g.Expect(p.PayloadType).To(Equal(uint8(26)))
		g.Expect(p.SSRC).To(Equal(ssrc))
		g.Expect(p.SequenceNumber).To(Equal(seq + uint16(i)))
		g.Expect(p.Timestamp).To(Equal(ts), "all packets of a frame share its timestamp")
		g.Expect(p.Marker).To(Equal(i == 2), "marker only on the last packet of the frame")
		g.Expect(string(p.Payload)).To(Equal(fmt.Sprintf("p%d", i+1)))
	}

	h.stream.push(frame(40*time.Millisecond, "q1"))
	h.stream.push(frame(1007*time.Millisecond, "r1", "r2"))
	pkts, ctl := c.rtpUntilMarker(0)
	g.Expect(pkts).To(HaveLen(1))
	g.Expect(pkts[0].SequenceNumber).To(Equal(seq + 3))
	g.Expect(pkts[0].Timestamp).To(Equal(ts+3600), "40 ms at 90 kHz")
	g.Expect(pkts[0].Marker).To(BeTrue())

	srs := senderReports(ctl)
	g.Expect(srs).To(HaveLen(1), "a sender report follows the first frame")
	g.Expect(srs[0].SSRC).To(Equal(ssrc))
	g.Expect(srs[0].PacketCount).To(Equal(uint32(3)))
	g.Expect(srs[0].OctetCount).To(Equal(uint32(6)))
	g.Expect(srs[0].NTPTime).To(Equal(ntpTime(epoch)), "NTP time from the Clock")
	g.Expect(srs[0].RTPTime).To(Equal(ts), "the Clock shows the first frame's capture time")

	pkts, _ = c.rtpUntilMarker(0)
	g.Expect(pkts).To(HaveLen(2))
	g.Expect(pkts[0].Timestamp).To(Equal(ts+90630), "1.007 s at 90 kHz")
	g.Expect([]bool{pkts[0].Marker, pkts[1].Marker}).To(Equal([]bool{false, true}))
	g.Expect(pkts[1].SequenceNumber).To(Equal(seq + 5))
}

func TestTimestampsNeverRunBackwards(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	c.playTCP(false)
	h.stream.push(frame(time.Second, "a"))
	first, _ := c.rtpUntilMarker(0)
	h.stream.push(frame(500*time.Millisecond, "b")) // a camera clock step backwards
	h.stream.push(frame(1100*time.Millisecond, "c"))
	second, _ := c.rtpUntilMarker(0)
	third, _ := c.rtpUntilMarker(0)
	g.Expect(second[0].Timestamp).To(Equal(first[0].Timestamp))
	g.Expect(third[0].Timestamp).To(Equal(first[0].Timestamp + 9000))
}

func TestSenderReportsEveryFiveSecondsOfMediaTime(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	r := c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=4-5")
	g.Expect(r.status).To(Equal(200))
	r = c.do("PLAY", h.url("/live"))
	g.Expect(r.status).To(Equal(200))
	_, ts := rtpInfo(g, r.get("RTP-Info"), "0")

	received := 0
	var reports []*rtcp.SenderReport
	var countAtReport []int
	for i := 0; i <= 101; i++ {
		at := time.Duration(i) * 100 * time.Millisecond
		h.clock.Set(epoch.Add(at))
		h.stream.push(frame(at, "x", "y"))
		pkts, ctl := c.rtpUntilMarker(4)
		for _, sr := range senderReports(ctl) {
			reports = append(reports, sr)
			countAtReport = append(countAtReport, received)
		}
		received += len(pkts)
	}
	g.Expect(reports).To(HaveLen(3), "after the frames captured at 0 s, 5 s and 10 s")
	for i, sr := range reports {
		at := time.Duration(i) * 5 * time.Second
		g.Expect(sr.PacketCount).To(Equal(uint32(countAtReport[i])))
		g.Expect(sr.OctetCount).To(Equal(uint32(countAtReport[i])))
		g.Expect(sr.NTPTime).To(Equal(ntpTime(epoch.Add(at))))
		g.Expect(sr.RTPTime).To(Equal(ts + uint32(at/time.Second)*90000))
	}
}

func TestUDPStreaming(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	u := newUDPClient(t)
	c := h.login("operator", "Quiet-River-88", true)
	r := c.do("SETUP", h.url("/live/trackID=0"), u.transport())
	g.Expect(r.status).To(Equal(200))
	m := regexp.MustCompile(`^RTP/AVP;unicast;client_port=(\d+)-(\d+);server_port=(\d+)-(\d+);ssrc=[0-9A-F]{8}$`).FindStringSubmatch(r.get("Transport"))
	g.Expect(m).To(HaveLen(5), r.get("Transport"))
	g.Expect(m[1]).To(Equal(strconv.Itoa(udpPort(u.rtp))))
	g.Expect(m[2]).To(Equal(strconv.Itoa(udpPort(u.rtcp))))
	serverRTP, _ := strconv.Atoi(m[3])
	serverRTCP, _ := strconv.Atoi(m[4])
	r = c.do("PLAY", h.url("/live/"))
	g.Expect(r.status).To(Equal(200))
	seq, ts := rtpInfo(g, r.get("RTP-Info"), "0")

	h.stream.push(frame(0, "a", "b"))
	h.stream.push(frame(100*time.Millisecond, "c"))
	var got []rtp.Packet
	for range 3 {
		b, from := readUDP(t, u.rtp)
		g.Expect(from.IP.String()).To(Equal("127.0.0.1"))
		g.Expect(from.Port).To(Equal(serverRTP))
		var p rtp.Packet
		g.Expect(p.Unmarshal(b)).To(Succeed())
		got = append(got, p)
	}
	g.Expect(got[0].SequenceNumber).To(Equal(seq))
	g.Expect(got[2].SequenceNumber).To(Equal(seq + 2))
	g.Expect(got[0].Timestamp).To(Equal(ts))
	g.Expect(got[2].Timestamp).To(Equal(ts + 9000))
	g.Expect([]bool{got[0].Marker, got[1].Marker, got[2].Marker}).To(Equal([]bool{false, true, true}))

	b, from := readUDP(t, u.rtcp)
	g.Expect(from.Port).To(Equal(serverRTCP))
	ctl, err := rtcp.Unmarshal(b)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(senderReports(ctl)).To(HaveLen(1))

	g.Expect(c.do("TEARDOWN", h.url("/live")).status).To(Equal(200))
	g.Expect(goodbyes(u.nextRTCP(t))).To(HaveLen(1))
	g.Expect(h.srv.Sessions()).To(BeZero())
}

func TestAudioStreaming(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	h.stream.setAudio(true)
	c := h.login("operator", "Quiet-River-88", false)
	g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1").status).To(Equal(200))
	g.Expect(c.do("SETUP", h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast;interleaved=2-3").status).To(Equal(200))
	r := c.do("PLAY", h.url("/live"))
	g.Expect(r.status).To(Equal(200))
	aseq, ats := rtpInfo(g, r.get("RTP-Info"), "1")
	g.Expect(h.stream.all()[0].asked).To(BeTrue(), "subscribed with audio")

	h.stream.pushAudio(AudioChunk{PCMU: bytes.Repeat([]byte{0xff}, 1000), Captured: epoch})
	var audio []rtp.Packet
	for len(audio) < 2 {
		p := c.next()
		if p.channel != 2 {
			continue
		}
		var rp rtp.Packet
		g.Expect(rp.Unmarshal(p.data)).To(Succeed())
		audio = append(audio, rp)
	}
	g.Expect(audio[0].PayloadType).To(Equal(uint8(0)))
	g.Expect(audio[0].SequenceNumber).To(Equal(aseq))
	g.Expect(audio[1].SequenceNumber).To(Equal(aseq + 1))
	g.Expect(audio[0].Timestamp).To(Equal(ats))
	g.Expect(audio[1].Timestamp).To(Equal(ats+800), "8 kHz: one tick per sample")
	g.Expect(audio[0].Payload).To(HaveLen(800))
	g.Expect(audio[1].Payload).To(HaveLen(200))
}

func TestNoAudioPacketWhileMicrophoneOff(t *testing.T) {
	noAudioBefore := func(g Gomega, c *client, h *harness, at time.Duration) {
		h.stream.pushAudio(AudioChunk{PCMU: []byte{1, 2, 3}, Captured: epoch.Add(at)})
		h.stream.drained(g)
		h.stream.push(frame(at, "v"))
		pkts, _ := c.rtpUntilMarker(0)
		for _, p := range pkts {
			g.Expect(p.PayloadType).To(Equal(uint8(26)), "no audio packet")
		}
	}
	t.Run("no audio track at all", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		h.stream.leakAudio = true // even a camera that delivers audio anyway must not get it out
		c := h.login("operator", "Quiet-River-88", false)
		g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast;interleaved=0-1").status).To(Equal(200))
		g.Expect(c.do("SETUP", h.url("/live/trackID=1"), "Transport: RTP/AVP/TCP;unicast;interleaved=2-3").status).To(Equal(404))
		r := c.do("PLAY", h.url("/live"))
		g.Expect(r.status).To(Equal(200))
		g.Expect(r.get("RTP-Info")).NotTo(ContainSubstring("trackID=1"))
		g.Expect(h.stream.all()[0].asked).To(BeFalse(), "subscribed without audio")
		noAudioBefore(g, c, h, 0)
	})
	t.Run("microphone switched off during the session", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		h.stream.setAudio(true)
		c := h.login("operator", "Quiet-River-88", false)
		c.playTCP(true)
		h.stream.setAudio(false)
		noAudioBefore(g, c, h, 0)
		noAudioBefore(g, c, h, time.Second)
	})
}

func TestGuestFrameRateLimit(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	h.auth.public, h.auth.guestFPS = true, 1
	c := h.dial()
	c.playTCP(false)
	for i := 0; i < 25; i++ {
		h.stream.push(frame(time.Duration(i)*100*time.Millisecond, fmt.Sprintf("f%d", i)))
	}
	h.stream.push(frame(10*time.Second, "end"))
	var payloads []string
	var stamps []uint32
	for len(payloads) == 0 || payloads[len(payloads)-1] != "end" {
		pkts, _ := c.rtpUntilMarker(0)
		payloads = append(payloads, string(pkts[0].Payload))
		stamps = append(stamps, pkts[0].Timestamp)
	}
	g.Expect(payloads).To(Equal([]string{"f0", "f10", "f20", "end"}), "at most one frame per second of capture time")
	g.Expect(stamps[1] - stamps[0]).To(Equal(uint32(90000)))
	g.Expect(stamps[3] - stamps[0]).To(Equal(uint32(900000)))
}

func TestPauseHoldsMediaUntilPlay(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	c.playTCP(false)
	h.stream.push(frame(0, "before"))
	pkts, _ := c.rtpUntilMarker(0)
	g.Expect(string(pkts[0].Payload)).To(Equal("before"))
	g.Expect(c.do("PAUSE", h.url("/live")).status).To(Equal(200))
	h.stream.push(frame(time.Second, "paused"))
	h.stream.drained(g)
	// Once the session has taken the next frame, it has finished with "paused". "late" itself may
	// still be in hand when PLAY comes, and then goes out after it, which is fine.
	h.stream.push(frame(1500*time.Millisecond, "late"))
	h.stream.drained(g)
	r := c.do("PLAY", h.url("/live"))
	g.Expect(r.status).To(Equal(200))
	seq, _ := rtpInfo(g, r.get("RTP-Info"), "0")
	g.Expect(c.do("GET_PARAMETER", h.url("/live")).status).To(Equal(200)) // PLAY has taken effect
	h.stream.push(frame(2*time.Second, "after"))
	var payloads []string
	for len(payloads) == 0 || payloads[len(payloads)-1] != "after" {
		pkts, _ = c.rtpUntilMarker(0)
		if len(payloads) == 0 {
			g.Expect(pkts[0].SequenceNumber).To(Equal(seq), "RTP-Info names the first packet after PLAY")
		}
		payloads = append(payloads, string(pkts[0].Payload))
	}
	g.Expect(payloads).NotTo(ContainElement("paused"), "nothing from the paused stretch")
	g.Expect(payloads).To(Or(Equal([]string{"after"}), Equal([]string{"late", "after"})))
}

func TestTeardownSendsByeAndKeepsTheConnection(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", false)
	c.playTCP(false)
	h.stream.push(frame(0, "a"))
	c.rtpUntilMarker(0)
	g.Expect(c.do("TEARDOWN", h.url("/live")).status).To(Equal(200))
	var ctl []rtcp.Packet
	for _, p := range c.pending {
		if p.channel == 1 {
			ps, err := rtcp.Unmarshal(p.data)
			g.Expect(err).NotTo(HaveOccurred())
			ctl = append(ctl, ps...)
		}
	}
	byes := goodbyes(ctl)
	g.Expect(byes).To(HaveLen(1), "BYE before the TEARDOWN response")
	g.Expect(byes[0].Reason).To(Equal("teardown"))
	g.Expect(h.srv.Sessions()).To(BeZero())
	g.Expect(h.stream.open()).To(BeEmpty(), "subscription closed")
	c.session = ""
	g.Expect(c.do("OPTIONS", "*").status).To(Equal(200), "connection still open")
}

func TestSessionTimeout(t *testing.T) {
	t.Run("TCP: keep-alives hold it, silence ends it", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		c.playTCP(false)
		h.clock.Advance(40 * time.Second)
		g.Expect(c.do("GET_PARAMETER", h.url("/live")).status).To(Equal(200))
		h.clock.Advance(40 * time.Second)
		rr, err := (&rtcp.ReceiverReport{SSRC: 1}).Marshal()
		g.Expect(err).NotTo(HaveOccurred())
		c.send("$\x01" + string([]byte{0, byte(len(rr))}) + string(rr))
		// An OPTIONS round trip shows the receiver report has been read; it must not name the
		// session, or it would refresh the session by itself.
		sess := c.session
		c.session = ""
		g.Expect(c.raw("OPTIONS", "*").status).To(Equal(200))
		c.session = sess
		h.clock.Advance(40 * time.Second)
		h.stream.push(frame(0, "alive"))
		pkts, _ := c.rtpUntilMarker(0)
		g.Expect(string(pkts[0].Payload)).To(Equal("alive"))

		h.clock.Advance(61 * time.Second)
		h.stream.push(frame(time.Second, "late"))
		for bye := false; !bye; { // the sender report of the last frame, then the BYE
			p := c.next()
			g.Expect(p.channel).To(Equal(1), "no media after the time-out, only RTCP")
			ctl, err := rtcp.Unmarshal(p.data)
			g.Expect(err).NotTo(HaveOccurred())
			bye = len(goodbyes(ctl)) == 1
		}
		g.Expect(c.expectClosed()).To(BeEmpty())
		g.Expect(h.srv.Sessions()).To(BeZero())
		g.Expect(h.stream.open()).To(BeEmpty())
	})
	t.Run("UDP: receiver reports hold it after the control connection is gone", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		u := newUDPClient(t)
		c := h.login("operator", "Quiet-River-88", false)
		r := c.do("SETUP", h.url("/live/trackID=0"), u.transport())
		g.Expect(r.status).To(Equal(200))
		serverRTCP, _ := strconv.Atoi(regexp.MustCompile(`server_port=\d+-(\d+)`).FindStringSubmatch(r.get("Transport"))[1])
		g.Expect(c.do("PLAY", h.url("/live")).status).To(Equal(200))
		_ = c.nc.Close()
		ss := h.srv.lookup(c.session)
		g.Expect(ss).NotTo(BeNil())

		h.clock.Advance(50 * time.Second)
		rr, err := (&rtcp.ReceiverReport{SSRC: 1}).Marshal()
		g.Expect(err).NotTo(HaveOccurred())
		_, err = u.rtcp.WriteToUDP(rr, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverRTCP})
		g.Expect(err).NotTo(HaveOccurred())
		g.Eventually(ss.active.Load).WithTimeout(ioGuard).Should(Equal(h.clock.Now().UnixNano()))
		h.clock.Advance(50 * time.Second)
		h.stream.push(frame(0, "alive"))
		g.Expect(string(u.nextRTP(t).Payload)).To(Equal("alive"))
		g.Expect(h.srv.Sessions()).To(Equal(1))

		h.clock.Advance(61 * time.Second)
		g.Expect(h.srv.Sessions()).To(BeZero(), "Sessions ends timed-out sessions")
		// The last frame's sender report may or may not have gone out before the session ended;
		// the BYE (with a final sender report in the same compound packet) always does.
		var last []rtcp.Packet
		for len(goodbyes(last)) == 0 {
			last = u.nextRTCP(t)
		}
		g.Expect(senderReports(last)).To(HaveLen(1))
	})
	t.Run("a session that was only set up ends with its connection", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		u := newUDPClient(t)
		c := h.login("operator", "Quiet-River-88", false)
		g.Expect(c.do("SETUP", h.url("/live/trackID=0"), u.transport()).status).To(Equal(200))
		g.Expect(h.srv.Sessions()).To(Equal(1))
		_ = c.nc.Close()
		g.Eventually(h.srv.Sessions).WithTimeout(ioGuard).Should(BeZero())
	})
}

func TestTicksOf(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ticksOf(40*time.Millisecond, 90000)).To(Equal(int64(3600)))
	g.Expect(ticksOf(-time.Second, 8000)).To(Equal(int64(-8000)))
	week := 7 * 24 * time.Hour
	g.Expect(ticksOf(week+500*time.Millisecond, 90000)).To(Equal(int64(week/time.Second)*90000+45000), "no overflow")
}

func TestNTPTime(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ntpTime(time.Unix(0, 0))).To(Equal(uint64(2208988800) << 32))
	g.Expect(ntpTime(time.Unix(1, int64(500*time.Millisecond)))).To(Equal((uint64(2208988801) << 32) | 0x80000000))
}

func TestTruncateKeepsUTF8(t *testing.T) {
	g := NewWithT(t)
	g.Expect(truncate("abc", 5)).To(Equal("abc"))
	g.Expect(truncate("aé", 2)).To(Equal("a"))
	g.Expect(truncate(strings.Repeat("x", 300), 255)).To(HaveLen(255))
}

func TestGuestIntervalIgnoresNonsenseLimits(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := &conn{srv: h.srv}
	for _, fps := range []float64{0, -1, math.Inf(1), math.NaN()} {
		ss, err := newSession(c, Viewer{Name: "x", MaxFPS: fps})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ss.interval).To(BeZero(), "MaxFPS %v", fps)
	}
	ss, err := newSession(c, Viewer{Name: "x", MaxFPS: 4})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ss.interval).To(Equal(250 * time.Millisecond))
}
