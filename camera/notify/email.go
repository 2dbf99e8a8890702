package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// EmailConfig is an e-mail channel: SMTP submission with STARTTLS and AUTH PLAIN.
type EmailConfig struct {
	// Dial opens the connection to the server; nil uses a net.Dialer.
	Dial     DialFunc `json:"-"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	// TLS is "starttls" (the default: the channel refuses a server that does not offer it) or
	// "none" for a relay on a trusted network; "none" never sends a password.
	TLS         string `json:"tls,omitempty"`
	AttachImage bool   `json:"attach_image,omitempty"`
	TrustConfig
}

// Email sends each message as a mail, with the image attached when configured.
type Email struct {
	cfg EmailConfig
}

// NewEmail checks cfg and returns the channel.
func NewEmail(cfg EmailConfig) (*Email, error) {
	if cfg.Host == "" {
		return nil, errors.New("email: host is required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email: port %d out of range", cfg.Port)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email: from: %w", err)
	}
	if len(cfg.To) == 0 {
		return nil, errors.New("email: at least one recipient is required")
	}
	for _, to := range cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, fmt.Errorf("email: to %q: %w", to, err)
		}
	}
	mode, err := transport(cfg.TLS, cfg.Password, cfg.TrustConfig, cfg.Host, "starttls")
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	cfg.TLS = mode
	return &Email{cfg: cfg}, nil
}

// Kind returns "email".
func (e *Email) Kind() string { return "email" }

// Send submits m. With tls "starttls" it fails unless the server offers STARTTLS and its certificate
// passes the trust configuration; the password is only ever sent inside TLS.
func (e *Email) Send(ctx context.Context, m Message) error {
	body, err := e.compose(m)
	if err != nil {
		return fmt.Errorf("email: compose: %w", err)
	}
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	conn, err := e.cfg.Dial.orDefault()(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("email: dial %s: %w", addr, err)
	}
	// The SMTP client has no context; closing the connection when ctx ends unblocks it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	if e.cfg.TLS == "starttls" {
		tc, err := e.cfg.clientTLS(e.cfg.Host)
		if err != nil {
			conn.Close()
			return fmt.Errorf("email: %w", err)
		}
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			return fmt.Errorf("email: starttls with %s: %w", addr, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if e.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", e.cfg.Username, e.cfg.Password)); err != nil {
			return fmt.Errorf("email: auth as %s: %w", e.cfg.Username, err)
		}
	}
	if err := c.SendMail(bareAddress(e.cfg.From), bareAddresses(e.cfg.To), bytes.NewReader(body)); err != nil {
		return fmt.Errorf("email: send via %s: %w", addr, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("email: quit: %w", err)
	}
	return nil
}

// Subject is the subject line of m's mail: camera and kind, so an inbox list is readable at a glance.
func Subject(m Message) string {
	return fmt.Sprintf("[%s] %s", oneLine(m.Camera), oneLine(m.Kind))
}

// Body is the text of m used by the mail and FTP channels.
func Body(m Message) string {
	return fmt.Sprintf("Camera: %s\nEvent: %s\nTime: %s\nDetail: %s\n",
		oneLine(m.Camera), oneLine(m.Kind), m.Time.UTC().Format(time.RFC3339), oneLine(m.Detail))
}

// compose builds the RFC 5322 message, multipart when an image is attached.
func (e *Email) compose(m Message) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", oneLine(e.cfg.From))
	h("To", oneLine(strings.Join(e.cfg.To, ", ")))
	h("Subject", mime.QEncoding.Encode("utf-8", Subject(m)))
	h("Date", m.Time.Format(time.RFC1123Z))
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	h("Message-ID", "<"+hex.EncodeToString(id)+"@vsslab.camera>")
	h("MIME-Version", "1.0")
	text := strings.ReplaceAll(Body(m), "\n", "\r\n")
	if !e.cfg.AttachImage || len(m.Image) == 0 {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "8bit")
		b.WriteString("\r\n" + text)
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	b.WriteString("\r\n")
	tp, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"8bit"}})
	if err != nil {
		return nil, err
	}
	if _, err := tp.Write([]byte(text)); err != nil {
		return nil, err
	}
	ip, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"image/jpeg"},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {`attachment; filename="` + ImageName(m) + `"`},
	})
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString(m.Image)
	for len(enc) > 76 {
		if _, err := ip.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return nil, err
		}
		enc = enc[76:]
	}
	if _, err := ip.Write([]byte(enc + "\r\n")); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ImageName is the file name of m's image, in mail attachments and FTP uploads: camera, kind and
// UTC time, with anything but [A-Za-z0-9_-] replaced, so it is safe on any server.
func ImageName(m Message) string { return baseName(m) + ".jpg" }

func baseName(m Message) string {
	return safeName(m.Camera) + "_" + safeName(m.Kind) + "_" + m.Time.UTC().Format("20060102T150405.000Z")
}

func safeName(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// oneLine removes line breaks, so no field can inject a header or a fake body line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func bareAddress(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return s
	}
	return a.Address
}

func bareAddresses(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = bareAddress(s)
	}
	return out
}
