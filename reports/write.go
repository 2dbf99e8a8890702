package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2/types"
)

// The files WriteAll writes into its directory.
const (
	JSONFile  = "report.json"
	JUnitFile = "junit.xml"
	HTMLFile  = "report.html"
)

// WriteAll writes report.json, junit.xml and report.html into dir, creating it. Each file is
// first written in full beside its final name and renamed into place only when all three are
// ready, so a run that crashes or fails while writing never leaves half a report behind.
func WriteAll(dir string, rep Report, r types.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	type staged struct{ tmp, final string }
	var done []staged
	cleanup := func() {
		for _, s := range done {
			_ = os.Remove(s.tmp)
		}
	}
	steps := []struct {
		name string
		fill func(tmp string) error
	}{
		{JSONFile, writerFill(func(w io.Writer) error { return WriteJSON(w, rep) })},
		{JUnitFile, func(tmp string) error { return generateJUnit(tmp, r) }},
		{HTMLFile, writerFill(func(w io.Writer) error { return WriteHTML(w, rep) })},
	}
	for _, step := range steps {
		final := filepath.Join(dir, step.name)
		tmp, err := stage(final, step.fill)
		if err != nil {
			cleanup()
			return fmt.Errorf("write reports: %w", err)
		}
		done = append(done, staged{tmp, final})
	}
	for i, s := range done {
		if err := os.Rename(s.tmp, s.final); err != nil {
			for _, rest := range done[i:] {
				_ = os.Remove(rest.tmp)
			}
			return fmt.Errorf("write reports: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

// stage writes a file's content to a temporary file in the final file's directory, flushed to
// disk and readable by all, and returns the temporary file's name.
func stage(final string, fill func(tmp string) error) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("create %s: %w", final, err)
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("create %s: %w", final, err)
	}
	if err := fill(tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", final, err)
	}
	err = syncFile(tmp)
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", final, err)
	}
	return tmp, nil
}

// writeAtomic writes one file through stage and renames it into place.
func writeAtomic(final string, fill func(tmp string) error) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	tmp, err := stage(final, fill)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(final))
	return nil
}

// writerFill adapts a function that writes to an io.Writer to stage's fill.
func writerFill(write func(io.Writer) error) func(tmp string) error {
	return func(tmp string) error {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		err = write(w)
		if err == nil {
			err = w.Flush()
		}
		return errors.Join(err, f.Close())
	}
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// syncDir makes a rename durable where the platform allows; failure only loses durability, not
// atomicity, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
