package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"vsslab/camera/clock"
	"vsslab/hil/board"
	"vsslab/hil/probe"
	"vsslab/hil/v4l2"
	simboard "vsslab/sim/board"
)

func boardCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "board",
		Short: "Work with a camera board (a bench, or the virtual board)",
	}
	cmd.AddCommand(boardProbeCommand())
	return cmd
}

func boardProbeCommand() *cobra.Command {
	var boardArg, recordPath string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Check a board: sensor chip ID and state, line levels, one frame",
		Long: `Opens the board a profile describes, initialises its OV5640, and prints the chip ID, the
sensor's state, each line's level and one captured frame's statistics. It leaves the sensor
powered down.
  --board FILE|NAME      a real board (default: the rpi-ov5640 profile); needs periph's host drivers
  --board sim:FILE|NAME  the virtual board, e.g. sim:sim-ov5640
  --record FILE          also save the I2C traffic as a trace (fixtures/traces format)
Without a board it fails with exit code 2 and says what is missing; see docs/bench.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			target, err := probe.ParseTarget(boardArg)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			cfg := probe.Config{Profile: target.Profile}
			if target.Sim {
				sim, err := simboard.Open(target.Profile, simboard.Options{Clock: clock.System{}})
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				defer sim.Close()
				cfg.Frames = sim.Frames
			} else {
				cfg.Open = board.Options{Init: board.HostInit, Settle: func(d time.Duration) { <-clock.System{}.After(d) }}
				cfg.OpenFrames = func(device string, w, h int) (probe.FrameSource, error) {
					return v4l2.Open(device, w, h, clock.System{})
				}
			}
			var trace bytes.Buffer
			if recordPath != "" {
				cfg.Record = &trace
			}
			rep, err := probe.Run(cfg)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if recordPath != "" {
				if err := os.WriteFile(recordPath, trace.Bytes(), 0o644); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("save trace: %w", err)}
				}
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&boardArg, "board", "", "board profile: FILE or NAME, or sim:FILE or sim:NAME for the virtual board")
	cmd.Flags().StringVar(&recordPath, "record", "", "save the probe's I2C traffic to this trace file")
	return cmd
}
