package users

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
)

// DigestRealm is the realm of the camera's RTSP Digest authentication; HA1 values depend on it.
const DigestRealm = "vsslab camera"

// DigestHA1 is MD5(name:realm:password), what an RTSP server needs to check a Digest response
// without the password itself.
func DigestHA1(name, password string) string {
	sum := md5.Sum([]byte(name + ":" + DigestRealm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// dummyHA1 is checked for unknown names, so that they answer like known ones.
var dummyHA1 = DigestHA1("\x00unknown", "\x00")

// AuthenticateDigest checks a Digest login: check tells whether the client's response matches a
// given HA1. Lockout works exactly as for Authenticate: a locked name is refused without looking at
// the response, failures count, and unknown names lock the same way.
func (s *Store) AuthenticateDigest(name string, check func(ha1 string) bool) (Account, error) {
	key, g := s.enter(name)
	defer s.leave(key, g)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if now.Before(g.until) {
		return Account{}, &LockedError{Name: name, Until: g.until}
	}
	a, known := s.accounts[name]
	ha1 := dummyHA1
	if known && a.DigestHA1 != "" {
		ha1 = a.DigestHA1
	}
	ok := check(ha1)
	if known && a.DigestHA1 != "" && ok && subtle.ConstantTimeCompare([]byte(ha1), []byte(a.DigestHA1)) == 1 {
		g.failures = nil
		return withoutHash(a), nil
	}
	var locked bool
	g.failures, locked = s.lockout.fail(g.failures, now)
	if locked {
		g.until = now.Add(s.lockout.Duration)
		return Account{}, &LockedError{Name: name, Until: g.until, JustLocked: true}
	}
	return Account{}, ErrBadCredentials
}
