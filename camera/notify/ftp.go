package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"
)

// FTPConfig is an FTP image-transfer channel. Plain FTP sends the password in clear, so it belongs on
// a trusted network; the channel is what MON-2 names and what many alarm receivers accept.
type FTPConfig struct {
	// Dial opens the control and data connections; nil uses a net.Dialer.
	Dial     DialFunc `json:"-"`
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Username string   `json:"username"`
	Password string   `json:"password,omitempty"`
	// Dir is the directory uploads go to, created if missing; empty means the login directory.
	Dir string `json:"dir,omitempty"`
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
	return &FTP{cfg: cfg}, nil
}

// Kind returns "ftp".
func (f *FTP) Kind() string { return "ftp" }

// Send uploads m's image and text. The text is uploaded last, so a receiver that watches for .txt
// files finds the image already complete.
func (f *FTP) Send(ctx context.Context, m Message) error {
	addr := net.JoinHostPort(f.cfg.Host, strconv.Itoa(f.cfg.Port))
	dial := f.cfg.Dial.orDefault()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := ftp.Dial(addr, ftp.DialWithDialFunc(func(network, address string) (net.Conn, error) {
		// The data connections of passive mode come through here too, each bounded like the first.
		return dial(dctx, network, address)
	}))
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
