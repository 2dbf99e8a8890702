package notify

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// SIPConfig is a telephone-call channel: the camera calls URI over SIP/UDP and plays the kind's tone
// sequence (see RenderTone) as G.711 µ-law.
type SIPConfig struct {
	// Dial reaches the phone: the call's route and its audio go through it; nil uses a net.Dialer.
	Dial DialFunc `json:"-"`
	URI  string   `json:"uri"`
	// Repeat is how many times the tone sequence is played; 0 means 3.
	Repeat int `json:"repeat,omitempty"`
	// RingSeconds bounds how long the call may ring unanswered; 0 means 30.
	RingSeconds int `json:"ring_seconds,omitempty"`
}

// rtpPacket is 20 ms of 8 kHz audio, the usual G.711 packetisation.
const (
	rtpPacketSamples = 160
	rtpInterval      = 20 * time.Millisecond
	pcmuPayloadType  = 0
)

// SIP places a call per message: INVITE with an SDP offer of PCMU/8000, ACK on 200 OK, the tone over
// RTP to the port from the answer's SDP, then BYE.
type SIP struct {
	cfg SIPConfig
	uri sip.Uri
	clk Clock
}

// NewSIP checks cfg and returns the channel; clk paces the RTP packets and the ring timeout.
func NewSIP(cfg SIPConfig, clk Clock) (*SIP, error) {
	if clk == nil {
		return nil, errors.New("sip: a clock is required")
	}
	var u sip.Uri
	if err := sip.ParseUri(cfg.URI, &u); err != nil {
		return nil, fmt.Errorf("sip: uri: %w", err)
	}
	if u.Host == "" || u.Scheme != "sip" {
		return nil, errors.New("sip: uri must be sip:user@host[:port]")
	}
	if t, ok := u.UriParams.Get("transport"); ok && !strings.EqualFold(t, "udp") {
		return nil, fmt.Errorf("sip: uri transport %q not supported, only udp", t)
	}
	if cfg.Repeat < 0 || cfg.Repeat > 20 {
		return nil, fmt.Errorf("sip: repeat %d out of 0..20", cfg.Repeat)
	}
	if cfg.Repeat == 0 {
		cfg.Repeat = 3
	}
	if cfg.RingSeconds < 0 || cfg.RingSeconds > 300 {
		return nil, fmt.Errorf("sip: ring_seconds %d out of 0..300", cfg.RingSeconds)
	}
	if cfg.RingSeconds == 0 {
		cfg.RingSeconds = 30
	}
	return &SIP{cfg: cfg, uri: u, clk: clk}, nil
}

// Kind returns "sip".
func (s *SIP) Kind() string { return "sip" }

// Send places the call and returns once it has hung up.
func (s *SIP) Send(ctx context.Context, m Message) error {
	port := s.uri.Port
	if port == 0 {
		port = 5060
	}
	target := net.JoinHostPort(s.uri.Host, strconv.Itoa(port))
	dial := s.cfg.Dial.orDefault()
	local, err := localIPFor(ctx, dial, target)
	if err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	media, err := net.ListenUDP("udp", &net.UDPAddr{IP: local})
	if err != nil {
		return fmt.Errorf("sip: rtp socket: %w", err)
	}
	defer media.Close()
	mediaPort := media.LocalAddr().(*net.UDPAddr).Port

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("vsslab-camera"))
	if err != nil {
		return fmt.Errorf("sip: user agent: %w", err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(local.String()))
	if err != nil {
		return fmt.Errorf("sip: client: %w", err)
	}
	defer client.Close()
	dua := sipgo.DialogUA{
		Client:     client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "camera", Host: local.String()}},
	}

	ringCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.clk.After(time.Duration(s.cfg.RingSeconds) * time.Second):
			cancel()
		case <-ringCtx.Done():
		}
	}()
	sess, err := dua.Invite(ringCtx, s.uri, sdpOffer(local, mediaPort), sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("Subject", CallSubject(m)))
	if err != nil {
		return fmt.Errorf("sip: invite %s: %w", s.cfg.URI, err)
	}
	defer sess.Close()
	if err := sess.WaitAnswer(ringCtx, sipgo.AnswerOptions{}); err != nil {
		return fmt.Errorf("sip: call to %s not answered: %w", s.cfg.URI, err)
	}
	cancel()
	if err := sess.Ack(ctx); err != nil {
		return fmt.Errorf("sip: ack: %w", err)
	}
	streamErr := func() error {
		dst, err := ParseSDPAudio(sess.InviteResponse.Body())
		if err != nil {
			return fmt.Errorf("answer sdp: %w", err)
		}
		audio, err := dial(ctx, "udp", dst.String())
		if err != nil {
			return fmt.Errorf("rtp: %w", err)
		}
		defer audio.Close()
		return s.stream(ctx, audio, RenderTone(m.Kind, s.cfg.Repeat))
	}()
	// Hang up even when streaming failed, so the phone does not stay off the hook.
	byeCtx := context.WithoutCancel(ctx)
	if err := sess.Bye(byeCtx); err != nil {
		return errors.Join(streamErr, fmt.Errorf("sip: bye: %w", err))
	}
	if streamErr != nil {
		return fmt.Errorf("sip: %w", streamErr)
	}
	return nil
}

// maxSubject bounds the Subject header: a phone shows one line, and a long detail must not push the
// INVITE past a UDP datagram.
const maxSubject = 200

// CallSubject is the Subject header of a call (RFC 3261 section 20.36): the camera, the kind, the time
// and the detail, so that a phone's display or a PBX's call log says what the tones say and more.
func CallSubject(m Message) string {
	s := fmt.Sprintf("[%s] %s at %s: %s", m.Camera, m.Kind, m.Time.UTC().Format(time.RFC3339), m.Detail)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxSubject {
		s = strings.ToValidUTF8(s[:maxSubject], "")
	}
	return s
}

// stream sends pcmu over conn (connected to the answer's media address) as RTP packets of 20 ms, one
// every 20 ms on the channel's clock.
func (s *SIP) stream(ctx context.Context, conn net.Conn, pcmu []byte) error {
	var rnd [10]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("rtp: random: %w", err)
	}
	ssrc := binary.BigEndian.Uint32(rnd[0:4])
	seq := binary.BigEndian.Uint16(rnd[4:6])
	ts := binary.BigEndian.Uint32(rnd[6:10])
	for off := 0; off < len(pcmu); off += rtpPacketSamples {
		end := min(off+rtpPacketSamples, len(pcmu))
		p := rtp.Packet{
			Header: rtp.Header{
				Version:        2,
				Marker:         off == 0,
				PayloadType:    pcmuPayloadType,
				SequenceNumber: seq,
				Timestamp:      ts,
				SSRC:           ssrc,
			},
			Payload: pcmu[off:end],
		}
		b, err := p.Marshal()
		if err != nil {
			return fmt.Errorf("rtp: marshal: %w", err)
		}
		if _, err := conn.Write(b); err != nil {
			return fmt.Errorf("rtp: send to %s: %w", conn.RemoteAddr(), err)
		}
		seq++
		ts += rtpPacketSamples
		if err := wait(ctx, s.clk, rtpInterval); err != nil {
			return err
		}
	}
	return nil
}

// localIPFor finds the local address the system would use to reach target (connecting a UDP socket
// sends no packet). It goes through dial, so the call is an attempt the camera's dialer sees.
func localIPFor(ctx context.Context, dial DialFunc, target string) (net.IP, error) {
	c, err := dial(ctx, "udp", target)
	if err != nil {
		return nil, fmt.Errorf("route to %s: %w", target, err)
	}
	defer c.Close()
	ap, err := netip.ParseAddrPort(c.LocalAddr().String())
	if err != nil {
		return nil, fmt.Errorf("route to %s: local address %s: %w", target, c.LocalAddr(), err)
	}
	return net.IP(ap.Addr().Unmap().AsSlice()), nil
}

// sdpOffer offers PCMU/8000 in 20 ms packets, send-only: the camera speaks, it does not listen.
func sdpOffer(ip net.IP, port int) []byte {
	fam := "IP4"
	if ip.To4() == nil {
		fam = "IP6"
	}
	return []byte(fmt.Sprintf("v=0\r\no=vsslab 1 1 IN %[1]s %[2]s\r\ns=vsslab alarm\r\nc=IN %[1]s %[2]s\r\nt=0 0\r\n"+
		"m=audio %[3]d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendonly\r\n", fam, ip, port))
}

// ParseSDPAudio reads an SDP answer (outside input) and returns where to send PCMU audio: the
// connection address (media-level over session-level) and port of the first audio stream that
// accepts payload type 0.
func ParseSDPAudio(body []byte) (netip.AddrPort, error) {
	var sessionAddr, mediaAddr netip.Addr
	inAudio, found, seenMedia := false, false, false
	var port uint16
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			if found {
				// The audio stream is complete; later streams do not matter.
				return finishSDP(sessionAddr, mediaAddr, port)
			}
			inAudio, seenMedia = false, true
			f := strings.Fields(val)
			if len(f) < 4 || f[0] != "audio" || !strings.HasPrefix(f[2], "RTP/AVP") {
				continue
			}
			p, err := strconv.ParseUint(f[1], 10, 16)
			if err != nil || p == 0 {
				continue
			}
			for _, pt := range f[3:] {
				if pt == "0" {
					inAudio, found, port = true, true, uint16(p)
				}
			}
		case 'c':
			f := strings.Fields(val)
			if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
				return netip.AddrPort{}, fmt.Errorf("bad connection line %q", line)
			}
			a, err := netip.ParseAddr(f[2])
			if err != nil {
				return netip.AddrPort{}, fmt.Errorf("bad connection address %q: %w", f[2], err)
			}
			if inAudio {
				mediaAddr = a
			} else if !seenMedia {
				sessionAddr = a
			}
		}
	}
	if !found {
		return netip.AddrPort{}, errors.New("no audio stream accepting PCMU")
	}
	return finishSDP(sessionAddr, mediaAddr, port)
}

func finishSDP(session, media netip.Addr, port uint16) (netip.AddrPort, error) {
	a := media
	if !a.IsValid() {
		a = session
	}
	if !a.IsValid() || a.IsUnspecified() {
		return netip.AddrPort{}, errors.New("no connection address for the audio stream")
	}
	return netip.AddrPortFrom(a, port), nil
}
