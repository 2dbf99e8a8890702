package card

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestEjectKeepsFilesAndInsertBringsThemBack(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("alpha"))).To(Succeed())
	c.Eject()
	g.Expect(c.Write("b", []byte("beta"))).To(MatchError(ErrRemoved))
	_, err := c.Read("a")
	g.Expect(err).To(MatchError(ErrRemoved))
	_, err = c.List()
	g.Expect(err).To(MatchError(ErrRemoved))
	g.Expect(c.Remove("a")).To(MatchError(ErrRemoved))
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}), "the files stay on the medium")
	g.Expect(c.Used()).To(Equal(int64(5)))

	c.Insert()
	g.Expect(c.Read("a")).To(Equal([]byte("alpha")))
	g.Expect(c.List()).To(HaveLen(1))
	g.Expect(c.Write("b", []byte("beta"))).To(Succeed())
}

func TestFailWritesLeaveNothingThenRecover(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", []byte("old"))).To(Succeed())
	c.FailWrites(2)
	g.Expect(c.Write("a", []byte("newer"))).To(MatchError(ErrWrite))
	g.Expect(c.Write("b", []byte("bee"))).To(MatchError(ErrWrite))
	g.Expect(rawNames(t, c)).To(Equal([]string{"a"}), "no new file and no temp file")
	g.Expect(c.Read("a")).To(Equal([]byte("old")), "a failed overwrite keeps the old content")
	g.Expect(c.Used()).To(Equal(int64(3)))
	g.Expect(c.Write("b", []byte("bee"))).To(Succeed(), "only n writes fail")
	g.Expect(c.Used()).To(Equal(int64(6)))
}

func TestRefusedWritesDoNotConsumeFaults(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 10)
	c.FailWrites(1)
	g.Expect(c.Write("../x", []byte("1"))).To(MatchError(ErrBadName))
	g.Expect(c.Write("big", make([]byte, 11))).To(MatchError(ErrFull))
	c.Eject()
	g.Expect(c.Write("a", []byte("1"))).To(MatchError(ErrRemoved))
	c.Insert()
	g.Expect(c.Write("a", []byte("1"))).To(MatchError(ErrWrite), "the fault hits the first write that reaches the medium")
	g.Expect(c.Write("a", []byte("1"))).To(Succeed())
}

func TestTearLeavesExactlyThePrefixUnderTheFinalName(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("rec", []byte("OLD-CONTENT-OLD"))).To(Succeed())
	c.TearNextWrite(4)
	g.Expect(c.Write("rec", []byte("0123456789"))).To(MatchError(ErrWrite))
	g.Expect(rawNames(t, c)).To(Equal([]string{"rec"}), "written in place, no temp file")
	raw, err := os.ReadFile(filepath.Join(c.Path(), "rec"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(raw).To(Equal([]byte("0123")))
	g.Expect(c.Read("rec")).To(Equal([]byte("0123")))
	g.Expect(c.List()).To(ConsistOf(HaveField("Size", int64(4))))
	g.Expect(c.Used()).To(Equal(int64(4)))

	g.Expect(c.Write("rec", []byte("0123456789"))).To(Succeed(), "the tear is one-shot")
	g.Expect(c.Read("rec")).To(Equal([]byte("0123456789")))
	g.Expect(c.Used()).To(Equal(int64(10)))
}

func TestTearBounds(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	c.TearNextWrite(50)
	g.Expect(c.Write("all", []byte("abc"))).To(MatchError(ErrWrite), "the power still went out")
	g.Expect(c.Read("all")).To(Equal([]byte("abc")))
	c.TearNextWrite(-3)
	g.Expect(c.Write("none", []byte("abc"))).To(MatchError(ErrWrite))
	g.Expect(c.Read("none")).To(BeEmpty())
	g.Expect(c.Used()).To(Equal(int64(3)))
}

func TestFailWritesTakesPrecedenceOverTear(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	c.FailWrites(1)
	c.TearNextWrite(2)
	g.Expect(c.Write("a", []byte("abcd"))).To(MatchError(ErrWrite))
	g.Expect(rawNames(t, c)).To(BeEmpty())
	g.Expect(c.Write("a", []byte("abcd"))).To(MatchError(ErrWrite))
	g.Expect(c.Read("a")).To(Equal([]byte("ab")))
}

func TestSetCapacityShrinksWithoutDeleting(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	g.Expect(c.Write("a", make([]byte, 30))).To(Succeed())
	g.Expect(c.Write("b", make([]byte, 30))).To(Succeed())
	c.SetCapacity(40)
	g.Expect(c.Capacity()).To(Equal(int64(40)))
	g.Expect(c.Used()).To(Equal(int64(60)))
	g.Expect(c.List()).To(HaveLen(2), "DEL-4: a full card deletes nothing")
	g.Expect(c.Write("c", []byte("1"))).To(MatchError(ErrFull))
	g.Expect(c.Remove("b")).To(Succeed())
	g.Expect(c.Write("c", make([]byte, 10))).To(Succeed())
	g.Expect(c.Write("d", []byte("1"))).To(MatchError(ErrFull))
	c.SetCapacity(-1)
	g.Expect(c.Capacity()).To(BeZero())
	g.Expect(c.Write("e", nil)).To(MatchError(ErrFull))
	c.SetCapacity(100)
	g.Expect(c.Write("d", []byte("1"))).To(Succeed())
}

func TestHealDisarmsFaultsButNotEjectionOrCapacity(t *testing.T) {
	g := NewWithT(t)
	c, _ := newCard(t, 100)
	c.FailWrites(3)
	c.TearNextWrite(1)
	c.SetCapacity(2)
	c.Eject()
	c.Heal()
	g.Expect(c.Write("a", []byte("abc"))).To(MatchError(ErrRemoved), "Heal does not insert the card")
	c.Insert()
	g.Expect(c.Write("a", []byte("abc"))).To(MatchError(ErrFull), "Heal does not restore capacity")
	c.SetCapacity(100)
	g.Expect(c.Write("a", []byte("abc"))).To(Succeed(), "no write fault left")
	g.Expect(c.Read("a")).To(Equal([]byte("abc")), "no tear left")
	c.FailWrites(0)
	g.Expect(c.Write("b", []byte("b"))).To(Succeed())
}

func TestSetLatencySlowsWritesUntilHealed(t *testing.T) {
	c, _ := newCard(t, 1<<20)
	c.SetLatency(50 * time.Millisecond)
	start := time.Now()
	if err := c.Write("a.vsr", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Fatalf("a slow card wrote in %v", took)
	}
	// An hour-long write would stall the test: Heal must have cleared it.
	c.SetLatency(time.Hour)
	c.Heal()
	if err := c.Write("b.vsr", []byte("x")); err != nil {
		t.Fatal(err)
	}
}
