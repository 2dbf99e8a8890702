package clock

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestSystemIsUTCAndMonotonicEnough(t *testing.T) {
	g := NewWithT(t)
	var c Clock = System{}
	a := c.Now()
	b := c.Now()
	g.Expect(a.Location()).To(Equal(time.UTC))
	g.Expect(b.Before(a)).To(BeFalse())
	g.Expect(a.Year()).To(BeNumerically(">=", 2024))
}

func TestSystemUntilAPastInstantIsDueAtOnce(t *testing.T) {
	g := NewWithT(t)
	var c Clock = System{}
	g.Eventually(c.Until(c.Now().Add(-time.Hour))).Should(Receive())
	g.Consistently(c.Until(c.Now().Add(time.Hour)), "50ms").ShouldNot(Receive())
}
