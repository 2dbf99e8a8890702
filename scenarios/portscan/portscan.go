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
	// Timeout bounds one connect; a port that neither accepts nor refuses within it, nor when asked
	// again within four times it, is counted as filtered. 0 means 500 ms.
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

	return scan(ctx, host, ports, opts, func(timeout time.Duration) dialFunc {
		return (&net.Dialer{Timeout: timeout}).DialContext
	})
}

// scan is TCP once the options are checked; dialer gives the connect function for a timeout.
func scan(ctx context.Context, host string, ports []int, opts Options, dialer func(time.Duration) dialFunc) (Result, error) {
	start := time.Now()
	res := Result{Host: host}
	var err error
	res.Open, res.Filtered, res.Scanned, err = pass(ctx, dialer(opts.Timeout), host, ports, opts.Workers)
	// A port that gave no answer is asked again, a few at a time and with more patience, as a
	// scanner retransmits: on a loaded host a connect can miss its deadline, and a filtered port is
	// one the scan cannot vouch for.
	if err == nil && len(res.Filtered) > 0 {
		var open []int
		open, res.Filtered, _, err = pass(ctx, dialer(retryFactor*opts.Timeout), host, res.Filtered, min(opts.Workers, retryWorkers))
		res.Open = append(res.Open, open...)
	}
	res.Elapsed = time.Since(start)
	slices.Sort(res.Open)
	slices.Sort(res.Filtered)
	if cerr := ctx.Err(); cerr != nil {
		return res, fmt.Errorf("port scan of %s stopped after %d of %d ports: %w", host, res.Scanned, len(ports), cerr)
	}
	if err != nil {
		return res, fmt.Errorf("port scan of %s: %w", host, err)
	}
	return res, nil
}

// How filtered ports are asked again: with this many times the timeout, this many at once.
const (
	retryFactor  = 4
	retryWorkers = 16
)

// dialFunc connects to one address; a net.Dialer's DialContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// pass probes every port once, workers at a time, and returns the open and filtered ones (in no
// particular order), how many were tried, and the first error that makes the result untrustworthy.
func pass(ctx context.Context, dial dialFunc, host string, ports []int, workers int) (open, filtered []int, scanned int, firstErr error) {
	jobs := make(chan int)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range min(workers, len(ports)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				state, err := probe(ctx, dial, host, p)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case state == portOpen:
					open = append(open, p)
				case state == portFiltered:
					filtered = append(filtered, p)
				}
				scanned++
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
	return open, filtered, scanned, firstErr
}

type portState int

const (
	portClosed portState = iota
	portOpen
	portFiltered
)

// probe connects to one port. A refusal or an unreachable host is an answer (closed); a timeout is
// not (filtered); anything else (no descriptors left, no route) makes the scan's result untrustworthy
// and is returned as an error.
func probe(ctx context.Context, dial dialFunc, host string, port int) (portState, error) {
	c, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err == nil {
		c.Close()
		return portOpen, nil
	}
	if ctx.Err() != nil {
		return portClosed, nil // the caller reports the cancellation
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return portClosed, nil
	case errors.As(err, &ne) && ne.Timeout():
		return portFiltered, nil
	case errors.Is(err, syscall.EHOSTUNREACH):
		return portFiltered, nil
	}
	return portClosed, fmt.Errorf("port %d: %w", port, err)
}
