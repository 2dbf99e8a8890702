package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"vsslab/camera"
	simclock "vsslab/sim/clock"
	"vsslab/sim/world"
)

// Sim is the in-process reference camera on the simulated world and a virtual clock: the target of
// `vsslab run --target sim`. It has every capability.
type Sim struct {
	model string
	seed  int64
	dir   string
	clk   *simclock.Virtual

	mu   sync.Mutex
	w    *world.World
	past []Attempt // attempts seen by earlier power-ons
}

// NewSim starts a simulated camera of the given model in a fresh state directory under dir.
func NewSim(dir, model string, seed int64) (*Sim, error) {
	if model != camera.ModelIoT && model != camera.ModelMove {
		return nil, fmt.Errorf("sim target: model %q is not iot or move", model)
	}
	stateDir := filepath.Join(dir, "camera-state")
	s := &Sim{model: model, seed: seed, dir: stateDir, clk: simclock.New(simclock.Epoch())}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Sim) start() error {
	httpsAddr, httpAddr, rtspAddr := "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	if s.w != nil {
		// A restarted camera keeps its address, as a real one keeps its IP.
		httpsAddr = strings.TrimPrefix(s.w.Server.HTTPSURL(), "https://")
		httpAddr = strings.TrimPrefix(s.w.Server.HTTPURL(), "http://")
		rtspAddr = strings.TrimSuffix(strings.TrimPrefix(s.w.RTSPURL(), "rtsp://"), "/live")
		s.past = append(s.past, attempts(s.w)...)
	}
	w, err := world.Start(world.Options{
		StateDir: s.dir,
		Model:    s.model,
		Seed:     s.seed,
		Clock:    s.clk,
		HTTPS:    httpsAddr,
		HTTP:     httpAddr,
		RTSP:     rtspAddr,
	})
	if err != nil {
		return fmt.Errorf("sim target: %w", err)
	}
	s.w = w
	return nil
}

func (s *Sim) world() *world.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w
}

// Info names the simulated device.
func (s *Sim) Info(context.Context) (Info, error) {
	return Info{Kind: "sim", Model: s.model, Firmware: camera.FirmwareVersion, Serial: world.Serial(s.seed)}, nil
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
func (s *Sim) FactoryReset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("sim target: stop camera: %w", err)
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("sim target: wipe state: %w", err)
	}
	return s.start()
}

// PowerCycle stops the camera and starts it again on the same state, as pulling the plug would. The
// camera keeps its ports' numbers only by chance; clients ask BaseURL again.
func (s *Sim) PowerCycle(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Close(); err != nil {
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
	err := s.w.Close()
	s.w = nil
	return err
}

var _ Clock = (*simclock.Virtual)(nil)

// Truth is what the simulated sensor sees at the current virtual time, before the camera masks it,
// and the people in view.
func (s *Sim) Truth() (Truth, error) {
	img, truth, err := s.world().Sensor.Truth()
	if err != nil {
		return Truth{}, fmt.Errorf("sim target: ground truth: %w", err)
	}
	out := Truth{Image: img}
	for _, p := range truth.People {
		out.People = append(out.People, Person{ID: p.ID, Box: [4]float64{p.Box.X, p.Box.Y, p.Box.W, p.Box.H}})
	}
	return out, nil
}
