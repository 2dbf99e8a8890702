package nas

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"

	. "github.com/onsi/gomega"
)

func TestRel(t *testing.T) {
	for in, want := range map[string]string{
		"/":              ".",
		"":               ".",
		"/a.enc":         "a.enc",
		"a.enc":          "a.enc",
		"/sub/a.enc":     "sub/a.enc",
		"/../a.enc":      "a.enc",
		"../../etc":      "etc",
		"/sub/../../x":   "x",
		"//double//path": "double/path",
	} {
		if got := rel(in); got != want {
			t.Errorf("rel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsUpload(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"/.nas-tmp~ABC", "/a.enc", true},
		{"/a.enc", "/b.enc", false},          // renaming a record is not an upload
		{"/a.enc", "/.nas-tmp~x", false},     // nor is hiding one
		{"/.nas-tmp~x", "/sub/a.enc", false}, // records live in the served directory only
		{"/.nas-tmp~x", "/bad name", false},
	} {
		if got := isUpload(c.from, c.to); got != c.want {
			t.Errorf("isUpload(%q, %q) = %t, want %t", c.from, c.to, got, c.want)
		}
	}
}

func TestListerAt(t *testing.T) {
	g := NewWithT(t)
	st, err := os.Stat(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	l := listerAt{st, st, st}
	buf := make([]os.FileInfo, 2)
	n, err := l.ListAt(buf, 0)
	g.Expect(n).To(Equal(2))
	g.Expect(err).NotTo(HaveOccurred())
	n, err = l.ListAt(buf, 2)
	g.Expect(n).To(Equal(1))
	g.Expect(err).To(Equal(io.EOF))
	n, err = l.ListAt(buf, 3)
	g.Expect(n).To(BeZero())
	g.Expect(err).To(Equal(io.EOF))
}

// TestPathsStayInRoot tries to leave the served directory every way a raw SFTP client can.
func TestPathsStayInRoot(t *testing.T) {
	g := NewWithT(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	g.Expect(os.WriteFile(secret, []byte("host file"), 0o600)).To(Succeed())
	root := filepath.Join(outside, "root")
	g.Expect(os.Mkdir(root, 0o755)).To(Succeed())
	srv, err := Start(Options{Root: root, User: "cam"})
	g.Expect(err).NotTo(HaveOccurred())
	defer srv.Close()
	e := &env{srv: srv, key: newKey(t)}
	g.Expect(srv.Authorize(e.key.PublicKey())).To(Succeed())
	c := e.raw(t)

	// "../" resolves against the server's "/", which is the root: writing lands inside, never beside it.
	for _, p := range []string{"../escape", "/../escape", "/sub/../../escape"} {
		f, err := c.Create(p)
		g.Expect(err).NotTo(HaveOccurred(), p)
		_, err = f.Write([]byte(p))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(f.Close()).To(Succeed())
	}
	_, err = os.Stat(filepath.Join(outside, "escape"))
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "nothing was written beside the root")
	_, err = c.Create("../../../../tmp/vsslab-simnas-escape")
	g.Expect(err).To(MatchError(os.ErrNotExist), "/tmp is the root's tmp, which does not exist")
	_, err = os.Stat("/tmp/vsslab-simnas-escape")
	g.Expect(os.IsNotExist(err)).To(BeTrue())
	_, err = os.Stat(filepath.Join(root, "escape"))
	g.Expect(err).NotTo(HaveOccurred(), "the writes landed inside the root")

	_, err = c.Stat("../secret")
	g.Expect(err).To(MatchError(os.ErrNotExist), "the file beside the root is not visible")
	_, err = c.Open("/../../" + secret)
	g.Expect(err).To(HaveOccurred())
	entries, err := c.ReadDir("/..")
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	g.Expect(names).To(ConsistOf("escape"), "listing the parent lists the root")
	g.Expect(c.Rename("/escape", "../moved")).To(Succeed())
	_, err = os.Stat(filepath.Join(outside, "moved"))
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "a rename cannot move a file out")
	g.Expect(c.Mkdir("../../newdir")).To(Succeed())
	_, err = os.Stat(filepath.Join(root, "newdir"))
	g.Expect(err).NotTo(HaveOccurred())

	// Symbolic links planted in the root (by someone with host access) are not followed out of it.
	g.Expect(os.Symlink("../secret", filepath.Join(root, "rel-link"))).To(Succeed())
	g.Expect(os.Symlink(secret, filepath.Join(root, "abs-link"))).To(Succeed())
	g.Expect(os.Symlink(outside, filepath.Join(root, "dir-link"))).To(Succeed())
	for _, p := range []string{"/rel-link", "/abs-link", "/dir-link/secret"} {
		_, err := c.Open(p)
		g.Expect(err).To(HaveOccurred(), "open %s", p)
		_, err = c.Stat(p)
		g.Expect(err).To(HaveOccurred(), "stat %s", p)
		_, err = c.Create(p)
		g.Expect(err).To(HaveOccurred(), "create %s", p)
	}
	_, err = c.ReadDir("/dir-link")
	g.Expect(err).To(HaveOccurred())
	g.Expect(c.Chmod("/rel-link", 0o777)).NotTo(Succeed())
	got, err := os.ReadFile(secret)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("host file"), "the file outside is untouched")
	st, err := os.Stat(secret)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))

	// And clients cannot make links at all.
	g.Expect(c.Symlink(secret, "/made-link")).To(MatchError(ContainSubstring("unsupported")))
	g.Expect(c.Link("/newdir", "/hard")).NotTo(Succeed())
	_, err = c.ReadLink("/rel-link")
	g.Expect(err).To(HaveOccurred())
	_, err = os.Lstat(filepath.Join(root, "made-link"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
}

func TestFileCommands(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	c := e.raw(t)
	root := e.srv.Root()
	put := func(p, data string) {
		t.Helper()
		f, err := c.Create(p)
		g.Expect(err).NotTo(HaveOccurred(), p)
		_, err = f.Write([]byte(data))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(f.Close()).To(Succeed())
	}

	// Uploads: a record written directly counts; a temporary file counts once renamed to a record.
	put("/direct.enc", "d")
	g.Expect(e.srv.Uploads()).To(Equal(1))
	put("/.nas-tmp~1", "t1")
	g.Expect(e.srv.Uploads()).To(Equal(1), "a temporary file is not an upload yet")
	g.Expect(c.PosixRename("/.nas-tmp~1", "/direct.enc")).To(Succeed(), "posix-rename replaces")
	g.Expect(e.srv.Uploads()).To(Equal(2))
	got, err := os.ReadFile(filepath.Join(root, "direct.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("t1"))
	put("/.nas-tmp~2", "t2")
	g.Expect(c.Rename("/.nas-tmp~2", "/direct.enc")).To(MatchError(ContainSubstring("exists")), "plain rename never replaces")
	g.Expect(c.Rename("/.nas-tmp~2", "/second.enc")).To(Succeed())
	g.Expect(e.srv.Uploads()).To(Equal(3))
	g.Expect(c.Rename("/second.enc", "/third.enc")).To(Succeed())
	g.Expect(e.srv.Uploads()).To(Equal(3), "renaming a record is not an upload")
	g.Expect(e.srv.Files()).To(Equal([]string{"direct.enc", "third.enc"}))

	// Setstat: mode, size, times; owner refused.
	g.Expect(c.Chmod("/third.enc", 0o640)).To(Succeed())
	st, err := os.Stat(filepath.Join(root, "third.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o640)))
	g.Expect(c.Truncate("/third.enc", 1)).To(Succeed())
	got, err = os.ReadFile(filepath.Join(root, "third.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("t"))
	when := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	g.Expect(c.Chtimes("/third.enc", when, when)).To(Succeed())
	st, err = os.Stat(filepath.Join(root, "third.enc"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.ModTime().Equal(when)).To(BeTrue())
	g.Expect(c.Chown("/third.enc", 0, 0)).To(MatchError(ContainSubstring("permission denied")))

	// Directories: made and removed only with the directory commands.
	g.Expect(c.Mkdir("/d")).To(Succeed())
	g.Expect(c.Mkdir("/d")).NotTo(Succeed())
	// (pkg/sftp's client Remove falls back to rmdir, so the server's refusal is checked directly.)
	fsys := &rootFS{root: e.srv.root, uploaded: func() {}}
	g.Expect(fsys.Filecmd(sftp.NewRequest("Remove", "/d"))).To(MatchError(syscall.EISDIR), "Remove refuses a directory")
	g.Expect(fsys.Filecmd(sftp.NewRequest("Rmdir", "/third.enc"))).To(MatchError(syscall.ENOTDIR), "Rmdir refuses a file")
	g.Expect(c.RemoveDirectory("/third.enc")).NotTo(Succeed())
	g.Expect(e.srv.Files()).To(Equal([]string{"direct.enc", "third.enc"}), "Files leaves out directories")
	g.Expect(c.RemoveDirectory("/d")).To(Succeed())
	g.Expect(c.Remove("/third.enc")).To(Succeed())
	g.Expect(c.Remove("/third.enc")).To(MatchError(os.ErrNotExist))

	// Reading a directory as a file fails cleanly; read-write handles work.
	_, err = c.Open("/")
	g.Expect(err).To(HaveOccurred())
	f, err := c.OpenFile("/rw.enc", os.O_RDWR|os.O_CREATE)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = f.Write([]byte("rw"))
	g.Expect(err).NotTo(HaveOccurred())
	buf := make([]byte, 2)
	_, err = f.ReadAt(buf, 0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(buf)).To(Equal("rw"))
	g.Expect(f.Close()).To(Succeed())

	_, ok := c.HasExtension("posix-rename@openssh.com")
	g.Expect(ok).To(BeTrue(), "the camera relies on posix-rename for atomic replacement")
}
