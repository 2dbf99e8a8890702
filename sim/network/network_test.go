package network

import (
	"context"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func TestObserverRecordsAndConfinesToLoopback(t *testing.T) {
	g := NewWithT(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
	}()
	o := NewObserver(fixedClock{})
	g.Expect(o.Attempts()).To(BeEmpty())

	c, err := o.DialContext(context.Background(), "tcp", ln.Addr().String())
	g.Expect(err).NotTo(HaveOccurred())
	c.Close()

	_, err = o.DialContext(context.Background(), "tcp", "192.0.2.10:443")
	g.Expect(err).To(MatchError(ContainSubstring("no route")))
	_, err = o.DialContext(context.Background(), "tcp", "updates.example.invalid:443")
	g.Expect(err).To(HaveOccurred())

	got := o.Attempts()
	g.Expect(got).To(HaveLen(3))
	g.Expect(got[0].Allowed).To(BeTrue())
	g.Expect(got[1]).To(Equal(Attempt{Time: fixedClock{}.Now(), Network: "tcp", Address: "192.0.2.10:443", Allowed: false}))
	g.Expect(got[2].Allowed).To(BeFalse())
}
