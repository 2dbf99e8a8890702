package target

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"vsslab/camera"
	cameraclock "vsslab/camera/clock"
	"vsslab/camera/users"
	hilboard "vsslab/hil/board"
	"vsslab/sim/card"
	simclock "vsslab/sim/clock"
	"vsslab/sim/world"
)

// benchWorld starts the reference camera on the virtual board, in-process, as `vsslab camera serve
// --board sim:…` would on a bench, under GPIO names of its own so that no other test's board collides.
func benchWorld(t *testing.T) (*world.World, hilboard.Profile) {
	t.Helper()
	return benchWorldWith(t, func(*world.Options) {})
}

// benchWorldWith is benchWorld with options of the test's own (a wall clock, a short button hold).
func benchWorldWith(t *testing.T, edit func(*world.Options)) (*world.World, hilboard.Profile) {
	t.Helper()
	p := simBoard(t)
	p.Name, p.I2C = "hil-test", "HILT_I2C"
	rename := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = "HILT_" + v
		}
		return out
	}
	p.Lines, p.Probes = rename(p.Lines), rename(p.Probes)
	o := world.Options{
		StateDir: t.TempDir(), Model: "iot", Seed: 1, Clock: simclock.New(simclock.Epoch()),
		HTTPS: "127.0.0.1:0", Board: &p,
	}
	edit(&o)
	w, err := world.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w, p
}

// sameWire maps the camera's lines to their own GPIO names: on the virtual board the probe and the
// line are one wire (a real bench probes with wires of its own, named by the profile's probes:).
func sameWire(p hilboard.Profile) map[string]string {
	out := map[string]string{}
	for role := range LineProbes() {
		out[role] = p.Lines[role]
	}
	return out
}

func openBench(t *testing.T, o HILOptions) *HIL {
	t.Helper()
	h, err := NewHIL(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func TestHILReadsTheCameraOnTheVirtualBoard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	w, p := benchWorld(t)
	h := openBench(t, HILOptions{Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: strings.ToUpper(w.Camera.CertificateSHA256()), Probes: sameWire(p)})

	info, err := h.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info).To(Equal(Info{Kind: KindHIL, Model: "iot", Firmware: info.Firmware, Serial: world.Serial(1)}))
	g.Expect(info.Firmware).NotTo(BeEmpty())
	g.Expect(h.BaseURL()).To(Equal(w.Server.HTTPSURL()))
	g.Expect(h.CertificateSHA256()).To(Equal(w.Camera.CertificateSHA256()), "the pin is kept in lower-case hex")
	g.Expect([]string{h.HTTPURL(), h.RTSPURL()}).To(HaveEach(BeEmpty()), "not given, so unknown")

	// A bench has the lines and nothing a simulation alone has.
	var tgt Target = h
	_, clocked := tgt.(Clocked)
	_, grounded := tgt.(Grounded)
	_, hasCard := tgt.(Card)
	_, storage := tgt.(Storage)
	_, lines := tgt.(Lines)
	g.Expect([]bool{clocked, grounded, hasCard, storage}).To(HaveEach(BeFalse()))
	g.Expect(lines).To(BeTrue())

	level, edges, err := h.Line(hilboard.LineMicEnable)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(level).To(Equal(gpio.Low), "the microphone is off in factory state")
	g.Expect(edges).To(BeEmpty())

	// An admin switches the microphone on through the API; the probe sees the line rise.
	client := PinnedClient(h.CertificateSHA256)
	send := func(method, path, body string, user, pw string) int {
		req, err := http.NewRequestWithContext(ctx, method, h.BaseURL()+path, strings.NewReader(body))
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(user, pw)
		resp, err := client.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		return resp.StatusCode
	}
	g.Expect(send("PUT", "/api/v1/users/admin/password", `{"password":"Hil-Bench!2026-Owner"}`, "admin", "meinsm")).To(Equal(200))
	g.Expect(send("PATCH", "/api/v1/settings", `{"microphone":{"enabled":true}}`, "admin", "Hil-Bench!2026-Owner")).To(Equal(200))
	g.Eventually(func() gpio.Level { l, _, _ := h.Line(hilboard.LineMicEnable); return l }, 2*time.Second, time.Millisecond).Should(Equal(gpio.High))
	_, edges, err = h.Line(hilboard.LineMicEnable)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(edges).To(HaveLen(1))
	g.Expect(edges[0].Level).To(Equal(gpio.High))
	g.Expect(edges[0].Time).To(BeTemporally("~", time.Now(), 5*time.Second), "stamped with the host's clock")
	level, _, err = h.Line(hilboard.LineDebugEnable)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(level).To(Equal(gpio.Low))

	_, _, err = h.Line(hilboard.LineMotionIn)
	g.Expect(err).To(MatchError(ContainSubstring(`no line "motion_in"`)))

	// A bench without a reset button nor power switch: say what to wire.
	unwired := p
	unwired.Probes = map[string]string{}
	for k, v := range p.Probes {
		if k != hilboard.ProbeResetButton && k != hilboard.ProbePower {
			unwired.Probes[k] = v
		}
	}
	h = openBench(t, HILOptions{Profile: unwired, BaseURL: w.Server.HTTPSURL(), Pin: h.CertificateSHA256(), Probes: sameWire(p)})
	err = h.FactoryReset(ctx)
	g.Expect(err).To(MatchError(ContainSubstring("has no reset_button line")))
	g.Expect(err).To(MatchError(ContainSubstring("probes:")))
	g.Expect(h.PowerCycle(ctx)).To(MatchError(ContainSubstring("has no power line")))

	// Asking for the wrong model is caught at Info.
	h2 := openBench(t, HILOptions{Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: w.Camera.CertificateSHA256(), Probes: map[string]string{}, Model: "move"})
	_, err = h2.Info(ctx)
	g.Expect(err).To(MatchError(ContainSubstring(`the camera is a "iot", not the "move"`)))
	g.Expect(h2.Close()).To(Succeed())
	g.Expect(h2.Close()).To(MatchError(ContainSubstring("already closed")))
}

func TestHILProbesFollowTheProfilesConvention(t *testing.T) {
	g := NewWithT(t)
	w, p := benchWorld(t)
	// Default probes: probe_mic (a wire of its own, not driven by anyone here) and no probe_debug.
	h := openBench(t, HILOptions{Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: w.Camera.CertificateSHA256()})
	g.Expect(h.lines).To(HaveKey(hilboard.LineMicEnable))
	g.Expect(h.lines[hilboard.LineMicEnable].gpio).To(Equal(p.Probes["probe_mic"]))
	_, _, err := h.Line(hilboard.LineDebugEnable)
	g.Expect(err).To(MatchError(ContainSubstring("no probe for debug_enable: wire one and name it probe_debug")))
	host, shared := h.ScanHost()
	g.Expect(host).To(Equal(strings.Split(strings.TrimPrefix(w.Server.HTTPSURL(), "https://"), ":")[0]), "a board is scanned at the camera's address")
	g.Expect(shared).To(BeEmpty(), "a board is a host of its own")
}

func TestNewHILRefusesWhatWouldMisleadARun(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	w, p := benchWorld(t)
	pin := w.Camera.CertificateSHA256()
	url := w.Server.HTTPSURL()
	for _, c := range []struct {
		o    HILOptions
		want string
	}{
		{HILOptions{Profile: p, BaseURL: "", Pin: pin}, "--camera"},
		{HILOptions{Profile: p, BaseURL: "http://" + strings.TrimPrefix(url, "https://"), Pin: pin}, "https://HOST:PORT"},
		{HILOptions{Profile: p, BaseURL: url, Pin: "abc"}, "64 hex digits"},
		{HILOptions{Profile: p, BaseURL: url, Pin: pin, RTSPURL: "http://x/live"}, "--rtsp"},
		{HILOptions{Profile: hilboard.Profile{Name: "x"}, BaseURL: url, Pin: pin}, "board profile"},
		{HILOptions{Profile: p, BaseURL: url, Pin: pin, Probes: map[string]string{"mic_enable": "HILT_NONE"}}, `no GPIO named "HILT_NONE"`},
		{HILOptions{Profile: p, BaseURL: url, Pin: pin, Probes: map[string]string{"motion_in": p.Lines["motion_in"]}}, "not a line the camera drives"},
		{HILOptions{Profile: p, BaseURL: url, Pin: strings.Repeat("0", 64)}, "does not answer with the pinned certificate"},
	} {
		_, err := NewHIL(ctx, c.o)
		g.Expect(err).To(MatchError(ContainSubstring(c.want)), "%+v", c.o)
	}
}

// buttonPin is a bench control line that records what the target drove, and acts on a level.
type buttonPin struct {
	gpiotest.Pin
	mu     sync.Mutex
	levels []gpio.Level
	on     func(gpio.Level)
}

func (b *buttonPin) Out(l gpio.Level) error {
	b.mu.Lock()
	b.levels = append(b.levels, l)
	b.mu.Unlock()
	if b.on != nil {
		b.on(l)
	}
	return b.Pin.Out(l)
}

func (b *buttonPin) driven() []gpio.Level {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]gpio.Level(nil), b.levels...)
}

func register(t *testing.T, b *buttonPin) {
	t.Helper()
	if err := gpioreg.Register(b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gpioreg.Unregister(b.N) })
}

// resettableCamera is a stand-in for a camera's API that a reset gives a new certificate and puts in
// factory state: the part of a bench FactoryReset that a virtual board cannot show (the world wires
// no reset button).
type resettableCamera struct {
	srv  *httptest.Server
	mu   sync.Mutex
	cert tls.Certificate
	fact bool
}

func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:])
}

func newResettableCamera(t *testing.T, cert tls.Certificate) *resettableCamera {
	c := &resettableCamera{cert: cert}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"model":"iot","firmware":"1","serial":"X","factory_state":` + map[bool]string{true: "true", false: "false"}[c.fact] + `}`))
	}))
	// GetConfigForClient, not GetCertificate: httptest puts its own certificate in Certificates, which
	// a client without SNI (an IP address) would be given instead.
	c.srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return &tls.Config{Certificates: []tls.Certificate{c.cert}}, nil
	}}
	c.srv.StartTLS()
	t.Cleanup(c.srv.Close)
	return c
}

func TestHILFactoryResetPressesTheButtonAndLearnsTheNewCertificate(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	oldCert, oldPin := selfSigned(t)
	newCert, newPin := selfSigned(t)
	cam := newResettableCamera(t, oldCert)
	button := &buttonPin{Pin: gpiotest.Pin{N: "HILT_RESET", Num: 90}}
	button.on = func(l gpio.Level) {
		if l == gpio.Low { // released: the camera wipes itself and comes back with a new certificate
			cam.mu.Lock()
			cam.cert, cam.fact = newCert, true
			cam.mu.Unlock()
		}
	}
	register(t, button)
	power := &buttonPin{Pin: gpiotest.Pin{N: "HILT_POWER", Num: 91}}
	register(t, power)
	p := simBoard(t)
	p.Probes = map[string]string{ProbeResetButton: button.N, ProbePower: power.N}
	h := openBench(t, HILOptions{Profile: p, BaseURL: cam.srv.URL, Pin: oldPin, ResetHold: 5 * time.Millisecond, PowerOff: 5 * time.Millisecond, Ready: 5 * time.Second})

	g.Expect(h.FactoryReset(ctx)).To(Succeed())
	g.Expect(button.driven()).To(Equal([]gpio.Level{gpio.High, gpio.Low}), "pressed, held, released")
	g.Expect(h.CertificateSHA256()).To(Equal(newPin), "trust on first use after its own reset")
	_, err := h.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "the pinned client follows the new pin")

	g.Expect(h.PowerCycle(ctx)).To(Succeed())
	g.Expect(power.driven()).To(Equal([]gpio.Level{gpio.Low, gpio.High}), "off, then on")
	g.Expect(h.CertificateSHA256()).To(Equal(newPin), "a power cut keeps the identity")
}

func TestHILReidentifyLearnsTheCertificateOfAResetThroughTheAPI(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	oldCert, oldPin := selfSigned(t)
	newCert, newPin := selfSigned(t)
	cam := newResettableCamera(t, oldCert)
	p := simBoard(t)
	p.Probes = map[string]string{} // no lines: the button is not what resets the camera here
	h := openBench(t, HILOptions{Profile: p, BaseURL: cam.srv.URL, Pin: oldPin, Ready: 5 * time.Second})
	_, err := h.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred())

	// An admin's POST /api/v1/system/factory-reset: the camera has a new certificate, the bench's
	// button was never touched.
	cam.mu.Lock()
	cam.cert, cam.fact = newCert, true
	cam.mu.Unlock()
	h.client.CloseIdleConnections()
	_, err = h.Info(ctx)
	g.Expect(err).To(HaveOccurred(), "the pinned client refuses the new certificate until told")
	g.Expect(h.Reidentify(ctx)).To(Succeed())
	g.Expect(h.CertificateSHA256()).To(Equal(newPin))
	_, err = h.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestHILFactoryResetFailsWhenTheCameraKeepsItsCertificate(t *testing.T) {
	g := NewWithT(t)
	cert, pin := selfSigned(t)
	cam := newResettableCamera(t, cert)
	cam.fact = true // in factory state, but a press changes nothing: no new certificate ever shows
	button := &buttonPin{Pin: gpiotest.Pin{N: "HILT_RESET2", Num: 92}}
	register(t, button)
	p := simBoard(t)
	p.Probes = map[string]string{ProbeResetButton: button.N}
	h := openBench(t, HILOptions{Profile: p, BaseURL: cam.srv.URL, Pin: pin, ResetHold: time.Millisecond, Ready: 1200 * time.Millisecond})
	err := h.FactoryReset(context.Background())
	g.Expect(err).To(MatchError(ContainSubstring("a new certificate in factory state")))
	g.Expect(err).To(MatchError(ContainSubstring("still presents its certificate from before the reset")))
	g.Expect(h.CertificateSHA256()).To(Equal(pin), "a failed reset learns nothing")
}

func TestNormalizePin(t *testing.T) {
	g := NewWithT(t)
	want := strings.Repeat("ab", 32)
	got, err := NormalizePin(" " + strings.Repeat("AB:", 31) + "AB\n")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(want))
	_, err = NormalizePin(strings.Repeat("g", 64))
	g.Expect(err).To(HaveOccurred())
}

func TestOpenHILNeedsAProfile(t *testing.T) {
	g := NewWithT(t)
	_, err := OpenHIL(context.Background(), "hil:", HILOptions{})
	g.Expect(errors.Is(err, ErrUnknownKind)).To(BeTrue(), "%v", err)
	_, err = OpenHIL(context.Background(), "hil:no-such-bench", HILOptions{})
	g.Expect(err).To(MatchError(ContainSubstring("no-such-bench")))
}

func TestHILPowerCardSwitchesTheCardsSupply(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	w, p := benchWorld(t)
	h := openBench(t, HILOptions{Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: w.Camera.CertificateSHA256(), Probes: sameWire(p)})
	var tgt Target = h
	_, ok := tgt.(CardPower)
	g.Expect(ok).To(BeTrue(), "a bench switches the card through its card_power line")

	_, err := w.Card.List()
	g.Expect(err).NotTo(HaveOccurred(), "the card is powered until the bench switches it")
	g.Expect(h.PowerCard(ctx, false)).To(Succeed())
	g.Expect(w.Board.Virtual.Pin(hilboard.ProbeCardPower).Read()).To(Equal(gpio.Low))
	_, err = w.Card.List()
	g.Expect(err).To(MatchError(card.ErrRemoved), "without its supply the card is gone")
	g.Expect(h.PowerCard(ctx, true)).To(Succeed())
	_, err = w.Card.List()
	g.Expect(err).NotTo(HaveOccurred(), "powered again, the card is back")

	// A bench without the line: the error names the probe to wire.
	noSwitch := p
	noSwitch.Probes = map[string]string{}
	for k, v := range p.Probes {
		if k != hilboard.ProbeCardPower {
			noSwitch.Probes[k] = v
		}
	}
	bare := openBench(t, HILOptions{Profile: noSwitch, BaseURL: w.Server.HTTPSURL(), Pin: w.Camera.CertificateSHA256(), Probes: sameWire(p)})
	g.Expect(bare.PowerCard(ctx, false)).To(MatchError(ContainSubstring("no card_power line")))
	_, err = w.Card.List()
	g.Expect(err).NotTo(HaveOccurred(), "and the card stays as it was")
}

func TestHILPressesTheCamerasButtonAndSwitchesItsPower(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	// The reference camera on the virtual board, in real time, with a button it takes after 50 ms:
	// the bench's reset_button probe is wired to the camera's reset_in line, as on a bench.
	w, p := benchWorldWith(t, func(o *world.Options) {
		o.Clock = cameraclock.System{}
		o.ResetHold = 50 * time.Millisecond
	})
	old := w.Camera.CertificateSHA256()
	h := openBench(t, HILOptions{Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: old, Probes: sameWire(p),
		ResetHold: 200 * time.Millisecond, PowerOff: 100 * time.Millisecond, Ready: 20 * time.Second})
	_, err := w.Camera.SetPassword(camera.Actor{Name: "admin", Level: users.Admin, Source: "192.0.2.1"}, "admin", "Hil-Bench!2026-Owner")
	g.Expect(err).NotTo(HaveOccurred())
	d, err := w.Camera.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeFalse())

	g.Expect(h.FactoryReset(ctx)).To(Succeed())
	d, err = w.Camera.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeTrue(), "the button reset the camera")
	g.Expect(h.CertificateSHA256()).To(Equal(w.Camera.CertificateSHA256()), "and the target pinned its new certificate")
	g.Expect(h.CertificateSHA256()).NotTo(Equal(old))
	edges := w.Board.Virtual.Pin(hilboard.LineResetIn).Edges()
	g.Expect(edges).To(HaveLen(2), "one press of the camera's button")
	g.Expect(edges[1].Time.Sub(edges[0].Time)).To(BeNumerically(">=", 200*time.Millisecond), "held for the target's ResetHold")

	// The power switch: off, then on, and the camera starts again from what it stored, under the same
	// certificate.
	pinned := h.CertificateSHA256()
	g.Expect(h.PowerCycle(ctx)).To(Succeed())
	g.Expect(h.CertificateSHA256()).To(Equal(pinned), "a power cut keeps the camera's identity")
	entries, err := w.Camera.Audit(0)
	g.Expect(err).NotTo(HaveOccurred())
	var sources []string
	for _, e := range entries {
		if e.Action == "system.reboot" || e.Action == "system.factory_reset" {
			sources = append(sources, e.Action+" by "+e.Source)
		}
	}
	g.Expect(sources).To(Equal([]string{"system.factory_reset by reset button", "system.reboot by power"}))
	power := w.Board.Virtual.Pin(hilboard.ProbePower).Edges()
	g.Expect(power).To(HaveLen(3), "on at start, off, on")
	g.Expect(power[2].Time.Sub(power[1].Time)).To(BeNumerically(">=", 100*time.Millisecond), "off for the target's PowerOff")
}
