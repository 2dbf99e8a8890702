package camera

import (
	"errors"
	"fmt"

	"vsslab/camera/users"
)

// Authenticate checks a name and password from source. Failures and lockouts are audited here, in
// one place, whichever way the credentials came in (HTTP Basic, a browser login, later RTSP).
func (c *Camera) Authenticate(name, password, source string) (Actor, error) {
	if err := c.ready(); err != nil {
		return Actor{}, err
	}
	c.mu.Lock()
	store := c.users
	c.mu.Unlock()
	acct, err := store.Authenticate(name, password)
	if err != nil {
		c.auditFailure(name, source, err)
		return Actor{}, err
	}
	return Actor{
		Name:            acct.Name,
		Level:           acct.Level,
		Source:          source,
		DefaultPassword: acct.Default,
	}, nil
}

// PublicAccess tells whether anonymous clients count as guests (AUTH-4).
func (c *Camera) PublicAccess() (bool, error) {
	s, err := c.Settings()
	if err != nil {
		return false, err
	}
	return s.Access.Public, nil
}

// Login starts a browser session after checking the credentials.
func (c *Camera) Login(name, password, source string) (Session, error) {
	who, err := c.Authenticate(name, password, source)
	if err != nil {
		return Session{}, err
	}
	c.mu.Lock()
	sess, err := c.sessions.start(who)
	c.mu.Unlock()
	if err != nil {
		return Session{}, fmt.Errorf("start session: %w", err)
	}
	c.record(who, "auth.login", name, "ok", nil)
	return sess, nil
}

// Logout ends a session.
func (c *Camera) Logout(who Actor, token string) {
	c.mu.Lock()
	c.sessions.end(token)
	c.mu.Unlock()
	c.record(who, "auth.logout", who.Name, "ok", nil)
}

// SessionActor returns who holds the session token, and its CSRF token, if the session is live.
func (c *Camera) SessionActor(token, source string) (Actor, string, bool) {
	if c.ready() != nil {
		return Actor{}, "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sessions.lookup(token)
	if !ok {
		return Actor{}, "", false
	}
	who := s.Actor
	who.Source = source
	if acct, ok := c.users.Get(who.Name); ok {
		who.Level = acct.Level
		who.DefaultPassword = acct.Default
	} else {
		return Actor{}, "", false
	}
	return who, s.CSRF, true
}

// auditFailure records a failed login and, when it locked the account, the lockout: in one place,
// whichever way the credentials came in.
func (c *Camera) auditFailure(name, source string, err error) {
	who := Actor{Name: name, Source: source}
	var locked *users.LockedError
	switch {
	case errors.As(err, &locked) && locked.JustLocked:
		c.record(who, "auth.failure", name, "failed", nil)
		c.record(who, "auth.lockout", name, "denied", map[string]string{"until": locked.Until.UTC().Format("2006-01-02T15:04:05Z07:00")})
	case errors.As(err, &locked):
		c.record(who, "auth.failure", name, "denied", map[string]string{"reason": "account locked"})
	default:
		c.record(who, "auth.failure", name, "failed", nil)
	}
}
