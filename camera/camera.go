// Package camera is vsslab's reference camera: a complete camera firmware as a Go library.
//
// It implements every requirement of the catalogue (fixtures/requirements.yaml) and is what the
// scenario suites are checked against before they are trusted on a vendor's camera. It knows nothing
// of where its images and its time come from: a Sensor, a Clock and a Dialer are handed to it, by the
// simulated world (sim/) in tests and `vsslab camera serve`, or by a real board (hil/).
//
// The camera's persistent state lives in one directory (camera/state). Every operation that changes
// it is audited (camera/audit) with who did it and from where.
package camera

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"image"
	"io"
	"net"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera/audit"
	"vsslab/camera/clock"
	"vsslab/camera/notify"
	"vsslab/camera/ptz"
	"vsslab/camera/record"
	"vsslab/camera/settings"
	"vsslab/camera/state"
	"vsslab/camera/store"
	"vsslab/camera/tlscert"
	"vsslab/camera/users"
)

// Models are the camera models of the whitepaper: iot (fixed, decentralised) and move (PTZ).
const (
	ModelIoT  = "iot"
	ModelMove = "move"
)

// FirmwareVersion is the reference firmware's version, reported by GET /api/v1/device.
const FirmwareVersion = "vsslab-ref 0.1.0"

// Dialer opens the camera's outbound connections. The camera has no other way to reach the network,
// so a simulated world can observe (and refuse) every connection attempt (PBD-4).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Config is what a camera is built from.
type Config struct {
	// StateDir is the directory that holds settings, users, keys and the audit log.
	StateDir string
	// Model is ModelIoT or ModelMove.
	Model string
	// Serial is the device's serial number.
	Serial string
	// Clock tells the time; a virtual clock in the suites.
	Clock clock.Clock
	// Sensor delivers the images.
	Sensor Sensor
	// Dialer opens every outbound connection: the update check, NAS transfers and notifications, each
	// only once an admin has configured it.
	Dialer Dialer
	// Random is the source of keys and salts; crypto/rand.Reader when nil.
	Random io.Reader
	// Hosts are the names and addresses written into the camera's self-signed certificate.
	Hosts []string
	// Microphone is the sound source; nil on a camera without one.
	Microphone Microphone
	// Card is the storage medium event records are written to; nil on a camera without a card slot
	// (recording functions then answer ErrNoCard).
	Card store.Medium
	// MotionInput is the motion input line (a GPIO pin); a rising edge is an event. nil when absent.
	MotionInput gpio.PinIn
	// ResetButton is the factory-reset button's line (high while pressed); nil on a camera without
	// one. Held for ResetHold or longer and released, it resets the camera to factory state.
	ResetButton gpio.PinIn
	// ResetHold is how long the button must be held; DefaultResetHold when zero.
	ResetHold time.Duration
	// MicEnable, DebugEnable and LED are the camera's output lines on a board; each may be nil. The
	// camera drives MicEnable from microphone.enabled and DebugEnable from debug.enabled; LED shows
	// notification patterns.
	MicEnable, DebugEnable, LED gpio.PinOut
	// Speaker is the camera's loudspeaker, for audio notifications; nil on a camera without one.
	Speaker notify.Speaker
	// KDF are the argon2id costs for keyrings made from a storage keyword; zero means the camera's
	// default (record.DefaultKDF). Tests pass cheap ones.
	KDF record.KDFParams
}

// Camera is a running reference camera. It is safe for concurrent use.
type Camera struct {
	cfg   Config
	dir   *state.Dir
	audit *audit.Log

	mu       sync.Mutex
	halted   error // set when a reboot met corrupt state: the camera serves nothing but this error
	settings settings.Settings
	users    *users.Store
	identity tlscert.Identity
	privacy  time.Time // privacy mode is on until this instant
	sessions *sessions
	update   UpdateStatus
	store    *store.Store
	// approvals are the playback approvals given (ACC-2), in memory: a reboot ends them.
	approvals map[approvalKey][]approval

	// The image pipeline: masks (with the PTZ view), the stream's fan-out, and one encoder per output.
	masks     masking
	hub       *hub
	streamEnc *encoder
	snapEnc   *encoder
	stop      chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup
	// The recording side: recorder, NAS worker and shredding rounds.
	rec         *recorder
	nasKick     chan struct{}
	janitorKick chan struct{}
	nasState    nasState
	// Storage failure monitoring and the notification channels.
	mon   *monitor
	notif notifier
	// size is the sensor's frame size, read at start.
	size image.Point
	// onPrivacy are called when privacy mode switches on, to end running streams.
	onPrivacy []func()
	closeOnce sync.Once
}

// ErrHalted wraps the reason a camera that failed to boot gives for every request.
var ErrHalted = errors.New("camera halted")

// New starts a camera on its state directory. State files that are corrupt are an error naming the
// file: the camera never falls back to factory defaults on its own, since that would silently turn
// public access and the default password back on.
func New(cfg Config) (*Camera, error) {
	if cfg.Model != ModelIoT && cfg.Model != ModelMove {
		return nil, fmt.Errorf("new camera: model %q is not %q or %q", cfg.Model, ModelIoT, ModelMove)
	}
	if cfg.Serial == "" {
		return nil, errors.New("new camera: no serial number")
	}
	if cfg.Clock == nil || cfg.Sensor == nil {
		return nil, errors.New("new camera: a clock and a sensor are required")
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	dir, err := state.Open(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	auditDir, err := dir.Join("audit")
	if err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	log, err := audit.Open(auditDir, cfg.Clock)
	if err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	c := &Camera{cfg: cfg, dir: dir, audit: log, hub: newHub(), stop: make(chan struct{}), done: make(chan struct{}),
		nasKick: make(chan struct{}, 1), janitorKick: make(chan struct{}, 1), mon: newMonitor()}
	c.loadMonitorLog()
	if c.rec, err = newRecorder(); err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	if c.streamEnc, err = newEncoder(); err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	if c.snapEnc, err = newEncoder(); err != nil {
		return nil, fmt.Errorf("new camera: %w", err)
	}
	if cfg.Model == ModelMove {
		p, ok := cfg.Sensor.(PTZ)
		if !ok {
			return nil, errors.New("new camera: the move model needs a sensor that can pan, tilt and zoom")
		}
		c.masks.ptz = p
	}
	if err := c.boot(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("new camera: %w", err)
	}
	if f, err := cfg.Sensor.Capture(); err == nil {
		c.size = f.Image.Rect.Size()
	}
	go func() {
		defer close(c.done)
		c.produce(c.stop)
	}()
	c.wg.Add(4)
	go func() { defer c.wg.Done(); c.monitorLoop(c.stop) }()
	go func() { defer c.wg.Done(); c.recordLoop(c.stop) }()
	go func() { defer c.wg.Done(); c.janitor(c.stop) }()
	go func() { defer c.wg.Done(); c.nasWorker(c.stop) }()
	if cfg.MotionInput != nil {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.watchMotionInput(c.stop) }()
	}
	if cfg.ResetButton != nil {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.watchResetButton(c.stop) }()
	}
	c.kickNAS()
	return c, nil
}

// Close stops the camera's background work, ends every stream and closes its files.
func (c *Camera) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		// Wakes the watchers blocked in WaitForEdge: on a board whose clock stands still (the
		// virtual board) their time-outs would never come.
		for _, pin := range []gpio.PinIn{c.cfg.MotionInput, c.cfg.ResetButton} {
			if pin != nil {
				_ = pin.Halt()
			}
		}
		c.wg.Wait()
		c.notif.mu.Lock()
		d := c.notif.d
		c.notif.d = nil
		c.notif.mu.Unlock()
		if d != nil {
			// Deliveries see their contexts end; a telephone call's SIP transaction may still take
			// its protocol time-out to wind down, which a power cycle does not wait for.
			closed := make(chan struct{})
			go func() { _ = d.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(2 * time.Second):
			}
		}
		c.hub.closeAll()
		err = c.audit.Close()
	})
	return err
}

// OnPrivacy registers f to run whenever privacy mode is switched on: the RTSP server ends its
// sessions there.
func (c *Camera) OnPrivacy(f func()) {
	c.mu.Lock()
	c.onPrivacy = append(c.onPrivacy, f)
	c.mu.Unlock()
}

// Model is the camera's model.
func (c *Camera) Model() string { return c.cfg.Model }

// boot loads the state directory into memory, as at power-on. The caller holds no lock; boot takes it.
func (c *Camera) boot() error {
	s := settings.Defaults()
	if err := c.dir.LoadJSON(settingsFile, &s); err != nil && !errors.Is(err, state.ErrNotExist) {
		return err
	}
	if err := s.Validate(); err != nil {
		path, _ := c.dir.Join(settingsFile)
		return &state.CorruptError{Path: path, Err: err}
	}
	var stored userFile
	accounts := []users.Account(nil)
	switch err := c.dir.LoadJSON(usersFile, &stored); {
	case err == nil:
		accounts = stored.Accounts
	case errors.Is(err, state.ErrNotExist):
		accounts, err = users.FactoryAccounts(c.cfg.Random)
		if err != nil {
			return err
		}
	default:
		return err
	}
	store, err := users.NewStore(c.cfg.Clock, lockoutOf(s), accounts, c.cfg.Random)
	if err != nil {
		path, _ := c.dir.Join(usersFile)
		return &state.CorruptError{Path: path, Err: err}
	}
	var priv privacyFile
	if err := c.dir.LoadJSON(privacyStateFile, &priv); err != nil && !errors.Is(err, state.ErrNotExist) {
		return err
	}
	id, err := tlscert.LoadOrCreate(c.dir, c.cfg.Serial, c.cfg.Clock.Now(), c.cfg.Hosts, c.cfg.Random)
	if err != nil {
		return err
	}
	c.rec.reset()
	st, err := c.openStore()
	if cardUnavailable(err) {
		// A camera boots without its card: live images, settings and monitoring work, recording
		// answers ErrNoCard, and the storage test opens the store once the card answers (adoptCard).
		c.record(system(), "storage.card_unavailable", "", "failed", map[string]string{"reason": err.Error()})
		st, err = nil, nil
	}
	if err != nil {
		return err
	}
	// Masks are in place before the first frame after boot is captured.
	if err := c.masks.set(s); err != nil {
		path, _ := c.dir.Join(settingsFile)
		return &state.CorruptError{Path: path, Err: err}
	}
	if c.masks.ptz != nil {
		c.masks.Lock()
		err := c.masks.ptz.SetView(ptz.Home())
		c.masks.view = ptz.Home()
		c.masks.Unlock()
		if err != nil {
			return fmt.Errorf("move to the home view: %w", err)
		}
	}
	c.driveLines(s)
	c.mu.Lock()
	c.halted = nil
	c.settings = s
	c.users = store
	c.identity = id
	c.privacy = priv.Until
	c.sessions = newSessions(c.cfg.Clock, c.cfg.Random)
	c.update = UpdateStatus{}
	c.store = st
	c.approvals = map[approvalKey][]approval{}
	c.mu.Unlock()
	c.startNotifier(s)
	c.mon.mu.Lock()
	c.mon.due, c.mon.failing = map[string]time.Time{}, map[string]bool{}
	c.mon.mu.Unlock()
	c.mon.wake()
	c.rec.wake()
	c.kickJanitor()
	c.kickNAS()
	c.record(system(), "system.start", "", "ok", map[string]string{"firmware": FirmwareVersion, "model": c.cfg.Model})
	if s.UpdateCheck.Enabled {
		go c.checkForUpdate(system(), s.UpdateCheck.URL)
	}
	return nil
}

// Reboot restarts the camera's services from what is stored, as a power cycle would: changes that
// were never persisted are gone, sessions end. It returns once the camera is up again. If the stored
// state has become corrupt, the camera halts and reports that error for every request until it is
// repaired or reset.
func (c *Camera) Reboot(who Actor) error {
	if err := c.ready(); err != nil {
		return err
	}
	c.record(who, "system.reboot", "", "ok", nil)
	if err := c.restart(); err != nil {
		return fmt.Errorf("reboot: %w", err)
	}
	return nil
}

// restart ends the running streams, as a power cycle does, and boots from the state directory; a
// boot that fails halts the camera.
func (c *Camera) restart() error {
	c.hub.closeAll()
	if err := c.boot(); err != nil {
		c.mu.Lock()
		c.halted = err
		c.mu.Unlock()
		return err
	}
	return nil
}

// FactoryReset returns every setting and the default credentials to factory state and destroys the
// camera's keys (its TLS identity; later its recording keys), then reboots. The audit log is kept: a
// reset must not be a way to erase the trail of what was done, and it records the reset itself.
func (c *Camera) FactoryReset(who Actor) error {
	c.record(who, "system.factory_reset", "", "ok", nil)
	for _, name := range []string{settingsFile, usersFile, privacyStateFile, "tls"} {
		if err := c.dir.Remove(name); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	c.rec.reset()
	if err := c.wipeStorage(); err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	if err := c.restart(); err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	return nil
}

// ready reports the halt reason, if any.
func (c *Camera) ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.halted != nil {
		return fmt.Errorf("%w: %w", ErrHalted, c.halted)
	}
	return nil
}

// Certificate is the camera's current TLS certificate; the HTTPS listener asks for it at every
// handshake, so a factory reset's new identity is served without restarting the listener.
func (c *Camera) Certificate() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	cert := c.identity.Certificate
	return &cert
}

// CertificateSHA256 is the hex SHA-256 of the current certificate, for clients to pin.
func (c *Camera) CertificateSHA256() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.identity.SHA256
}

// Device is the camera's identity and the facts a client needs before logging in.
type Device struct {
	Model                string `json:"model"`
	Firmware             string `json:"firmware"`
	Serial               string `json:"serial"`
	FactoryState         bool   `json:"factory_state"`
	AdminPasswordDefault bool   `json:"admin_password_default"`
}

// Device describes the camera. FactoryState is true while every setting and the accounts are as
// they leave the factory.
func (c *Camera) Device() (Device, error) {
	if err := c.ready(); err != nil {
		return Device{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	def := c.users.AdminPasswordDefault()
	return Device{
		Model:                c.cfg.Model,
		Firmware:             FirmwareVersion,
		Serial:               c.cfg.Serial,
		FactoryState:         def && c.settings.Equal(settings.Defaults()) && len(c.users.List()) == 1,
		AdminPasswordDefault: def,
	}, nil
}
