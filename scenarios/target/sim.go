package target

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"vsslab/camera"
	hilboard "vsslab/hil/board"
	"vsslab/sim/card"
	simclock "vsslab/sim/clock"
	"vsslab/sim/scene"
	"vsslab/sim/world"
)

// Sim is the in-process reference camera on the simulated world and a virtual clock: the target of
// `vsslab run --target sim`. It has every capability but Lines; HILSim is the same camera on the
// virtual board, which adds them.
type Sim struct {
	kind  string
	model string
	seed  int64
	dir   string
	clk   *simclock.Virtual

	mu sync.Mutex
	w  *world.World
	// scope is the running camera's share of the clock, closed with it so that a switched-off
	// camera's waits do not linger in the clock's Pending.
	scope *simclock.Scope
	past  []Attempt // attempts seen by earlier power-ons

	// The card is a physical thing on the bench: what a spec did to it (a smaller capacity, pulling
	// it) outlasts a power cycle, which makes a new world around it. cardCapacity < 0: untouched.
	cardCapacity int64
	cardEjected  bool
	// scene is what the camera looks at; "" is the model's default scene.
	scene string
	// board is the profile of the virtual board the camera runs on (HILSim); nil: the scene sensor.
	board   *hilboard.Profile
	cleanup func()
	// host is the loopback address the camera alone listens on; control is one nobody listens on
	// (see ScanHost). host is 127.0.0.1, and control "", where the system gives no address of its own.
	host, control string
}

// flashDir is where the simulated camera keeps its flash and its card: in memory (/dev/shm) where
// the host has it, so that a long virtual-time run measures the camera rather than the host disk's
// metadata operations; otherwise under dir. cleanup removes a directory made in memory.
func flashDir(dir string) (string, func(), error) {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "vsslab-sim-"); err == nil {
			return d, func() { _ = os.RemoveAll(d) }, nil
		}
	}
	return dir, func() {}, nil
}

// NewSim starts a simulated camera of the given model in a fresh state directory under dir.
func NewSim(dir, model string, seed int64) (*Sim, error) {
	return newSim("sim", dir, model, seed, nil)
}

// newSim starts the simulated camera, on the virtual board of the given profile when board is set.
func newSim(kind, dir, model string, seed int64, board *hilboard.Profile) (*Sim, error) {
	if model != camera.ModelIoT && model != camera.ModelMove {
		return nil, fmt.Errorf("%s target: model %q is not iot or move", kind, model)
	}
	flash, cleanup, err := flashDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s target: %w", kind, err)
	}
	stateDir := filepath.Join(flash, "camera-state")
	s := &Sim{kind: kind, model: model, seed: seed, dir: stateDir, clk: simclock.New(simclock.Epoch()), cardCapacity: -1, board: board, cleanup: cleanup}
	s.host, s.control = ownAddresses()
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Sim) start() error {
	own := net.JoinHostPort(s.host, "0")
	httpsAddr, httpAddr, rtspAddr := own, own, own
	if s.w != nil {
		// A restarted camera keeps its address, as a real one keeps its IP.
		httpsAddr = strings.TrimPrefix(s.w.Server.HTTPSURL(), "https://")
		httpAddr = strings.TrimPrefix(s.w.Server.HTTPURL(), "http://")
		rtspAddr = strings.TrimSuffix(strings.TrimPrefix(s.w.RTSPURL(), "rtsp://"), "/live")
		s.past = append(s.past, attempts(s.w)...)
	}
	scope := s.clk.Scope()
	w, err := world.Start(world.Options{
		StateDir: s.dir,
		Model:    s.model,
		Seed:     s.seed,
		Clock:    scope,
		HTTPS:    httpsAddr,
		HTTP:     httpAddr,
		RTSP:     rtspAddr,
		CardDir:  filepath.Join(filepath.Dir(s.dir), "card"),
		Scene:    s.scene,
		Board:    s.board,
	})
	if err != nil {
		scope.Close()
		return fmt.Errorf("%s target: %w", s.kind, err)
	}
	s.w, s.scope = w, scope
	if s.cardCapacity >= 0 {
		w.Card.SetCapacity(s.cardCapacity)
	}
	if s.cardEjected {
		w.Card.Eject()
	}
	return nil
}

// ownAddresses picks the loopback address an in-process camera alone listens on and a control address
// nobody binds (see ScanHost); 127.0.0.1 and "" where the system gives no address of its own.
func ownAddresses() (host, control string) {
	own, err := ownLoopback()
	if err != nil {
		return "127.0.0.1", ""
	}
	if control, err = ownLoopback(); err != nil || control == own {
		return "127.0.0.1", ""
	}
	return own, control
}

// ownLoopback picks an address of its own in 127.64.0.0/10 (the whole of 127.0.0.0/8 is the
// loopback on Linux), so that a port scan of it sees one camera's listeners and nobody else's.
func ownLoopback() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("own loopback address: %w", err)
	}
	ip := net.IPv4(127, 64+b[0]%64, b[1], 1+b[2]%254).String()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", fmt.Errorf("own loopback address %s: %w", ip, err)
	}
	ln.Close()
	return ip, nil
}

// ScanHost is the camera's own loopback address and a control address on the same host that no one
// binds: the harness's peers and the host's services listen elsewhere, and whatever answers on
// the control address listens on every address of the host. "" when the camera shares 127.0.0.1.
func (s *Sim) ScanHost() (host, shared string) {
	if s.control == "" {
		return "", ""
	}
	return s.host, s.control
}

func (s *Sim) world() *world.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w
}

// Info names the simulated device.
func (s *Sim) Info(context.Context) (Info, error) {
	return Info{Kind: s.kind, Model: s.model, Firmware: camera.FirmwareVersion, Serial: world.Serial(s.seed)}, nil
}

// BaseURL is the HTTPS API's base.
func (s *Sim) BaseURL() string { return s.world().Server.HTTPSURL() }

// HTTPURL is the redirecting plain-HTTP port.
func (s *Sim) HTTPURL() string { return s.world().Server.HTTPURL() }

// RTSPURL is the live stream.
func (s *Sim) RTSPURL() string { return s.world().RTSPURL() }

// CertificateSHA256 is the camera's current certificate pin.
func (s *Sim) CertificateSHA256() string { return s.world().Camera.CertificateSHA256() }

// FactoryReset wipes the camera's state as the reset button does (the audit trail included: a reset
// by button is a new device) and starts it again. The virtual clock keeps running forward.
//
// The bench also puts a blank, healthy card in (every file removed, full capacity, inserted, no fault
// armed), as a certifier unpacking a new camera gets a new card: so no spec sees another's records or
// a card another spec filled.
func (s *Sim) FactoryReset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cardDir := s.w.Card.Path()
	if err := s.stopCamera(); err != nil {
		return fmt.Errorf("sim target: stop camera: %w", err)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("sim target: wipe state: %w", err)
	}
	if err := emptyDir(cardDir); err != nil {
		return fmt.Errorf("sim target: blank card: %w", err)
	}
	s.cardCapacity, s.cardEjected, s.scene = -1, false, ""
	return s.start()
}

// stopCamera switches the running camera off and takes its waits off the clock. The caller holds s.mu.
func (s *Sim) stopCamera() error {
	err := s.w.Close()
	s.scope.Close()
	return err
}

// emptyDir removes everything inside dir (not dir itself); a missing dir is empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// PowerCycle stops the camera and starts it again on the same state, as pulling the plug would. The
// camera keeps its ports' numbers only by chance; clients ask BaseURL again.
func (s *Sim) PowerCycle(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopCamera(); err != nil {
		return fmt.Errorf("sim target: power off: %w", err)
	}
	return s.start()
}

// Clock is the virtual clock.
func (s *Sim) Clock() Clock { return s.clk }

// OutboundAttempts lists every connection the camera tried to open since the target was made,
// across power cycles and resets.
func (s *Sim) OutboundAttempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(append([]Attempt(nil), s.past...), attempts(s.w)...)
}

func attempts(w *world.World) []Attempt {
	var out []Attempt
	for _, a := range w.Network.Attempts() {
		out = append(out, Attempt{Time: a.Time, Network: a.Network, Address: a.Address})
	}
	return out
}

// StateDir is the camera's state directory.
func (s *Sim) StateDir() string { return s.dir }

// Close stops the camera.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return errors.New("sim target: already closed")
	}
	err := s.stopCamera()
	s.w = nil
	s.cleanup()
	return err
}

// ShowScene points the camera at another scene of fixtures/scenes. The simulated sensor is built
// around its scene, so the camera is power-cycled (its state is kept); the scene's time starts
// again at the power-on. A factory reset returns to the model's default scene.
func (s *Sim) ShowScene(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopCamera(); err != nil {
		return fmt.Errorf("sim target: power off: %w", err)
	}
	prev := s.scene
	s.scene = name
	if err := s.start(); err != nil {
		s.scene = prev
		if rerr := s.start(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}

var (
	_ Clock       = (*simclock.Virtual)(nil)
	_ Grounded    = (*Sim)(nil)
	_ Card        = (*Sim)(nil)
	_ MotionInput = (*Sim)(nil)
	_ Scenery     = (*Sim)(nil)
	_ Scannable   = (*Sim)(nil)
)

// Truth is what the simulated sensor sees at the current virtual time, before the camera masks it,
// and the people in view.
func (s *Sim) Truth() (Truth, error) {
	img, truth, err := s.world().Sensor.Truth()
	if err != nil {
		return Truth{}, fmt.Errorf("sim target: ground truth: %w", err)
	}
	return toTruth(img, truth), nil
}

// TruthAt is what the simulated sensor saw at virtual time t (since it last started), with the
// current view.
func (s *Sim) TruthAt(t time.Time) (Truth, error) {
	img, truth, err := s.world().Sensor.TruthAt(t)
	if err != nil {
		return Truth{}, fmt.Errorf("sim target: ground truth: %w", err)
	}
	return toTruth(img, truth), nil
}

func toTruth(img *image.YCbCr, truth scene.Truth) Truth {
	out := Truth{Image: img}
	for _, p := range truth.People {
		out.People = append(out.People, Person{ID: p.ID, Box: [4]float64{p.Box.X, p.Box.Y, p.Box.W, p.Box.H}})
	}
	return out
}

// card is the simulated world's SD card.
func (s *Sim) card() *card.Card { return s.world().Card }

// CardDir is the card's directory: the records' raw bytes.
func (s *Sim) CardDir() string { return s.card().Path() }

// EjectCard pulls the card; it stays out across power cycles until InsertCard.
func (s *Sim) EjectCard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cardEjected = true
	s.w.Card.Eject()
}

// InsertCard puts the card back.
func (s *Sim) InsertCard() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cardEjected = false
	s.w.Card.Insert()
}

// SetCardCapacity changes the capacity the card enforces; it outlasts power cycles (not a factory
// reset of the target, which puts a new card in).
func (s *Sim) SetCardCapacity(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cardCapacity = max(n, 0)
	s.w.Card.SetCapacity(n)
}

// CardUsed is the bytes the card counts as occupied.
func (s *Sim) CardUsed() int64 { return s.card().Used() }

// TearNextCardWrite arms a power cut in the next write that reaches the card, after at bytes.
func (s *Sim) TearNextCardWrite(at int) { s.card().TearNextWrite(at) }

// HealCard disarms pending write faults.
func (s *Sim) HealCard() { s.card().Heal() }

// edgeTimeout bounds how long PulseMotion waits for the camera to take an edge (wall time: the
// channel is the hardware line, not a timer of the camera's).
const edgeTimeout = 2 * time.Second

// PulseMotion sends a rising then a falling edge on the simulated motion input line. The camera reads
// the line's buffered edge channel; if it does not take an edge in time (the buffer is full, or the
// line is not being watched), the pulse fails rather than blocking the spec.
func (s *Sim) PulseMotion() error {
	w := s.world()
	if w.Board != nil {
		return pulseBoardPin(w.Board.Virtual.Pin(hilboard.LineMotionIn))
	}
	pin := w.MotionInput
	if pin == nil || pin.EdgesChan == nil {
		return errors.New("sim target: the world has no motion input line")
	}
	for _, level := range []gpio.Level{gpio.High, gpio.Low} {
		select {
		case pin.EdgesChan <- level:
		default:
			t := time.NewTimer(edgeTimeout)
			select {
			case pin.EdgesChan <- level:
				t.Stop()
			case <-t.C:
				return fmt.Errorf("sim target: motion input: edge %s not taken within %s (edge buffer full, or nobody watches the line)", level, edgeTimeout)
			}
		}
	}
	return nil
}
