package camera

import (
	"fmt"

	"vsslab/camera/users"
)

// Account is what the API shows of a user: never the password or its hash.
type Account struct {
	Name            string      `json:"name"`
	Level           users.Level `json:"level"`
	DefaultPassword bool        `json:"default_password"`
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
		out = append(out, Account{Name: a.Name, Level: a.Level, DefaultPassword: a.Default})
	}
	return out, nil
}

// AddUser creates an account. Only admins reach it (the API's permission table); the password rules
// are the users package's.
func (c *Camera) AddUser(who Actor, name, password string, level users.Level) (Persistence, error) {
	if err := c.ready(); err != nil {
		return Persistence{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.users.Records()
	if err := c.users.Add(name, password, level); err != nil {
		c.record(who, "user.create", name, "failed", map[string]string{"level": level.String(), "reason": err.Error()})
		return Persistence{}, err
	}
	p, err := c.persistUsersLocked(who, "user.create", name, before)
	if err != nil {
		return Persistence{}, err
	}
	c.record(who, "user.create", name, "ok", map[string]string{"level": level.String(), "persisted": fmt.Sprint(p.Persisted)})
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
