package notify

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pion/rtp"
	"vsslab/camera/clock"
	"vsslab/sim/peers"
)

func TestSIPCallsSippAndPlaysTone(t *testing.T) {
	uas, err := peers.StartSIPp(peers.SIPpOptions{})
	skipUnavailable(t, err)
	t.Cleanup(func() { uas.Close() })
	// The real clock paces the RTP packets here, as the answering side expects real-time audio.
	ch, err := NewSIP(SIPConfig{URI: uas.URI, Repeat: 1, RingSeconds: 10}, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ch.Send(ctx, storageMessage()); err != nil {
		t.Fatalf("%v\nsipp: %s", err, uas.Output())
	}
	if err := uas.Wait(ctx); err != nil {
		t.Fatalf("sipp did not finish its call cleanly: %v", err)
	}
	trace, err := uas.Trace()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INVITE sip:alarm@127.0.0.1", "ACK sip:", "BYE sip:", "m=audio", "a=rtpmap:0 PCMU/8000",
		"Subject: " + CallSubject(storageMessage())} {
		if !strings.Contains(trace, want) {
			t.Errorf("sipp trace lacks %q:\n%s", want, trace)
		}
	}
	pkts := uas.RTPPackets()
	want := RenderTone(KindStorageFailure, 1)
	if len(pkts) != len(want)/160 {
		t.Fatalf("%d RTP packets reached sipp's media port, want %d", len(pkts), len(want)/160)
	}
	var audio []byte
	var first rtp.Packet
	for i, b := range pkts {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = p
		}
		if p.PayloadType != 0 || len(p.Payload) != 160 || p.SSRC != first.SSRC ||
			p.SequenceNumber != first.SequenceNumber+uint16(i) || p.Timestamp != first.Timestamp+uint32(160*i) {
			t.Fatalf("packet %d: %+v", i, p.Header)
		}
		audio = append(audio, p.Payload...)
	}
	if got := detectSymbols(audio); got != "*3#" {
		t.Fatalf("sipp's RTP port heard %q, want *3#", got)
	}
}

func TestParseSDPAudio(t *testing.T) {
	for _, c := range []struct {
		sdp, want string
	}{
		{"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8 0\r\n", "10.0.0.1:4000"},
		{"v=0\nc=IN IP4 10.0.0.1\nm=video 5000 RTP/AVP 96\nc=IN IP4 10.9.9.9\nm=audio 4002 RTP/AVP 0\nc=IN IP4 10.0.0.2\n", "10.0.0.2:4002"},
		{"v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\nm=audio 6000 RTP/AVP 0\nc=IN IP4 1.1.1.1\n", "10.0.0.1:4000"},
	} {
		got, err := ParseSDPAudio([]byte(c.sdp))
		if err != nil || got != netip.MustParseAddrPort(c.want) {
			t.Errorf("%q: %v %v, want %s", c.sdp, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "m=audio 0 RTP/AVP 0\nc=IN IP4 1.2.3.4", "c=IN IP4 1.2.3.4\nm=audio 4000 RTP/AVP 8",
		"m=audio 4000 RTP/AVP 0", "c=IN IP4 0.0.0.0\nm=audio 4000 RTP/AVP 0", "c=IN IP4 nope\nm=audio 1 RTP/AVP 0"} {
		if got, err := ParseSDPAudio([]byte(bad)); err == nil {
			t.Errorf("%q parsed as %v", bad, got)
		}
	}
}

func FuzzParseSDPAudio(f *testing.F) {
	f.Add([]byte("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8 0\r\n"))
	f.Add([]byte("c=IN IP6 ::1\nm=audio 1 RTP/AVP 0\nc=IN IP6 fe80::1\n"))
	f.Add([]byte("m=audio 99999 RTP/AVP 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ap, err := ParseSDPAudio(b)
		if err == nil && (ap.Port() == 0 || !ap.Addr().IsValid() || ap.Addr().IsUnspecified()) {
			t.Fatalf("accepted unusable destination %v", ap)
		}
	})
}

func TestNewSIPValidates(t *testing.T) {
	for _, u := range []string{"", "tel:+4912345", "sip:alarm@host;transport=tcp", "not a uri"} {
		if _, err := NewSIP(SIPConfig{URI: u}, clock.System{}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := NewSIP(SIPConfig{URI: "sip:a@127.0.0.1"}, nil); err == nil {
		t.Error("nil clock accepted")
	}
}

func TestCallSubjectIsOneBoundedLine(t *testing.T) {
	m := storageMessage()
	got := CallSubject(m)
	for _, want := range []string{m.Camera, m.Kind, m.Time.UTC().Format(time.RFC3339), m.Detail} {
		if !strings.Contains(got, want) {
			t.Errorf("subject %q lacks %q", got, want)
		}
	}
	m.Detail = "line one\r\nX-Injected: yes" + strings.Repeat("é", 300)
	got = CallSubject(m)
	if strings.ContainsAny(got, "\r\n") {
		t.Fatalf("subject carries a line break: %q", got)
	}
	if len(got) > maxSubject || !utf8.ValidString(got) {
		t.Fatalf("subject is %d bytes (max %d), valid UTF-8 %v", len(got), maxSubject, utf8.ValidString(got))
	}
}
