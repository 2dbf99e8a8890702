// Package clock is the one place in vsslab that reads the system clock.
//
// Every part of the camera that needs time (lockouts, the 24-hour privacy mode, later deletion periods)
// takes a Clock instead of calling time.Now, so that the scenario suites can run a day of camera time
// in milliseconds on a virtual clock (see sim/clock) and get the same answer every run.
package clock

import "time"

// Clock tells the current time and wakes the camera when a moment has come (the next frame is due).
// It is the interface the camera is built on; sim/clock provides a virtual implementation and System
// the real one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
	// Until receives once the clock shows t or later, at once if it already does. A loop that waits
	// for a deadline of its own says so with Until rather than After(t.Sub(Now())): the clock may
	// move between the two calls, and then After would wait that much past the deadline.
	Until(t time.Time) <-chan time.Time
}

// System is the wall clock, used when the camera runs for real (`vsslab camera serve`).
type System struct{}

// Now returns the wall-clock time in UTC, so that stored time stamps never depend on the host's zone.
func (System) Now() time.Time { return time.Now().UTC() }

// After waits on the wall clock.
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Until waits on the wall clock until t.
func (System) Until(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }
