package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"vsslab/camera"
	cameraclock "vsslab/camera/clock"
	hilboard "vsslab/hil/board"
	"vsslab/sim/world"
)

// KindBenchSim is a bench rehearsed without hardware: see BenchSim.
const KindBenchSim = "bench-sim"

// The bench-sim timings: the camera takes its reset button after benchSimButton, the target holds it
// for benchSimHold and cuts the power for benchSimOff. A real bench's are seconds (HILOptions'
// defaults); here they are short so that a factory reset before every spec costs little.
const (
	benchSimButton = 50 * time.Millisecond
	benchSimHold   = 200 * time.Millisecond
	benchSimOff    = 100 * time.Millisecond
	benchSimReady  = 30 * time.Second
)

// BenchSim is the bench target (HIL), the very code `vsslab run --target hil:FILE` runs on a bench,
// driving the reference camera on the virtual board in this process, in real time: the target of
// `vsslab run --target bench-sim`. The virtual board is wired as a bench is: the profile's
// reset_button probe presses the camera's reset_in button, power switches its supply and card_power
// its card; the probes of the camera's outputs are the camera's lines themselves. So the specs that
// run on a bench run here, with the same capabilities (Lines, CardPower, Reidentifier, Scannable) and
// nothing more: no virtual clock, no ground truth, no card access. It checks the bench target and the
// camera's bench-facing behaviour (its button, its lines, its card failing) without a board.
type BenchSim struct {
	*HIL
	w             *world.World
	host, control string
}

// NewBenchSim starts the camera on the virtual board of profile p, in a fresh state directory under
// dir, and opens the bench target on it.
func NewBenchSim(dir, model string, seed int64, p hilboard.Profile) (*BenchSim, error) {
	if model != camera.ModelIoT && model != camera.ModelMove {
		return nil, fmt.Errorf("bench-sim target: model %q is not iot or move", model)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("bench-sim target: %w", err)
	}
	for _, probe := range []string{hilboard.ProbeResetButton, hilboard.ProbePower, hilboard.ProbeCardPower} {
		if _, ok := p.Probes[probe]; !ok {
			return nil, fmt.Errorf("bench-sim target: board %s has no %s probe, which the virtual bench wires", p.Name, probe)
		}
	}
	if _, ok := p.Lines[hilboard.LineResetIn]; !ok {
		return nil, fmt.Errorf("bench-sim target: board %s has no reset_in line for the bench's reset_button to press", p.Name)
	}
	b := &BenchSim{}
	b.host, b.control = ownAddresses()
	stateDir := filepath.Join(dir, "camera-state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("bench-sim target: %w", err)
	}
	addr := net.JoinHostPort(b.host, "0")
	w, err := world.Start(world.Options{
		StateDir: stateDir, Model: model, Seed: seed, Clock: cameraclock.System{},
		HTTPS: addr, HTTP: addr, RTSP: addr, CardDir: filepath.Join(dir, "card"),
		Board: &p, ResetHold: benchSimButton,
	})
	if err != nil {
		return nil, fmt.Errorf("bench-sim target: %w", err)
	}
	probes := map[string]string{}
	for role := range LineProbes() {
		probes[role] = p.Lines[role]
	}
	h, err := NewHIL(context.Background(), HILOptions{
		Profile: p, BaseURL: w.Server.HTTPSURL(), Pin: w.Camera.CertificateSHA256(),
		HTTPURL: w.Server.HTTPURL(), RTSPURL: w.RTSPURL(), Model: model, Probes: probes,
		ResetHold: benchSimHold, PowerOff: benchSimOff, Ready: benchSimReady,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("bench-sim target: %w", err), w.Close())
	}
	b.HIL, b.w = h, w
	return b, nil
}

// Info is the bench target's, under this target's kind.
func (b *BenchSim) Info(ctx context.Context) (Info, error) {
	info, err := b.HIL.Info(ctx)
	info.Kind = KindBenchSim
	return info, err
}

// ScanHost is the camera's own loopback address and a control address nobody binds, as on the sim
// target: the harness's host is not a board of its own.
func (b *BenchSim) ScanHost() (host, shared string) {
	if b.control == "" {
		return "", ""
	}
	return b.host, b.control
}

// Close stops the bench target, then the camera.
func (b *BenchSim) Close() error {
	return errors.Join(b.HIL.Close(), b.w.Close())
}

var (
	_ Lines        = (*BenchSim)(nil)
	_ CardPower    = (*BenchSim)(nil)
	_ Reidentifier = (*BenchSim)(nil)
	_ Scannable    = (*BenchSim)(nil)
)
