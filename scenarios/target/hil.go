package target

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/pin"

	hilboard "vsslab/hil/board"
)

// KindHIL is the Info.Kind of a bench target.
const KindHIL = "hil"

// The bench's control lines, by their names in a profile's probes: (see hil/board).
const (
	ProbeResetButton = hilboard.ProbeResetButton
	ProbePower       = hilboard.ProbePower
)

// LineProbes is the naming convention of the probe lines that mirror the camera's lines: the probe
// `probe_mic` watches mic_enable (on rpi-ov5640 it sits on the microphone's supply), `probe_debug`
// watches debug_enable and `probe_led` the LED. The motion input is the camera's input, not a line the
// camera drives, so no probe mirrors it.
func LineProbes() map[string]string {
	return map[string]string{
		hilboard.LineMicEnable:   "probe_mic",
		hilboard.LineDebugEnable: "probe_debug",
		hilboard.LineLED:         "probe_led",
	}
}

// HostClock is the bench's time: the harness host's wall clock in a real run. It stamps the edges the
// probes see and paces the button presses and the waits; a test may give its own.
type HostClock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// wallClock is the host's wall clock, the default HostClock: a bench is real hardware in real time,
// so this is the one place the target package reads the wall clock for a camera's sake.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// HILOptions describe a camera on a bench board, reached over the network.
type HILOptions struct {
	// Profile is the bench's board profile; its probes: name the harness host's GPIO lines.
	Profile hilboard.Profile
	// BaseURL is the camera's HTTPS API, e.g. https://10.0.0.5:8443 (the "https" of the ready line
	// `vsslab camera serve` prints). Required.
	BaseURL string
	// Pin is the hex SHA-256 of the camera's certificate (the ready line's "cert_sha256"). Required:
	// the harness trusts exactly this camera, never a CA.
	Pin string
	// HTTPURL and RTSPURL are the camera's plain-HTTP port and live stream; "" when unknown.
	HTTPURL, RTSPURL string
	// Model is the camera model the run expects; "" takes the camera's own (GET /api/v1/device).
	Model string
	// Probes maps a camera line role (mic_enable, debug_enable, led) to the GPIO name, as the harness
	// host's gpioreg knows it, of the wire that mirrors it. nil follows LineProbes through the
	// profile's probes:. On the virtual board the probe and the camera's line are the same wire, so
	// a test maps each role to the profile's own lines: entry.
	Probes map[string]string
	// Init loads the host's GPIO drivers before the probes are looked up: hilboard.HostInit on a
	// bench; nil looks in periph's registries as they are (the virtual board registered itself).
	Init func() error
	// Clock is the host's clock; the wall clock when nil.
	Clock HostClock
	// Poll is how often a probe line is sampled; 1 ms when zero. A pulse shorter than this can be
	// missed, which the camera's lines (enables and an LED) do not make.
	Poll time.Duration
	// ResetHold is how long the reset button is held; 10 s when zero, longer than reset buttons ask
	// for. PowerOff is how long the power stays off; 2 s when zero, so the supply's capacitors drain.
	ResetHold, PowerOff time.Duration
	// Ready bounds the wait for the API after a reset or a power cycle; 3 minutes when zero.
	Ready time.Duration
}

var pinRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// NormalizePin turns a certificate pin as people write it (upper case, with ':' between bytes) into
// the lower-case hex the target compares, or says what is wrong with it.
func NormalizePin(s string) (string, error) {
	p := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if !pinRE.MatchString(p) {
		return "", fmt.Errorf("certificate pin %q is not a SHA-256 in hex (64 hex digits, as cert_sha256 on the camera's ready line)", s)
	}
	return p, nil
}

// HIL is a camera on a bench board, started there with `vsslab camera serve --board FILE`: the target
// of `vsslab run --target hil:FILE`. The harness reaches it only from outside, as a certifier does:
// its HTTPS API by URL and certificate pin, and its lines through the bench's own probe wires on the
// harness host's GPIO (Lines). It has no virtual clock, ground truth, card or storage access, so the
// specs that need them are not applicable on a bench.
type HIL struct {
	o      HILOptions
	base   string
	client *http.Client

	mu  sync.Mutex
	pin string // the certificate pin now; a factory reset changes it

	lines  map[string]*probeLine // by camera line role
	stop   chan struct{}
	polled sync.WaitGroup
}

// probeLine is one probe wire, sampled by its own goroutine.
type probeLine struct {
	gpio string
	p    gpio.PinIO

	mu    sync.Mutex
	level gpio.Level
	edges []Edge
}

// NewHIL checks the options, finds the probe lines, and checks that the camera answers at BaseURL
// with the pinned certificate, so that a run with a wrong address or pin stops before any spec.
func NewHIL(ctx context.Context, o HILOptions) (*HIL, error) {
	if err := o.Profile.Validate(); err != nil {
		return nil, fmt.Errorf("hil target: board profile: %w", err)
	}
	base, err := checkURL(o.BaseURL, "https", "--camera")
	if err != nil {
		return nil, err
	}
	pinHex, err := NormalizePin(o.Pin)
	if err != nil {
		return nil, fmt.Errorf("hil target: %w", err)
	}
	if o.HTTPURL != "" {
		if o.HTTPURL, err = checkURL(o.HTTPURL, "http", "the HTTP URL"); err != nil {
			return nil, err
		}
	}
	if o.RTSPURL != "" {
		if _, err := checkURL(o.RTSPURL, "rtsp", "--rtsp"); err != nil {
			return nil, err
		}
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	o.Poll = orDefault(o.Poll, time.Millisecond)
	o.ResetHold = orDefault(o.ResetHold, 10*time.Second)
	o.PowerOff = orDefault(o.PowerOff, 2*time.Second)
	o.Ready = orDefault(o.Ready, 3*time.Minute)
	if o.Probes == nil {
		o.Probes = map[string]string{}
		for role, probe := range LineProbes() {
			if g, ok := o.Profile.Probes[probe]; ok {
				o.Probes[role] = g
			}
		}
	}
	if o.Init != nil {
		if err := o.Init(); err != nil {
			return nil, fmt.Errorf("hil target: %w", err)
		}
	}
	h := &HIL{o: o, base: base, pin: pinHex, lines: map[string]*probeLine{}, stop: make(chan struct{})}
	h.client = PinnedClient(h.CertificateSHA256)
	for role, name := range o.Probes {
		if _, known := LineProbes()[role]; !known {
			return nil, fmt.Errorf("hil target: probe for %q: not a line the camera drives (%s)", role, strings.Join(sortedRoles(), ", "))
		}
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("hil target: no GPIO named %q for the probe of %s on this host: check the profile's probes: and run with access to the GPIO (see docs/bench.md)", name, role)
		}
		if err := asInput(p); err != nil {
			return nil, fmt.Errorf("hil target: probe of %s on %s: %w", role, name, err)
		}
		h.lines[role] = &probeLine{gpio: name, p: p, level: p.Read()}
	}
	if _, err := h.device(ctx, h.client); err != nil {
		return nil, fmt.Errorf("hil target: the camera at %s does not answer with the pinned certificate: %w", base, err)
	}
	for _, l := range h.lines {
		h.polled.Add(1)
		go h.poll(l)
	}
	return h, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func sortedRoles() []string {
	return []string{hilboard.LineLED, hilboard.LineMicEnable, hilboard.LineDebugEnable}
}

// checkURL accepts an absolute URL of the scheme with a host, and returns it without a trailing '/'.
func checkURL(s, scheme, what string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != scheme || u.Host == "" {
		return "", fmt.Errorf("hil target: %s %q: give the camera's %s://HOST:PORT address (printed on the ready line of `vsslab camera serve`)", what, s, scheme)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// asInput makes a probe wire an input without pull or edge detection, unless it is already an output:
// then it is the camera's own line (the virtual board, where the probe and the line are one wire), and
// switching it to an input would cut the camera off its line, so it is only read.
func asInput(p gpio.PinIO) error {
	if f, ok := p.(pin.PinFunc); ok {
		if fn := f.Func(); fn == gpio.OUT || fn == gpio.OUT_HIGH || fn == gpio.OUT_LOW {
			return nil
		}
	}
	return p.In(gpio.Float, gpio.NoEdge)
}

// poll samples one probe until Close, recording each change at the host clock's time. Sampling, not
// WaitForEdge: every periph GPIO driver can Read, edge detection is not on every probe adapter (an
// FT232H has none), and Linux keeps one pending edge, so a waiter learns "it changed", not the level
// and time of each change, which is what the evidence needs.
func (h *HIL) poll(l *probeLine) {
	defer h.polled.Done()
	for {
		select {
		case <-h.stop:
			return
		case <-h.o.Clock.After(h.o.Poll):
		}
		now := l.p.Read()
		l.mu.Lock()
		if now != l.level {
			l.level = now
			l.edges = append(l.edges, Edge{Time: h.o.Clock.Now(), Level: now})
		}
		l.mu.Unlock()
	}
}

// forgetEdges starts the lines' records again, at a power-on.
func (h *HIL) forgetEdges() {
	for _, l := range h.lines {
		l.mu.Lock()
		l.edges = nil
		l.mu.Unlock()
	}
}

// Line reads the probe of one of the camera's lines: its level as last sampled and its changes since
// the target opened or the camera last powered on (a reset or power cycle by this target).
func (h *HIL) Line(role string) (gpio.Level, []Edge, error) {
	l, ok := h.lines[role]
	if !ok {
		probe, known := LineProbes()[role]
		if !known {
			return gpio.Low, nil, fmt.Errorf("hil target: no line %q: the probed lines are %s", role, strings.Join(sortedRoles(), ", "))
		}
		return gpio.Low, nil, fmt.Errorf("hil target: board %s has no probe for %s: wire one and name it %s in the profile's probes:", h.o.Profile.Name, role, probe)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.level, append([]Edge(nil), l.edges...), nil
}

// device is GET /api/v1/device through client.
func (h *HIL) device(ctx context.Context, client *http.Client) (deviceInfo, error) {
	return fetchDevice(ctx, client, h.base)
}

// fetchDevice is GET base/api/v1/device through client: who a camera reached over the network is.
func fetchDevice(ctx context.Context, client *http.Client, base string) (deviceInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/device", nil)
	if err != nil {
		return deviceInfo{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return deviceInfo{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return deviceInfo{}, fmt.Errorf("GET /api/v1/device: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return deviceInfo{}, fmt.Errorf("GET /api/v1/device: %s: %.200s", resp.Status, body)
	}
	var d deviceInfo
	if err := json.Unmarshal(body, &d); err != nil {
		return deviceInfo{}, fmt.Errorf("GET /api/v1/device: not the device JSON: %w", err)
	}
	return d, nil
}

// deviceInfo is the part of GET /api/v1/device the target reads.
type deviceInfo struct {
	Model        string `json:"model"`
	Firmware     string `json:"firmware"`
	Serial       string `json:"serial"`
	FactoryState bool   `json:"factory_state"`
}

// Info asks the camera who it is. A model given in the options must be the camera's.
func (h *HIL) Info(ctx context.Context) (Info, error) {
	d, err := h.device(ctx, h.client)
	if err != nil {
		return Info{}, fmt.Errorf("hil target: %w", err)
	}
	if h.o.Model != "" && d.Model != h.o.Model {
		return Info{}, fmt.Errorf("hil target: the camera is a %q, not the %q the run asked for", d.Model, h.o.Model)
	}
	return Info{Kind: KindHIL, Model: d.Model, Firmware: d.Firmware, Serial: d.Serial}, nil
}

// BaseURL is the camera's HTTPS API.
func (h *HIL) BaseURL() string { return h.base }

// HTTPURL is the camera's plain-HTTP port, "" when not given.
func (h *HIL) HTTPURL() string { return h.o.HTTPURL }

// RTSPURL is the camera's live stream, "" when not given.
func (h *HIL) RTSPURL() string { return h.o.RTSPURL }

// CertificateSHA256 is the pin the camera's certificate must match: the one given, until a factory
// reset by this target replaces it (see FactoryReset).
func (h *HIL) CertificateSHA256() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pin
}

// control returns a control line of the bench, or an error saying how to wire it.
func (h *HIL) control(name, what string) (gpio.PinIO, error) {
	g, ok := h.o.Profile.Probes[name]
	if !ok {
		return nil, fmt.Errorf("hil target: board %s has no %s line: wire one from the harness host to the board's %s and name it %s in the profile's probes: (see docs/bench.md)", h.o.Profile.Name, name, what, name)
	}
	p := gpioreg.ByName(g)
	if p == nil {
		return nil, fmt.Errorf("hil target: no GPIO named %q for the %s line on this host", g, name)
	}
	return p, nil
}

// hold drives a control line to level for d, then back to after.
func (h *HIL) hold(ctx context.Context, p gpio.PinIO, level gpio.Level, d time.Duration, after gpio.Level) error {
	if err := p.Out(level); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return errors.Join(ctx.Err(), p.Out(after))
	case <-h.o.Clock.After(d):
	}
	return p.Out(after)
}

// FactoryReset holds the bench's reset button (the probe line reset_button high for ResetHold), then
// waits until the camera answers again in factory state.
//
// A reset makes the camera a new certificate, and the only one who can vouch for it is the camera
// itself, so the target learns the new pin by trust on first use: the first certificate, other than
// the old one, under which the camera at the same address says factory_state true becomes the pin.
// That is sound on a bench because the target has just pressed this camera's button on a lab network
// it controls; it is not what a client in the field should do. A camera that keeps its certificate
// across a reset never shows a new one, and the wait ends in an error saying so.
func (h *HIL) FactoryReset(ctx context.Context) error {
	button, err := h.control(ProbeResetButton, "reset button")
	if err != nil {
		return err
	}
	old := h.CertificateSHA256()
	if err := h.hold(ctx, button, gpio.High, h.o.ResetHold, gpio.Low); err != nil {
		return fmt.Errorf("hil target: press the reset button: %w", err)
	}
	h.forgetEdges()
	pinHex, err := h.learnPin(ctx, old)
	if err != nil {
		return fmt.Errorf("hil target: after the reset button: %w", err)
	}
	h.mu.Lock()
	h.pin = pinHex
	h.mu.Unlock()
	h.client.CloseIdleConnections()
	return nil
}

// Reidentify learns the certificate a camera made when it reset itself through its API, by the same
// trust on first use as after the button (see FactoryReset): the spec has just had this camera on
// the bench's own network reset, so the first new certificate in factory state is its own.
func (h *HIL) Reidentify(ctx context.Context) error {
	pinHex, err := h.learnPin(ctx, h.CertificateSHA256())
	if err != nil {
		return fmt.Errorf("hil target: after a reset through the API: %w", err)
	}
	h.mu.Lock()
	h.pin = pinHex
	h.mu.Unlock()
	h.forgetEdges()
	h.client.CloseIdleConnections()
	return nil
}

// learnPin polls the camera, trusting any certificate but old, until it answers in factory state,
// and returns that certificate's pin.
func (h *HIL) learnPin(ctx context.Context, old string) (string, error) {
	var seen string
	var mu sync.Mutex
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // trust on first use, checked below: not the old certificate
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the camera presented no certificate")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			got := hex.EncodeToString(sum[:])
			if got == old {
				return errors.New("the camera still presents its certificate from before the reset")
			}
			mu.Lock()
			seen = got
			mu.Unlock()
			return nil
		},
	}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	err := h.waitFor(ctx, "a new certificate in factory state (a camera that keeps its certificate across a reset is not supported)", func() error {
		d, err := h.device(ctx, client)
		if err != nil {
			return err
		}
		if !d.FactoryState {
			return errors.New("factory_state is false")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	mu.Lock()
	defer mu.Unlock()
	return seen, nil
}

// waitFor polls try every half second until it succeeds, the context ends, or Ready passes; the error
// names what was awaited and the last answer.
func (h *HIL) waitFor(ctx context.Context, what string, try func() error) error {
	deadline := h.o.Clock.After(h.o.Ready)
	for {
		last := try()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-deadline:
			return fmt.Errorf("waited %s for %s from the camera at %s (last: %v)", h.o.Ready, what, h.base, last)
		case <-h.o.Clock.After(500 * time.Millisecond):
		}
	}
}

// PowerCycle switches the board's supply off (the probe line power low for PowerOff) and on again, then
// waits until the API answers with the pinned certificate: a power cut keeps the camera's identity.
func (h *HIL) PowerCycle(ctx context.Context) error {
	power, err := h.control(ProbePower, "supply switch")
	if err != nil {
		return err
	}
	if err := h.hold(ctx, power, gpio.Low, h.o.PowerOff, gpio.High); err != nil {
		return fmt.Errorf("hil target: switch the power: %w", err)
	}
	h.forgetEdges()
	h.client.CloseIdleConnections()
	if err := h.waitFor(ctx, "API after power-on", func() error { _, err := h.device(ctx, h.client); return err }); err != nil {
		return fmt.Errorf("hil target: %w", err)
	}
	return nil
}

// PowerCard switches the camera's memory card's supply through the profile's card_power line (high =
// powered). Switching it off is the card vanishing under the camera, which its storage test must find.
func (h *HIL) PowerCard(ctx context.Context, on bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	supply, err := h.control(hilboard.ProbeCardPower, "memory card's supply switch")
	if err != nil {
		return err
	}
	if err := supply.Out(gpio.Level(on)); err != nil {
		state := "off"
		if on {
			state = "on"
		}
		return fmt.Errorf("hil target: switch the card's supply %s: %w", state, err)
	}
	return nil
}

// Close stops sampling the probes. It leaves every line as it is: the camera keeps running.
func (h *HIL) Close() error {
	select {
	case <-h.stop:
		return errors.New("hil target: already closed")
	default:
	}
	close(h.stop)
	h.polled.Wait()
	h.client.CloseIdleConnections()
	return nil
}

// ScanHost is the board's address, from the camera's URL: a board is a host of its own, so whatever
// answers there is the camera's.
func (h *HIL) ScanHost() (host, shared string) {
	u, err := url.Parse(h.base)
	if err != nil {
		return "", ""
	}
	return u.Hostname(), ""
}

var (
	_ Lines        = (*HIL)(nil)
	_ Scannable    = (*HIL)(nil)
	_ Reidentifier = (*HIL)(nil)
	_ CardPower    = (*HIL)(nil)
)
