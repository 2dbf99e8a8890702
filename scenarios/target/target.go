// Package target is what the scenario suites drive: a camera under test, reached only from outside.
//
// The Target interface is deliberately small: where the camera answers (its HTTPS API and plain-HTTP
// port), a client that trusts exactly this camera's certificate, and the controls a test bench has
// (factory reset as the reset button does it, power cycle). Everything else a spec may need is a
// capability, asked for with a type assertion (see Clock, Observer, Storage, Lines): a spec that needs
// one the target lacks is reported not applicable, never passed.
//
// Targets: Sim (the reference camera on the simulated world), HILSim (the same camera on the
// virtual board, opened as a bench opens a real one; it adds Lines and TestPattern) and HIL (a camera
// on a bench board, reached over the network; its only capability is Lines, through the bench's probes).
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

	"periph.io/x/conn/v3/gpio"
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
	// Pending lists the instants the camera's timers wait for, so a spec moves time only once the
	// camera is ready for the next step (a frame to capture), instead of racing it.
	Pending() []time.Time
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

// Scannable is a target whose network address a spec may port-scan (NET-2). Host is the address
// the camera answers on, and nothing else does. Shared, when not "", is another address of the same
// host where the camera does not listen: a port open there belongs to a program listening on every
// address of the host (a wildcard listener), not to the camera, and a scan of Host sees it too. A
// board on a bench is a host of its own and has no Shared address.
type Scannable interface {
	ScanHost() (host, shared string)
}

// Reidentifier is a target that learns the camera's certificate only at moments it causes (a bench
// after pressing the reset button): when a spec has the camera reset itself through its API, the
// target must be told, so that it learns the new identity the same way instead of pinning the old.
type Reidentifier interface {
	Reidentify(ctx context.Context) error
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

// Scenery is a bench that can change what the camera looks at (a lab set, a monitor in front of the
// lens): a spec that needs a particular scene, such as a still one, asks for it by name.
type Scenery interface {
	ShowScene(ctx context.Context, name string) error
}

// Grounded is a target that knows the ground truth: what its sensor sees now (MASK-1..4), and what
// it saw at a past moment, so that the frames of a recording can be checked against the picture the
// sensor had when each was captured (MASK-2 and MASK-5 on recordings).
type Grounded interface {
	Truth() (Truth, error)
	// TruthAt is the ground truth at virtual time t, which must not be in the future nor before the
	// sensor last started (a power cycle starts it again).
	TruthAt(t time.Time) (Truth, error)
}

// Card is the capability of reaching the camera's storage medium as someone holding the card, and of
// causing the faults a test bench can cause to it. The raw files are what an attacker with the card
// in hand reads (ENC-1: records before a keyword are plain, after it ciphertext; DEL-1: a shredded
// record does not open); the faults are the stimuli of DEL-4 (a full card must not make the camera
// delete early) and of torn-record handling (a power cut in the middle of a write).
type Card interface {
	// CardDir is the directory whose files are the card's records, raw, as the camera wrote them.
	CardDir() string
	// EjectCard pulls the card out; the files stay on it.
	EjectCard()
	// InsertCard puts it back.
	InsertCard()
	// SetCardCapacity makes the card hold at most n bytes; below its use it is full (nothing is
	// deleted). The card keeps its capacity across power cycles, as a real one does.
	SetCardCapacity(n int64)
	// CardUsed is the bytes the card holds.
	CardUsed() int64
	// TearNextCardWrite cuts the next write short after at bytes, as a power cut would: the torn file
	// stays under its final name and the write fails.
	TearNextCardWrite(at int)
	// HealCard disarms pending write faults (not the capacity, nor an ejection).
	HealCard()
}

// CardPower is the capability of a bench that switches the camera's memory card's supply (the
// profile's card_power line): with the supply off the card is gone, as a pulled or dead card is, which
// is the one storage fault a bench can make on a camera it reaches only from outside (MON-2's LED
// pattern on a storage failure). Targets with Card eject the card instead.
type CardPower interface {
	PowerCard(ctx context.Context, on bool) error
}

// MotionInput is the capability of driving the camera's motion input line (a GPIO line a detector or
// door contact drives), the stimulus of PBD-2: an event from outside the camera's API.
type MotionInput interface {
	// PulseMotion sends a rising then a falling edge on the line. It never blocks for long: it fails
	// if the camera does not take the edges.
	PulseMotion() error
}

// Edge is one level change of a line, at the target clock's time.
type Edge struct {
	Time  time.Time  `json:"time"`
	Level gpio.Level `json:"level"`
}

// Lines is the capability of a board target: reading the camera's lines from the probe side, as a
// bench's probe wires do. It is what turns a setting into hardware evidence: the microphone is off
// only if its enable line is low (PBD-1), debugging only if the debug-enable line is (NET-2). The
// plain sim target has no lines, so the specs that need them are not applicable there.
type Lines interface {
	// Line reads the line of a role (hil/board's "mic_enable", "debug_enable", "led"): its level now
	// and its changes since the camera last powered on, oldest first. An unknown role is an error.
	Line(role string) (level gpio.Level, edges []Edge, err error)
}

// TestPattern is the capability of a board target to replace the sensor's picture with its test
// pattern, the sensor's own known image: the ground truth a bench has without a simulated scene
// (MASK-2 with the test pattern).
type TestPattern interface {
	// ShowTestPattern switches the colour bars on (returning the picture they are, at the sensor's
	// output size) or off (returning nil). A power cycle or reset switches them off.
	ShowTestPattern(on bool) (*image.YCbCr, error)
}
