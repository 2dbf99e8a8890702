package camera

import (
	"errors"
	"fmt"
	"time"
)

// PrivacyDuration is how long the privacy soft button blocks live images and image search unless
// cancelled (WP 2.1.1).
const PrivacyDuration = 24 * time.Hour

// ErrPrivacyMode is returned for live images and image search while privacy mode is on.
var ErrPrivacyMode = errors.New("privacy mode is on: live images and image search are blocked")

// PrivacyStatus says whether privacy mode is on and until when.
type PrivacyStatus struct {
	Active bool       `json:"active"`
	Until  *time.Time `json:"until,omitempty"`
}

// Privacy reports privacy mode. It ends by itself when its 24 hours are over, on the camera's clock.
func (c *Camera) Privacy() (PrivacyStatus, error) {
	if err := c.ready(); err != nil {
		return PrivacyStatus{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.privacyLocked(), nil
}

func (c *Camera) privacyLocked() PrivacyStatus {
	if c.cfg.Clock.Now().Before(c.privacy) {
		until := c.privacy
		return PrivacyStatus{Active: true, Until: &until}
	}
	return PrivacyStatus{}
}

// SetPrivacy switches privacy mode on for PrivacyDuration, or off. It is stored at once and survives
// a reboot whatever the admin password: protecting people never waits for configuration.
func (c *Camera) SetPrivacy(who Actor, on bool) (PrivacyStatus, error) {
	if err := c.ready(); err != nil {
		return PrivacyStatus{}, err
	}
	c.mu.Lock()
	until := time.Time{}
	if on {
		until = c.cfg.Clock.Now().Add(PrivacyDuration)
	}
	if err := c.dir.SaveJSON(privacyStateFile, privacyFile{Until: until}); err != nil {
		c.mu.Unlock()
		return PrivacyStatus{}, fmt.Errorf("save privacy mode: %w", err)
	}
	c.privacy = until
	status := c.privacyLocked()
	hooks := append([]func(){}, c.onPrivacy...)
	c.mu.Unlock()

	action := "privacy.off"
	detail := map[string]string(nil)
	if on {
		action = "privacy.on"
		detail = map[string]string{"until": until.Format(time.RFC3339)}
		// Running streams end now. The hooks run without the camera's lock: they call back into it.
		c.hub.closeAll()
		for _, f := range hooks {
			f()
		}
	}
	c.record(who, action, "", "ok", detail)
	return status, nil
}

// checkPrivacy is called by every path that shows images: live snapshot, image search, and later
// streams.
func (c *Camera) checkPrivacy() error {
	if err := c.ready(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.privacyLocked().Active {
		return ErrPrivacyMode
	}
	return nil
}
