package users

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestDefaultLockout(t *testing.T) {
	g := NewWithT(t)
	l := DefaultLockout()
	g.Expect(l).To(Equal(Lockout{MaxFailures: 5, Window: 15 * time.Minute, Duration: 15 * time.Minute}))
	g.Expect(l.Validate()).To(Succeed())
}

func TestLockoutValidate(t *testing.T) {
	ok := DefaultLockout()
	with := func(change func(*Lockout)) Lockout { l := ok; change(&l); return l }
	for name, tc := range map[string]struct {
		l    Lockout
		want string // "" = valid
	}{
		"1 failure":        {with(func(l *Lockout) { l.MaxFailures = 1 }), ""},
		"100 failures":     {with(func(l *Lockout) { l.MaxFailures = 100 }), ""},
		"0 failures":       {with(func(l *Lockout) { l.MaxFailures = 0 }), "max failures 0"},
		"101 failures":     {with(func(l *Lockout) { l.MaxFailures = 101 }), "max failures 101"},
		"1s window":        {with(func(l *Lockout) { l.Window = time.Second }), ""},
		"24h window":       {with(func(l *Lockout) { l.Window = 24 * time.Hour }), ""},
		"short window":     {with(func(l *Lockout) { l.Window = time.Second - 1 }), "window 999.999999ms"},
		"long window":      {with(func(l *Lockout) { l.Window = 24*time.Hour + 1 }), "window 24h0m0.000000001s"},
		"negative window":  {with(func(l *Lockout) { l.Window = -time.Minute }), "window -1m0s"},
		"1s duration":      {with(func(l *Lockout) { l.Duration = time.Second }), ""},
		"24h duration":     {with(func(l *Lockout) { l.Duration = 24 * time.Hour }), ""},
		"zero duration":    {with(func(l *Lockout) { l.Duration = 0 }), "duration 0s"},
		"too long duraton": {with(func(l *Lockout) { l.Duration = 25 * time.Hour }), "duration 25h0m0s"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			if tc.want == "" {
				g.Expect(tc.l.Validate()).To(Succeed())
			} else {
				g.Expect(tc.l.Validate()).To(MatchError(ContainSubstring(tc.want)))
			}
		})
	}
}

func TestLockoutFailCountsOnlyTheWindow(t *testing.T) {
	g := NewWithT(t)
	l := Lockout{MaxFailures: 3, Window: 10 * time.Minute, Duration: time.Hour}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	failures, lock := l.fail(nil, t0)
	g.Expect(lock).To(BeFalse())
	failures, lock = l.fail(failures, t0.Add(5*time.Minute))
	g.Expect(lock).To(BeFalse())
	g.Expect(failures).To(Equal([]time.Time{t0, t0.Add(5 * time.Minute)}))

	// At t0+10m the first failure is exactly Window old and no longer counts.
	failures, lock = l.fail(failures, t0.Add(10*time.Minute))
	g.Expect(lock).To(BeFalse())
	g.Expect(failures).To(Equal([]time.Time{t0.Add(5 * time.Minute), t0.Add(10 * time.Minute)}))

	failures, lock = l.fail(failures, t0.Add(11*time.Minute))
	g.Expect(lock).To(BeTrue())
	g.Expect(failures).To(BeEmpty(), "the lock replaces the failures")
}

func TestLockedErrorMessage(t *testing.T) {
	g := NewWithT(t)
	until := time.Date(2026, 3, 1, 13, 15, 0, 0, time.FixedZone("CET", 3600))
	err := &LockedError{Name: "bob", Until: until}
	g.Expect(err.Error()).To(Equal(`account "bob" is locked until 2026-03-01T12:15:00Z`))
}
