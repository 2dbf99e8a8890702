package card

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Rename gives the file oldName the name newName, replacing any file of that name, as one rename on the
// medium: a reader sees the file under one name or the other, never both or neither. The camera uses it
// to set a torn record aside as NAME.torn, keeping its bytes as evidence while freeing NAME for a
// rewrite, so it works on a full card: it never adds to Used. The renamed file keeps its bytes (counted
// once) and its modification time; a replaced file's bytes are freed.
//
// Both names are checked like Write's (ErrBadName). It fails with ErrRemoved while ejected, with
// ErrNotFound when oldName is not a file on the card, and with ErrWrite when the disk refuses the
// rename. Renaming a file to its own name does nothing. Armed write faults (FailWrites, TearNextWrite)
// model failing data writes, so Rename neither fails from them nor consumes them.
func (c *Card) Rename(oldName, newName string) error {
	if err := checkName(oldName); err != nil {
		return fmt.Errorf("rename card file: old %w", err)
	}
	if err := checkName(newName); err != nil {
		return fmt.Errorf("rename card file %q: new %w", oldName, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ejected {
		return fmt.Errorf("rename card file %q to %q: %w", oldName, newName, ErrRemoved)
	}
	from := filepath.Join(c.dir, oldName)
	info, err := os.Lstat(from)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rename card file %q to %q: %w", oldName, newName, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("rename card file %q to %q: %w", oldName, newName, err)
	}
	if !info.Mode().IsRegular() {
		// List does not show it either: to the card it is not a file.
		return fmt.Errorf("rename card file %q to %q: not a regular file: %w", oldName, newName, ErrNotFound)
	}
	if oldName == newName {
		return nil
	}
	if err := os.Rename(from, filepath.Join(c.dir, newName)); err != nil {
		return fmt.Errorf("rename card file %q to %q: %w: %w", oldName, newName, ErrWrite, err)
	}
	c.used -= c.sizes[newName]
	delete(c.sizes, newName)
	if size, ok := c.sizes[oldName]; ok {
		c.sizes[newName] = size
		delete(c.sizes, oldName)
	}
	return nil
}
