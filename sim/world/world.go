// Package world puts the reference camera into the simulated world: a test-chart sensor, a network
// that only reaches loopback and records every connection attempt, and a clock (virtual in the
// suites, the wall clock for `vsslab camera serve`). It is what the sim target drives and what
// `vsslab camera serve` runs.
package world

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"vsslab/camera"
	"vsslab/camera/api"
	"vsslab/camera/clock"
	"vsslab/sim/network"
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
	// HTTPS and HTTP are the listen addresses ("127.0.0.1:0" picks a port; HTTP "" opens none).
	HTTPS, HTTP string
	// Width and Height of the sensor image; 640×360 when zero.
	Width, Height int
	// Log receives the camera's server-side errors.
	Log *slog.Logger
}

// World is a running simulated camera.
type World struct {
	Camera  *camera.Camera
	Server  *api.Server
	Sensor  *sensor.TestChart
	Network *network.Observer
	Clock   clock.Clock
	opts    Options
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
	chart, err := sensor.NewTestChart(opts.Clock, opts.Width, opts.Height, uint64(opts.Seed))
	if err != nil {
		return nil, fmt.Errorf("start simulated world: %w", err)
	}
	obs := network.NewObserver(opts.Clock)
	cam, err := camera.New(camera.Config{
		StateDir: opts.StateDir,
		Model:    opts.Model,
		Serial:   Serial(opts.Seed),
		Clock:    opts.Clock,
		Sensor:   chart,
		Dialer:   obs,
		Hosts:    []string{"localhost", "127.0.0.1", "::1"},
	})
	if err != nil {
		return nil, err
	}
	srv, err := api.Listen(cam, opts.HTTPS, opts.HTTP, opts.Log)
	if err != nil {
		_ = cam.Close()
		return nil, err
	}
	return &World{Camera: cam, Server: srv, Sensor: chart, Network: obs, Clock: opts.Clock, opts: opts}, nil
}

// Close stops the listeners (waiting up to five seconds for requests in flight) and the camera.
func (w *World) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(w.Server.Shutdown(ctx), w.Camera.Close())
}

// StateDir is the camera's state directory.
func (w *World) StateDir() string { return w.opts.StateDir }
