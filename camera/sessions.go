package camera

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"vsslab/camera/clock"
)

// Session timing: a browser session ends after IdleTimeout without use, and after MaxSessionAge in
// any case. Both run on the camera's clock.
const (
	IdleTimeout   = 15 * time.Minute
	MaxSessionAge = 12 * time.Hour
)

// Session is a browser login: the cookie token, the CSRF token that unsafe requests must echo in a
// header, and when it ends at the latest.
type Session struct {
	Token   string
	CSRF    string
	Actor   Actor
	Expires time.Time

	started  time.Time
	lastUsed time.Time
}

// sessions lives in memory only: a reboot logs everybody out. The caller holds the camera's lock.
type sessions struct {
	clk    clock.Clock
	random io.Reader
	byTok  map[string]*Session
}

func newSessions(clk clock.Clock, random io.Reader) *sessions {
	return &sessions{clk: clk, random: random, byTok: map[string]*Session{}}
}

func (s *sessions) token() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *sessions) start(who Actor) (Session, error) {
	tok, err := s.token()
	if err != nil {
		return Session{}, err
	}
	csrf, err := s.token()
	if err != nil {
		return Session{}, err
	}
	now := s.clk.Now()
	sess := &Session{Token: tok, CSRF: csrf, Actor: who, started: now, lastUsed: now, Expires: now.Add(IdleTimeout)}
	s.byTok[tok] = sess
	return *sess, nil
}

func (s *sessions) lookup(token string) (Session, bool) {
	now := s.clk.Now()
	for tok, sess := range s.byTok {
		if now.Sub(sess.lastUsed) > IdleTimeout || now.Sub(sess.started) > MaxSessionAge {
			delete(s.byTok, tok)
		}
	}
	for tok, sess := range s.byTok {
		if subtle.ConstantTimeCompare([]byte(tok), []byte(token)) == 1 {
			sess.lastUsed = now
			sess.Expires = now.Add(IdleTimeout)
			return *sess, true
		}
	}
	return Session{}, false
}

func (s *sessions) end(token string) {
	delete(s.byTok, token)
}

// dropUser ends every session of name (after a password change or deletion).
func (s *sessions) dropUser(name string) {
	for tok, sess := range s.byTok {
		if sess.Actor.Name == name {
			delete(s.byTok, tok)
		}
	}
}
