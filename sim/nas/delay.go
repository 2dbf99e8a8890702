package nas

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// latency is the one-way delay the simulated NAS adds to everything a client sends it. It is safe for
// concurrent use: a scenario changes it while connections are reading it.
//
// Latency is real (wall-clock) time, unlike the rest of the simulated world, which runs on a virtual
// clock: the camera bounds its NAS calls with context deadlines and socket timeouts, which are real
// time, and a "slow NAS" fault is only meaningful against those.
type latency struct {
	mu      sync.Mutex
	d       time.Duration
	changed chan struct{} // closed and replaced on every set, so waiters re-read d
}

func newLatency() *latency { return &latency{changed: make(chan struct{})} }

// set changes the delay; bytes already waiting are re-timed against it (arrival + new delay), so
// lowering it (Heal) releases them at once instead of after the old delay.
func (l *latency) set(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("set latency %v: must not be negative", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.d = d
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// get returns the current delay and a channel closed when it next changes.
func (l *latency) get() (time.Duration, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.d, l.changed
}

// chunk is what one read from the client's socket returned, stamped with when it arrived.
type chunk struct {
	data []byte
	at   time.Time
	err  error
}

// delayConn is a server-side connection that delivers every byte the client sent only once the
// current latency has passed since it arrived. Delaying the inbound direction models a slow link or a
// slow server faithfully: requests keep their order, pipelined requests are delayed together rather
// than one after the other, and the SSH handshake is slowed down like every SFTP request.
//
// Read must not be called concurrently (the SSH transport has one reader); Close may be called from
// any goroutine and makes a Read that is waiting return at once.
type delayConn struct {
	net.Conn
	lat    *latency
	chunks chan chunk
	done   chan struct{}
	once   sync.Once

	cur  []byte // rest of the chunk being delivered
	rerr error  // error that ended the stream, returned once cur is drained
}

// pumpBuf is the largest chunk one socket read takes; SSH packets are at most 35 000 bytes.
const pumpBuf = 32 << 10

// newDelayConn wraps c. The caller must run pump in a goroutine it waits for.
func newDelayConn(c net.Conn, lat *latency) *delayConn {
	return &delayConn{Conn: c, lat: lat, chunks: make(chan chunk, 16), done: make(chan struct{})}
}

// pump reads the socket as fast as the client sends and queues what arrived with its arrival time. It
// returns when the socket fails or the connection is closed.
func (d *delayConn) pump() {
	for {
		buf := make([]byte, pumpBuf)
		n, err := d.Conn.Read(buf)
		select {
		case d.chunks <- chunk{data: buf[:n], at: time.Now(), err: err}:
		case <-d.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns bytes whose delay has passed, waiting for them if need be.
func (d *delayConn) Read(p []byte) (int, error) {
	if d.isClosed() {
		return 0, net.ErrClosed
	}
	for len(d.cur) == 0 {
		if d.rerr != nil {
			return 0, d.rerr
		}
		var c chunk
		select {
		case c = <-d.chunks:
		case <-d.done:
			return 0, net.ErrClosed
		}
		if err := d.wait(c.at); err != nil {
			return 0, err
		}
		if d.isClosed() { // the socket error this chunk may carry is a consequence of Close
			return 0, net.ErrClosed
		}
		d.cur, d.rerr = c.data, c.err
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}

// wait blocks until the latency has passed since at, re-reading the latency whenever it changes.
func (d *delayConn) wait(at time.Time) error {
	for {
		lat, changed := d.lat.get()
		left := time.Until(at.Add(lat))
		if left <= 0 {
			return nil
		}
		t := time.NewTimer(left)
		select {
		case <-t.C: // loop: the latency may have grown meanwhile
		case <-changed:
			t.Stop()
		case <-d.done:
			t.Stop()
			return net.ErrClosed
		}
	}
}

func (d *delayConn) isClosed() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Close closes the socket and wakes a waiting Read; it is safe to call more than once.
func (d *delayConn) Close() error {
	d.once.Do(func() { close(d.done) })
	return d.Conn.Close()
}
