package nas

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// sftpTarget writes records to an SFTP server. It holds at most one connection and replaces it on the
// next call after it dropped, so a NAS that rebooted is used again without the caller doing anything.
type sftpTarget struct {
	url  string // without secrets (ParseURL refuses passwords)
	addr string
	user string
	dir  string
	o    Options

	lock   chan struct{} // one slot; guards sess and closed; acquired with the caller's context
	sess   *session
	closed bool
}

// session is one SSH connection carrying one SFTP client.
type session struct {
	ssh      *ssh.Client
	sftp     *sftp.Client
	dead     chan struct{}
	deadOnce sync.Once
}

// kill closes the connection; calls in flight on it fail at once. The SSH connection goes first:
// closing the SFTP client first would wait for a slow or silent server to acknowledge the end of
// the session, and hold the caller past its deadline.
func (s *session) kill() {
	s.deadOnce.Do(func() { close(s.dead) })
	_ = s.ssh.Close()
	_ = s.sftp.Close()
}

func (s *session) alive() bool {
	select {
	case <-s.dead:
		return false
	default:
		return true
	}
}

func openSFTP(ctx context.Context, u *url.URL, o Options) (*sftpTarget, error) {
	if o.ClientKey == nil {
		return nil, fmt.Errorf("open NAS %s: no client key", u)
	}
	if o.HostKey == nil {
		return nil, fmt.Errorf("open NAS %s: no pinned host key; refusing to trust any server", u)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = defaultDialTimeout
	}
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	t := &sftpTarget{
		url:  u.String(),
		addr: u.Host,
		user: u.User.Username(),
		dir:  u.Path,
		o:    o,
		lock: make(chan struct{}, 1),
	}
	var st fs.FileInfo
	err := t.run(ctx, "open NAS "+t.url, func(c *sftp.Client) error {
		var err error
		st, err = c.Stat(t.dir)
		return err
	})
	if err == nil && !st.IsDir() {
		err = fmt.Errorf("open NAS %s: not a directory", t.url)
	}
	if err != nil {
		_ = t.Close()
		return nil, err
	}
	return t, nil
}

// session returns the live connection, connecting first if there is none or it dropped.
func (t *sftpTarget) session(ctx context.Context) (*session, error) {
	select {
	case t.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the connection: %w", ErrUnreachable, ctx.Err())
	}
	defer func() { <-t.lock }()
	if t.closed {
		return nil, ErrClosed
	}
	if t.sess != nil && t.sess.alive() {
		return t.sess, nil
	}
	if t.sess != nil {
		t.sess.kill()
		t.sess = nil
	}
	s, err := t.connect(ctx)
	if err != nil {
		return nil, err
	}
	t.sess = s
	return s, nil
}

// connect dials, checks the host key against the pin, logs in with the client key and starts SFTP,
// all within o.DialTimeout and ctx.
func (t *sftpTarget) connect(ctx context.Context) (*session, error) {
	cctx, cancel := context.WithTimeout(ctx, t.o.DialTimeout)
	defer cancel()
	conn, err := t.o.Dial(cctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: connect to %s: %w", ErrUnreachable, t.addr, err)
	}
	// Closing the socket is the only way to interrupt the handshake when the deadline passes.
	stop := context.AfterFunc(cctx, func() { _ = conn.Close() })
	pinned := t.o.HostKey
	var hostErr error
	cfg := &ssh.ClientConfig{
		User: t.user,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(t.o.ClientKey)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if bytes.Equal(key.Marshal(), pinned.Marshal()) {
				return nil
			}
			hostErr = fmt.Errorf("%w: %s presented %s %s but the pinned key is %s %s",
				ErrHostKey, t.addr, key.Type(), ssh.FingerprintSHA256(key), pinned.Type(), ssh.FingerprintSHA256(pinned))
			return hostErr
		},
		HostKeyAlgorithms: hostKeyAlgorithms(pinned),
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, t.addr, cfg)
	if err != nil {
		stop()
		_ = conn.Close()
		switch {
		case hostErr != nil:
			return nil, hostErr
		case cctx.Err() != nil:
			return nil, fmt.Errorf("%w: ssh handshake with %s: %w", ErrUnreachable, t.addr, cctx.Err())
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("%w: %s refused user %q with key %s: %w",
				ErrAuth, t.addr, t.user, ssh.FingerprintSHA256(t.o.ClientKey.PublicKey()), err)
		default:
			return nil, fmt.Errorf("%w: ssh handshake with %s: %w", ErrUnreachable, t.addr, err)
		}
	}
	client := ssh.NewClient(cc, chans, reqs)
	sc, err := sftp.NewClient(client)
	if err != nil {
		stop()
		_ = client.Close()
		if cctx.Err() != nil {
			return nil, fmt.Errorf("%w: start sftp on %s: %w", ErrUnreachable, t.addr, cctx.Err())
		}
		return nil, fmt.Errorf("start sftp on %s: %w", t.addr, err)
	}
	if !stop() {
		_ = sc.Close()
		_ = client.Close()
		return nil, fmt.Errorf("%w: connect to %s: %w", ErrUnreachable, t.addr, cctx.Err())
	}
	s := &session{ssh: client, sftp: sc, dead: make(chan struct{})}
	go func() {
		_ = client.Wait()
		s.deadOnce.Do(func() { close(s.dead) })
	}()
	return s, nil
}

// hostKeyAlgorithms asks the server for the pinned key's algorithm, so a server holding several host
// keys presents the pinned one rather than failing the pin.
func hostKeyAlgorithms(k ssh.PublicKey) []string {
	if k.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{k.Type()}
}

// answered reports whether err is the server's reply (no such file, permission, failure) rather than
// a broken connection.
func answered(err error) bool {
	var se *sftp.StatusError
	return errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// run calls op on a live connection. When ctx ends the connection is closed, which makes op return
// at once (SFTP calls take no context); the next call reconnects. An error that is not the server's
// reply also drops the connection, since it cannot be trusted any more.
func (t *sftpTarget) run(ctx context.Context, what string, op func(c *sftp.Client) error) error {
	s, err := t.session(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	stop := context.AfterFunc(ctx, s.kill)
	err = op(s.sftp)
	fired := !stop()
	switch {
	case err == nil:
		return nil
	case fired:
		return fmt.Errorf("%s: %w: %w", what, ErrUnreachable, ctx.Err())
	case answered(err):
		return fmt.Errorf("%s: %w", what, err)
	default:
		s.kill()
		return fmt.Errorf("%s: %w: %w", what, ErrUnreachable, err)
	}
}

func (t *sftpTarget) path(name string) string { return path.Join(t.dir, name) }

func (t *sftpTarget) Put(ctx context.Context, name string, data []byte) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("put %s: %w", t.url, err)
	}
	tmp := t.path(tempMarker + rand.Text())
	return t.run(ctx, fmt.Sprintf("put %s to %s", name, t.url), func(c *sftp.Client) (err error) {
		f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return err
		}
		defer func() {
			if err != nil {
				_ = f.Close()
				_ = c.Remove(tmp) // best effort; a leftover is never listed
			}
		}()
		if err = f.Chmod(0o640); err != nil {
			return err
		}
		n, err := f.Write(data)
		if err != nil {
			return err
		}
		if n != len(data) {
			return io.ErrShortWrite
		}
		if err = f.Close(); err != nil {
			return err
		}
		if _, ok := c.HasExtension("posix-rename@openssh.com"); ok {
			return c.PosixRename(tmp, t.path(name))
		}
		// Plain SFTP rename refuses to replace; replacing is then not atomic, but a reader sees
		// either the old record, no record, or the new one, never a partial one.
		if err = c.Rename(tmp, t.path(name)); err == nil {
			return nil
		}
		if rerr := c.Remove(t.path(name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return err
		}
		return c.Rename(tmp, t.path(name))
	})
}

func (t *sftpTarget) Get(ctx context.Context, name string) ([]byte, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("get %s: %w", t.url, err)
	}
	what := fmt.Sprintf("get %s from %s", name, t.url)
	var data []byte
	err := t.run(ctx, what, func(c *sftp.Client) error {
		f, err := c.Open(t.path(name))
		if err != nil {
			return err
		}
		defer f.Close()
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			return err
		}
		data = buf.Bytes()
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return data, err
}

func (t *sftpTarget) List(ctx context.Context) ([]File, error) {
	var out []File
	err := t.run(ctx, "list "+t.url, func(c *sftp.Client) error {
		infos, err := c.ReadDirContext(ctx, t.dir)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, fi := range infos {
			if !fi.Mode().IsRegular() || CheckName(fi.Name()) != nil {
				continue
			}
			out = append(out, File{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (t *sftpTarget) Remove(ctx context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("remove %s: %w", t.url, err)
	}
	what := fmt.Sprintf("remove %s from %s", name, t.url)
	isDir := false
	err := t.run(ctx, what, func(c *sftp.Client) error {
		st, err := c.Lstat(t.path(name))
		if err != nil {
			return err
		}
		if isDir = st.IsDir(); isDir {
			return nil // the server answered; refused below without dropping the connection
		}
		return c.Remove(t.path(name))
	})
	if err == nil && isDir {
		return fmt.Errorf("%s: is a directory, not a record", what)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (t *sftpTarget) String() string { return t.url }

func (t *sftpTarget) Close() error {
	t.lock <- struct{}{}
	defer func() { <-t.lock }()
	t.closed = true
	if t.sess != nil {
		t.sess.kill()
		t.sess = nil
	}
	return nil
}
