// Package notify tells people that the camera's storage failed (requirement MON-2), through any of
// six channels: e-mail, FTP image transfer, a network message (HTTPS POST or MQTT), a telephone call,
// LED flashing and an audio message.
//
// A storage fault is only useful to report if the report arrives, so a Dispatcher queues messages
// without ever blocking the recorder that raised them, retries each channel with backoff, and
// rate-limits per channel and kind so that a flapping card does not flood anyone's inbox. Every
// time-dependent step runs on an injected Clock, so the scenario suites check the retry and
// rate-limit timing on virtual time.
package notify

import (
	"context"
	"net"
	"time"
)

// Kinds of message the camera sends. A channel subscribes to the three storage kinds by name and to
// every other kind (motion, ...) with KindEvents.
const (
	KindStorageFailure   = "storage_failure"
	KindStorageRecovered = "storage_recovered"
	KindStorageFull      = "storage_full"
	KindMotion           = "motion"
	// KindEvents is not a message kind but a subscription: every kind that is not a storage kind.
	KindEvents = "events"
)

// Message is one notification.
type Message struct {
	Camera string    // the camera's name/serial: every message names it
	Kind   string    // "storage_failure", "storage_recovered", "storage_full", "motion", ...
	Time   time.Time // when the fault/event happened (camera clock)
	Detail string    // e.g. "card removed", "NAS unreachable: ..."
	Image  []byte    // the current image as JPEG, when the channel asks for it; may be nil
}

// Channel delivers messages one way.
type Channel interface {
	Kind() string // "email", "ftp", "http", "mqtt", "sip", "led", "audio"
	Send(ctx context.Context, m Message) error
}

// Clock is the time the package runs on: LED patterns, RTP pacing, backoff and rate limits wait on
// After rather than on the wall clock, so tests and scenarios drive them with a virtual clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
	// Until receives once the clock shows t or later (see camera/clock).
	Until(t time.Time) <-chan time.Time
}

// KindDigit is the one-digit code a kind is signalled with where there is no text: the number of LED
// flashes, and the DTMF digit in the telephone and speaker tones. Storage faults get the small, easy
// to count numbers.
func KindDigit(kind string) int {
	switch kind {
	case KindStorageRecovered:
		return 1
	case KindStorageFull:
		return 2
	case KindStorageFailure:
		return 3
	case KindMotion:
		return 4
	default:
		return 5
	}
}

// Subscribed reports whether a subscription list (a channel's "on") covers kind.
func Subscribed(on []string, kind string) bool {
	for _, o := range on {
		if o == kind {
			return true
		}
		if o == KindEvents && !isStorageKind(kind) {
			return true
		}
	}
	return false
}

func isStorageKind(kind string) bool {
	switch kind {
	case KindStorageFailure, KindStorageRecovered, KindStorageFull:
		return true
	}
	return false
}

// DialFunc opens a network connection. The camera hands its channels its own dialer, so that every
// connection a notification opens passes the same gate as the camera's others: a simulated world
// observes (and may refuse) each attempt (PBD-4).
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// orDefault is d, or a plain net.Dialer's when d is nil.
func (d DialFunc) orDefault() DialFunc {
	if d != nil {
		return d
	}
	var nd net.Dialer
	return nd.DialContext
}

// wait waits d on clk, or returns ctx's error if ctx ends first.
func wait(ctx context.Context, clk Clock, d time.Duration) error {
	select {
	case <-clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
