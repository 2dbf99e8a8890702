package nas

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/sftp"

	cameranas "vsslab/camera/nas"
)

// rootFS serves SFTP requests from one directory, opened as an os.Root: every path a client sends is
// resolved inside it, and the kernel-backed Root refuses anything that would leave it, including
// through a symbolic link planted in the directory. pkg/sftp's own file server
// (WithServerWorkingDirectory) only sets a starting directory and would serve absolute paths anywhere.
//
// Symbolic and hard links are refused: a NAS for records has no use for them, and refusing them keeps
// a client from planting a link for another tool to follow.
type rootFS struct {
	root *os.Root
	// uploaded is called each time a record is complete under its final name (see isUpload).
	uploaded func()
}

// handlers returns the pkg/sftp request-server handlers backed by fsys.
func (fsys *rootFS) handlers() sftp.Handlers {
	return sftp.Handlers{FileGet: fsys, FilePut: fsys, FileCmd: fsys, FileList: fsys}
}

// rel turns a client's path (absolute, "/" being the root directory) into a name relative to the
// root. Cleaning first makes "/../x" mean "/x", as on any SFTP server whose "/" is the top.
func rel(p string) string {
	r := strings.TrimPrefix(path.Clean("/"+p), "/")
	if r == "" {
		return "."
	}
	return r
}

// isRecord reports whether a client path names a record: a flat name the camera's own NAS client
// accepts. Temporary upload files (which contain '~') are not records.
func isRecord(p string) bool {
	r := rel(p)
	return !strings.Contains(r, "/") && cameranas.CheckName(r) == nil
}

// Fileread opens a file for reading.
func (fsys *rootFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	f, err := fsys.root.Open(rel(r.Filepath))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = &fs.PathError{Op: "open", Path: r.Filepath, Err: syscall.EISDIR}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Filewrite opens a file for writing with the client's flags. New files are private (0600) until
// the client sets their mode, as the camera does.
func (fsys *rootFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return fsys.openWrite(r)
}

// OpenFile opens a file for reading and writing on one handle.
func (fsys *rootFS) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return fsys.openWrite(r)
}

func (fsys *rootFS) openWrite(r *sftp.Request) (*writeFile, error) {
	pf := r.Pflags()
	flag := os.O_WRONLY
	if pf.Read {
		flag = os.O_RDWR
	}
	// Append is not mapped to O_APPEND: pkg/sftp writes at explicit offsets, which O_APPEND breaks.
	if pf.Creat {
		flag |= os.O_CREATE
	}
	if pf.Trunc {
		flag |= os.O_TRUNC
	}
	if pf.Excl {
		flag |= os.O_EXCL
	}
	f, err := fsys.root.OpenFile(rel(r.Filepath), flag, 0o600)
	if err != nil {
		return nil, err
	}
	return &writeFile{File: f, record: isRecord(r.Filepath), uploaded: fsys.uploaded}, nil
}

// writeFile is a file open for writing; closing it completes an upload if it is a record.
type writeFile struct {
	*os.File
	record   bool
	uploaded func()
}

func (w *writeFile) Close() error {
	if err := w.File.Close(); err != nil {
		return err
	}
	if w.record {
		w.uploaded()
	}
	return nil
}

// Filecmd runs the commands that change the tree.
func (fsys *rootFS) Filecmd(r *sftp.Request) error {
	name := rel(r.Filepath)
	switch r.Method {
	case "Setstat":
		return fsys.setstat(r)
	case "Rename":
		// SFTP (draft 3) rename never replaces; clients that want replacing use posix-rename.
		if _, err := fsys.root.Lstat(rel(r.Target)); err == nil {
			return &os.LinkError{Op: "rename", Old: r.Filepath, New: r.Target, Err: fs.ErrExist}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fsys.rename(r)
	case "Mkdir":
		return fsys.root.Mkdir(name, 0o755)
	case "Rmdir":
		st, err := fsys.root.Lstat(name)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return &fs.PathError{Op: "rmdir", Path: r.Filepath, Err: syscall.ENOTDIR}
		}
		return fsys.root.Remove(name)
	case "Remove":
		st, err := fsys.root.Lstat(name)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return &fs.PathError{Op: "remove", Path: r.Filepath, Err: syscall.EISDIR}
		}
		return fsys.root.Remove(name)
	default: // Link, Symlink and anything newer
		return fmt.Errorf("%s %s: %w", strings.ToLower(r.Method), r.Filepath, sftp.ErrSSHFxOpUnsupported)
	}
}

// PosixRename renames, replacing the target (posix-rename@openssh.com, which the camera uses so that
// a record is replaced atomically).
func (fsys *rootFS) PosixRename(r *sftp.Request) error { return fsys.rename(r) }

func (fsys *rootFS) rename(r *sftp.Request) error {
	if err := fsys.root.Rename(rel(r.Filepath), rel(r.Target)); err != nil {
		return err
	}
	if isUpload(r.Filepath, r.Target) {
		fsys.uploaded()
	}
	return nil
}

// isUpload reports whether renaming from to to completes an upload: a file written under another name
// (the camera's temporary file) becomes a record. Renaming one record to another is not an upload.
func isUpload(from, to string) bool { return isRecord(to) && !isRecord(from) }

// setstat applies the attributes a client sends (size, mode, times). Changing the owner is refused:
// the simulated NAS runs as one user, and silently ignoring it would hide a client's mistake.
func (fsys *rootFS) setstat(r *sftp.Request) error {
	name := rel(r.Filepath)
	fl := r.AttrFlags()
	a := r.Attributes()
	if fl.UidGid {
		return &fs.PathError{Op: "chown", Path: r.Filepath, Err: syscall.EPERM}
	}
	if fl.Size {
		f, err := fsys.root.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Truncate(int64(a.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if fl.Permissions {
		if err := fsys.root.Chmod(name, a.FileMode().Perm()); err != nil {
			return err
		}
	}
	if fl.Acmodtime {
		if err := fsys.root.Chtimes(name, time.Unix(int64(a.Atime), 0), time.Unix(int64(a.Mtime), 0)); err != nil {
			return err
		}
	}
	return nil
}

// Filelist answers directory listings and stat.
func (fsys *rootFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	name := rel(r.Filepath)
	switch r.Method {
	case "List":
		return fsys.list(name)
	case "Stat":
		st, err := fsys.root.Stat(name)
		if err != nil {
			return nil, err
		}
		return listerAt{st}, nil
	default: // Readlink: links are not served
		return nil, fmt.Errorf("%s %s: %w", strings.ToLower(r.Method), r.Filepath, sftp.ErrSSHFxOpUnsupported)
	}
}

// Lstat answers stat without following a final symbolic link.
func (fsys *rootFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	st, err := fsys.root.Lstat(rel(r.Filepath))
	if err != nil {
		return nil, err
	}
	return listerAt{st}, nil
}

func (fsys *rootFS) list(name string) (sftp.ListerAt, error) {
	d, err := fsys.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make(listerAt, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed since it was read
		}
		out = append(out, fi)
	}
	return out, nil
}

// listerAt serves a fixed list of entries.
type listerAt []os.FileInfo

func (l listerAt) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}
