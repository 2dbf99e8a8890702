package peers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// VsftpdOptions configure the server. TLS is "" for plain FTP, "explicit" for AUTH TLS on the
// control port (RFC 4217), or "implicit" for TLS from the first byte. With TLS, vsftpd refuses a login
// and a data transfer that are not encrypted, and requires the data connections to resume the control
// connection's TLS session, so a client that skips any of it fails against this peer.
type VsftpdOptions struct {
	TLS string
}

// Vsftpd is a running vsftpd on 127.0.0.1 with a throwaway local user whose home (Root) is the FTP
// root. vsftpd authenticates through PAM against real accounts, so the peer creates the user with
// useradd/chpasswd and deletes it on Close; that needs root, and without it Start returns
// ErrUnavailable.
type Vsftpd struct {
	Addr     string
	User     string
	Password string
	// Root is the user's FTP root on the local file system: uploaded files appear under it.
	Root string
	// Cert is the server's certificate when TLS is on, nil otherwise.
	Cert *ServerCert

	dir string
	p   *process
}

// StartVsftpd creates a user and starts vsftpd in the foreground with passive mode on free ports.
func StartVsftpd(opts VsftpdOptions) (*Vsftpd, error) {
	switch opts.TLS {
	case "", "explicit", "implicit":
	default:
		return nil, fmt.Errorf("start vsftpd: tls %q is not empty, explicit or implicit", opts.TLS)
	}
	bin, err := lookPath("vsftpd", "vsftpd")
	if err != nil {
		return nil, err
	}
	if !isRoot() {
		return nil, fmt.Errorf("%w: vsftpd needs a local user, and creating one needs root", ErrUnavailable)
	}
	useradd, err := lookPath("useradd", "passwd")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	pasv, err := FreePort()
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	pass := make([]byte, 12)
	if _, err := rand.Read(pass); err != nil {
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	v := &Vsftpd{User: "vssl" + hex.EncodeToString(suffix), Password: hex.EncodeToString(pass)}
	if v.dir, err = os.MkdirTemp("", "vsslab-vsftpd-"); err != nil {
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	// The temp dir's parents must be traversable by the user after vsftpd drops privileges.
	if err := os.Chmod(v.dir, 0o755); err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	v.Root = filepath.Join(v.dir, "root")
	empty := filepath.Join(v.dir, "empty")
	for _, d := range []string{v.Root, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			v.cleanup()
			return nil, fmt.Errorf("start vsftpd: %w", err)
		}
	}
	if out, err := exec.Command(useradd, "-M", "-d", v.Root, "-s", "/bin/sh", v.User).CombinedOutput(); err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: useradd: %w: %s", err, out)
	}
	cp := exec.Command("chpasswd")
	cp.Stdin = strings.NewReader(v.User + ":" + v.Password + "\n")
	if out, err := cp.CombinedOutput(); err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: chpasswd: %w: %s", err, out)
	}
	u, err := user.Lookup(v.User)
	if err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(v.Root, uid, gid); err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	conf := fmt.Sprintf(`listen=YES
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=%d
pasv_max_port=%d
seccomp_sandbox=NO
secure_chroot_dir=%s
pam_service_name=vsftpd
xferlog_enable=NO
delay_failed_login=0
`, port, pasv, pasv, empty)
	if opts.TLS != "" {
		if v.Cert, err = NewServerCert(); err != nil {
			v.cleanup()
			return nil, fmt.Errorf("start vsftpd: %w", err)
		}
		certFile, keyFile, err := v.Cert.writeFiles(v.dir)
		if err != nil {
			v.cleanup()
			return nil, fmt.Errorf("start vsftpd: %w", err)
		}
		conf += fmt.Sprintf(`ssl_enable=YES
rsa_cert_file=%s
rsa_private_key_file=%s
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
implicit_ssl=%s
`, certFile, keyFile, map[bool]string{true: "YES", false: "NO"}[opts.TLS == "implicit"])
	}
	cfgFile := filepath.Join(v.dir, "vsftpd.conf")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		v.cleanup()
		return nil, fmt.Errorf("start vsftpd: %w", err)
	}
	if v.p, err = startProcess("vsftpd", v.dir, bin, cfgFile); err != nil {
		v.cleanup()
		return nil, err
	}
	v.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	if err := v.p.waitReady(func() bool { return tcpUp(v.Addr) }); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// Close stops vsftpd, deletes the user and removes the FTP root.
func (v *Vsftpd) Close() error {
	if v.p != nil {
		v.p.stop()
	}
	return v.cleanup()
}

func (v *Vsftpd) cleanup() error {
	var errs []string
	if v.User != "" {
		if out, err := exec.Command("userdel", v.User).CombinedOutput(); err != nil && !strings.Contains(string(out), "does not exist") {
			errs = append(errs, fmt.Sprintf("userdel %s: %v: %s", v.User, err, out))
		}
	}
	if v.dir != "" {
		if err := os.RemoveAll(v.dir); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("close vsftpd: %s", strings.Join(errs, "; "))
	}
	return nil
}
