// Package peers starts real receiving servers (an SMTP server, mosquitto, vsftpd, sipp) on
// 127.0.0.1 for tests and scenario suites.
//
// A notification check is only believable when the camera talks to a program nobody here wrote, so
// every peer but SMTP is the distribution's binary, started in the foreground with a temporary
// configuration and free ports picked at run time, and stopped by Close. When a peer cannot run on
// this machine (binary missing, not root) Start returns an error wrapping ErrUnavailable, so that a
// test can skip with a clear reason and a scenario can report "not applicable" instead of failing.
package peers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ErrUnavailable marks a peer that cannot run on this machine (its binary is missing, or it needs
// privileges the process lacks). It is a reason to skip, never to pass.
var ErrUnavailable = errors.New("peer unavailable")

// readyTimeout bounds how long a peer may take to start listening: a peer that is not up by then is
// broken, and waiting longer would only hide it.
const readyTimeout = 10 * time.Second

// lookPath finds a peer's binary, wrapping ErrUnavailable with the package that provides it so the
// skip message tells the reader what to install.
func lookPath(name, debianPackage string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s not found (apt-get install -y --no-install-recommends %s): %v",
			ErrUnavailable, name, debianPackage, err)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on at the moment of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick free tcp port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeUDPPort returns a UDP port on 127.0.0.1 that is free at the moment of the call.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick free udp port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// process is a peer running in the foreground, with its output kept for error messages.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // set before done is closed
}

// startProcess runs bin with args in dir, with its own process group so Close ends its children too.
func startProcess(name, dir, bin string, args ...string) (*process, error) {
	out := &syncBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls ready until it reports true, the process exits, or readyTimeout passes. Polling
// here waits for an outside program to come up; it is not how any behaviour under test is timed.
func (p *process) waitReady(ready func() bool) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if ready() {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v): %s", p.name, p.err, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %s", p.name, readyTimeout, p.out.String())
		}
	}
}

// wait waits for the process to exit on its own and returns its exit error.
func (p *process) wait(ctx context.Context) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w: %s", p.name, p.err, p.out.String())
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s to exit: %w", p.name, ctx.Err())
	}
}

// stop ends the process group (SIGTERM, then SIGKILL after a grace period) and waits for it.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// tcpUp reports whether something accepts TCP connections on addr.
func tcpUp(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// udpTaken reports whether a UDP port on 127.0.0.1 is bound by someone: a UDP peer is ready once
// its port can no longer be bound.
func udpTaken(port int) bool {
	c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// syncBuffer is a bytes.Buffer safe for a process's output goroutines and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// isRoot reports whether the process may create users and bind as root, which vsftpd needs.
func isRoot() bool { return os.Geteuid() == 0 }
