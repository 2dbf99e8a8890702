package peers

import (
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configure the SMTP peer. Username and Password are required: the peer refuses mail
// from a client that has not authenticated, so a camera that skips AUTH fails its check.
type SMTPOptions struct {
	Username string
	Password string
}

// Mail is one message the SMTP peer accepted.
type Mail struct {
	From string
	To   []string
	Data []byte // the raw RFC 5322 message
	User string // who authenticated
	TLS  bool   // whether the session was encrypted when the message arrived
}

// SMTP is a mail server built on emersion/go-smtp with a fresh self-signed certificate. It offers
// STARTTLS, offers AUTH PLAIN only after STARTTLS, refuses MAIL before AUTH, and keeps every message
// it accepts.
type SMTP struct {
	// Addr is host:port to connect to.
	Addr string
	// CertPEM is the server certificate (self-signed, so also the CA to trust).
	CertPEM []byte
	// CertSHA256 is the SHA-256 of the certificate's DER, for pinning.
	CertSHA256 [32]byte

	srv  *smtp.Server
	opts SMTPOptions
	mu   sync.Mutex
	mail []Mail
	done chan error
}

// StartSMTP starts an SMTP server on a free port of 127.0.0.1.
func StartSMTP(opts SMTPOptions) (*SMTP, error) {
	if opts.Username == "" || opts.Password == "" {
		return nil, errors.New("start smtp peer: username and password are required")
	}
	cert, err := NewServerCert()
	if err != nil {
		return nil, fmt.Errorf("start smtp peer: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start smtp peer: %w", err)
	}
	s := &SMTP{
		Addr:       l.Addr().String(),
		CertPEM:    cert.PEM,
		CertSHA256: cert.SHA256,
		opts:       opts,
		done:       make(chan error, 1),
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{peer: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.tls}, MinVersion: tls.VersionTLS12}
	s.srv.AllowInsecureAuth = false
	s.srv.MaxMessageBytes = 16 << 20
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	go func() { s.done <- s.srv.Serve(l) }()
	return s, nil
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *SMTP) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Mail, len(s.mail))
	copy(out, s.mail)
	return out
}

// Close stops the server.
func (s *SMTP) Close() error {
	err := s.srv.Close()
	<-s.done
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("close smtp peer: %w", err)
	}
	return nil
}

type smtpSession struct {
	peer *SMTP
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		okUser := subtle.ConstantTimeCompare([]byte(username), []byte(s.peer.opts.Username)) == 1
		okPass := subtle.ConstantTimeCompare([]byte(password), []byte(s.peer.opts.Password)) == 1
		if !okUser || !okPass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.peer.mu.Lock()
	defer s.peer.mu.Unlock()
	s.peer.mail = append(s.peer.mail, Mail{From: s.from, To: s.to, Data: b, User: s.user, TLS: isTLS})
	return nil
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }
