package card

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/sim/clock"
)

func TestRenameMovesTheFileAndKeepsItsTime(t *testing.T) {
	g := NewWithT(t)
	c, clk := newCard(t, 100)
	g.Expect(c.Write("evt-1.rec", []byte("record"))).To(Succeed())
	g.Expect(clk.Advance(time.Hour)).To(Succeed())

	g.Expect(c.Rename("evt-1.rec", "evt-1.rec.torn")).To(Succeed())
	g.Expect(rawNames(t, c)).To(Equal([]string{"evt-1.rec.torn"}), "one file, no temp file")
	_, err := c.Read("evt-1.rec")
	g.Expect(err).To(MatchError(ErrNotFound))
	g.Expect(c.Read("evt-1.rec.torn")).To(Equal([]byte("record")))
	g.Expect(c.List()).To(Equal([]File{{Name: "evt-1.rec.torn", Size: 6, ModTime: clock.Epoch()}}),
		"a rename is not a write: the record keeps its time")
	g.Expect(c.Used()).To(Equal(int64(6)), "the bytes are counted once")

	// The card knows the file under its new name: removing it frees its bytes.
	g.Expect(c.Remove("evt-1.rec.torn")).To(Succeed())
	g.Expect(c.Used()).To(BeZero())
}

func TestRenameReplacesAndFreesTheReplacedBytes(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", make([]byte, 10))).To(Succeed())
	g.Expect(c.Write("b", []byte("thirty bytes of an older file."))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(40)))

	g.Expect(c.Rename("a", "b")).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(10)), "b's 30 bytes are freed, a's 10 stay counted")
	g.Expect(c.Read("b")).To(Equal(make([]byte, 10)))
	g.Expect(c.List()).To(ConsistOf(HaveField("Name", "b")))

	// The size is known under the new name: an overwrite counts only the difference, and a write
	// under the old name starts from nothing.
	g.Expect(c.Write("b", make([]byte, 95))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(95)))
	g.Expect(c.Write("a", make([]byte, 6))).To(MatchError(ErrFull))
	g.Expect(c.Write("a", make([]byte, 5))).To(Succeed())
	g.Expect(c.Used()).To(Equal(int64(100)))
}

func TestRenameSetsATornRecordAsideOnAFullCard(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("other", make([]byte, 40))).To(Succeed())
	c.TearNextWrite(25)
	g.Expect(c.Write("rec", make([]byte, 50))).To(MatchError(ErrWrite))
	g.Expect(c.Used()).To(Equal(int64(65)))
	c.SetCapacity(10) // now full, and more

	g.Expect(c.Rename("rec", "rec.torn")).To(Succeed(), "a rename needs no room")
	g.Expect(c.Used()).To(Equal(int64(65)))
	g.Expect(c.Read("rec.torn")).To(HaveLen(25))
	g.Expect(c.List()).To(HaveLen(2), "DEL-4: nothing was deleted")

	c.SetCapacity(100)
	g.Expect(c.Write("rec", make([]byte, 35))).To(Succeed(), "the name is free for the rewrite")
	g.Expect(c.Used()).To(Equal(int64(100)))
}

func TestRenameMissingIsNotFound(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("b", []byte("keep"))).To(Succeed())
	g.Expect(c.Rename("missing", "b")).To(MatchError(ErrNotFound))
	g.Expect(c.Rename("missing", "missing")).To(MatchError(ErrNotFound))
	g.Expect(c.Read("b")).To(Equal([]byte("keep")), "the target is untouched")
	g.Expect(c.Used()).To(Equal(int64(4)))

	// A directory is not a file on the card (List does not show it), so it cannot be renamed.
	g.Expect(os.Mkdir(filepath.Join(c.Path(), "dir"), 0o700)).To(Succeed())
	g.Expect(c.Rename("dir", "c")).To(MatchError(ErrNotFound))
	g.Expect(rawNames(t, c)).To(Equal([]string{"b", "dir"}))
}

func TestRenameToItsOwnNameDoesNothing(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("abc"))).To(Succeed())
	g.Expect(c.Rename("a", "a")).To(Succeed())
	g.Expect(c.Read("a")).To(Equal([]byte("abc")))
	g.Expect(c.Used()).To(Equal(int64(3)), "the file is not freed as if it were replaced")
	g.Expect(c.Remove("a")).To(Succeed())
	g.Expect(c.Used()).To(BeZero())
}

func TestRenameWhileEjectedIsRemoved(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("alpha"))).To(Succeed())
	c.Eject()
	g.Expect(c.Rename("a", "a.torn")).To(MatchError(ErrRemoved))
	g.Expect(c.Rename("missing", "x")).To(MatchError(ErrRemoved), "ejection is reported before anything else")
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}))
	g.Expect(c.Used()).To(Equal(int64(5)))

	c.Insert()
	g.Expect(c.Rename("a", "a.torn")).To(Succeed())
	g.Expect(c.Read("a.torn")).To(Equal([]byte("alpha")))
}

func TestRenameDiskFailureIsErrWriteAndChangesNothing(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("alpha"))).To(Succeed())
	// A non-empty directory under the new name makes the host's rename fail.
	g.Expect(os.MkdirAll(filepath.Join(c.Path(), "blocked", "x"), 0o700)).To(Succeed())
	err := c.Rename("a", "blocked")
	g.Expect(err).To(MatchError(ErrWrite))
	g.Expect(c.Read("a")).To(Equal([]byte("alpha")))
	g.Expect(c.Used()).To(Equal(int64(5)))
}

func TestRenameIgnoresArmedWriteFaults(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("alpha"))).To(Succeed())
	c.FailWrites(1)
	c.TearNextWrite(2)
	g.Expect(c.Rename("a", "b")).To(Succeed())
	g.Expect(c.Read("b")).To(Equal([]byte("alpha")), "not torn")
	g.Expect(c.Write("c", []byte("cc"))).To(MatchError(ErrWrite), "the write fault is still armed")
	g.Expect(c.Write("c", []byte("cccc"))).To(MatchError(ErrWrite), "and so is the tear")
	g.Expect(c.Read("c")).To(Equal([]byte("cc")))
}

func TestRenameBadNames(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("keep", []byte("k"))).To(Succeed())
	err := c.Rename("keep", "../escape")
	g.Expect(err).To(MatchError(ErrBadName))
	g.Expect(err).To(MatchError(ContainSubstring("new file name")))
	err = c.Rename("../keep", "x")
	g.Expect(err).To(MatchError(ErrBadName))
	g.Expect(err).To(MatchError(ContainSubstring("old file name")))
	g.Expect(rawNames(t, c)).To(Equal([]string{"keep"}))
}
