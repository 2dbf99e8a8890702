package camera

import (
	"time"

	"vsslab/camera/settings"
	"vsslab/camera/users"
)

// Names of the state files, inside the state directory.
const (
	settingsFile     = "settings.json"
	usersFile        = "users.json"
	privacyStateFile = "privacy.json"
)

type userFile struct {
	Accounts []users.Account `json:"accounts"`
}

type privacyFile struct {
	Until time.Time `json:"until"`
}

// Persistence tells a client whether a change it made survives a reboot, and if not, why.
type Persistence struct {
	Persisted bool   `json:"persisted"`
	Reason    string `json:"reason,omitempty"`
}

// notPersistedReason is what the camera answers while the admin password is the factory default.
const notPersistedReason = "The admin password is still the factory default, so this change is applied but will be lost at the next reboot. Change the admin password (PUT /api/v1/users/admin/password) to save changes permanently."

// persistLocked saves settings and accounts unless the admin password is still the factory default
// (WP 2.1.3 b: "without changing the admin default password, no change can be permanently saved").
// The caller holds c.mu.
func (c *Camera) persistLocked() (Persistence, error) {
	if c.users.AdminPasswordDefault() {
		return Persistence{Persisted: false, Reason: notPersistedReason}, nil
	}
	if err := c.dir.SaveJSON(settingsFile, c.settings); err != nil {
		return Persistence{}, err
	}
	if err := c.dir.SaveJSON(usersFile, userFile{Accounts: c.users.Records()}); err != nil {
		return Persistence{}, err
	}
	return Persistence{Persisted: true}, nil
}

func lockoutOf(s settings.Settings) users.Lockout {
	return users.Lockout{
		MaxFailures: s.Auth.Lockout.MaxFailures,
		Window:      time.Duration(s.Auth.Lockout.Window),
		Duration:    time.Duration(s.Auth.Lockout.Duration),
	}
}
