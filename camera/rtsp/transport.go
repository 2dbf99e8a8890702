package rtsp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errUnsupportedTransport means the Transport header was well formed but offered nothing this camera
// streams (multicast, RECORD, another profile): the answer is 461, not 400.
var errUnsupportedTransport = errors.New("no supported transport offered")

// transport is the one Transport alternative the server accepted. Only what the server acts on is
// kept: a destination= or source= parameter is dropped on purpose, because RTP is only ever sent to
// the address the RTSP connection comes from (no reflection towards third parties).
type transport struct {
	TCP bool
	// Ports are the client's RTP and RTCP ports (UDP) or interleaved channels (TCP).
	Ports [2]int
	// HasPorts is false for TCP when the client left the channel choice to the server.
	HasPorts bool
}

// parseTransport picks the first acceptable alternative of a Transport header. A syntax error or
// an out-of-range port or channel anywhere is errMalformed (400); no acceptable alternative is
// errUnsupportedTransport (461).
func parseTransport(h string) (transport, error) {
	if strings.TrimSpace(h) == "" {
		return transport{}, malformed("empty Transport header")
	}
	var chosen *transport
	for _, alt := range strings.Split(h, ",") {
		t, ok, err := parseTransportSpec(strings.TrimSpace(alt))
		if err != nil {
			return transport{}, err
		}
		if ok && chosen == nil {
			chosen = &t
		}
	}
	if chosen == nil {
		return transport{}, errUnsupportedTransport
	}
	return *chosen, nil
}

func parseTransportSpec(spec string) (transport, bool, error) {
	params := strings.Split(spec, ";")
	var t transport
	acceptable := true
	switch strings.ToUpper(strings.TrimSpace(params[0])) {
	case "RTP/AVP", "RTP/AVP/UDP":
	case "RTP/AVP/TCP":
		t.TCP = true
	default:
		acceptable = false
	}
	seen := map[string]bool{}
	for _, p := range params[1:] {
		key, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if key == "" {
			continue
		}
		if seen[key] {
			return transport{}, false, malformed("transport parameter %q repeated", key)
		}
		seen[key] = true
		switch key {
		case "multicast":
			acceptable = false
		case "mode":
			if !strings.EqualFold(strings.Trim(val, `"`), "PLAY") {
				acceptable = false
			}
		case "client_port":
			ports, err := parseRange(val, hasVal, 1, 65535)
			if err != nil {
				return transport{}, false, malformed("client_port: %v", err)
			}
			if !t.TCP {
				t.Ports, t.HasPorts = ports, true
			}
		case "interleaved":
			ports, err := parseRange(val, hasVal, 0, 255)
			if err != nil {
				return transport{}, false, malformed("interleaved: %v", err)
			}
			if t.TCP {
				t.Ports, t.HasPorts = ports, true
			}
		}
	}
	if acceptable && !t.TCP && !t.HasPorts {
		return transport{}, false, malformed("UDP transport without client_port")
	}
	return t, acceptable, nil
}

// parseRange parses "a" or "a-b" with both ends in [lo, hi]; "a" alone means "a-(a+1)".
func parseRange(val string, hasVal bool, lo, hi int) ([2]int, error) {
	if !hasVal {
		return [2]int{}, errors.New("no value")
	}
	a, b, hasB := strings.Cut(val, "-")
	first, err := rangeNumber(a, lo, hi)
	if err != nil {
		return [2]int{}, err
	}
	second := first + 1
	if hasB {
		if second, err = rangeNumber(b, lo, hi); err != nil {
			return [2]int{}, err
		}
	}
	if second > hi || second == first {
		return [2]int{}, fmt.Errorf("%d-%d is not a pair within %d-%d", first, second, lo, hi)
	}
	return [2]int{first, second}, nil
}

func rangeNumber(s string, lo, hi int) (int, error) {
	if !isDigits(s) || len(s) > 5 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", n, lo, hi)
	}
	return n, nil
}

// String renders the transport as a client would request it (used in tests and the fuzz invariant).
func (t transport) String() string {
	if t.TCP {
		if !t.HasPorts {
			return "RTP/AVP/TCP;unicast"
		}
		return fmt.Sprintf("RTP/AVP/TCP;unicast;interleaved=%d-%d", t.Ports[0], t.Ports[1])
	}
	return fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", t.Ports[0], t.Ports[1])
}
