package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"
)

// FTPConfig is an FTP image-transfer channel, the one MON-2 names and many alarm receivers accept.
// It speaks FTP over TLS (RFC 4217) unless told otherwise, because plain FTP sends the password and
// the image in clear.
type FTPConfig struct {
	// Dial opens the control and data connections; nil uses a net.Dialer.
	Dial     DialFunc `json:"-"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Username string   `json:"username"`
	Password string   `json:"password,omitempty"`
	// Dir is the directory uploads go to, created if missing; empty means the login directory.
	Dir string `json:"dir,omitempty"`
	// TLS is "explicit" (the default: AUTH TLS on the control port, then every data connection
	// encrypted too), "implicit" (TLS from the first byte, as on port 990), or "none" for a server on
	// a trusted network; "none" never sends a password.
	TLS string `json:"tls,omitempty"`
	TrustConfig
}

// FTP uploads the event image (when there is one) and a .txt with the message, in passive mode.
type FTP struct {
	cfg FTPConfig
}

// NewFTP checks cfg and returns the channel.
func NewFTP(cfg FTPConfig) (*FTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("ftp: host is required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("ftp: port %d out of range", cfg.Port)
	}
	if cfg.Username == "" {
		return nil, errors.New("ftp: username is required")
	}
	if strings.ContainsAny(cfg.Dir, "\r\n\x00") {
		return nil, errors.New("ftp: dir contains a control character")
	}
	mode, err := transport(cfg.TLS, cfg.Password, cfg.TrustConfig, cfg.Host, "explicit", "implicit")
	if err != nil {
		return nil, fmt.Errorf("ftp: %w", err)
	}
	cfg.TLS = mode
	return &FTP{cfg: cfg}, nil
}

// Kind returns "ftp".
func (f *FTP) Kind() string { return "ftp" }

// Send uploads m's image and text. The text is uploaded last, so a receiver that watches for .txt
// files finds the image already complete.
func (f *FTP) Send(ctx context.Context, m Message) error {
	addr := net.JoinHostPort(f.cfg.Host, strconv.Itoa(f.cfg.Port))
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts, err := f.dialOptions(dctx, f.cfg.Dial.orDefault())
	if err != nil {
		return fmt.Errorf("ftp: %w", err)
	}
	c, err := ftp.Dial(addr, opts...)
	if err != nil {
		return fmt.Errorf("ftp: dial %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { c.Quit() })
	defer stop()
	defer c.Quit()
	if err := c.Login(f.cfg.Username, f.cfg.Password); err != nil {
		return fmt.Errorf("ftp: login as %s: %w", f.cfg.Username, err)
	}
	if f.cfg.Dir != "" {
		if err := changeDirMaking(c, f.cfg.Dir); err != nil {
			return fmt.Errorf("ftp: %w", err)
		}
	}
	if len(m.Image) > 0 {
		if err := c.Stor(ImageName(m), bytes.NewReader(m.Image)); err != nil {
			return fmt.Errorf("ftp: upload %s: %w", ImageName(m), err)
		}
	}
	txt := baseName(m) + ".txt"
	if err := c.Stor(txt, strings.NewReader(Body(m))); err != nil {
		return fmt.Errorf("ftp: upload %s: %w", txt, err)
	}
	return nil
}

// dialOptions connects the library through dial, which opens the control connection first and then
// one data connection per transfer. The library encrypts the control connection of explicit TLS
// itself (after AUTH TLS) but leaves every connection from a custom dial function as it is, so the
// data connections, and the control connection of implicit TLS, are wrapped here. They share one
// session cache, so a data connection resumes the control connection's TLS session, which servers
// such as vsftpd require to be sure the data comes from the client that logged in. The handshake is
// left to the first read or write: a server starts TLS on a data connection only once it has the
// transfer command, which the library sends after dialing.
func (f *FTP) dialOptions(ctx context.Context, dial DialFunc) ([]ftp.DialOption, error) {
	if f.cfg.TLS == "none" {
		return []ftp.DialOption{ftp.DialWithDialFunc(func(network, address string) (net.Conn, error) {
			return dial(ctx, network, address)
		})}, nil
	}
	cfg, err := f.cfg.clientTLS(f.cfg.Host)
	if err != nil {
		return nil, err
	}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	control := true
	wrap := func(network, address string) (net.Conn, error) {
		conn, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		first := control
		control = false
		if first && f.cfg.TLS == "explicit" {
			return conn, nil
		}
		return tls.Client(conn, cfg), nil
	}
	mode := ftp.DialWithExplicitTLS(cfg)
	if f.cfg.TLS == "implicit" {
		mode = ftp.DialWithTLS(cfg)
	}
	return []ftp.DialOption{ftp.DialWithDialFunc(wrap), mode}, nil
}

// changeDirMaking enters dir one element at a time, creating what is missing.
func changeDirMaking(c *ftp.ServerConn, dir string) error {
	if strings.HasPrefix(dir, "/") {
		if err := c.ChangeDir("/"); err != nil {
			return fmt.Errorf("cd /: %w", err)
		}
	}
	for _, el := range strings.Split(path.Clean(dir), "/") {
		if el == "" || el == "." {
			continue
		}
		if err := c.ChangeDir(el); err == nil {
			continue
		}
		if err := c.MakeDir(el); err != nil {
			return fmt.Errorf("mkdir %s: %w", el, err)
		}
		if err := c.ChangeDir(el); err != nil {
			return fmt.Errorf("cd %s: %w", el, err)
		}
	}
	return nil
}
