package nas

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// pipe returns the client end of a connection and the server end wrapped in a delayConn whose pump
// runs until the test ends.
func pipe(t *testing.T, lat *latency) (client net.Conn, server *delayConn) {
	t.Helper()
	c, s := net.Pipe()
	dc := newDelayConn(s, lat)
	var wg sync.WaitGroup
	wg.Go(dc.pump)
	t.Cleanup(func() {
		_ = c.Close()
		_ = dc.Close()
		wg.Wait() // the pump ends when the connection closes
	})
	return c, dc
}

// send writes p from another goroutine (net.Pipe writes block until read).
func send(t *testing.T, c net.Conn, p string) {
	t.Helper()
	go func() { _, _ = c.Write([]byte(p)) }()
}

// readN reads exactly n bytes, failing the test if that takes longer than limit.
func readN(t *testing.T, r io.Reader, n int, limit time.Duration) (string, error) {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		buf := make([]byte, n)
		_, err := io.ReadFull(r, buf)
		ch <- result{string(buf), err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-time.After(limit):
		t.Fatalf("reading %d bytes took more than %v", n, limit)
		return "", nil
	}
}

func TestLatencySet(t *testing.T) {
	g := NewWithT(t)
	l := newLatency()
	d, changed := l.get()
	g.Expect(d).To(BeZero())
	g.Expect(l.set(-1)).To(MatchError(ContainSubstring("negative")))
	g.Expect(changed).NotTo(BeClosed(), "a refused value changes nothing")
	g.Expect(l.set(time.Second)).To(Succeed())
	g.Expect(changed).To(BeClosed(), "waiters are told")
	d, changed2 := l.get()
	g.Expect(d).To(Equal(time.Second))
	g.Expect(changed2).NotTo(BeClosed())
}

func TestDelayConnWithoutLatency(t *testing.T) {
	g := NewWithT(t)
	c, dc := pipe(t, newLatency())
	send(t, c, "hello")
	got, err := readN(t, dc, 5, 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal("hello"))

	// Partial reads keep the rest of a chunk for the next Read.
	send(t, c, "abcdef")
	got, err = readN(t, dc, 2, 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal("ab"))
	got, err = readN(t, dc, 4, 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal("cdef"))

	// The client's close arrives as EOF.
	g.Expect(c.Close()).To(Succeed())
	_, err = readN(t, dc, 1, 5*time.Second)
	g.Expect(err).To(MatchError(io.EOF))
	_, err = dc.Read(make([]byte, 1))
	g.Expect(err).To(MatchError(io.EOF), "the end is sticky")
}

func TestDelayConnDelaysInOrder(t *testing.T) {
	g := NewWithT(t)
	lat := newLatency()
	const d = 200 * time.Millisecond
	g.Expect(lat.set(d)).To(Succeed())
	c, dc := pipe(t, lat)
	start := time.Now()
	go func() {
		for _, p := range []string{"one ", "two ", "three"} {
			if _, err := c.Write([]byte(p)); err != nil {
				return
			}
		}
	}()
	got, err := readN(t, dc, len("one two three"), 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal("one two three"))
	took := time.Since(start)
	g.Expect(took).To(BeNumerically(">=", d))
	// Pipelined: the three writes are delayed together, not one after the other.
	g.Expect(took).To(BeNumerically("<", 3*d))
}

func TestDelayConnLoweringLatencyReleases(t *testing.T) {
	g := NewWithT(t)
	lat := newLatency()
	g.Expect(lat.set(time.Hour)).To(Succeed())
	c, dc := pipe(t, lat)
	send(t, c, "x")
	got := make(chan string, 1)
	go func() {
		s, _ := readN(t, dc, 1, time.Minute)
		got <- s
	}()
	g.Consistently(got, 100*time.Millisecond).ShouldNot(Receive(), "held by the latency")
	g.Expect(lat.set(0)).To(Succeed())
	g.Eventually(got).WithTimeout(5 * time.Second).Should(Receive(Equal("x")))
}

func TestDelayConnRaisingLatencyHolds(t *testing.T) {
	g := NewWithT(t)
	lat := newLatency()
	g.Expect(lat.set(50 * time.Millisecond)).To(Succeed())
	c, dc := pipe(t, lat)
	got := make(chan string, 1)
	go func() {
		s, _ := readN(t, dc, 1, time.Minute)
		got <- s
	}()
	g.Expect(lat.set(time.Hour)).To(Succeed())
	send(t, c, "x")
	g.Consistently(got, 300*time.Millisecond).ShouldNot(Receive(), "the new, longer latency applies")
	g.Expect(lat.set(0)).To(Succeed())
	g.Eventually(got).WithTimeout(5 * time.Second).Should(Receive(Equal("x")))
}

func TestDelayConnCloseWakesRead(t *testing.T) {
	g := NewWithT(t)
	lat := newLatency()
	g.Expect(lat.set(time.Hour)).To(Succeed())
	c, dc := pipe(t, lat)
	send(t, c, "x")
	errc := make(chan error, 1)
	go func() { _, err := dc.Read(make([]byte, 1)); errc <- err }()
	g.Consistently(errc, 100*time.Millisecond).ShouldNot(Receive())
	g.Expect(dc.Close()).To(Succeed())
	var err error
	g.Eventually(errc).WithTimeout(5 * time.Second).Should(Receive(&err))
	g.Expect(errors.Is(err, net.ErrClosed)).To(BeTrue(), "got %v", err)
	_ = dc.Close() // closing twice must not panic

	// A Read that waits for data at all (none sent) is woken too.
	_, dc2 := pipe(t, newLatency())
	go func() { _, err := dc2.Read(make([]byte, 1)); errc <- err }()
	g.Consistently(errc, 50*time.Millisecond).ShouldNot(Receive())
	_ = dc2.Close()
	g.Eventually(errc).WithTimeout(5 * time.Second).Should(Receive(MatchError(net.ErrClosed)))
}
