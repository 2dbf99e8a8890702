package rtsp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	// srInterval is the longest stretch of media time (by capture time) between two RTCP sender
	// reports of a track. Counting media time instead of running a timer keeps the server free of
	// wall-clock timers and makes the reports deterministic under a virtual clock.
	srInterval = 5 * time.Second
	// maxPayload keeps every RTP packet within one UDP datagram and one interleaved frame.
	maxPayload = 65507 - 12
	// audioPacket is how many PCMU samples (bytes) go in one RTP packet: 100 ms.
	audioPacket = 800
	// cname is the RTCP SDES CNAME of every stream.
	cname = "vsslab-camera"
)

var errEnded = errors.New("session ended")

// track is one set-up media stream of a session: RTP state and where its packets go.
type track struct {
	pt     uint8
	rate   int64 // RTP clock rate
	ssrc   uint32
	seq    uint16
	tsBase uint32

	lastTicks int64 // media clock ticks since the session origin, of the last packet sent
	sentAny   bool
	packets   uint32
	octets    uint32
	lastSR    time.Time // capture time of the frame after which the last SR went out
	srSent    bool

	channels [2]int // TCP: interleaved RTP and RTCP channels
	rtp      *net.UDPConn
	rtcp     *net.UDPConn
	dstRTP   *net.UDPAddr
	dstRTCP  *net.UDPAddr
}

// session is one RTSP session: up to two tracks on one transport, one subscription to the Stream
// while it has been played, and one goroutine that turns frames into packets.
type session struct {
	srv      *Server
	conn     *conn // where it was set up; TCP-interleaved packets go out on it
	id       string
	viewer   Viewer
	ip       netip.Addr    // the client's address: the only destination for its UDP packets
	interval time.Duration // guest frame interval, 0 = unlimited

	active atomic.Int64 // Clock time (Unix ns) of the last request or RTCP packet

	mu        sync.Mutex
	tcp       bool
	tracks    [2]*track
	playing   bool
	started   bool
	sub       Subscription
	origin    time.Time // capture time of the session's first media: RTP time zero
	hasOrigin bool
	lastVideo time.Time // capture time of the last video frame sent (guest limit)
	sentVideo bool

	// sendMu is held while a packet is written; ended flips under it, so once end has taken it no
	// media packet can follow the BYE.
	sendMu sync.Mutex
	ended  atomic.Bool
	done   chan struct{}
}

func newSession(c *conn, v Viewer) (*session, error) {
	var raw [16]byte
	if err := c.srv.random(raw[:]); err != nil {
		return nil, err
	}
	ss := &session{
		srv:    c.srv,
		conn:   c,
		id:     hex.EncodeToString(raw[:]),
		viewer: v,
		ip:     c.remoteIP,
		done:   make(chan struct{}),
	}
	if v.MaxFPS > 0 && !math.IsInf(v.MaxFPS, 1) {
		ss.interval = time.Duration(float64(time.Second) / v.MaxFPS)
	}
	ss.touch()
	return ss, nil
}

// logID is a prefix of the session id: enough to follow a session in the log, not enough to use it.
func (s *session) logID() string { return s.id[:8] }

func (s *session) touch() { s.active.Store(s.srv.clock.Now().UnixNano()) }

func (s *session) expired(now time.Time) bool {
	return !s.ended.Load() && now.UnixNano()-s.active.Load() > int64(s.srv.timeout)
}

func (s *session) isTCP() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tcp
}

func (s *session) isPlaying() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func (s *session) trackCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tracks {
		if t != nil {
			n++
		}
	}
	return n
}

func (s *session) usesChannel(ch int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tracks {
		if t != nil && s.tcp && (t.channels[0] == ch || t.channels[1] == ch) {
			return true
		}
	}
	return false
}

// canAddTrack is 0 when another SETUP may add the track to this session, else the RTSP status.
func (s *session) canAddTrack(kind int, tcp bool, c *conn) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ended.Load():
		return 454
	case s.started || s.tracks[kind] != nil:
		return 455
	case tcp != s.tcp:
		return 461 // one transport per session
	case tcp && c != s.conn:
		return 455 // interleaved data can only go back on the connection that set it up
	}
	return 0
}

// addTrack sets up a track on the requested transport and returns the Transport reply, or a status.
func (s *session) addTrack(kind int, tr transport) (string, int) {
	t := &track{pt: 26, rate: 90000}
	if kind == 1 {
		t.pt, t.rate = 0, 8000
	}
	var rnd [10]byte
	if err := s.srv.random(rnd[:]); err != nil {
		s.srv.log.Error("rtsp setup", "err", err)
		return "", 500
	}
	t.ssrc = uint32(rnd[0])<<24 | uint32(rnd[1])<<16 | uint32(rnd[2])<<8 | uint32(rnd[3])
	t.seq = uint16(rnd[4])<<8 | uint16(rnd[5])
	t.tsBase = uint32(rnd[6])<<24 | uint32(rnd[7])<<16 | uint32(rnd[8])<<8 | uint32(rnd[9])
	ssrc := fmt.Sprintf("%08X", t.ssrc)
	var reply string
	if tr.TCP {
		ch, ok := s.conn.reserveChannels(tr)
		if !ok {
			return "", 461
		}
		t.channels = ch
		reply = fmt.Sprintf("RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=%s", ch[0], ch[1], ssrc)
	} else {
		if !s.ip.IsValid() || !s.conn.localIP.IsValid() {
			return "", 461
		}
		a, b, err := bindUDPPair(s.conn.localIP)
		if err != nil {
			s.srv.log.Error("rtsp setup: bind UDP", "err", err)
			return "", 453
		}
		t.rtp, t.rtcp = a, b
		ip := net.IP(s.ip.AsSlice())
		t.dstRTP = &net.UDPAddr{IP: ip, Port: tr.Ports[0], Zone: s.ip.Zone()}
		t.dstRTCP = &net.UDPAddr{IP: ip, Port: tr.Ports[1], Zone: s.ip.Zone()}
		reply = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d;server_port=%d-%d;ssrc=%s",
			tr.Ports[0], tr.Ports[1], udpPort(a), udpPort(b), ssrc)
	}
	s.mu.Lock()
	if s.ended.Load() || s.tracks[kind] != nil || s.started {
		s.mu.Unlock()
		s.release(t)
		return "", 455
	}
	s.tracks[kind] = t
	s.tcp = tr.TCP
	s.mu.Unlock()
	if !tr.TCP && !s.srv.goTracked(func() { s.readRTCP(t.rtcp) }) {
		return "", 503
	}
	return reply, 0
}

// release gives back what a track holds.
func (s *session) release(t *track) {
	if t.rtp != nil {
		_ = t.rtp.Close()
		_ = t.rtcp.Close()
	}
	if t.rtp == nil {
		s.conn.forget(nil, t.channels[:])
	}
}

func udpPort(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// bindUDPPair binds an RTP port and an RTCP port on ip, as an even/odd pair when the system lets it.
func bindUDPPair(ip netip.Addr) (*net.UDPConn, *net.UDPConn, error) {
	local := &net.UDPAddr{IP: net.IP(ip.AsSlice()), Zone: ip.Zone()}
	for range 16 {
		a, err := net.ListenUDP("udp", local)
		if err != nil {
			return nil, nil, fmt.Errorf("bind RTP port: %w", err)
		}
		p := udpPort(a)
		if p%2 == 0 && p < 65535 {
			b, err := net.ListenUDP("udp", &net.UDPAddr{IP: local.IP, Port: p + 1, Zone: local.Zone})
			if err == nil {
				return a, b, nil
			}
		}
		_ = a.Close()
	}
	a, err := net.ListenUDP("udp", local)
	if err != nil {
		return nil, nil, fmt.Errorf("bind RTP port: %w", err)
	}
	b, err := net.ListenUDP("udp", local)
	if err != nil {
		_ = a.Close()
		return nil, nil, fmt.Errorf("bind RTCP port: %w", err)
	}
	return a, b, nil
}

// readRTCP drains the server's RTCP port of a UDP track. Well-formed RTCP from the client's own
// address counts as keep-alive; everything else is dropped unread.
func (s *session) readRTCP(pc *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if from.Addr().Unmap() != s.ip {
			continue
		}
		if _, err := rtcp.Unmarshal(buf[:n]); err == nil {
			s.touch()
		}
	}
}

// preparePlay subscribes to the Stream on the first PLAY and returns the RTP-Info header: for each
// track, the sequence number and RTP time the next packet will carry. On failure it returns the
// RTSP status instead.
func (s *session) preparePlay(base string) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return "", 454
	}
	if s.sub == nil {
		s.sub = s.srv.stream.Subscribe(s.tracks[1] != nil && s.srv.stream.Audio())
		if s.sub == nil {
			return "", 503
		}
	}
	now := s.srv.clock.Now()
	var infos []string
	for kind, t := range s.tracks {
		if t == nil {
			continue
		}
		ts := t.tsBase
		if s.hasOrigin {
			ticks := max(ticksOf(now.Sub(s.origin), t.rate), t.lastTicks)
			ts = t.tsBase + uint32(ticks)
		}
		infos = append(infos, fmt.Sprintf("url=%s/trackID=%d;seq=%d;rtptime=%d", base, kind, t.seq, ts))
	}
	return strings.Join(infos, ","), 0
}

// startPlay runs after the PLAY response is on the wire.
func (s *session) startPlay() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() || s.sub == nil {
		return
	}
	s.playing = true
	if !s.started {
		s.started = true
		sub := s.sub
		s.srv.goTracked(func() { s.run(sub) })
	}
	s.srv.log.Info("rtsp session playing", "session", s.logID(), "user", s.viewer.Name, "tcp", s.tcp)
}

func (s *session) pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.playing = false
}

// run turns the subscription's media into packets until the session ends.
func (s *session) run(sub Subscription) {
	frames, audio := sub.Frames(), sub.Audio()
	for {
		select {
		case <-s.done:
			return
		case f, ok := <-frames:
			if !ok {
				s.end("stream ended", true)
				return
			}
			s.sendFrame(f)
		case a, ok := <-audio:
			if !ok {
				audio = nil
				continue
			}
			s.sendAudio(a)
		}
	}
}

// checkAlive ends the session when it has timed out by the Clock.
func (s *session) checkAlive(now time.Time) bool {
	if s.expired(now) {
		s.srv.log.Info("rtsp session timed out", "session", s.logID(), "user", s.viewer.Name)
		s.end("session timed out", true)
		return false
	}
	return true
}

func (s *session) sendFrame(f Frame) {
	now := s.srv.clock.Now()
	if !s.checkAlive(now) {
		return
	}
	for _, p := range f.Payloads {
		if len(p) > maxPayload {
			s.srv.log.Warn("rtsp frame dropped: payload too large", "bytes", len(p))
			return
		}
	}
	s.mu.Lock()
	t := s.tracks[0]
	if !s.playing || t == nil || len(f.Payloads) == 0 ||
		(s.interval > 0 && s.sentVideo && f.Captured.Sub(s.lastVideo) < s.interval) {
		s.mu.Unlock()
		return
	}
	s.sentVideo, s.lastVideo = true, f.Captured
	ticks := s.ticks(t, f.Captured)
	t.lastTicks = ticks
	pkts := make([][]byte, 0, len(f.Payloads))
	for i, p := range f.Payloads {
		pkts = append(pkts, s.packet(t, uint32(ticks), p, i == len(f.Payloads)-1))
	}
	sr := s.maybeReport(t, f.Captured, now)
	s.mu.Unlock()
	s.sendAll(t, pkts, sr)
}

func (s *session) sendAudio(a AudioChunk) {
	now := s.srv.clock.Now()
	if !s.checkAlive(now) {
		return
	}
	if !s.srv.stream.Audio() {
		return // microphone off: no audio packet, whatever the subscription delivers
	}
	s.mu.Lock()
	t := s.tracks[1]
	if !s.playing || t == nil || len(a.PCMU) == 0 {
		s.mu.Unlock()
		return
	}
	ticks := s.ticks(t, a.Captured)
	var pkts [][]byte
	for off := 0; off < len(a.PCMU); off += audioPacket {
		end := min(off+audioPacket, len(a.PCMU))
		pkts = append(pkts, s.packet(t, uint32(ticks+int64(off)), a.PCMU[off:end], false))
		t.lastTicks = ticks + int64(off)
	}
	sr := s.maybeReport(t, a.Captured, now)
	s.mu.Unlock()
	s.sendAll(t, pkts, sr)
}

// ticks converts a capture time into media clock ticks since the session origin, never going back
// from the track's last packet. Called with s.mu held.
func (s *session) ticks(t *track, captured time.Time) int64 {
	if !s.hasOrigin {
		s.origin, s.hasOrigin = captured, true
	}
	n := ticksOf(captured.Sub(s.origin), t.rate)
	if t.sentAny && n < t.lastTicks {
		n = t.lastTicks
	}
	t.sentAny = true
	return n
}

// ticksOf converts a duration to ticks of rate without overflowing for long sessions.
func ticksOf(d time.Duration, rate int64) int64 {
	return int64(d/time.Second)*rate + int64(d%time.Second)*rate/int64(time.Second)
}

// packet marshals one RTP packet and advances the track's counters. Called with s.mu held.
func (s *session) packet(t *track, ticks uint32, payload []byte, marker bool) []byte {
	p := rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			Marker:         marker,
			PayloadType:    t.pt,
			SequenceNumber: t.seq,
			Timestamp:      t.tsBase + ticks,
			SSRC:           t.ssrc,
		},
		Payload: payload,
	}
	b, err := p.Marshal()
	if err != nil { // cannot happen for a plain header; keep the counters honest anyway
		return nil
	}
	t.seq++
	t.packets++
	t.octets += uint32(len(payload))
	return b
}

// maybeReport returns an RTCP sender report when the track is due one. Called with s.mu held.
func (s *session) maybeReport(t *track, captured, now time.Time) []byte {
	if t.srSent && captured.Sub(t.lastSR) < srInterval {
		return nil
	}
	t.srSent, t.lastSR = true, captured
	b, err := rtcp.Marshal([]rtcp.Packet{s.senderReport(t, now), sdes(t)})
	if err != nil {
		return nil
	}
	return b
}

// senderReport maps the Clock's now to the track's RTP time through the session origin: capture
// times and the Clock are the same camera time, so receivers can line up audio and video.
func (s *session) senderReport(t *track, now time.Time) *rtcp.SenderReport {
	rtpTime := t.tsBase
	if s.hasOrigin {
		rtpTime += uint32(ticksOf(now.Sub(s.origin), t.rate))
	}
	return &rtcp.SenderReport{
		SSRC:        t.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     rtpTime,
		PacketCount: t.packets,
		OctetCount:  t.octets,
	}
}

func sdes(t *track) *rtcp.SourceDescription {
	return &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: t.ssrc,
		Items:  []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: cname}},
	}}}
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900 in the high word).
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + 2208988800)
	frac := (uint64(t.Nanosecond()) << 32) / uint64(time.Second)
	return secs<<32 | frac
}

func (s *session) sendAll(t *track, pkts [][]byte, sr []byte) {
	for _, p := range pkts {
		if p == nil {
			continue
		}
		if err := s.send(t, false, p); err != nil {
			return
		}
	}
	if sr != nil {
		_ = s.send(t, true, sr)
	}
}

func (s *session) send(t *track, control bool, pkt []byte) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.ended.Load() {
		return errEnded
	}
	return s.writeLocked(t, control, pkt)
}

// writeLocked sends one packet; s.sendMu is held. UDP goes only to the client's address.
func (s *session) writeLocked(t *track, control bool, pkt []byte) error {
	if t.rtp == nil {
		ch := t.channels[0]
		if control {
			ch = t.channels[1]
		}
		return s.conn.writeInterleaved(ch, pkt)
	}
	var err error
	if control {
		_, err = t.rtcp.WriteToUDP(pkt, t.dstRTCP)
	} else {
		_, err = t.rtp.WriteToUDP(pkt, t.dstRTP)
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return nil // a lost datagram (or ICMP noise) is not the end of a UDP session
	}
	return err
}

// end stops the session: an RTCP BYE with reason on every track, the subscription closed, ports and
// channels given back. With closeConn a TCP-interleaved session also closes its connection (EndAll,
// time-out), since the client would otherwise wait on a silent stream. end is idempotent.
func (s *session) end(reason string, closeConn bool) {
	s.sendMu.Lock()
	if s.ended.Load() {
		s.sendMu.Unlock()
		return
	}
	s.ended.Store(true)
	close(s.done)
	s.mu.Lock()
	tracks, sub, tcp := s.tracks, s.sub, s.tcp
	s.sub, s.playing = nil, false
	byes := make([][]byte, len(tracks))
	for i, t := range tracks {
		if t == nil {
			continue
		}
		b, err := rtcp.Marshal([]rtcp.Packet{
			s.senderReport(t, s.srv.clock.Now()),
			&rtcp.Goodbye{Sources: []uint32{t.ssrc}, Reason: truncate(reason, 255)},
		})
		if err == nil {
			byes[i] = b
		}
	}
	s.mu.Unlock()
	for i, t := range tracks {
		if t != nil && byes[i] != nil {
			_ = s.writeLocked(t, true, byes[i])
		}
	}
	s.sendMu.Unlock()

	var channels []int
	for _, t := range tracks {
		if t == nil {
			continue
		}
		if t.rtp != nil {
			_ = t.rtp.Close()
			_ = t.rtcp.Close()
		} else {
			channels = append(channels, t.channels[:]...)
		}
	}
	if sub != nil {
		sub.Close()
	}
	s.srv.removeSession(s)
	s.conn.forget(s, channels)
	if closeConn && tcp {
		s.conn.close()
	}
	s.srv.log.Info("rtsp session ended", "session", s.logID(), "user", s.viewer.Name, "reason", reason)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
