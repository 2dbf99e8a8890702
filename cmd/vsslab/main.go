// Command vsslab is the one program of vsslab: it runs the reference camera (`vsslab camera serve`)
// and runs the scenario suites against a camera and writes the certification report (`vsslab run`).
// It only wires packages together; the work is in camera/, sim/, scenarios/ and reports/.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"vsslab/scenarios/runner"
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := rootCommand()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != 1 {
			fmt.Fprintln(os.Stderr, "vsslab:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "vsslab:", err)
	os.Exit(2)
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "vsslab",
		Short:         "Hardware-in-the-loop simulator and compliance harness for video security cameras",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(cameraCommand(), runCommand(), decryptCommand(), boardCommand(), versionCommand())
	return root
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print vsslab's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "vsslab", runner.HarnessVersion)
		},
	}
}
