// Package target is what the scenario suites drive: a camera under test, reached only from outside.
//
// The Target interface is deliberately small: where the camera answers (its HTTPS API and plain-HTTP
// port), a client that trusts exactly this camera's certificate, and the controls a test bench has
// (factory reset as the reset button does it, power cycle). Everything else a spec may need is a
// capability, asked for with a type assertion (see Clock, Observer, Storage): a spec that needs one
// the target lacks is reported not applicable, never passed.
package target

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"image"
	"net/http"
	"time"
)

// Info names the device under test for the report.
type Info struct {
	Kind     string `json:"kind"`
	Model    string `json:"model"`
	Firmware string `json:"firmware"`
	Serial   string `json:"serial"`
}

// Target is a camera under test.
type Target interface {
	// Info names the device.
	Info(ctx context.Context) (Info, error)
	// BaseURL is the HTTPS API's base, e.g. https://127.0.0.1:8443.
	BaseURL() string
	// HTTPURL is the plain-HTTP port's base, or "" when the camera opens none.
	HTTPURL() string
	// RTSPURL is the live stream, rtsp://HOST:PORT/live, or "" when the camera has none.
	RTSPURL() string
	// CertificateSHA256 is the hex SHA-256 of the certificate the camera should present now.
	CertificateSHA256() string
	// FactoryReset returns the camera to factory state without using its API (as holding the reset
	// button does), so it works whatever a spec did to the passwords.
	FactoryReset(ctx context.Context) error
	// PowerCycle cuts and restores the camera's power.
	PowerCycle(ctx context.Context) error
	// Close releases the target.
	Close() error
}

// Clock is the capability of a target whose time a spec can move: a simulated camera on a virtual
// clock. Time-dependent requirements (privacy mode for 24 h, lockout periods) need it.
type Clock interface {
	Now() time.Time
	Advance(d time.Duration) error
}

// Clocked is a target with a virtual clock.
type Clocked interface {
	Clock() Clock
}

// Attempt is one outbound connection the camera tried to open.
type Attempt struct {
	Time    time.Time `json:"time"`
	Network string    `json:"network"`
	Address string    `json:"address"`
}

// Observed is a target whose outbound connection attempts are all seen (PBD-4).
type Observed interface {
	OutboundAttempts() []Attempt
}

// Storage is the capability of reaching the camera's own storage directly, as an attacker with the
// card in hand could: for tamper-evidence checks (AUD-2).
type Storage interface {
	StateDir() string
}

// PinnedClient returns an HTTP client that trusts only the certificate whose SHA-256 pin() returns
// at handshake time, offers TLS 1.2 and later, and does not follow redirects (specs look at them).
func PinnedClient(pin func() string) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:     PinnedTLS(pin, tls.VersionTLS12, 0),
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		Proxy:               nil,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// PinnedTLS is a client TLS configuration that accepts exactly the pinned certificate, between the
// given versions (0 = library default).
func PinnedTLS(pin func() string, minVersion, maxVersion uint16) *tls.Config {
	return &tls.Config{
		MinVersion:         minVersion,
		MaxVersion:         maxVersion,
		InsecureSkipVerify: true, // replaced by the pin check below: the camera's certificate is self-signed
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("the camera presented no certificate")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			got := hex.EncodeToString(sum[:])
			if want := pin(); got != want {
				return fmt.Errorf("the camera presented certificate %s, expected %s", got, want)
			}
			return nil
		},
	}
}

// Truth is what the camera's sensor sees at a moment, before any processing: the ground truth a
// simulated world knows and a real board does not.
type Truth struct {
	Image *image.YCbCr
	// People are the people in view, boxes in frame fractions [x, y, w, h].
	People []Person
}

// Person is one simulated person in view.
type Person struct {
	ID  int        `json:"id"`
	Box [4]float64 `json:"box"`
}

// Grounded is a target that knows the ground truth: what its sensor sees now (MASK-1..4).
type Grounded interface {
	Truth() (Truth, error)
}
