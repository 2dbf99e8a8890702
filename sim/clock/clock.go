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
	// scopes counts the scopes handed out, to name each; closed holds those that were closed.
	scopes uint64
	closed map[uint64]bool
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
func (v *Virtual) After(d time.Duration) <-chan time.Time { return v.wait(0, d, time.Time{}) }

// Until returns a channel that receives the virtual time once the clock shows t or later: at once if
// it already does. Unlike After(t.Sub(Now())), it cannot overshoot when the clock moves between the
// two calls.
func (v *Virtual) Until(t time.Time) <-chan time.Time { return v.wait(0, 0, t) }

// wait registers a wait for scope (0 for the clock itself) until at, or d from now when at is zero.
// A closed scope's waits never fire.
func (v *Virtual) wait(scope uint64, d time.Duration, at time.Time) <-chan time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan time.Time, 1)
	if v.closed[scope] {
		return ch
	}
	if at.IsZero() {
		at = v.now.Add(d)
	}
	if !at.After(v.now) {
		ch <- v.now
		return ch
	}
	v.waiters = append(v.waiters, waiter{at: at, ch: ch, scope: scope})
	return ch
}

type waiter struct {
	at    time.Time
	ch    chan time.Time
	scope uint64
}

// Scope is one run of a camera on the clock: it shares the clock's time, and Close takes back the
// waits it still has. Without it, a camera that was switched off would leave its last waits in
// Pending, where a scenario waiting for the next camera's "next run at T" could mistake one of them,
// at the same instant, for the new camera's and move time before the new camera waits.
type Scope struct {
	v  *Virtual
	id uint64
}

// Scope returns a new scope of v.
func (v *Virtual) Scope() *Scope {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.scopes++
	return &Scope{v: v, id: v.scopes}
}

// Now returns the clock's time.
func (s *Scope) Now() time.Time { return s.v.Now() }

// After is the clock's After, for this scope: once the scope is closed, its waits never fire.
func (s *Scope) After(d time.Duration) <-chan time.Time { return s.v.wait(s.id, d, time.Time{}) }

// Until is the clock's Until, for this scope.
func (s *Scope) Until(t time.Time) <-chan time.Time { return s.v.wait(s.id, 0, t) }

// Close drops the scope's waits from the clock. The camera using it must have stopped.
func (s *Scope) Close() {
	v := s.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed == nil {
		v.closed = map[uint64]bool{}
	}
	v.closed[s.id] = true
	v.waiters = slices.DeleteFunc(v.waiters, func(w waiter) bool { return w.scope == s.id })
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
