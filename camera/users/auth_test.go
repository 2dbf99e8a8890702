package users

import (
	"errors"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// storeWithBob is a Store with bob, a user with bobPassword, on the given clock. Its admin has the
// dummy hash (no known password), which saves an argon2 run per test.
func storeWithBob(t *testing.T, clk Clock) *Store {
	t.Helper()
	s, err := NewStore(clk, DefaultLockout(), []Account{{Name: "admin", Level: Admin, Hash: dummyHash}}, &seqRandom{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("bob", bobPassword, User); err != nil {
		t.Fatal(err)
	}
	return s
}

func locked(err error) *LockedError {
	var le *LockedError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

func TestFourFailuresThenSuccessResets(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	s := storeWithBob(t, newFakeClock())
	for range 4 {
		_, err := s.Authenticate("bob", "wrong")
		g.Expect(err).To(MatchError(ErrBadCredentials))
	}
	_, err := s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	for range 4 {
		_, err := s.Authenticate("bob", "wrong")
		g.Expect(err).To(MatchError(ErrBadCredentials), "the success cleared the earlier failures")
	}
	_, err = s.Authenticate("bob", "wrong")
	g.Expect(locked(err)).NotTo(BeNil(), "…but these count")
}

func TestFiveFailuresLockUntilDuration(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	clk := newFakeClock()
	s := storeWithBob(t, clk)
	// Warm the cache, so that the lock is seen to beat a cached password too.
	_, err := s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())

	for range 4 {
		_, err := s.Authenticate("bob", "wrong")
		g.Expect(err).To(MatchError(ErrBadCredentials))
		clk.Advance(time.Minute)
	}
	lockedAt := clk.Now()
	_, err = s.Authenticate("bob", "wrong")
	le := locked(err)
	g.Expect(le).NotTo(BeNil())
	g.Expect(*le).To(Equal(LockedError{Name: "bob", Until: lockedAt.Add(15 * time.Minute), JustLocked: true}))
	g.Expect(err.Error()).To(Equal(`account "bob" is locked until 2026-03-01T12:19:00Z`))

	for _, password := range []string{bobPassword, "wrong", bobPassword} {
		_, err = s.Authenticate("bob", password)
		g.Expect(locked(err)).To(Equal(&LockedError{Name: "bob", Until: lockedAt.Add(15 * time.Minute)}),
			"locked: the right password is refused too, and JustLocked is reported once")
	}
	clk.Advance(15*time.Minute - time.Second)
	_, err = s.Authenticate("bob", bobPassword)
	g.Expect(locked(err)).NotTo(BeNil())
	clk.Advance(time.Second)
	a, err := s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Name).To(Equal("bob"))
}

func TestFailuresOutsideWindowDoNotCount(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	clk := newFakeClock()
	s := storeWithBob(t, clk)
	for range 2 {
		_, err := s.Authenticate("bob", "wrong")
		g.Expect(err).To(MatchError(ErrBadCredentials))
	}
	clk.Advance(10 * time.Minute)
	for range 2 {
		_, err := s.Authenticate("bob", "wrong")
		g.Expect(err).To(MatchError(ErrBadCredentials))
	}
	clk.Advance(5 * time.Minute) // the first two are now 15 minutes old: out of the window
	_, err := s.Authenticate("bob", "wrong")
	g.Expect(err).To(MatchError(ErrBadCredentials), "3 failures within the window")
	_, err = s.Authenticate("bob", "wrong")
	g.Expect(err).To(MatchError(ErrBadCredentials), "4 failures within the window")
	_, err = s.Authenticate("bob", "wrong")
	g.Expect(locked(err)).NotTo(BeNil(), "5 failures within the window")
}

func TestUnknownNamesLockTheSameWay(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	clk := newFakeClock()
	s := factoryStore(t, clk)
	for range 4 {
		_, err := s.Authenticate("ghost", "whatever")
		g.Expect(err).To(MatchError(ErrBadCredentials))
	}
	_, err := s.Authenticate("ghost", "whatever")
	g.Expect(locked(err)).To(Equal(&LockedError{Name: "ghost", Until: clk.Now().Add(15 * time.Minute), JustLocked: true}))
	_, err = s.Authenticate("ghost", "whatever")
	g.Expect(locked(err)).To(Equal(&LockedError{Name: "ghost", Until: clk.Now().Add(15 * time.Minute)}))

	// Other names, known or not, are not affected.
	_, err = s.Authenticate("admin", "meinsm")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = s.Authenticate("ghost2", "whatever")
	g.Expect(err).To(MatchError(ErrBadCredentials))
}

func TestConcurrentGuessesCannotOutrunTheLock(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	clk := newFakeClock()
	s := storeWithBob(t, clk)
	const attempts = 12
	errs := make(chan error, attempts)
	var wg sync.WaitGroup
	for range attempts {
		wg.Go(func() {
			_, err := s.Authenticate("bob", "wrong")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var bad, justLocked, wasLocked int
	for err := range errs {
		switch le := locked(err); {
		case le == nil:
			g.Expect(err).To(MatchError(ErrBadCredentials))
			bad++
		case le.JustLocked:
			justLocked++
		default:
			wasLocked++
		}
	}
	g.Expect([]int{bad, justLocked, wasLocked}).To(Equal([]int{4, 1, attempts - 5}),
		"exactly MaxFailures guesses were checked, however many came at once")
}

func TestCacheRemembersOnlyVerifiedPasswords(t *testing.T) {
	g := NewWithT(t)
	s := storeWithBob(t, newFakeClock())
	_, err := s.Authenticate("bob", "wrong")
	g.Expect(err).To(MatchError(ErrBadCredentials))
	g.Expect(s.cache).To(BeEmpty(), "a failure is not cached")
	_, err = s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.cache).To(HaveKeyWithValue("bob", s.mac("bob", bobPassword)))

	// A cache hit needs no argon2: replace the stored hash by one of another password and the cached
	// password still works, while anything else goes to argon2 against the new hash.
	other, err := Hash("Other-Pass-9", &seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	s.mu.Lock()
	a := s.accounts["bob"]
	a.Hash = other
	s.accounts["bob"] = a
	s.mu.Unlock()
	_, err = s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = s.Authenticate("bob", "Other-Pass-9")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.cache).To(HaveKeyWithValue("bob", s.mac("bob", "Other-Pass-9")))
}

func TestCacheKeyDiffersPerStore(t *testing.T) {
	g := NewWithT(t)
	clk := newFakeClock()
	a, err := NewStore(clk, DefaultLockout(), []Account{{Name: "admin", Level: Admin, Hash: dummyHash}}, &seqRandom{next: 1})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := NewStore(clk, DefaultLockout(), []Account{{Name: "admin", Level: Admin, Hash: dummyHash}}, &seqRandom{next: 2})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.mac("admin", "x")).NotTo(Equal(b.mac("admin", "x")))
	g.Expect(a.mac("ad", "\x00min")).NotTo(Equal(a.mac("admin", "")), "the zero byte separates name and password")
}

func TestIdleGuardsAreForgotten(t *testing.T) {
	g := NewWithT(t)
	clk := newFakeClock()
	s := storeWithBob(t, clk)
	_, err := s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.guards).To(BeEmpty(), "a successful login leaves nothing behind")

	_, err = s.Authenticate("ghost", "x")
	g.Expect(err).To(MatchError(ErrBadCredentials))
	g.Expect(s.guards).To(HaveLen(1), "a recent failure is remembered")

	// Once the failure is out of the window, the next sweep drops the entry.
	clk.Advance(15 * time.Minute)
	s.mu.Lock()
	s.sweepAt = 0
	s.sweep()
	s.mu.Unlock()
	g.Expect(s.guards).To(BeEmpty())
	g.Expect(s.sweepAt).To(Equal(minSweep))
}

func TestDummyHashCostsTheSameAsARealOne(t *testing.T) {
	g := NewWithT(t)
	d, err := parseHash(dummyHash)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]any{d.memory, d.time, d.threads, len(d.salt), len(d.key)}).
		To(Equal([]any{uint32(hashMemory), uint32(hashTime), uint8(hashThreads), saltLen, keyLen}))
}
