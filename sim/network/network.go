// Package network is the simulated world's network as the camera sees it: every outbound connection
// the camera attempts goes through an Observer, which records it (PBD-4: "a network observer sees zero
// connection attempts in factory state") and lets it through only to loopback, where the scenario's
// own servers listen. Nothing the simulated camera does can reach another host.
package network

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Clock stamps the attempts.
type Clock interface{ Now() time.Time }

// Attempt is one outbound connection the camera tried to open.
type Attempt struct {
	Time    time.Time `json:"time"`
	Network string    `json:"network"`
	Address string    `json:"address"`
	Allowed bool      `json:"allowed"`
}

// Observer is a camera.Dialer that records every attempt.
type Observer struct {
	clk    Clock
	dialer net.Dialer

	mu       sync.Mutex
	attempts []Attempt
}

// NewObserver returns an observer that has seen nothing yet.
func NewObserver(clk Clock) *Observer {
	return &Observer{clk: clk}
}

// DialContext records the attempt, then connects only if the address is a loopback IP.
func (o *Observer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	allowed := loopback(address)
	o.mu.Lock()
	o.attempts = append(o.attempts, Attempt{Time: o.clk.Now(), Network: network, Address: address, Allowed: allowed})
	o.mu.Unlock()
	if !allowed {
		return nil, fmt.Errorf("simulated network: no route to %s (only loopback is reachable)", address)
	}
	return o.dialer.DialContext(ctx, network, address)
}

func loopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Attempts returns every attempt seen so far.
func (o *Observer) Attempts() []Attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Attempt(nil), o.attempts...)
}
