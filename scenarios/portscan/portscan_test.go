package portscan

import (
	"context"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// freePort returns a port nothing listens on: one a listener had and gave back.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func TestTCPFindsExactlyTheListeningPorts(t *testing.T) {
	_, a := listen(t)
	_, b := listen(t)
	gone := freePort(t)
	res, err := TCP(context.Background(), "127.0.0.1", Options{Ports: []int{gone, b, a}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []int{min(a, b), max(a, b)}
	if !slices.Equal(res.Open, want) {
		t.Fatalf("open %v, want %v", res.Open, want)
	}
	if res.Scanned != 3 || len(res.Filtered) != 0 || res.Host != "127.0.0.1" {
		t.Fatalf("result %+v", res)
	}
}

// TestTCPFullRangeOnOwnAddress scans every port of a loopback address of its own: only the
// listener bound to it shows, not those of other addresses.
func TestTCPFullRangeOnOwnAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.45.67.89:0")
	if err != nil {
		t.Skipf("this host cannot bind 127.45.67.89: %v", err)
	}
	defer ln.Close()
	_, other := listen(t) // on 127.0.0.1: must not show
	port := ln.Addr().(*net.TCPAddr).Port
	res, err := TCP(context.Background(), "127.45.67.89", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 65535 {
		t.Fatalf("scanned %d ports", res.Scanned)
	}
	if !slices.Contains(res.Open, port) || slices.Contains(res.Open, other) {
		t.Fatalf("open %v: want %d there and %d (another address's) not", res.Open, port, other)
	}
}

func TestTCPValidates(t *testing.T) {
	for _, tc := range []struct {
		host string
		opts Options
		want string
	}{
		{"", Options{}, "no host"},
		{"127.0.0.1", Options{Ports: []int{0}}, "out of 1..65535"},
		{"127.0.0.1", Options{Ports: []int{65536}}, "out of 1..65535"},
		{"127.0.0.1", Options{Workers: -1}, "workers"},
		{"127.0.0.1", Options{Workers: maxWorkers + 1}, "workers"},
		{"127.0.0.1", Options{Timeout: -time.Second}, "timeout"},
	} {
		if _, err := TCP(context.Background(), tc.host, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("TCP(%q, %+v) = %v, want an error about %q", tc.host, tc.opts, err, tc.want)
		}
	}
}

// A connect that misses its deadline (a loaded host) is asked again with more patience; only a port
// that stays silent is reported filtered.
func TestScanAsksSilentPortsAgain(t *testing.T) {
	_, slow := listen(t)
	_, silent := listen(t)
	shut := freePort(t)
	opts := Options{Ports: []int{slow, silent, shut}, Workers: 8, Timeout: 100 * time.Millisecond}
	var timeouts []time.Duration
	dialer := func(timeout time.Duration) dialFunc {
		timeouts = append(timeouts, timeout)
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			if port == strconv.Itoa(silent) || (port == strconv.Itoa(slow) && timeout == opts.Timeout) {
				return nil, os.ErrDeadlineExceeded
			}
			return (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, addr)
		}
	}
	res, err := scan(context.Background(), "127.0.0.1", opts.Ports, opts, dialer)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Open, []int{slow}) || !slices.Equal(res.Filtered, []int{silent}) || res.Scanned != 3 {
		t.Fatalf("open %v, filtered %v, scanned %d; want open [%d], filtered [%d], 3 scanned", res.Open, res.Filtered, res.Scanned, slow, silent)
	}
	if !slices.Equal(timeouts, []time.Duration{opts.Timeout, retryFactor * opts.Timeout}) {
		t.Fatalf("timeouts %v: the second pass is more patient", timeouts)
	}
}

func TestTCPStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := TCP(ctx, "127.0.0.1", Options{})
	if err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("cancelled scan: %v", err)
	}
	if res.Scanned == 65535 {
		t.Fatal("a cancelled scan went through every port")
	}
}

func BenchmarkTCPLoopback1024(b *testing.B) {
	ports := make([]int, 1024)
	for i := range ports {
		ports[i] = 40000 + i
	}
	for b.Loop() {
		if _, err := TCP(context.Background(), "127.0.0.1", Options{Ports: ports}); err != nil {
			b.Fatal(err)
		}
	}
}
