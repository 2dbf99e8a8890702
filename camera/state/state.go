// Package state keeps the camera's persistent files (settings, users, keys) in one directory.
//
// A camera loses power at any moment, so every write is atomic: the new content goes to a temporary
// file in the same directory, is synced, and is renamed over the old one, and the directory itself is
// synced. A reader therefore sees either the old file or the new one, never half of each.
//
// A file that is corrupt when read is an error that names the file. The camera refuses to start on it
// rather than falling back to factory defaults, which would silently re-enable public access and the
// default password.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotExist is returned by Load when the file has never been written: the caller decides the
// factory default. It wraps fs.ErrNotExist.
var ErrNotExist = os.ErrNotExist

// CorruptError says which state file could not be read back, so an operator can inspect it.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("state file %s is corrupt (the camera will not replace it with factory defaults; restore it or factory-reset the camera): %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Dir is a state directory.
type Dir struct {
	path string
}

// Open makes sure path exists as a directory only the camera can read (0700) and returns it.
func Open(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("open state directory: no path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open state directory %q: %w", path, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open state directory %s: %w", abs, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open state directory %s: %w", abs, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open state directory %s: not a directory", abs)
	}
	return &Dir{path: abs}, nil
}

// Path is the directory's absolute path.
func (d *Dir) Path() string { return d.path }

// Join names a file or sub-directory inside the state directory. Names come from the camera's own
// code, never from requests, but a name that would escape the directory is refused all the same.
func (d *Dir) Join(name string) (string, error) {
	clean := filepath.Clean(name)
	if name == "" || filepath.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("state file name %q is not inside the state directory", name)
	}
	return filepath.Join(d.path, clean), nil
}

// WriteFile replaces name atomically with data (mode 0600).
func (d *Dir) WriteFile(name string, data []byte) error {
	path, err := d.Join(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteAtomic(path, data, 0o600)
}

// ReadFile returns name's content; a file that was never written gives an error wrapping ErrNotExist.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	path, err := d.Join(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// SaveJSON writes v as indented JSON, atomically.
func (d *Dir) SaveJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return d.WriteFile(name, append(data, '\n'))
}

// LoadJSON reads name into v strictly: unknown fields, trailing data and bad syntax are a
// *CorruptError naming the file. A missing file is ErrNotExist (not corrupt).
func (d *Dir) LoadJSON(name string, v any) error {
	data, err := d.ReadFile(name)
	if err != nil {
		return err
	}
	path, _ := d.Join(name)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	if dec.More() {
		return &CorruptError{Path: path, Err: errors.New("trailing data after the JSON document")}
	}
	return nil
}

// Remove deletes name if it exists; a missing file is not an error.
func (d *Dir) Remove(name string) error {
	path, err := d.Join(name)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// WriteAtomic replaces path with data: temporary file in the same directory, fsync, rename, fsync of
// the directory. A crash at any point leaves either the old or the new content.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	committed = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
