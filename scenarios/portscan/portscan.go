// Package portscan finds the TCP ports a host accepts connections on, the way an outside scanner's
// connect scan (nmap -sT) does: a full TCP handshake to every port, closed again at once. It is the
// evidence of NET-2 ("a port scan of the camera finds no other open port"), so it looks at the camera
// only from the network, as a buyer's scanner would, and knows nothing of how the camera is built.
package portscan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options bound a scan.
type Options struct {
	// Ports to try; empty means every TCP port, 1..65535.
	Ports []int
	// Workers is how many connects are in flight at once; 0 means 256.
	Workers int
	// Timeout bounds one connect; a port that neither accepts nor refuses within it is counted as
	// filtered. 0 means 500 ms.
	Timeout time.Duration
}

// Result is what a scan found.
type Result struct {
	Host string `json:"host"`
	// Scanned is how many ports were tried.
	Scanned int `json:"scanned"`
	// Open lists the ports that accepted a connection, ascending.
	Open []int `json:"open"`
	// Filtered lists the ports that gave no answer within the timeout, ascending: a firewall may hide
	// a listener there, so a scan with any is not proof of absence.
	Filtered []int `json:"filtered,omitempty"`
	// Elapsed is the scan's duration on the wall clock.
	Elapsed time.Duration `json:"elapsed"`
}

// maxWorkers keeps a scan within a process's usual descriptor limit.
const maxWorkers = 4096

// TCP scans host (an IP address or a name) and reports which ports are open.
func TCP(ctx context.Context, host string, opts Options) (Result, error) {
	if host == "" {
		return Result{}, errors.New("port scan: no host")
	}
	if opts.Workers < 0 || opts.Workers > maxWorkers {
		return Result{}, fmt.Errorf("port scan: %d workers, want 1..%d", opts.Workers, maxWorkers)
	}
	if opts.Timeout < 0 {
		return Result{}, fmt.Errorf("port scan: negative timeout %s", opts.Timeout)
	}
	ports := opts.Ports
	if len(ports) == 0 {
		ports = make([]int, 0, 65535)
		for p := 1; p <= 65535; p++ {
			ports = append(ports, p)
		}
	}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return Result{}, fmt.Errorf("port scan: port %d out of 1..65535", p)
		}
	}
	if opts.Workers == 0 {
		opts.Workers = 256
	}
	if opts.Timeout == 0 {
		opts.Timeout = 500 * time.Millisecond
	}

	start := time.Now()
	res := Result{Host: host}
	jobs := make(chan int)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	d := net.Dialer{Timeout: opts.Timeout}
	for range min(opts.Workers, len(ports)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				state, err := probe(ctx, &d, host, p)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case state == open:
					res.Open = append(res.Open, p)
				case state == filtered:
					res.Filtered = append(res.Filtered, p)
				}
				res.Scanned++
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range ports {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Open)
	slices.Sort(res.Filtered)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("port scan of %s stopped after %d of %d ports: %w", host, res.Scanned, len(ports), err)
	}
	if firstErr != nil {
		return res, fmt.Errorf("port scan of %s: %w", host, firstErr)
	}
	return res, nil
}

type portState int

const (
	closed portState = iota
	open
	filtered
)

// probe connects to one port. A refusal or an unreachable host is an answer (closed); a timeout is
// not (filtered); anything else (no descriptors left, no route) makes the scan's result untrustworthy
// and is returned as an error.
func probe(ctx context.Context, d *net.Dialer, host string, port int) (portState, error) {
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err == nil {
		c.Close()
		return open, nil
	}
	if ctx.Err() != nil {
		return closed, nil // the caller reports the cancellation
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return closed, nil
	case errors.As(err, &ne) && ne.Timeout():
		return filtered, nil
	case errors.Is(err, syscall.EHOSTUNREACH):
		return filtered, nil
	}
	return closed, fmt.Errorf("port %d: %w", port, err)
}
