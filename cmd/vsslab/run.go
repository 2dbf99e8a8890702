package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"vsslab/scenarios/runner"
)

func runCommand() *cobra.Command {
	var o runner.Options
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the scenario suites against a camera and write the certification report",
		Long: `Runs every scenario suite (or those selected by --label-filter, e.g. "AUTH-1 || PBD")
against the target and writes report.json, junit.xml, report.html and run.log to --out.
Exit code: 0 when nothing failed, 1 when a requirement failed, 2 on a usage or infrastructure error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = cmd.ErrOrStderr()
			o.Terminal = term.IsTerminal(int(os.Stderr.Fd()))
			res, err := runner.Run(cmd.Context(), o)
			if err != nil {
				// Usage mistakes and broken runs both exit 2; the message says what to do.
				return &exitError{code: 2, err: err}
			}
			fmt.Fprint(cmd.OutOrStdout(), runner.Summary(res.Report, o.OutDir))
			if res.ExitCode != 0 {
				return &exitError{code: res.ExitCode, err: fmt.Errorf("run finished with exit code %d", res.ExitCode)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Target, "target", "sim", "camera under test: sim (the in-process reference camera on the simulated world), hil-sim (the same camera on the virtual board), bench-sim (the bench target driving that camera in real time: a bench rehearsed without hardware), container (this program's camera in a container image, on a Docker engine) or hil:FILE (a camera on a bench board, FILE its profile; needs --camera and --pin)")
	f.StringVar(&o.Board, "board", "", "hil-sim's or bench-sim's board profile, a FILE or an embedded NAME (default sim-ov5640)")
	f.StringVar(&o.Camera, "camera", "", "hil:FILE: the bench camera's HTTPS base URL, e.g. https://10.0.0.5:8443 (\"https\" on its ready line)")
	f.StringVar(&o.Pin, "pin", "", "hil:FILE: the SHA-256 of the bench camera's certificate in hex (\"cert_sha256\" on its ready line)")
	f.StringVar(&o.CameraHTTP, "camera-http", "", "hil:FILE: the bench camera's plain-HTTP base URL, if it opens one (\"http\" on its ready line)")
	f.StringVar(&o.RTSP, "rtsp", "", "hil:FILE: the bench camera's live stream, rtsp://HOST:PORT/live (\"rtsp\" on its ready line)")
	f.StringVar(&o.Model, "model", "", "camera model: iot or move (default iot; on a bench, the camera's own)")
	f.StringVar(&o.LabelFilter, "label-filter", "", `select specs by requirement ID or area, e.g. "AUTH-1 || PBD-2"`)
	f.StringVar(&o.OutDir, "out", "report", "directory for the report files")
	f.Int64Var(&o.Seed, "seed", 1, "seed of the simulated world and of the spec order")
	return cmd
}
