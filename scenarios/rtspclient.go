package scenarios

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pion/rtp"
)

// rtspClient is the scenarios' own small RTSP client (RFC 2326): enough to read a camera's SDP and
// receive its RTP packets over TCP interleaved, with Basic credentials, and count exactly what
// arrives. Independent real clients (ffmpeg) check the same streams in other specs.
type rtspClient struct {
	conn    net.Conn
	rd      *bufio.Reader
	base    string
	cred    Cred
	cseq    int
	session string
}

// rtspResponse is one answer.
type rtspResponse struct {
	Status int
	Header map[string]string // lower-case names
	Body   string
}

func dialRTSP(rawURL string, cred Cred) (*rtspClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u.Host, err)
	}
	return &rtspClient{conn: conn, rd: bufio.NewReader(conn), base: rawURL, cred: cred}, nil
}

func (c *rtspClient) Close() error { return c.conn.Close() }

// do sends a request and reads its response, skipping interleaved packets that arrive before it.
func (c *rtspClient) do(method, uri string, extra map[string]string) (rtspResponse, error) {
	c.cseq++
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: vsslab-scenarios\r\n", method, uri, c.cseq)
	if !c.cred.IsAnonymous() {
		fmt.Fprintf(&b, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(c.cred.Name+":"+c.cred.Password)))
	}
	if c.session != "" {
		fmt.Fprintf(&b, "Session: %s\r\n", c.session)
	}
	for k, v := range extra {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	_ = c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return rtspResponse{}, err
	}
	for {
		first, err := c.rd.Peek(1)
		if err != nil {
			return rtspResponse{}, err
		}
		if first[0] == '$' {
			if _, _, err := c.readInterleaved(); err != nil {
				return rtspResponse{}, err
			}
			continue
		}
		return c.readResponse()
	}
}

func (c *rtspClient) readResponse() (rtspResponse, error) {
	line, err := c.rd.ReadString('\n')
	if err != nil {
		return rtspResponse{}, err
	}
	parts := strings.SplitN(strings.TrimSpace(line), " ", 3)
	if len(parts) < 2 || parts[0] != "RTSP/1.0" {
		return rtspResponse{}, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(parts[1])
	if err != nil {
		return rtspResponse{}, fmt.Errorf("bad status %q", line)
	}
	r := rtspResponse{Status: status, Header: map[string]string{}}
	for {
		h, err := c.rd.ReadString('\n')
		if err != nil {
			return rtspResponse{}, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		k, v, _ := strings.Cut(h, ":")
		r.Header[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if n, _ := strconv.Atoi(r.Header["content-length"]); n > 0 {
		body := make([]byte, n)
		if _, err := io.ReadFull(c.rd, body); err != nil {
			return rtspResponse{}, err
		}
		r.Body = string(body)
	}
	if s := r.Header["session"]; s != "" {
		c.session, _, _ = strings.Cut(s, ";")
	}
	return r, nil
}

// readInterleaved reads one $-framed packet: its channel and bytes.
func (c *rtspClient) readInterleaved() (int, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.rd, hdr[:]); err != nil {
		return 0, nil, err
	}
	if hdr[0] != '$' {
		return 0, nil, fmt.Errorf("expected an interleaved packet, got %q", hdr[:])
	}
	buf := make([]byte, binary.BigEndian.Uint16(hdr[2:]))
	if _, err := io.ReadFull(c.rd, buf); err != nil {
		return 0, nil, err
	}
	return int(hdr[1]), buf, nil
}

// play sets up the video track over TCP interleaved (channels 0-1) and starts playing.
func (c *rtspClient) play() (rtspResponse, error) {
	d, err := c.do("DESCRIBE", c.base, map[string]string{"Accept": "application/sdp"})
	if err != nil || d.Status != 200 {
		return d, err
	}
	s, err := c.do("SETUP", c.base+"/trackID=0", map[string]string{"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
	if err != nil || s.Status != 200 {
		return s, err
	}
	return c.do("PLAY", c.base, map[string]string{"Range": "npt=0.000-"})
}

// frames reads until n complete video frames (RTP marker packets on channel 0) have arrived, and
// returns their RTP timestamps. Audio (channel 2) packets are counted apart.
func (c *rtspClient) frames(n int, timeout time.Duration) (stamps []uint32, audio int, err error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for len(stamps) < n {
		ch, data, err := c.readInterleaved()
		if err != nil {
			return stamps, audio, err
		}
		switch ch {
		case 0:
			var p rtp.Packet
			if err := p.Unmarshal(data); err != nil {
				return stamps, audio, fmt.Errorf("bad RTP packet: %w", err)
			}
			if p.PayloadType != 26 {
				return stamps, audio, fmt.Errorf("video packet of payload type %d, not 26 (JPEG)", p.PayloadType)
			}
			if p.Marker {
				stamps = append(stamps, p.Timestamp)
			}
		case 2:
			audio++
		}
	}
	return stamps, audio, nil
}

// sdpMedia lists the m= lines' media kinds of an SDP body.
func sdpMedia(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "m=") {
			out = append(out, strings.Fields(strings.TrimPrefix(l, "m="))[0])
		}
	}
	return out
}
