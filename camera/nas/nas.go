// Package nas holds the places the reference camera sends its (already encrypted) event records to: a
// mounted share (file:///path) or an SFTP server (sftp://user@host:port/path). Record names are flat
// and checked by every implementation, so a name read from the camera's own queue can never reach
// outside the configured directory. Every operation takes a context, so the caller, which transfers
// from its own queue, can bound how long a NAS that is down or slow holds it; recording never waits
// for the NAS.
package nas

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Target is a place records are sent to. Names are flat file names (no '/', no "..", 1..128 chars of
// [A-Za-z0-9._-]); every implementation refuses others with ErrBadName before touching anything.
type Target interface {
	// Put stores data under name atomically: it writes a temporary file, then renames it, so a crash
	// or a dropped connection never leaves a partial file under name.
	Put(ctx context.Context, name string, data []byte) error
	// Get reads name back (MON-1 checks a transfer this way); a missing file is ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	// List returns the records, sorted by name, for the deletion period (DEL-2). Temporary files left
	// by a crash and anything that is not a plain file with a valid name are not listed.
	List(ctx context.Context) ([]File, error)
	// Remove deletes name; a file that is already gone is not an error, so deletion can be retried.
	Remove(ctx context.Context, name string) error
	// String is the target's URL without secrets, for logs and the audit trail.
	String() string
	// Close releases the connection; later calls fail with ErrClosed.
	Close() error
}

// File describes one record on a Target.
type File struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Errors callers branch on. They are wrapped with context; test them with errors.Is.
var (
	// ErrBadName is a record name that is not a flat, safe file name.
	ErrBadName = errors.New("nas: bad record name")
	// ErrNotFound is a record that does not exist on the target.
	ErrNotFound = errors.New("nas: record not found")
	// ErrUnreachable wraps network failures and deadlines: the NAS may come back, so retry later.
	ErrUnreachable = errors.New("nas: unreachable")
	// ErrAuth is a login the server refused: retrying will not help until the key is authorised.
	ErrAuth = errors.New("nas: login refused")
	// ErrHostKey is a server whose host key differs from the pinned one (possibly an impostor).
	ErrHostKey = errors.New("nas: host key mismatch")
	// ErrClosed is a call on a Target after Close.
	ErrClosed = errors.New("nas: target closed")
)

// MaxNameLen is the longest record name a Target accepts.
const MaxNameLen = 128

// tempMarker is part of every temporary file name. It contains '~', which no valid record name may,
// so a temporary file can never collide with a record nor be listed as one.
const tempMarker = ".nas-tmp~"

// CheckName reports whether name is a flat record name every Target accepts; otherwise the error
// wraps ErrBadName. The name is not echoed, since it may hold control characters.
func CheckName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: length %d, want 1..%d", ErrBadName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: byte %d (0x%02x) is not one of [A-Za-z0-9._-]", ErrBadName, i, c)
		}
	}
	if name == "." || strings.Contains(name, "..") {
		return fmt.Errorf("%w: %q is or contains a parent/current directory reference", ErrBadName, name)
	}
	return nil
}

// Options configure Open. ClientKey and HostKey are required for sftp:// and ignored for file://.
type Options struct {
	// ClientKey is the camera's own key (ed25519) it logs in with; passwords are never used.
	ClientKey ssh.Signer
	// HostKey is the server's pinned public key; a server presenting any other key is refused.
	HostKey ssh.PublicKey
	// DialTimeout bounds connecting, the SSH handshake and starting SFTP (0 means 15 s), on top of
	// the context's own deadline.
	DialTimeout time.Duration
	// Dial is the camera's observed dialer; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// defaultDialTimeout bounds a connection attempt when Options.DialTimeout is zero.
const defaultDialTimeout = 15 * time.Second

// ParseURL parses and validates a NAS URL and returns it normalised (lower-case scheme, clean path,
// explicit port for sftp). Accepted are file:///absolute/path and sftp://user@host[:port]/absolute/path.
// Credentials other than a user name are refused: the camera logs in with keys only, and a password
// in a URL ends up in logs. Errors never repeat the URL, which might hold such a password.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("parse NAS URL: %w", err)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return nil, errors.New("parse NAS URL: a password in the URL is refused: the camera logs in with its key only")
		}
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "file" && scheme != "sftp" {
		return nil, fmt.Errorf("parse NAS URL: unsupported scheme %q (want file or sftp)", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("parse NAS URL: %s URL needs an absolute path (%s:///dir or %s://host/dir)", scheme, scheme, scheme)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("parse NAS URL: query and fragment are not allowed")
	}
	p, err := cleanPath(u.Path)
	if err != nil {
		return nil, fmt.Errorf("parse NAS URL: %w", err)
	}
	out := &url.URL{Scheme: scheme, Path: p}
	switch scheme {
	case "file":
		if u.User != nil {
			return nil, errors.New("parse NAS URL: file URL must not name a user")
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("parse NAS URL: file URL names host %q; mount the share and use file:///path", u.Host)
		}
	case "sftp":
		if u.User == nil || u.User.Username() == "" {
			return nil, errors.New("parse NAS URL: sftp URL needs a user (sftp://user@host:port/path)")
		}
		user := u.User.Username()
		for i := 0; i < len(user); i++ {
			if user[i] < 0x21 || user[i] == 0x7f {
				return nil, errors.New("parse NAS URL: sftp user contains a space or control character")
			}
		}
		host := u.Hostname()
		if host == "" {
			return nil, errors.New("parse NAS URL: sftp URL needs a host")
		}
		if err := checkHost(host); err != nil {
			return nil, fmt.Errorf("parse NAS URL: %w", err)
		}
		port := u.Port()
		if port == "" {
			if strings.HasSuffix(u.Host, ":") {
				return nil, errors.New("parse NAS URL: empty port")
			}
			port = "22"
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("parse NAS URL: port %q is not 1..65535", port)
		}
		out.User = url.User(user)
		out.Host = net.JoinHostPort(host, strconv.Itoa(n))
	}
	return out, nil
}

// checkHost accepts an IP address or a DNS name (letters, digits, hyphens and dots), nothing that
// url.Parse lets through as a host but no dialer could reach, such as ":22" from "sftp://u@:22:22/".
func checkHost(h string) error {
	if _, err := netip.ParseAddr(h); err == nil {
		return nil
	}
	if len(h) > 253 {
		return fmt.Errorf("host name of %d characters is longer than 253", len(h))
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host %q is neither an IP address nor a DNS name", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("host %q is neither an IP address nor a DNS name", h)
			}
		}
	}
	return nil
}

// cleanPath accepts only absolute paths without "." or ".." segments or control characters, so the
// configured directory is exactly the one written.
func cleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", errors.New("path must be absolute")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "", errors.New("path contains a control character")
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "", errors.New("path must not contain . or .. segments")
		}
	}
	return path.Clean(p), nil
}

// Open parses and validates a NAS URL and connects to it. For file:// the directory must exist. For
// sftp:// it logs in with o.ClientKey, accepts only the server key o.HostKey and checks the directory
// exists; a connection that drops later is re-established by the next call.
func Open(ctx context.Context, raw string, o Options) (Target, error) {
	u, err := ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("open NAS: %w", err)
	}
	if o.DialTimeout < 0 {
		return nil, fmt.Errorf("open NAS %s: negative dial timeout %v", u, o.DialTimeout)
	}
	switch u.Scheme {
	case "file":
		return openFile(u)
	default:
		return openSFTP(ctx, u, o)
	}
}
