package sdcard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera/store"
)

// testCard is a card on a temporary directory, which no test can mount: the mount check is tested on
// its own (TestOpenRefusesWhatIsNotAMountedCard).
func testCard(t *testing.T) *Card {
	t.Helper()
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.anyDir = true
	return c
}

func TestWriteReadListRenameRemove(t *testing.T) {
	g := NewWithT(t)
	c := testCard(t)
	g.Expect(c.Write("g1-1-aa.vsr", []byte("one"))).To(Succeed())
	g.Expect(c.Write("g1-1-bb.vsr", []byte("two"))).To(Succeed())
	g.Expect(c.Write("g1-1-aa.vsr", []byte("one, again"))).To(Succeed(), "a rewrite replaces the file")
	got, err := c.Read("g1-1-aa.vsr")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("one, again"))

	// What else a card's root holds is not a record.
	g.Expect(os.Mkdir(filepath.Join(c.Dir(), "lost+found"), 0o700)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(c.Dir(), tempPrefix+"g1-1-cc.vsr-123"), []byte("half"), 0o600)).To(Succeed())
	names, err := c.Names()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(Equal([]string{"g1-1-aa.vsr", "g1-1-bb.vsr"}))

	g.Expect(c.Rename("g1-1-bb.vsr", "g1-1-bb.vsr.torn")).To(Succeed())
	_, err = c.Read("g1-1-bb.vsr")
	g.Expect(err).To(MatchError(store.ErrNotFound))
	g.Expect(c.Rename("g1-1-bb.vsr", "x.vsr")).To(MatchError(store.ErrNotFound))
	g.Expect(c.Remove("g1-1-aa.vsr")).To(Succeed())
	g.Expect(c.Remove("g1-1-aa.vsr")).To(Succeed(), "removing twice is not an error")
	names, err = c.Names()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(Equal([]string{"g1-1-bb.vsr.torn"}))
	entries, err := os.ReadDir(c.Dir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(3), "no temporary file is left behind: the torn record, lost+found and the planted one")
}

func TestBadNamesChangeNothing(t *testing.T) {
	g := NewWithT(t)
	c := testCard(t)
	for _, name := range []string{"", ".", "..", "../escape.vsr", "a/b.vsr", ".hidden"} {
		g.Expect(c.Write(name, []byte("x"))).To(HaveOccurred(), "%q", name)
		_, err := c.Read(name)
		g.Expect(err).To(HaveOccurred(), "%q", name)
		g.Expect(c.Remove(name)).To(HaveOccurred(), "%q", name)
		g.Expect(c.Rename(name, "ok.vsr")).To(HaveOccurred(), "%q", name)
	}
	entries, err := os.ReadDir(c.Dir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(BeEmpty())
	_, err = os.Stat(filepath.Join(filepath.Dir(c.Dir()), "escape.vsr"))
	g.Expect(os.IsNotExist(err)).To(BeTrue())
}

func TestOpenRefusesWhatIsNotAMountedCard(t *testing.T) {
	g := NewWithT(t)
	for _, dir := range []string{"", "card", "/"} {
		_, err := Open(dir)
		g.Expect(err).To(MatchError(ContainSubstring("not an absolute directory")), "%q", dir)
	}
	// A plain directory is not a card: records written there would land on the board's own storage.
	c, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Write("g1-1-aa.vsr", []byte("x"))).To(MatchError(ErrNotMounted))
	_, err = c.Names()
	g.Expect(err).To(MatchError(ContainSubstring("not a mounted card")))
	entries, err := os.ReadDir(c.Dir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(BeEmpty(), "nothing was written")
	// Nor is a mount point that is gone.
	gone, err := Open(filepath.Join(t.TempDir(), "unplugged"))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = gone.Read("g1-1-aa.vsr")
	g.Expect(err).To(MatchError(ErrNotMounted))
	// /proc is a file system of its own under /: a mount point as the check sees one.
	if proc, err := Open("/proc"); err == nil {
		g.Expect(proc.mounted()).To(Succeed())
	}
}

func TestFullCardIsTheStoresFull(t *testing.T) {
	g := NewWithT(t)
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		err := translate(fmt.Errorf("write: %w", errno))
		g.Expect(err).To(MatchError(store.ErrFull))
		g.Expect(errors.Is(err, errno)).To(BeTrue(), "the system's error is kept")
	}
	g.Expect(translate(syscall.EIO)).NotTo(MatchError(store.ErrFull), "a failing card is not a full one")
}

// mountTmpfs mounts a small tmpfs at a new directory, as a card is mounted on a board, or skips the
// test where this process may not mount (not root, or a container without CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "card")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("vsslab-card", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs to stand in for a card here (needs root): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func TestOnAMountedCard(t *testing.T) {
	g := NewWithT(t)
	dir := mountTmpfs(t, "64k")
	c, err := Open(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Write("g1-1-aa.vsr", make([]byte, 8<<10))).To(Succeed())

	// A full card: the store's ErrFull, and nothing half-written stays to fill it further.
	err = c.Write("g1-1-bb.vsr", make([]byte, 128<<10))
	g.Expect(err).To(MatchError(store.ErrFull))
	g.Expect(errors.Is(err, syscall.ENOSPC)).To(BeTrue())
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "only the record that fitted")
	got, err := c.Read("g1-1-aa.vsr")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(8<<10), "the earlier record is intact")

	// The card pulled (unmounted): the mount point is a plain directory again, and nothing is written
	// onto the board's own storage.
	g.Expect(syscall.Unmount(dir, 0)).To(Succeed())
	g.Expect(c.Write("g1-1-cc.vsr", []byte("x"))).To(MatchError(ErrNotMounted))
	entries, err = os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(BeEmpty())
}
