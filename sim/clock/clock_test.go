package clock

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestVirtualMovesOnlyWhenTold(t *testing.T) {
	g := NewWithT(t)
	v := New(Epoch())
	g.Expect(v.Now()).To(Equal(Epoch()))
	g.Expect(v.Now()).To(Equal(Epoch()))
	g.Expect(v.Advance(24 * time.Hour)).To(Succeed())
	g.Expect(v.Now()).To(Equal(Epoch().Add(24 * time.Hour)))
}

func TestVirtualRefusesToRunBackwards(t *testing.T) {
	g := NewWithT(t)
	v := New(Epoch())
	g.Expect(v.Advance(-time.Second)).To(MatchError(ContainSubstring("backwards")))
	g.Expect(v.Now()).To(Equal(Epoch()))
}

func TestVirtualStoresUTC(t *testing.T) {
	g := NewWithT(t)
	v := New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)))
	g.Expect(v.Now().Location()).To(Equal(time.UTC))
	g.Expect(v.Now().Hour()).To(Equal(10))
}

func TestAfterFiresOnlyWhenAdvancedFarEnough(t *testing.T) {
	g := NewWithT(t)
	v := New(Epoch())
	ch := v.After(100 * time.Millisecond)
	g.Consistently(ch, "20ms").ShouldNot(Receive(), "nothing happens while virtual time stands still")
	g.Expect(v.Advance(99 * time.Millisecond)).To(Succeed())
	g.Expect(ch).NotTo(Receive())
	g.Expect(v.Advance(time.Millisecond)).To(Succeed())
	g.Expect(ch).To(Receive(Equal(Epoch().Add(100 * time.Millisecond))))
	g.Expect(v.After(0)).To(Receive(Equal(v.Now())), "a zero wait is due at once")
}

func TestPendingListsWhatWaitersWaitFor(t *testing.T) {
	v := New(Epoch())
	if len(v.Pending()) != 0 {
		t.Fatal("a new clock has waiters")
	}
	v.After(2 * time.Second)
	v.After(time.Second)
	got := v.Pending()
	if len(got) != 2 || !got[0].Equal(Epoch().Add(time.Second)) || !got[1].Equal(Epoch().Add(2*time.Second)) {
		t.Fatalf("pending %v", got)
	}
	if err := v.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	if got := v.Pending(); len(got) != 1 {
		t.Fatalf("a fired waiter is still pending: %v", got)
	}
}

func TestClosedScopeLeavesNothingPending(t *testing.T) {
	g := NewWithT(t)
	v := New(Epoch())
	old, next := v.Scope(), v.Scope()
	stale := old.After(10 * time.Second)
	g.Expect(old.Now()).To(Equal(v.Now()), "a scope shares the clock's time")
	old.Close()
	g.Expect(v.Pending()).To(BeEmpty(), "a switched-off camera's wait is gone")
	fresh := next.After(10 * time.Second)
	g.Expect(v.Pending()).To(Equal([]time.Time{Epoch().Add(10 * time.Second)}))
	g.Expect(v.Advance(10 * time.Second)).To(Succeed())
	g.Expect(fresh).To(Receive(Equal(Epoch().Add(10 * time.Second))))
	g.Expect(stale).NotTo(Receive(), "a closed scope's waits never fire")
	g.Expect(old.After(0)).NotTo(Receive(), "nor do new ones")
	g.Expect(next.After(0)).To(Receive(Equal(v.Now())), "an open scope's zero wait is due at once")
}

func TestUntilWaitsForAnInstantNotADuration(t *testing.T) {
	g := NewWithT(t)
	v := New(Epoch())
	deadline := Epoch().Add(10 * time.Second)
	// The clock moves between a loop reading Now and asking to wait: After(deadline.Sub(read))
	// would now overshoot by the move; Until does not.
	read := v.Now()
	g.Expect(v.Advance(4 * time.Second)).To(Succeed())
	late := v.After(deadline.Sub(read))
	onTime := v.Until(deadline)
	g.Expect(v.Pending()).To(Equal([]time.Time{deadline, deadline.Add(4 * time.Second)}))
	g.Expect(v.Advance(6 * time.Second)).To(Succeed())
	g.Expect(onTime).To(Receive(Equal(deadline)))
	g.Expect(late).NotTo(Receive())
	g.Expect(v.Until(Epoch())).To(Receive(Equal(deadline)), "an instant already past is due at once")
	s := v.Scope()
	g.Expect(s.Until(deadline.Add(time.Second))).NotTo(Receive())
	s.Close()
	g.Expect(v.Pending()).To(Equal([]time.Time{deadline.Add(4 * time.Second)}))
}
