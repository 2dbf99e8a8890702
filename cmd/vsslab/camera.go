package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"vsslab/camera/clock"
	"vsslab/hil/bench"
	"vsslab/hil/board"
	"vsslab/hil/ov5640"
	"vsslab/hil/probe"
	"vsslab/hil/sdcard"
	"vsslab/hil/v4l2"
	"vsslab/sim/world"
)

func cameraCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "camera",
		Short: "Run the reference camera",
	}
	cmd.AddCommand(serveCommand())
	return cmd
}

func serveCommand() *cobra.Command {
	var (
		stateDir, httpsAddr, httpAddr, rtspAddr, model, boardArg string
		seed                                                     int64
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the reference camera on the simulated world until SIGTERM",
		Long: `Runs the reference camera as a server on the simulated sensor and the wall clock.
When it is ready it prints one JSON line on stdout:
  {"event":"ready","https":"https://…","http":"http://…","rtsp":"rtsp://…/live","cert_sha256":"…"}
Port 0 picks a free port. SIGTERM or Ctrl-C shuts it down cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stateDir == "" {
				return &exitError{code: 2, err: fmt.Errorf("--state DIR is required: the directory that keeps the camera's settings, users, keys and audit log")}
			}
			if model != "iot" && model != "move" {
				return &exitError{code: 2, err: fmt.Errorf("unknown model %q: use --model iot or --model move", model)}
			}
			var profile *board.Profile
			if boardArg != "" {
				t, err := probe.ParseTarget(boardArg)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				if !t.Sim {
					log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
					c, err := serveOnRealBoard(t.Profile, bench.Options{
						StateDir: stateDir, Model: model, Serial: world.Serial(seed), Clock: clock.System{},
						HTTPS: httpsAddr, HTTP: httpAddr, RTSP: rtspAddr, Log: log,
					})
					if err != nil {
						return &exitError{code: 2, err: err}
					}
					printReady(cmd, c.Server.HTTPSURL(), c.Server.HTTPURL(), c.RTSPURL(), c.Camera.CertificateSHA256())
					<-cmd.Context().Done()
					if err := c.Close(); err != nil {
						return &exitError{code: 2, err: fmt.Errorf("shut down: %w", err)}
					}
					fmt.Fprintln(cmd.ErrOrStderr(), "vsslab camera: stopped")
					return nil
				}
				profile = &t.Profile
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			w, err := world.Start(world.Options{
				StateDir: stateDir, Model: model, Seed: seed, Clock: clock.System{},
				HTTPS: httpsAddr, HTTP: httpAddr, RTSP: rtspAddr, Width: 1280, Height: 720, Log: log,
				Board: profile,
			})
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			printReady(cmd, w.Server.HTTPSURL(), w.Server.HTTPURL(), w.RTSPURL(), w.Camera.CertificateSHA256())
			<-cmd.Context().Done()
			if err := w.Close(); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("shut down: %w", err)}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "vsslab camera: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&stateDir, "state", "", "state directory (settings, users, keys, audit log); created if absent")
	f.StringVar(&httpsAddr, "https", "127.0.0.1:8443", "HTTPS API listen address")
	f.StringVar(&httpAddr, "http", "127.0.0.1:8080", `plain-HTTP listen address (it only redirects to HTTPS); "" for none`)
	f.StringVar(&rtspAddr, "rtsp", "127.0.0.1:8554", `RTSP listen address (rtsp://ADDR/live); "" for none`)
	f.StringVar(&model, "model", "iot", "camera model: iot (fixed) or move (PTZ)")
	f.Int64Var(&seed, "seed", 1, "seed of the simulated scene and serial number")
	f.StringVar(&boardArg, "board", "", "run on a board: sim:FILE|NAME the virtual board (e.g. sim:sim-ov5640), FILE|NAME a real one (frames from its video device through V4L2)")
	return cmd
}

// printReady prints the one JSON line a caller waits for before it talks to the camera.
func printReady(cmd *cobra.Command, https, http, rtsp, certSHA256 string) {
	line, _ := json.Marshal(map[string]string{
		"event": "ready", "https": https, "http": http, "rtsp": rtsp, "cert_sha256": certSHA256,
	})
	fmt.Fprintln(cmd.OutOrStdout(), string(line))
}

// serveOnRealBoard runs the camera on a real board as a bench does: host drivers, the profile's bus,
// chip and lines (board.Open), the sensor reset into its mode, sized to the camera's frame and
// streaming (the OV5640 driver over I2C), then the frames from the profile's video device through
// V4L2 and the camera with its listeners (hil/bench). Each failure names the board and what is
// missing; on a failure whatever was opened is closed again.
func serveOnRealBoard(p board.Profile, opts bench.Options) (*bench.Camera, error) {
	fail := func(err error) (*bench.Camera, error) {
		return nil, fmt.Errorf("camera serve --board %s: %w", p.Name, err)
	}
	if p.Video == "" {
		return fail(fmt.Errorf("the profile names no video device (video:, e.g. /dev/video0): the camera's frames come from it"))
	}
	if p.Card != "" {
		card, err := sdcard.Open(p.Card)
		if err != nil {
			return fail(err)
		}
		opts.Card = card
	}
	b, err := board.Open(p, &board.Options{Init: board.HostInit, Settle: func(d time.Duration) { <-clock.System{}.After(d) }})
	if err != nil {
		return fail(err)
	}
	closeBoard := func(err error) (*bench.Camera, error) {
		return fail(errors.Join(err, b.Sensor.Halt(), b.Close()))
	}
	if err := startSensor(b, realFrameWidth, realFrameHeight); err != nil {
		return closeBoard(fmt.Errorf("start the sensor: %w", err))
	}
	frames, err := v4l2.Open(p.Video, realFrameWidth, realFrameHeight, opts.Clock)
	if err != nil {
		return closeBoard(err)
	}
	c, err := bench.Start(b, frames, opts) // closes the board and frames itself on a failure
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// realFrameWidth and realFrameHeight are the camera's frame size on a real board: the OV5640
// driver's mode, so the ISP need not scale.
const realFrameWidth, realFrameHeight = ov5640.ModeWidth, ov5640.ModeHeight

// startSensor resets the sensor into its mode, sets its output to w×h when that differs, and starts
// it streaming, as the probe and the virtual board's world do.
func startSensor(b *board.Board, w, h int) error {
	if err := b.Sensor.Reset(); err != nil {
		return err
	}
	if w != ov5640.ModeWidth || h != ov5640.ModeHeight {
		if err := b.Sensor.SetOutputSize(w, h); err != nil {
			return err
		}
	}
	return b.Sensor.Stream(true)
}
