// Package clock is the simulated world's virtual clock.
//
// Scenarios move time forward explicitly (Advance), so a 24-hour privacy mode or a 15-minute lockout
// is checked at exactly 24 h − ε and 24 h + ε without waiting, and every run with the same seed sees
// the same time stamps.
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Epoch is where virtual time starts unless a scenario says otherwise: a fixed instant, so that time
// stamps in evidence are the same from run to run.
func Epoch() time.Time { return time.Date(2026, time.January, 1, 8, 0, 0, 0, time.UTC) }

// Virtual is a clock that moves only when told to. It is safe for concurrent use.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
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
	return nil
}
