package peers

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestSMTPRequiresTLSAndAuth(t *testing.T) {
	s, err := StartSMTP(SMTPOptions{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Without TLS the server does not offer AUTH, and refuses MAIL.
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err == nil {
		t.Fatal("AUTH accepted before STARTTLS")
	}
	if err := c.Mail("a@b", nil); err == nil {
		t.Fatal("MAIL accepted without AUTH")
	}
	c.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CertPEM)
	c, err = smtp.DialStartTLS(s.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "u", "wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("a@b", []string{"c@d"}, strings.NewReader("Subject: x\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "u" || !strings.Contains(string(got[0].Data), "hello") {
		t.Fatalf("stored %+v", got)
	}
}

func TestStartSMTPNeedsCredentials(t *testing.T) {
	if _, err := StartSMTP(SMTPOptions{}); err == nil {
		t.Fatal("started without credentials")
	}
}
