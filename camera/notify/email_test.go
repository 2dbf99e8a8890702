package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"

	"vsslab/sim/peers"
)

func startSMTP(t *testing.T) (*peers.SMTP, string, int) {
	t.Helper()
	s, err := peers.StartSMTP(peers.SMTPOptions{Username: "cam", Password: "s3cret-mail"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	host, p, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(p)
	return s, host, port
}

func TestEmailDeliversWithAttachmentOverSTARTTLS(t *testing.T) {
	srv, host, port := startSMTP(t)
	ch, err := NewEmail(EmailConfig{Host: host, Port: port, From: "Camera <cam@example.org>", To: []string{"ops@example.org"},
		Username: "cam", Password: "s3cret-mail", AttachImage: true, TrustConfig: TrustConfig{CAPEM: string(srv.CertPEM)}})
	if err != nil {
		t.Fatal(err)
	}
	m := storageMessage()
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server has %d messages", len(got))
	}
	rcv := got[0]
	if !rcv.TLS || rcv.User != "cam" || rcv.From != "cam@example.org" || len(rcv.To) != 1 || rcv.To[0] != "ops@example.org" {
		t.Fatalf("envelope %+v", rcv)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(rcv.Data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	if subj != "[cam-7 SN0042] storage_failure" || msg.Header.Get("To") != "ops@example.org" ||
		msg.Header.Get("From") != "Camera <cam@example.org>" {
		t.Fatalf("headers %v (subject %q)", msg.Header, subj)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(text)
	for _, want := range []string{"cam-7 SN0042", "storage_failure", "2026-03-04T05:06:07Z", "card removed"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body %q lacks %q", body, want)
		}
	}
	img, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if img.Header.Get("Content-Type") != "image/jpeg" || img.FileName() != ImageName(m) {
		t.Fatalf("attachment header %v", img.Header)
	}
	raw, _ := io.ReadAll(img) // multipart decodes quoted-printable only; base64 is ours to decode
	jpeg, err := decodeBase64Lines(raw)
	if err != nil || !bytes.Equal(jpeg, fakeJPEG) {
		t.Fatalf("attachment bytes %x (%v), want %x", jpeg, err, fakeJPEG)
	}
}

func TestEmailWithoutImageAndWithPin(t *testing.T) {
	srv, host, port := startSMTP(t)
	pin := hex.EncodeToString(srv.CertSHA256[:])
	ch, err := NewEmail(EmailConfig{Host: host, Port: port, From: "cam@example.org", To: []string{"a@example.org"},
		Username: "cam", Password: "s3cret-mail", TrustConfig: TrustConfig{PinSHA256: pin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), storageMessage()); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || bytes.Contains(got[0].Data, []byte("image/jpeg")) || !bytes.Contains(got[0].Data, []byte("card removed")) {
		t.Fatalf("messages %+v", got)
	}
}

func TestEmailRefusesUntrustedServer(t *testing.T) {
	srv, host, port := startSMTP(t)
	wrongPin := strings.Repeat("ab", 32)
	for name, trust := range map[string]TrustConfig{
		"system roots": {},
		"wrong pin":    {PinSHA256: wrongPin},
	} {
		ch, err := NewEmail(EmailConfig{Host: host, Port: port, From: "cam@example.org", To: []string{"a@example.org"},
			Username: "cam", Password: "s3cret-mail", TrustConfig: trust})
		if err != nil {
			t.Fatal(err)
		}
		err = ch.Send(context.Background(), storageMessage())
		if err == nil {
			t.Fatalf("%s: sent to an untrusted server", name)
		}
		if strings.Contains(err.Error(), "s3cret-mail") {
			t.Fatalf("%s: error shows the password: %v", name, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("server got %d messages", n)
	}
}

func TestEmailWrongPasswordFails(t *testing.T) {
	srv, host, port := startSMTP(t)
	ch, _ := NewEmail(EmailConfig{Host: host, Port: port, From: "cam@example.org", To: []string{"a@example.org"},
		Username: "cam", Password: "wrong", TrustConfig: TrustConfig{CAPEM: string(srv.CertPEM)}})
	if err := ch.Send(context.Background(), storageMessage()); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error %v", err)
	}
}

func TestNewEmailValidates(t *testing.T) {
	ok := EmailConfig{Host: "h", Port: 25, From: "a@b", To: []string{"c@d"}}
	for name, mut := range map[string]func(*EmailConfig){
		"no host":         func(c *EmailConfig) { c.Host = "" },
		"bad port":        func(c *EmailConfig) { c.Port = 0 },
		"bad from":        func(c *EmailConfig) { c.From = "nope" },
		"no to":           func(c *EmailConfig) { c.To = nil },
		"bad tls":         func(c *EmailConfig) { c.TLS = "ssl3" },
		"password no tls": func(c *EmailConfig) { c.TLS, c.Password = "none", "x" },
		"bad pin":         func(c *EmailConfig) { c.PinSHA256 = "zz" },
		"garbage ca":      func(c *EmailConfig) { c.CAPEM = "not pem" },
	} {
		c := ok
		mut(&c)
		if _, err := NewEmail(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// decodeBase64Lines decodes base64 split over lines, as in a MIME part.
func decodeBase64Lines(b []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
}
