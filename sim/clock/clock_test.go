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
