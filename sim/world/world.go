// Package world puts the reference camera into the simulated world: a scene with people walking on
// known paths (fixtures/scenes) seen by a simulated sensor, a microphone, a network
// that only reaches loopback and records every connection attempt, and a clock (virtual in the
// suites, the wall clock for `vsslab camera serve`). It is what the sim target drives and what
// `vsslab camera serve` runs.
package world

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"vsslab/camera"
	"vsslab/camera/api"
	"vsslab/camera/clock"
	"vsslab/camera/rtsp"
	"vsslab/camera/users"
	"vsslab/fixtures"
	hilboard "vsslab/hil/board"
	"vsslab/sim/card"
	"vsslab/sim/network"
	"vsslab/sim/scene"
	"vsslab/sim/sensor"
)

// Options describe a simulated camera.
type Options struct {
	// StateDir holds the camera's state.
	StateDir string
	// Model is "iot" or "move".
	Model string
	// Seed makes the scene and the serial number; the same seed gives the same world.
	Seed int64
	// Clock is the world's clock; a virtual clock in the suites.
	Clock clock.Clock
	// HTTPS, HTTP and RTSP are the listen addresses ("127.0.0.1:0" picks a port; HTTP or RTSP ""
	// opens none).
	HTTPS, HTTP, RTSP string
	// Width and Height of the sensor image; 640×360 when zero.
	Width, Height int
	// Scene names the scene in fixtures/scenes; "lobby" for the iot model and "panorama" for the
	// PTZ move model when empty.
	Scene string
	// Log receives the camera's server-side errors.
	Log *slog.Logger
	// CardDir is the simulated SD card's directory; <StateDir>/card when empty. A card outside the
	// state directory survives what happens to the state, as a real card does.
	CardDir string
	// CardCapacity is the card's size; 4 GiB when zero.
	CardCapacity int64
	// Board, when set, runs the camera on the virtual board of this profile instead of straight on the
	// scene sensor (see board.go): the hil-sim target, and `vsslab camera serve --board sim:…`.
	Board *hilboard.Profile
	// ResetHold is how long the camera's reset button (a Board's reset_in line) must be held;
	// camera.DefaultResetHold when zero.
	ResetHold time.Duration
}

// World is a running simulated camera.
type World struct {
	Camera *camera.Camera
	Server *api.Server
	// RTSPServer serves rtsp://…/live; nil when no RTSP address was given.
	RTSPServer *rtsp.Server
	rtspLn     net.Listener
	Sensor     *sensor.Scene
	Network    *network.Observer
	Clock      clock.Clock
	// Card is the camera's SD card, with its faults.
	Card *card.Card
	// Speaker is the camera's loudspeaker; it keeps what it played.
	Speaker *Speaker
	// MotionInput is the camera's motion input line: send gpio.High then gpio.Low on its EdgesChan
	// for a pulse. It is nil when the world has a Board: the board's motion_in pin is the line then.
	MotionInput *gpiotest.Pin
	// Board is the camera's board when Options.Board was set; nil otherwise.
	Board *Board
	opts  Options
}

// Serial derives a camera's serial number from the seed, so reports name the same device each run.
func Serial(seed int64) string {
	h := fnv.New32a()
	_, _ = fmt.Fprintf(h, "vsslab-%d", seed)
	return fmt.Sprintf("VSS-%08X", h.Sum32())
}

// Start builds the world and starts the camera's listeners.
func Start(opts Options) (*World, error) {
	if opts.Clock == nil {
		return nil, errors.New("start simulated world: no clock")
	}
	if opts.Width == 0 && opts.Height == 0 {
		opts.Width, opts.Height = 640, 360
	}
	if opts.Scene == "" {
		opts.Scene = "lobby"
		if opts.Model == camera.ModelMove {
			opts.Scene = "panorama"
		}
	}
	spec, err := scene.Load(fixtures.Scenes(), opts.Scene)
	if err != nil {
		return nil, fmt.Errorf("start simulated world: %w", err)
	}
	sc, err := scene.New(spec, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("start simulated world: %w", err)
	}
	chart, err := sensor.NewScene(opts.Clock, sc, opts.Width, opts.Height)
	if err != nil {
		return nil, fmt.Errorf("start simulated world: %w", err)
	}
	if opts.CardDir == "" {
		opts.CardDir = filepath.Join(opts.StateDir, "card")
	}
	if opts.CardCapacity == 0 {
		opts.CardCapacity = 4 << 30
	}
	sd, err := card.New(opts.CardDir, opts.CardCapacity, opts.Clock)
	if err != nil {
		return nil, fmt.Errorf("start simulated world: %w", err)
	}
	line := &gpiotest.Pin{N: "MOTION_IN", Num: 17, EdgesChan: make(chan gpio.Level, 16)}
	spk := &Speaker{}
	obs := network.NewObserver(opts.Clock)
	mic := microphone{seed: opts.Seed, epoch: opts.Clock.Now()}
	cfg := camera.Config{
		StateDir:    opts.StateDir,
		Model:       opts.Model,
		Serial:      Serial(opts.Seed),
		Clock:       opts.Clock,
		Sensor:      chart,
		Dialer:      obs,
		Hosts:       certHosts(opts.HTTPS),
		Microphone:  mic,
		Card:        card.Medium{Card: sd},
		Speaker:     spk,
		MotionInput: line,
		ResetHold:   opts.ResetHold,
	}
	var brd *Board
	if opts.Board != nil {
		if brd, err = openBoard(*opts.Board, opts.Clock, chart, opts.Width, opts.Height); err != nil {
			return nil, fmt.Errorf("start simulated world: %w", err)
		}
		brd.wire(&cfg, chart)
		brd.wireResetButton()
		if err := brd.switchCard(sd); err != nil {
			return nil, errors.Join(fmt.Errorf("start simulated world: %w", err), brd.Close())
		}
		line = nil
	}
	cam, err := camera.New(cfg)
	if err != nil {
		return nil, errors.Join(err, brd.Close())
	}
	if brd != nil {
		if err := brd.switchPower(cam); err != nil {
			return nil, errors.Join(fmt.Errorf("start simulated world: %w", err), cam.Close(), brd.Close())
		}
	}
	srv, err := api.Listen(cam, opts.HTTPS, opts.HTTP, opts.Log)
	if err != nil {
		return nil, errors.Join(err, cam.Close(), brd.Close())
	}
	w := &World{Camera: cam, Server: srv, Sensor: chart, Network: obs, Clock: opts.Clock, Card: sd, Speaker: spk, MotionInput: line, Board: brd, opts: opts}
	if opts.RTSP != "" {
		if err := w.startRTSP(opts); err != nil {
			_ = w.Close()
			return nil, err
		}
	}
	return w, nil
}

func (w *World) startRTSP(opts Options) error {
	stream, auth := w.Camera.RTSP()
	rs, err := rtsp.New(rtsp.Config{Stream: stream, Auth: auth, Clock: opts.Clock, Realm: users.DigestRealm, Log: opts.Log, Random: rand.Reader})
	if err != nil {
		return fmt.Errorf("start RTSP: %w", err)
	}
	ln, err := net.Listen("tcp", opts.RTSP)
	if err != nil {
		return fmt.Errorf("listen for RTSP on %s: %w", opts.RTSP, err)
	}
	w.RTSPServer, w.rtspLn = rs, ln
	w.Camera.OnPrivacy(func() { rs.EndAll("privacy mode") })
	go func() { _ = rs.Serve(ln) }()
	return nil
}

// RTSPURL is the live stream's URL, or "" when the world has no RTSP server.
func (w *World) RTSPURL() string {
	if w.rtspLn == nil {
		return ""
	}
	return "rtsp://" + w.rtspLn.Addr().String() + "/live"
}

// Close stops the listeners (waiting up to five seconds for requests in flight), the camera, and its
// board if it has one.
func (w *World) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rerr error
	if w.RTSPServer != nil {
		rerr = w.RTSPServer.Close()
		// Serve may not have taken the listener over yet; closing it twice is harmless.
		_ = w.rtspLn.Close()
	}
	// The arguments run in order: a board's inputs are halted before the camera closes (see Board.halt).
	return errors.Join(w.Server.Shutdown(ctx), rerr, w.Board.halt(), w.Camera.Close(), w.Board.Close())
}

// StateDir is the camera's state directory.
func (w *World) StateDir() string { return w.opts.StateDir }

// microphone is the simulated microphone: a deterministic tone with a little noise (sim/scene).
type microphone struct {
	seed  int64
	epoch time.Time
}

// Read returns µ-law samples for [from, to).
func (m microphone) Read(from, to time.Time) ([]byte, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("microphone: interval ends before it starts")
	}
	return scene.Tone(m.seed, from.Sub(m.epoch), to.Sub(m.epoch)), nil
}

// certHosts are the names in the camera's certificate: the loopback names, and the address it
// listens on when that is another one.
func certHosts(listen string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(listen); err == nil && net.ParseIP(h) != nil && !slices.Contains(hosts, h) {
		hosts = append(hosts, h)
	}
	return hosts
}
