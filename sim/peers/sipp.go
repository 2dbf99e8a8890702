package peers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// SIPp is a sipp user agent server on 127.0.0.1 that answers a set number of calls, one after the
// other, and then exits, writing the SIP messages it saw to a trace. Its scenario is sipp's built-in "uas" with two changes: the SDP
// answer names the port of an RTP listener the peer owns (sipp's own media port only echoes, so it
// cannot tell whether audio arrived), and the closing wait is short.
type SIPp struct {
	// Addr is host:port of the SIP side (UDP); URI is a SIP URI to call.
	Addr string
	URI  string
	// RTPAddr is where the answer's SDP tells the caller to send audio.
	RTPAddr string

	dir   string
	trace string
	p     *process
	rtp   *net.UDPConn
	mu    sync.Mutex
	pkts  [][]byte
	rtpWG sync.WaitGroup
}

// SIPpOptions configure the answering side.
type SIPpOptions struct {
	// Calls is how many calls sipp answers before it exits; 0 means 1.
	Calls int
}

// StartSIPp starts sipp answering calls over UDP.
func StartSIPp(opts SIPpOptions) (*SIPp, error) {
	if opts.Calls < 0 {
		return nil, fmt.Errorf("start sipp: %d calls", opts.Calls)
	}
	if opts.Calls == 0 {
		opts.Calls = 1
	}
	bin, err := lookPath("sipp", "sip-tester")
	if err != nil {
		return nil, err
	}
	s := &SIPp{}
	if s.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		return nil, fmt.Errorf("start sipp: rtp listener: %w", err)
	}
	s.RTPAddr = s.rtp.LocalAddr().String()
	s.rtpWG.Add(1)
	go s.readRTP()
	if s.dir, err = os.MkdirTemp("", "vsslab-sipp-"); err != nil {
		s.Close()
		return nil, fmt.Errorf("start sipp: %w", err)
	}
	port, err := freeUDPPort()
	if err != nil {
		s.Close()
		return nil, err
	}
	mediaPort, err := freeUDPPort()
	if err != nil {
		s.Close()
		return nil, err
	}
	scenario := filepath.Join(s.dir, "uas.xml")
	rtpPort := s.rtp.LocalAddr().(*net.UDPAddr).Port
	xml := strings.ReplaceAll(uasScenario, "RTP_PORT", strconv.Itoa(rtpPort))
	if err := os.WriteFile(scenario, []byte(xml), 0o600); err != nil {
		s.Close()
		return nil, fmt.Errorf("start sipp: %w", err)
	}
	s.trace = filepath.Join(s.dir, "messages.log")
	s.p, err = startProcess("sipp", s.dir, bin, "-sf", scenario, "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(mediaPort), "-m", strconv.Itoa(opts.Calls), "-nostdin", "-timeout", fmt.Sprintf("%ds", 60+30*opts.Calls),
		"-trace_msg", "-message_file", s.trace)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.URI = fmt.Sprintf("sip:alarm@127.0.0.1:%d", port)
	if err := s.p.waitReady(func() bool { return udpTaken(port) }); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *SIPp) readRTP() {
	defer s.rtpWG.Done()
	buf := make([]byte, 2048)
	for {
		n, err := s.rtp.Read(buf)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.pkts = append(s.pkts, append([]byte(nil), buf[:n]...))
		s.mu.Unlock()
	}
}

// RTPPackets returns copies of the UDP payloads that reached RTPAddr, in arrival order.
func (s *SIPp) RTPPackets() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.pkts...)
}

// RTPStreams returns the RTP packets that reached RTPAddr grouped by their SSRC, one stream per call,
// in the order the streams began. Payloads that are not RTP are left out.
func (s *SIPp) RTPStreams() [][][]byte {
	var out [][][]byte
	index := map[uint32]int{}
	for _, p := range s.RTPPackets() {
		if len(p) < 12 || p[0]>>6 != 2 {
			continue
		}
		ssrc := binary.BigEndian.Uint32(p[8:12])
		i, ok := index[ssrc]
		if !ok {
			i = len(out)
			index[ssrc] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// Wait waits for sipp to finish its calls and exit; an error means the call did not go as the
// scenario expects (sipp exits non-zero when a call failed).
func (s *SIPp) Wait(ctx context.Context) error { return s.p.wait(ctx) }

// Trace returns sipp's message trace: every SIP message it received and sent.
func (s *SIPp) Trace() (string, error) {
	b, err := os.ReadFile(s.trace)
	if err != nil {
		return "", fmt.Errorf("read sipp trace: %w", err)
	}
	return string(b), nil
}

// Output returns what sipp printed.
func (s *SIPp) Output() string {
	if s.p == nil {
		return ""
	}
	return s.p.out.String()
}

// Close stops sipp and the RTP listener and removes the temporary files.
func (s *SIPp) Close() error {
	if s.p != nil {
		s.p.stop()
	}
	var errs []error
	if s.rtp != nil {
		s.rtp.Close()
		s.rtpWG.Wait()
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// uasScenario is sipp's built-in "uas" scenario (sipp -sd uas) with the SDP's media port replaced by
// RTP_PORT and a 200 ms closing wait.
const uasScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="vsslab UAS with RTP sink">
  <recv request="INVITE" crlf="true">
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio RTP_PORT RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK" optional="true" rtd="true" crlf="true">
  </recv>
  <recv request="BYE">
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <timewait milliseconds="200"/>
</scenario>
`
