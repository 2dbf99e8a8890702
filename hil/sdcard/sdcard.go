// Package sdcard is the camera's record medium on a board: the file system of a memory card, mounted
// at a directory. The simulated world has its own card (sim/card) with capacity and faults it makes up;
// here the card itself decides: a full card answers ENOSPC, a card whose supply is cut (the bench's
// card_power) or that was pulled answers I/O errors, and the camera's storage test reports them.
package sdcard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"vsslab/camera/nas"
	"vsslab/camera/store"
)

// tempPrefix starts the name of a file a Write is still filling. Record names never start with '.',
// so a half-written file is never listed nor mistaken for a record.
const tempPrefix = ".partial-"

// ErrNotMounted is a card that is not there: its mount point is missing, or is a plain directory of
// the file system above it, which would take the records onto the board's own storage.
var ErrNotMounted = errors.New("no card mounted")

// Card is a mounted memory card's directory as the camera's record store sees it (store.Medium).
type Card struct {
	dir string
	// anyDir accepts a directory that is not a mount point: the package's tests, which cannot mount.
	anyDir bool
}

var _ store.Medium = (*Card)(nil)

// Open checks that dir is an absolute path and returns the card mounted there. It does not require
// the card to be there yet: a camera starts without its card, and its storage test says the card is
// missing. Every operation checks that dir is a mount point (ErrNotMounted otherwise).
func Open(dir string) (*Card, error) {
	if dir == "" || !filepath.IsAbs(dir) || filepath.Clean(dir) == "/" {
		return nil, fmt.Errorf("open card: %q is not an absolute directory other than / (the card's mount point, e.g. /mnt/vsslab-card)", dir)
	}
	return &Card{dir: filepath.Clean(dir)}, nil
}

// mounted reports ErrNotMounted unless the card's directory is a mount point: a directory on another
// device than its parent.
func (c *Card) mounted() error {
	if c.anyDir {
		return nil
	}
	var self, parent syscall.Stat_t
	if err := syscall.Stat(c.dir, &self); err != nil {
		return fmt.Errorf("%w at %s: %w", ErrNotMounted, c.dir, err)
	}
	if err := syscall.Stat(filepath.Dir(c.dir), &parent); err != nil {
		return fmt.Errorf("%w at %s: %w", ErrNotMounted, c.dir, err)
	}
	if self.Dev == parent.Dev {
		return fmt.Errorf("%w at %s: it is a directory of the file system above it, not a mounted card", ErrNotMounted, c.dir)
	}
	return nil
}

// Dir is the card's mount point.
func (c *Card) Dir() string { return c.dir }

// Write stores data as name in one step a power cut cannot split: into a temporary file, synced, then
// renamed over name, and the directory synced. A full card's error matches store.ErrFull and leaves
// nothing behind.
func (c *Card) Write(name string, data []byte) (err error) {
	if err := checkName(name); err != nil {
		return fmt.Errorf("write card file: %w", err)
	}
	if err := c.mounted(); err != nil {
		return fmt.Errorf("write card file: %w", err)
	}
	f, err := os.CreateTemp(c.dir, tempPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("write card file %q: %w", name, translate(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write card file %q: %w", name, translate(werr))
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, name)); err != nil {
		return fmt.Errorf("write card file %q: %w", name, translate(err))
	}
	if err := c.syncDir(); err != nil {
		return fmt.Errorf("write card file %q: %w", name, err)
	}
	return nil
}

// Read returns the file name holds; a missing one's error matches store.ErrNotFound.
func (c *Card) Read(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("read card file: %w", err)
	}
	if err := c.mounted(); err != nil {
		return nil, fmt.Errorf("read card file: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return nil, fmt.Errorf("read card file %q: %w", name, translate(err))
	}
	return b, nil
}

// Names lists the card's files, sorted: regular files with a record's name, so neither a Write in
// progress nor what else a file system keeps at its root (lost+found) shows.
func (c *Card) Names() ([]string, error) {
	if err := c.mounted(); err != nil {
		return nil, fmt.Errorf("list card: %w", err)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("list card: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() || checkName(e.Name()) != nil {
			continue
		}
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out, nil
}

// Remove deletes name. A missing file is not an error, so a removal can be retried after a crash.
func (c *Card) Remove(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("remove card file: %w", err)
	}
	if err := c.mounted(); err != nil {
		return fmt.Errorf("remove card file: %w", err)
	}
	if err := os.Remove(filepath.Join(c.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove card file %q: %w", name, err)
	}
	return c.syncDir()
}

// Rename gives oldName the name newName in one rename, replacing a file of that name (the camera sets
// a torn record aside this way). A missing oldName's error matches store.ErrNotFound.
func (c *Card) Rename(oldName, newName string) error {
	if err := checkName(oldName); err != nil {
		return fmt.Errorf("rename card file: old %w", err)
	}
	if err := checkName(newName); err != nil {
		return fmt.Errorf("rename card file %q: new %w", oldName, err)
	}
	if err := c.mounted(); err != nil {
		return fmt.Errorf("rename card file: %w", err)
	}
	if err := os.Rename(filepath.Join(c.dir, oldName), filepath.Join(c.dir, newName)); err != nil {
		return fmt.Errorf("rename card file %q to %q: %w", oldName, newName, translate(err))
	}
	return c.syncDir()
}

// syncDir makes the directory's entries (a rename, a removal) durable.
func (c *Card) syncDir() error {
	d, err := os.Open(c.dir)
	if err != nil {
		return fmt.Errorf("sync card directory: %w", translate(err))
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("sync card directory: %w", translate(serr))
	}
	return nil
}

// checkName applies the record-name rule of the NAS transports, so that a name is always a plain
// entry directly inside the card's directory, and refuses a leading '.', the card's own files.
func checkName(name string) error {
	if err := nas.CheckName(name); err != nil {
		return fmt.Errorf("file name %q: %w", name, err)
	}
	if strings.HasPrefix(name, ".") {
		return fmt.Errorf("file name %q: a leading '.' marks the card's own files", name)
	}
	return nil
}

// translate makes a full card's and a missing file's errors match the store's, keeping the system's.
func translate(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}
