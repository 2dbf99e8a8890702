package card

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/sim/clock"
)

// newCard returns a card in a fresh directory with the given capacity and its virtual clock.
func newCard(t *testing.T, capacity int64) (*Card, *clock.Virtual) {
	t.Helper()
	clk := clock.New(clock.Epoch())
	c, err := New(filepath.Join(t.TempDir(), "sd"), capacity, clk)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return c, clk
}

// rawNames lists every entry in the card's directory, temp files included.
func rawNames(t *testing.T, c *Card) []string {
	t.Helper()
	entries, err := os.ReadDir(c.Path())
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestNewValidatesArguments(t *testing.T) {
	g := NewWithT(t)
	clk := clock.New(clock.Epoch())
	dir := filepath.Join(t.TempDir(), "sd")
	_, err := New("", 10, clk)
	g.Expect(err).To(MatchError(ContainSubstring("directory is empty")))
	_, err = New(dir, 0, clk)
	g.Expect(err).To(MatchError(ContainSubstring("not positive")))
	_, err = New(dir, -5, clk)
	g.Expect(err).To(MatchError(ContainSubstring("not positive")))
	_, err = New(dir, 10, nil)
	g.Expect(err).To(MatchError(ContainSubstring("clock is nil")))
	g.Expect(dir).NotTo(BeAnExistingFile(), "a refused New creates nothing")

	c, err := New(dir, 10, clk)
	g.Expect(err).NotTo(HaveOccurred())
	info, err := os.Stat(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.IsDir()).To(BeTrue())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o700)))
	g.Expect(c.Path()).To(Equal(dir))
	g.Expect(c.Capacity()).To(Equal(int64(10)))
	g.Expect(c.Used()).To(BeZero())
}

func TestNewRefusesAFileAsDirectory(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "file")
	g.Expect(os.WriteFile(path, []byte("x"), 0o600)).To(Succeed())
	_, err := New(path, 10, clock.New(clock.Epoch()))
	g.Expect(err).To(MatchError(ContainSubstring("create directory")))
}

func TestRoundTripStampsVirtualTime(t *testing.T) {
	g := NewWithT(t)
	c, clk := newCard(t, 1000)
	g.Expect(c.Write("evt-1.rec", []byte("sealed one"))).To(Succeed())
	g.Expect(c.Read("evt-1.rec")).To(Equal([]byte("sealed one")))
	raw, err := os.ReadFile(filepath.Join(c.Path(), "evt-1.rec"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(raw).To(Equal([]byte("sealed one")), "the bytes are on disk as written, for raw inspection")

	g.Expect(clk.Advance(90 * time.Minute)).To(Succeed())
	g.Expect(c.Write("evt-2.rec", nil)).To(Succeed())
	g.Expect(c.List()).To(Equal([]File{
		{Name: "evt-1.rec", Size: 10, ModTime: clock.Epoch()},
		{Name: "evt-2.rec", Size: 0, ModTime: clock.Epoch().Add(90 * time.Minute)},
	}))
	g.Expect(c.Read("evt-2.rec")).To(BeEmpty())
}

func TestReadMissingIsNotFound(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 10)
	_, err := c.Read("nope")
	g.Expect(err).To(MatchError(ErrNotFound))
}

func TestWriteIsAtomicAndOverwriteReplaces(t *testing.T) {
	g := NewWithT(t)
	c, clk := newCard(t, 1000)
	g.Expect(c.Write("a", []byte("a long first version"))).To(Succeed())
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}), "no temp file is left visible")
	g.Expect(clk.Advance(time.Hour)).To(Succeed())
	g.Expect(c.Write("a", []byte("short"))).To(Succeed())
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}))
	g.Expect(c.Read("a")).To(Equal([]byte("short")), "no tail of the old version survives")
	g.Expect(c.List()).To(Equal([]File{{Name: "a", Size: 5, ModTime: clock.Epoch().Add(time.Hour)}}))
	g.Expect(c.Used()).To(Equal(int64(5)))
}

func TestDiskFailureIsErrWriteAndLeavesNothing(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 1000)
	// A directory under the final name makes the rename fail after the temp file was written.
	g.Expect(os.Mkdir(filepath.Join(c.Path(), "blocked"), 0o700)).To(Succeed())
	err := c.Write("blocked", []byte("data"))
	g.Expect(err).To(MatchError(ErrWrite))
	g.Expect(err).To(MatchError(ContainSubstring("rename")))
	g.Expect(rawNames(t, c)).To(Equal([]string{"blocked"}), "the temp file is cleaned up")
	g.Expect(c.Used()).To(BeZero())
}

func TestListIsSortedAndHidesTempAndForeignFiles(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 1000)
	for _, n := range []string{"c", "A", "b", "a"} {
		g.Expect(c.Write(n, []byte(n))).To(Succeed())
	}
	g.Expect(os.WriteFile(filepath.Join(c.Path(), "b"+tempSuffix), []byte("half"), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(c.Path(), "has space"), []byte("x"), 0o600)).To(Succeed())
	g.Expect(os.Mkdir(filepath.Join(c.Path(), "subdir"), 0o700)).To(Succeed())
	files, err := c.List()
	g.Expect(err).NotTo(HaveOccurred())
	names := []string{}
	for _, f := range files {
		names = append(names, f.Name)
	}
	g.Expect(names).To(Equal([]string{"A", "a", "b", "c"}))
}

func TestCapacityAccounting(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", make([]byte, 60))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(60)))

	err := c.Write("b", make([]byte, 41))
	g.Expect(err).To(MatchError(ErrFull))
	g.Expect(filepath.Join(c.Path(), "b")).NotTo(BeAnExistingFile(), "a refused write leaves nothing")
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}))
	g.Expect(c.Used()).To(Equal(int64(60)))

	g.Expect(c.Write("b", make([]byte, 40))).To(Succeed(), "exactly full is allowed")
	g.Expect(c.Used()).To(Equal(int64(100)))

	g.Expect(c.Write("a", make([]byte, 50))).To(Succeed(), "an overwrite counts only the difference")
	g.Expect(c.Used()).To(Equal(int64(90)))
	g.Expect(c.Write("a", make([]byte, 61))).To(MatchError(ErrFull))
	g.Expect(c.Read("a")).To(HaveLen(50), "the refused overwrite keeps the old file")
	g.Expect(c.Write("a", make([]byte, 60))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(100)))

	g.Expect(c.Remove("a")).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(40)), "removing frees the space")
	g.Expect(c.Write("c", make([]byte, 60))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(100)))
}

func TestExistingFilesCountAtNew(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "old-1"), make([]byte, 30), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "old-2"), make([]byte, 20), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "old-3"+tempSuffix), make([]byte, 25), 0o600)).To(Succeed())
	c, err := New(dir, 60, clock.New(clock.Epoch()))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Used()).To(Equal(int64(50)))
	g.Expect(filepath.Join(dir, "old-3"+tempSuffix)).NotTo(BeAnExistingFile(), "debris of an interrupted write goes")
	g.Expect(c.Write("new", make([]byte, 11))).To(MatchError(ErrFull))
	g.Expect(c.Write("old-1", make([]byte, 40))).To(Succeed(), "an existing file's size is known to the overwrite")
	g.Expect(c.Used()).To(Equal(int64(60)))

	// Reopening a card that holds more than the new capacity keeps every file and refuses writes.
	c2, err := New(dir, 10, clock.New(clock.Epoch()))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c2.Used()).To(Equal(int64(60)))
	g.Expect(c2.Write("x", []byte("1"))).To(MatchError(ErrFull))
	g.Expect(c2.List()).To(HaveLen(2))
}

func TestRemove(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Remove("missing")).To(Succeed(), "a missing file is not an error")
	g.Expect(c.Write("a", []byte("abc"))).To(Succeed())
	g.Expect(c.Remove("a")).To(Succeed())
	g.Expect(filepath.Join(c.Path(), "a")).NotTo(BeAnExistingFile())
	_, err := c.Read("a")
	g.Expect(err).To(MatchError(ErrNotFound))
	g.Expect(c.Remove("a")).To(Succeed())
	g.Expect(c.Used()).To(BeZero(), "a second remove frees nothing more")
}

func TestBadNamesAreRefusedByEveryMethod(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 1000)
	g.Expect(c.Write("keep", []byte("k"))).To(Succeed())
	long := string(bytes.Repeat([]byte("a"), MaxNameLen+1))
	for _, name := range []string{"", ".", "..", "a..b", "../keep", "sub/x", "/etc/passwd", `a\b`,
		"a b", "é", "x\x00", "keep" + tempSuffix, long} {
		g.Expect(c.Write(name, []byte("x"))).To(MatchError(ErrBadName), "write %q", name)
		_, err := c.Read(name)
		g.Expect(err).To(MatchError(ErrBadName), "read %q", name)
		g.Expect(c.Remove(name)).To(MatchError(ErrBadName), "remove %q", name)
		g.Expect(c.Rename(name, "x")).To(MatchError(ErrBadName), "rename from %q", name)
		g.Expect(c.Rename("keep", name)).To(MatchError(ErrBadName), "rename to %q", name)
	}
	g.Expect(rawNames(t, c)).To(Equal([]string{"keep"}), "bad names change nothing")
	g.Expect(c.Used()).To(Equal(int64(1)))
}

func TestConcurrentWritersKeepUsedConsistent(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 4000)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				name := fmt.Sprintf("f%d", (w*7+i)%12) // writers collide on names
				_ = c.Write(name, make([]byte, (w*31+i*17)%300))
				if i%5 == 4 {
					_ = c.Remove(fmt.Sprintf("f%d", (w+i)%12))
				}
				if i%3 == 1 {
					_ = c.Rename(name, fmt.Sprintf("f%d", (w*5+i)%12))
				}
				_ = c.Used()
				_, _ = c.List()
			}
		}()
	}
	wg.Wait()
	files, err := c.List()
	g.Expect(err).NotTo(HaveOccurred())
	var sum int64
	for _, f := range files {
		sum += f.Size
	}
	g.Expect(c.Used()).To(Equal(sum), "Used matches what is on disk")
	g.Expect(c.Used()).To(BeNumerically("<=", c.Capacity()))
	g.Expect(rawNames(t, c)).To(HaveLen(len(files)), "no temp files remain")
}

// BenchmarkWrite is the host cost of one small record write, the unit of a long virtual-time run (30
// days with an event a minute is 43,200 of them).
func BenchmarkWrite(b *testing.B) {
	c, err := New(filepath.Join(b.TempDir(), "sd"), 1<<30, clock.New(clock.Epoch()))
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 4096)
	b.ResetTimer()
	for i := range b.N {
		if err := c.Write(fmt.Sprintf("evt-%d.rec", i%64), data); err != nil {
			b.Fatal(err)
		}
	}
}
