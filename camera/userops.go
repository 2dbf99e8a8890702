package camera

import (
	"fmt"
	"strings"
	"time"

	"vsslab/camera/settings"
	"vsslab/camera/users"
)

// Account is what the API shows of a user: never the password or its hash.
type Account struct {
	Name            string      `json:"name"`
	Level           users.Level `json:"level"`
	DefaultPassword bool        `json:"default_password"`
	Rights          []string    `json:"rights"`
}

// Users lists the accounts.
func (c *Camera) Users() ([]Account, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Account
	for _, a := range c.users.List() {
		rights := a.Rights
		if rights == nil {
			rights = []string{}
		}
		out = append(out, Account{Name: a.Name, Level: a.Level, DefaultPassword: a.Default, Rights: rights})
	}
	return out, nil
}

// AddUser creates an account. Only admins reach it (the API's permission table); the password rules
// are the users package's.
func (c *Camera) AddUser(who Actor, name, password string, level users.Level, rights ...string) (Persistence, error) {
	if err := c.ready(); err != nil {
		return Persistence{}, err
	}
	rights, err := users.CheckRights(rights)
	if err != nil {
		return Persistence{}, &settings.FieldError{Code: "invalid_value", Key: "rights", Message: err.Error()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.users.Records()
	err = c.users.Add(name, password, level)
	if err == nil && len(rights) > 0 {
		if err = c.users.SetRights(name, rights); err != nil {
			_ = c.users.Delete(name)
		}
	}
	if err != nil {
		c.record(who, "user.create", name, "failed", map[string]string{"level": level.String(), "reason": err.Error()})
		return Persistence{}, err
	}
	p, err := c.persistUsersLocked(who, "user.create", name, before)
	if err != nil {
		return Persistence{}, err
	}
	detail := map[string]string{"level": level.String(), "persisted": fmt.Sprint(p.Persisted)}
	if len(rights) > 0 {
		detail["rights"] = strings.Join(rights, ",")
	}
	c.record(who, "user.create", name, "ok", detail)
	return p, nil
}

// DeleteUser removes an account and ends its sessions.
func (c *Camera) DeleteUser(who Actor, name string) (Persistence, error) {
	if err := c.ready(); err != nil {
		return Persistence{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.users.Records()
	if err := c.users.Delete(name); err != nil {
		c.record(who, "user.delete", name, "failed", map[string]string{"reason": err.Error()})
		return Persistence{}, err
	}
	c.sessions.dropUser(name)
	p, err := c.persistUsersLocked(who, "user.delete", name, before)
	if err != nil {
		return Persistence{}, err
	}
	c.record(who, "user.delete", name, "ok", map[string]string{"persisted": fmt.Sprint(p.Persisted)})
	return p, nil
}

// SetPassword changes name's password, on behalf of that user or an admin. When the built-in admin
// leaves the factory password, everything applied since boot is saved: from now on changes persist.
func (c *Camera) SetPassword(who Actor, name, password string) (Persistence, error) {
	if err := c.ready(); err != nil {
		return Persistence{}, err
	}
	if who.Name != name && !who.Level.Allows(users.Admin) {
		c.record(who, "user.password", name, "denied", nil)
		return Persistence{}, &ForbiddenError{What: "changing another account's password", Need: users.Admin}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.users.Records()
	if err := c.users.SetPassword(name, password); err != nil {
		c.record(who, "user.password", name, "failed", map[string]string{"reason": err.Error()})
		return Persistence{}, err
	}
	c.sessions.dropUser(name)
	p, err := c.persistUsersLocked(who, "user.password", name, before)
	if err != nil {
		return Persistence{}, err
	}
	c.record(who, "user.password", name, "ok", map[string]string{"persisted": fmt.Sprint(p.Persisted)})
	return p, nil
}

// persistUsersLocked saves the accounts after a change; if that fails, the accounts go back to
// before, so that a change the camera could not keep is not in effect either, and the failure is
// audited. The caller holds c.mu.
func (c *Camera) persistUsersLocked(who Actor, action, target string, before []users.Account) (Persistence, error) {
	p, err := c.persistLocked()
	if err == nil {
		return p, nil
	}
	if restored, rerr := users.NewStore(c.cfg.Clock, lockoutOf(c.settings), before, c.cfg.Random); rerr == nil {
		c.users = restored
	}
	c.record(who, action, target, "failed", map[string]string{"reason": "the accounts could not be saved"})
	return Persistence{}, fmt.Errorf("save users: %w", err)
}

// SetRights replaces an account's rights (supervisor, unmask); only an admin may (the API's table).
func (c *Camera) SetRights(who Actor, name string, rights []string) (Persistence, error) {
	if err := c.ready(); err != nil {
		return Persistence{}, err
	}
	rights, err := users.CheckRights(rights)
	if err != nil {
		return Persistence{}, &settings.FieldError{Code: "invalid_value", Key: "rights", Message: err.Error()}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.users.Records()
	if err := c.users.SetRights(name, rights); err != nil {
		c.record(who, "user.rights", name, "failed", map[string]string{"reason": err.Error()})
		return Persistence{}, err
	}
	p, err := c.persistUsersLocked(who, "user.rights", name, before)
	if err != nil {
		return Persistence{}, err
	}
	c.record(who, "user.rights", name, "ok", map[string]string{"rights": strings.Join(rights, ","), "persisted": fmt.Sprint(p.Persisted)})
	return p, nil
}

// Now is the camera's clock, so the API reads the same time the camera judges by.
func (c *Camera) Now() time.Time { return c.cfg.Clock.Now() }
