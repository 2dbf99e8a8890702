// Package clock is the simulated world's virtual clock.
//
// Scenarios move time forward explicitly (Advance), so a 24-hour privacy mode or a 15-minute lockout
// is checked at exactly 24 h − ε and 24 h + ε without waiting, and every run with the same seed sees
// the same time stamps.
package clock

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Epoch is where virtual time starts unless a scenario says otherwise: a fixed instant, so that time
// stamps in evidence are the same from run to run.
func Epoch() time.Time { return time.Date(2026, time.January, 1, 8, 0, 0, 0, time.UTC) }

// Virtual is a clock that moves only when told to. It is safe for concurrent use.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

// New returns a virtual clock showing start (in UTC).
func New(start time.Time) *Virtual {
	return &Virtual{now: start.UTC()}
}

// Now returns the current virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Advance moves the clock forward by d. Time never runs backwards, so a negative d is an error.
func (v *Virtual) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("advance virtual clock by %v: time cannot run backwards", d)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = v.now.Add(d)
	v.wake()
	return nil
}

// After returns a channel that receives the virtual time once the clock has been advanced by at least
// d from now. It lets camera code wait for "the next frame is due" without reading the wall clock; a
// test decides when that moment comes by calling Advance.
func (v *Virtual) After(d time.Duration) <-chan time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := v.now.Add(d)
	if d <= 0 {
		ch <- v.now
		return ch
	}
	v.waiters = append(v.waiters, waiter{at: at, ch: ch})
	return ch
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// wake delivers every waiter that is due; the caller holds v.mu.
func (v *Virtual) wake() {
	kept := v.waiters[:0]
	for _, w := range v.waiters {
		if !w.at.After(v.now) {
			w.ch <- v.now
			continue
		}
		kept = append(kept, w)
	}
	v.waiters = kept
}

// Pending returns the instants the clock's waiters wait for, earliest first. A test uses it to move
// time only once the goroutine it drives is waiting, so that what happens at each instant is
// deterministic rather than a race between Advance and the goroutine.
func (v *Virtual) Pending() []time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]time.Time, len(v.waiters))
	for i, w := range v.waiters {
		out[i] = w.at
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}
