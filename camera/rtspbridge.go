package camera

import (
	"errors"
	"fmt"

	"vsslab/camera/rtsp"
	"vsslab/camera/users"
)

// RTSP returns the camera as its RTSP server sees it: the live stream and the account store. The
// stream obeys privacy mode and the microphone setting; the account store applies the same lockout
// and audit as the HTTPS API, and limits guests to access.guest_max_fps.
func (c *Camera) RTSP() (rtsp.Stream, rtsp.Authenticator) {
	return rtspStream{c}, rtspAuth{c}
}

type rtspStream struct{ c *Camera }

func (s rtspStream) Audio() bool        { return s.c.AudioOn() }
func (s rtspStream) FrameRate() float64 { return FrameRate }
func (s rtspStream) Size() (int, int)   { return s.c.size.X, s.c.size.Y }
func (s rtspStream) Allowed() error     { return s.c.StreamAllowed() }

// Subscribe starts a session's media. Refused streams (privacy mode began between PLAY's check and
// now) get a subscription that is already closed, which ends the session.
func (s rtspStream) Subscribe(audio bool) rtsp.Subscription {
	sub, err := s.c.Subscribe(audio)
	if err != nil {
		closed := s.c.hub.add(false)
		closed.Close()
		return closed
	}
	return sub
}

type rtspAuth struct{ c *Camera }

func (a rtspAuth) Basic(name, password, source string) (rtsp.Viewer, error) {
	who, err := a.c.Authenticate(name, password, source)
	if err != nil {
		return rtsp.Viewer{}, rtspError(err)
	}
	return a.c.viewer(who), nil
}

func (a rtspAuth) Digest(name, source string, check func(ha1 string) bool) (rtsp.Viewer, error) {
	who, err := a.c.AuthenticateDigest(name, source, check)
	if err != nil {
		return rtsp.Viewer{}, rtspError(err)
	}
	return a.c.viewer(who), nil
}

func (a rtspAuth) Anonymous(source string) (rtsp.Viewer, error) {
	public, err := a.c.PublicAccess()
	if err != nil {
		return rtsp.Viewer{}, err
	}
	if !public {
		return rtsp.Viewer{}, errors.New("public access is off")
	}
	return a.c.viewer(Anonymous(source)), nil
}

// viewer gives guests (and anonymous public access) the reduced frame rate of WP 2.1.3 a.
func (c *Camera) viewer(who Actor) rtsp.Viewer {
	v := rtsp.Viewer{Name: who.Name}
	if who.Level == users.Guest {
		if s, err := c.Settings(); err == nil {
			v.MaxFPS = s.Access.GuestMaxFPS
		}
	}
	return v
}

func rtspError(err error) error {
	var locked *users.LockedError
	if errors.As(err, &locked) {
		return fmt.Errorf("%w: %w", rtsp.ErrLocked, err)
	}
	return err
}

// AuthenticateDigest checks an RTSP Digest login, audited and locked out exactly like Authenticate.
func (c *Camera) AuthenticateDigest(name, source string, check func(ha1 string) bool) (Actor, error) {
	if err := c.ready(); err != nil {
		return Actor{}, err
	}
	c.mu.Lock()
	store := c.users
	c.mu.Unlock()
	acct, err := store.AuthenticateDigest(name, check)
	if err != nil {
		c.auditFailure(name, source, err)
		return Actor{}, err
	}
	return Actor{Name: acct.Name, Level: acct.Level, Source: source, DefaultPassword: acct.Default}, nil
}
