package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"vsslab/camera/clock"
	"vsslab/hil/board"
	"vsslab/hil/probe"
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
					return &exitError{code: 2, err: serveOnRealBoard(t.Profile)}
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
			ready := map[string]string{
				"event":       "ready",
				"https":       w.Server.HTTPSURL(),
				"http":        w.Server.HTTPURL(),
				"rtsp":        w.RTSPURL(),
				"cert_sha256": w.Camera.CertificateSHA256(),
			}
			line, _ := json.Marshal(ready)
			fmt.Fprintln(cmd.OutOrStdout(), string(line))
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
	f.StringVar(&boardArg, "board", "", "run on a board: sim:FILE|NAME the virtual board (e.g. sim:sim-ov5640), FILE|NAME a real one (frames not implemented yet)")
	return cmd
}

// serveOnRealBoard opens a real board as a bench would (host drivers, then the profile's bus, chip
// and lines), so that a missing bus or permission is reported as such, and then stops: the camera's
// frames would come from the board's video device, and V4L2 capture is not implemented yet.
func serveOnRealBoard(p board.Profile) error {
	b, err := board.Open(p, &board.Options{Init: board.HostInit, Settle: func(d time.Duration) { <-clock.System{}.After(d) }})
	if err != nil {
		return fmt.Errorf("camera serve --board %s: %w", p.Name, err)
	}
	if err := b.Close(); err != nil {
		return fmt.Errorf("camera serve --board %s: %w", p.Name, err)
	}
	video := p.Video
	if video == "" {
		video = "the profile names no video device"
	}
	return fmt.Errorf("camera serve --board %s: not implemented on this build: the board's I2C bus, sensor and lines answer, but the camera's frames come from its video device (%s) through V4L2 capture, which is not implemented yet; use --board sim:%s for the virtual board", p.Name, video, p.Name)
}
