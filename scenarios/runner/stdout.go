package runner

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// redirectStdout sends file descriptor 1 to a transcript file while the suites run. Ginkgo's own
// console reporter writes to the process's standard output, which belongs to the command's summary;
// its full transcript is still worth keeping, next to the report. The returned function restores
// standard output.
func redirectStdout(path string) (func() error, error) {
	logFile, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create run transcript: %w", err)
	}
	saved, err := unix.Dup(1)
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("keep standard output: %w", err)
	}
	if err := unix.Dup2(int(logFile.Fd()), 1); err != nil {
		unix.Close(saved)
		logFile.Close()
		return nil, fmt.Errorf("redirect standard output to %s: %w", path, err)
	}
	return func() error {
		_ = os.Stdout.Sync()
		err := unix.Dup2(saved, 1)
		unix.Close(saved)
		if cerr := logFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("restore standard output: %w", err)
		}
		return nil
	}, nil
}
