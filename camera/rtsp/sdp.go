package rtsp

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// sdpParams is what the session description depends on.
type sdpParams struct {
	id        uint64
	localIP   netip.Addr
	frameRate float64
	width     int
	height    int
	audio     bool
}

// sdp is the DESCRIBE body (RFC 4566): one JPEG video track and, only when the microphone is on, one
// PCMU audio track. With the microphone off there is no audio media line at all, so a player cannot
// even ask for audio. Controls are relative to Content-Base (rtsp://HOST/live/).
func sdp(p sdpParams) string {
	addrType, addr := "IP4", "127.0.0.1"
	if p.localIP.IsValid() {
		addr = p.localIP.String()
		if !p.localIP.Is4() {
			addrType = "IP6"
		}
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	id := strconv.FormatUint(p.id, 10)
	line("v=0")
	line("o=- " + id + " 1 IN " + addrType + " " + addr)
	line("s=vsslab camera live")
	if addrType == "IP4" {
		line("c=IN IP4 0.0.0.0")
	} else {
		line("c=IN IP6 ::")
	}
	line("t=0 0")
	line("a=control:*")
	line("a=range:npt=0-")
	line("m=video 0 RTP/AVP 26")
	line("a=rtpmap:26 JPEG/90000")
	line("a=control:trackID=0")
	if p.frameRate > 0 && !math.IsInf(p.frameRate, 0) {
		line("a=framerate:" + strconv.FormatFloat(p.frameRate, 'f', -1, 64))
	}
	if p.width > 0 && p.height > 0 {
		w, h := strconv.Itoa(p.width), strconv.Itoa(p.height)
		line("a=x-dimensions:" + w + "," + h)
		line("a=cliprect:0,0," + h + "," + w)
	}
	if p.audio {
		line("m=audio 0 RTP/AVP 0")
		line("a=rtpmap:0 PCMU/8000")
		line("a=control:trackID=1")
	}
	return b.String()
}
