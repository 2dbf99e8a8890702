package users

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
	"time"
)

// dummyHash is verified for unknown names, so that they cost the same argon2 work as known ones. It has
// the parameters of Hash; its password was random and discarded.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$8X2kF+34T1yhYfBMBrKOVQ$c7xav+F6bhkCqWVVzVbK0TG4IrlA3rrYma98i/QVjyE"

// minSweep is the smallest number of lockout entries at which idle ones are swept.
const minSweep = 1024

// guard is the lockout state of one login name, known or not.
type guard struct {
	attempt  sync.Mutex  // held for a whole login attempt: attempts on one name run one after another
	refs     int         // attempts holding or waiting for attempt; under Store.mu
	failures []time.Time // recent failed logins; under Store.mu
	until    time.Time   // end of the current lock; under Store.mu
}

// Authenticate checks a login and returns the account (without its hash). A locked name gets
// *LockedError without its password being looked at; a wrong password or unknown name gets
// ErrBadCredentials, or *LockedError with JustLocked set when this failure locks the name. Unknown names
// cost the same argon2 work and lock the same way as known ones, so neither timing nor lockout reveals
// which names exist.
//
// Because the API authenticates every request with Basic auth, a successful argon2 check is remembered
// as an HMAC of name and password under a per-Store key, and an exact repeat skips argon2. The lockout
// check still comes first, and SetPassword and Delete drop the name's entry.
func (s *Store) Authenticate(name, password string) (Account, error) {
	key, g := s.enter(name)
	defer s.leave(key, g)
	mac := s.mac(name, password)

	s.mu.Lock()
	if now := s.clk.Now(); now.Before(g.until) {
		err := &LockedError{Name: name, Until: g.until}
		s.mu.Unlock()
		return Account{}, err
	}
	a, known := s.accounts[name]
	if cached, ok := s.cache[name]; known && ok && hmac.Equal(cached[:], mac[:]) {
		g.failures = nil
		s.mu.Unlock()
		return withoutHash(a), nil
	}
	encoded := dummyHash
	if known {
		encoded = a.Hash
	}
	s.mu.Unlock()

	ok, err := VerifyHash(encoded, password)

	s.mu.Lock()
	defer s.mu.Unlock()
	if known && ok && err == nil {
		if cur, still := s.accounts[name]; still && cur.Hash == encoded {
			g.failures = nil
			s.cache[name] = mac
			return withoutHash(cur), nil
		}
		// The password was changed or the account deleted while we verified: the password was right,
		// so it is no guess to count, but it is no longer valid either.
		return Account{}, ErrBadCredentials
	}
	now := s.clk.Now()
	var locked bool
	g.failures, locked = s.lockout.fail(g.failures, now)
	if locked {
		g.until = now.Add(s.lockout.Duration)
		return Account{}, &LockedError{Name: name, Until: g.until, JustLocked: true}
	}
	return Account{}, ErrBadCredentials
}

func (s *Store) mac(name, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}

// enter finds or creates the guard of a login name and takes its attempt lock. Guards are keyed by a
// digest of the name, so that attacker-chosen long names cost a fixed amount of memory each.
func (s *Store) enter(name string) ([sha256.Size]byte, *guard) {
	key := sha256.Sum256([]byte(name))
	s.mu.Lock()
	g := s.guards[key]
	if g == nil {
		s.sweep()
		g = &guard{}
		s.guards[key] = g
	}
	g.refs++
	s.mu.Unlock()
	g.attempt.Lock()
	return key, g
}

// leave releases the attempt lock and forgets the guard when nothing in it matters any more.
func (s *Store) leave(key [sha256.Size]byte, g *guard) {
	g.attempt.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	g.refs--
	if s.idle(g, s.clk.Now()) {
		delete(s.guards, key)
	}
}

// sweep drops idle guards once there are many, so that guesses at many made-up names cannot grow memory
// without bound; doubling the threshold keeps the cost per login constant. Called with mu held.
func (s *Store) sweep() {
	if len(s.guards) < s.sweepAt {
		return
	}
	now := s.clk.Now()
	for key, g := range s.guards {
		if s.idle(g, now) {
			delete(s.guards, key)
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.guards))
}

// idle reports whether a guard is unused, unlocked and has no failure within the window. Called with mu
// held; it prunes the guard's old failures.
func (s *Store) idle(g *guard, now time.Time) bool {
	g.failures = s.lockout.recent(g.failures, now)
	return g.refs == 0 && !now.Before(g.until) && len(g.failures) == 0
}
