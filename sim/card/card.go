// Package card is the simulated world's storage medium: the camera's SD card, on which sealed event
// records are written before they go to a NAS.
//
// Files live in a real directory, so a scenario can inspect the raw bytes as an attacker holding the
// card would, and the card enforces its own capacity independently of the host file system. Scenarios
// inject the faults the requirements talk about: a removed card and a full card (MON-1, and DEL-4: a
// full card must never make the camera delete early), write errors, and a power cut in the middle of a
// write that leaves a torn file. A "slow card" is modelled by the caller on the virtual clock; the card
// itself never sleeps.
//
// Writes are atomic (temp file, then rename) but are not synced to the host disk. The simulated
// medium's durability is modelled by its injected faults, power cuts included (TearNextWrite), not by
// the host's. An fsync adds nothing to the model, yet costs a host disk flush per write (0.4 to over
// 1 ms measured), which would dominate a 30-day virtual-time run with an event a minute (43,200
// writes). Only a crash of the host itself could then lose a recent write, and no scenario models that.
package card

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Clock stamps each written file's modification time, so List shows virtual time rather than the
// host's wall clock.
type Clock interface{ Now() time.Time }

// Sentinel errors, wrapped with context; callers branch on them with errors.Is.
var (
	// ErrRemoved is returned by every operation while the card is ejected (MON-1: card removed).
	ErrRemoved = errors.New("card removed")
	// ErrFull is returned when a write would take the card past its capacity. Nothing is written and
	// nothing is deleted to make room (DEL-4).
	ErrFull = errors.New("card full")
	// ErrWrite is returned when the medium fails during a write, whether injected or real.
	ErrWrite = errors.New("card write error")
	// ErrNotFound is returned by Read and Rename for a file that is not on the card.
	ErrNotFound = errors.New("no such file on card")
	// ErrBadName is returned for a name outside 1..128 characters of [A-Za-z0-9._-], or containing
	// "..", so no name can reach outside the card's directory.
	ErrBadName = errors.New("bad file name")
)

// File describes one record on the card, as List reports it.
type File struct {
	Name    string
	Size    int64
	ModTime time.Time // from the card's clock at the time of the write
}

// Card is a simulated SD card backed by a directory. It is safe for concurrent use; operations are
// serialised, including their disk I/O, so the capacity check and the write it guards are one step.
//
// Used is the card's own accounting of what was on disk at New plus what went through the card since;
// bytes a scenario changes directly in the directory are seen by Read and List but not accounted for.
type Card struct {
	dir string
	clk Clock

	mu         sync.Mutex
	capacity   int64
	used       int64
	sizes      map[string]int64
	ejected    bool
	failWrites int
	tearAt     int           // < 0: no tear armed
	latency    time.Duration // a worn or slow card: each write takes this long, in wall time
}

// New returns a card backed by dir, which is created with mode 0700 if missing. Files already in dir
// count toward the card's use, even beyond capacity (a card can be reopened already full); leftover
// temp files of an interrupted Write are deleted, as they were never visible. capacity must be > 0.
func New(dir string, capacity int64, clk Clock) (*Card, error) {
	if dir == "" {
		return nil, errors.New("new card: directory is empty")
	}
	if capacity <= 0 {
		return nil, fmt.Errorf("new card: capacity %d is not positive", capacity)
	}
	if clk == nil {
		return nil, errors.New("new card: clock is nil")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("new card: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("new card: create directory: %w", err)
	}
	c := &Card{dir: abs, clk: clk, capacity: capacity, sizes: map[string]int64{}, tearAt: -1}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("new card: read directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		if base, ok := strings.CutSuffix(name, tempSuffix); ok && checkName(base) == nil {
			if err := os.Remove(filepath.Join(abs, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("new card: remove leftover temp file: %w", err)
			}
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("new card: stat %q: %w", name, err)
		}
		// Foreign files (names the card would not accept) still occupy the medium.
		c.sizes[name] = info.Size()
		c.used += info.Size()
	}
	return c, nil
}

// Write stores data under name, replacing any file of that name. Normally the write is atomic: data
// goes to a temp file that is then renamed over the final name, so a reader sees either the old file or
// the whole new one (it is not synced to the host disk: see the package doc). It fails with ErrFull if
// the card would exceed its capacity (an overwrite counts only the difference), with ErrRemoved while
// ejected, and with ErrWrite when a fault is armed (FailWrites, TearNextWrite) or the disk fails. A
// refused write (bad name, removed, full) does not consume an armed fault: faults hit writes that reach
// the medium.
func (c *Card) Write(name string, data []byte) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("write card file: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ejected {
		return fmt.Errorf("write card file %q: %w", name, ErrRemoved)
	}
	old := c.sizes[name]
	size := int64(len(data))
	if next := c.used - old + size; next > c.capacity {
		return fmt.Errorf("write card file %q: %d bytes would use %d of %d: %w", name, size, next, c.capacity, ErrFull)
	}
	if c.failWrites > 0 {
		c.failWrites--
		return fmt.Errorf("write card file %q: injected fault: %w", name, ErrWrite)
	}
	if c.latency > 0 {
		// A slow medium is slow in real time: a camera measures its writes with a stopwatch, not
		// with the scenario's virtual clock. Writes are serialised, as on a real card.
		time.Sleep(c.latency)
	}
	if c.tearAt >= 0 {
		at := min(c.tearAt, len(data))
		c.tearAt = -1
		return c.tear(name, data[:at], old)
	}
	if err := c.writeAtomic(name, data); err != nil {
		return fmt.Errorf("write card file %q: %w: %w", name, ErrWrite, err)
	}
	c.used += size - old
	c.sizes[name] = size
	return nil
}

// writeAtomic writes data to a temp file, stamps it with the clock and renames it over name. On failure
// the temp file is removed and any old file is left intact.
func (c *Card) writeAtomic(name string, data []byte) (err error) {
	final := filepath.Join(c.dir, name)
	tmp := final + tempSuffix
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := c.writeFile(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// tear writes prefix in place under the final name, as a power cut mid-write would leave it, and
// reports ErrWrite. The old file, if any, is gone: it was truncated before the cut.
func (c *Card) tear(name string, prefix []byte, old int64) error {
	final := filepath.Join(c.dir, name)
	err := c.writeFile(final, prefix)
	if info, statErr := os.Stat(final); statErr == nil {
		c.used += info.Size() - old
		c.sizes[name] = info.Size()
	}
	if err != nil {
		return fmt.Errorf("write card file %q: torn after %d bytes: %w: %w", name, len(prefix), ErrWrite, err)
	}
	return fmt.Errorf("write card file %q: power cut after %d bytes: %w", name, len(prefix), ErrWrite)
}

// writeFile creates or truncates path, writes data and sets its times from the clock. It does not sync:
// the card's durability is modelled by its faults, not by the host disk's (see the package doc).
func (c *Card) writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write: %w", err)
	}
	now := c.clk.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		_ = f.Close()
		return fmt.Errorf("set time: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// Read returns the bytes stored under name as they are on disk now, torn or tampered with included.
func (c *Card) Read(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("read card file: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ejected {
		return nil, fmt.Errorf("read card file %q: %w", name, ErrRemoved)
	}
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read card file %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read card file %q: %w", name, err)
	}
	return data, nil
}

// List returns the files on the card sorted by name. Temp files of a write in progress and entries
// whose names the card would not accept are not listed; torn files are, since a power cut leaves them
// behind under their final name.
func (c *Card) List() ([]File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ejected {
		return nil, fmt.Errorf("list card: %w", ErrRemoved)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("list card: %w", err)
	}
	files := make([]File, 0, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() || checkName(e.Name()) != nil {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list card: stat %q: %w", e.Name(), err)
		}
		files = append(files, File{Name: e.Name(), Size: info.Size(), ModTime: info.ModTime().UTC()})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// Remove deletes name and frees its space. A missing file is not an error, so deletion can be retried
// after a crash without special cases.
func (c *Card) Remove(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("remove card file: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ejected {
		return fmt.Errorf("remove card file %q: %w", name, ErrRemoved)
	}
	if err := os.Remove(filepath.Join(c.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove card file %q: %w", name, err)
	}
	c.used -= c.sizes[name]
	delete(c.sizes, name)
	return nil
}

// Used returns the bytes the card counts as occupied. It can exceed Capacity after SetCapacity shrinks
// the card or when New finds more data than fits; the card then refuses writes but deletes nothing.
func (c *Card) Used() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Capacity returns the size the card enforces.
func (c *Card) Capacity() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capacity
}

// Path returns the card's directory (absolute), so a scenario can inspect raw bytes the way someone
// holding the card would. It works even while the card is ejected.
func (c *Card) Path() string { return c.dir }
