package nas

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
)

// fileTarget writes records into a directory, normally a mounted share (NFS, SMB).
type fileTarget struct {
	dir    string
	url    string
	closed atomic.Bool
}

// openFile checks that the directory exists before the first record is queued for it.
func openFile(u *url.URL) (*fileTarget, error) {
	dir := filepath.FromSlash(u.Path)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open NAS %s: %w", u, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open NAS %s: not a directory", u)
	}
	return &fileTarget{dir: dir, url: (&url.URL{Scheme: "file", Path: u.Path}).String()}, nil
}

// inBackground runs f in its own goroutine and stops waiting when ctx ends. A mounted share that has
// hung blocks system calls without any timeout; this keeps the caller bounded (the goroutine finishes
// whenever the share answers, and Put stays atomic meanwhile).
func inBackground[T any](ctx context.Context, what string, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%s: %w: %w", what, ErrUnreachable, err)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, fmt.Errorf("%s: %w: %w", what, ErrUnreachable, ctx.Err())
	}
}

func (t *fileTarget) check(name string) error {
	if t.closed.Load() {
		return ErrClosed
	}
	return CheckName(name)
}

func (t *fileTarget) Put(ctx context.Context, name string, data []byte) error {
	if err := t.check(name); err != nil {
		return fmt.Errorf("put %s: %w", t.url, err)
	}
	what := fmt.Sprintf("put %s to %s", name, t.url)
	_, err := inBackground(ctx, what, func() (struct{}, error) {
		return struct{}{}, t.put(name, data)
	})
	return err
}

func (t *fileTarget) put(name string, data []byte) (err error) {
	what := fmt.Sprintf("put %s to %s", name, t.url)
	f, err := os.CreateTemp(t.dir, tempMarker+"*") // mode 0600
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("%s: write: %w", what, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("%s: sync: %w", what, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", what, err)
	}
	if err = os.Rename(tmp, filepath.Join(t.dir, name)); err != nil {
		return fmt.Errorf("%s: rename: %w", what, err)
	}
	// Make the rename itself durable; some shares refuse to sync a directory, which is not fatal.
	if d, derr := os.Open(t.dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func (t *fileTarget) Get(ctx context.Context, name string) ([]byte, error) {
	if err := t.check(name); err != nil {
		return nil, fmt.Errorf("get %s: %w", t.url, err)
	}
	what := fmt.Sprintf("get %s from %s", name, t.url)
	return inBackground(ctx, what, func() ([]byte, error) {
		p := filepath.Join(t.dir, name)
		st, err := os.Lstat(p)
		if err == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %w (not a regular file)", what, ErrNotFound)
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return b, nil
	})
}

func (t *fileTarget) List(ctx context.Context) ([]File, error) {
	if t.closed.Load() {
		return nil, fmt.Errorf("list %s: %w", t.url, ErrClosed)
	}
	what := "list " + t.url
	return inBackground(ctx, what, func() ([]File, error) {
		entries, err := os.ReadDir(t.dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		var out []File
		for _, e := range entries {
			if !e.Type().IsRegular() || CheckName(e.Name()) != nil {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			out = append(out, File{Name: e.Name(), Size: info.Size(), ModTime: info.ModTime()})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	})
}

func (t *fileTarget) Remove(ctx context.Context, name string) error {
	if err := t.check(name); err != nil {
		return fmt.Errorf("remove %s: %w", t.url, err)
	}
	what := fmt.Sprintf("remove %s from %s", name, t.url)
	_, err := inBackground(ctx, what, func() (struct{}, error) {
		p := filepath.Join(t.dir, name)
		if st, err := os.Lstat(p); err == nil && st.IsDir() {
			return struct{}{}, fmt.Errorf("%s: is a directory, not a record", what)
		}
		err := os.Remove(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return struct{}{}, fmt.Errorf("%s: %w", what, err)
		}
		return struct{}{}, nil
	})
	return err
}

func (t *fileTarget) String() string { return t.url }

func (t *fileTarget) Close() error {
	t.closed.Store(true)
	return nil
}
