package users

import (
	"fmt"
	"time"
)

// Lockout is the rule that locks a name after repeated failed logins, slowing password guessing to a
// handful of tries per Duration while the API layer audits each lock.
type Lockout struct {
	// MaxFailures failed logins within Window lock the name.
	MaxFailures int
	// Window is how far back failures count.
	Window time.Duration
	// Duration is how long the name stays locked.
	Duration time.Duration
}

// DefaultLockout is the camera's factory setting: 5 failures within 15 minutes lock for 15 minutes.
func DefaultLockout() Lockout {
	return Lockout{MaxFailures: 5, Window: 15 * time.Minute, Duration: 15 * time.Minute}
}

// Validate rejects settings that would disable the protection (no lock, a zero window) or lock a name
// for longer than a day, which would hand an attacker a cheap way to lock the owner out for good.
func (l Lockout) Validate() error {
	if l.MaxFailures < 1 || l.MaxFailures > 100 {
		return fmt.Errorf("lockout: max failures %d is outside 1..100", l.MaxFailures)
	}
	if l.Window < time.Second || l.Window > 24*time.Hour {
		return fmt.Errorf("lockout: window %s is outside 1s..24h", l.Window)
	}
	if l.Duration < time.Second || l.Duration > 24*time.Hour {
		return fmt.Errorf("lockout: duration %s is outside 1s..24h", l.Duration)
	}
	return nil
}

// LockedError is a login refused because the name is locked. Until is when the lock ends. JustLocked is
// true only for the failed attempt that caused the lock, so that the API layer audits each lock once.
type LockedError struct {
	// Name is the login name as given, whether or not such an account exists.
	Name string
	// Until is when the lock ends and logins are checked again.
	Until time.Time
	// JustLocked marks the failed attempt that caused the lock; later refusals have it false.
	JustLocked bool
}

// Error names the account and the end of the lock; it is the same whether or not the name exists.
func (e *LockedError) Error() string {
	return fmt.Sprintf("account %q is locked until %s", e.Name, e.Until.UTC().Format(time.RFC3339))
}

// fail records a failed login at now in failures, which it prunes in place to those less than Window
// old. It reports whether the failure completes MaxFailures and so locks the name; then the failures are
// cleared, and the lock alone holds the name until it expires.
func (l Lockout) fail(failures []time.Time, now time.Time) ([]time.Time, bool) {
	failures = append(l.recent(failures, now), now)
	if len(failures) >= l.MaxFailures {
		return failures[:0], true
	}
	return failures, false
}

// recent drops the failures that are Window old or older, keeping the slice's order.
func (l Lockout) recent(failures []time.Time, now time.Time) []time.Time {
	cutoff := now.Add(-l.Window)
	kept := failures[:0]
	for _, f := range failures {
		if f.After(cutoff) {
			kept = append(kept, f)
		}
	}
	return kept
}
