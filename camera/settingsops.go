package camera

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"vsslab/camera/mask"
	"vsslab/camera/record"
	"vsslab/camera/settings"
	"vsslab/camera/users"
)

// ErrForbidden is returned when the actor's level does not allow the operation.
var ErrForbidden = errors.New("forbidden")

// ForbiddenError names what the actor may not do, for the API's error message.
type ForbiddenError struct {
	What string
	Need users.Level
	// Right, when set, is the right (rather than the level) that is missing.
	Right string
}

func (e *ForbiddenError) Error() string {
	if e.Right != "" {
		return fmt.Sprintf("%s needs the %s right", e.What, e.Right)
	}
	return fmt.Sprintf("%s needs the %s level", e.What, e.Need)
}

func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// Settings returns the current settings.
func (c *Camera) Settings() (settings.Settings, error) {
	if err := c.ready(); err != nil {
		return settings.Settings{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.withStorageStatus(c.settings, c.store).Redacted(), nil
}

// SettingsResult is the outcome of a patch.
type SettingsResult struct {
	Settings settings.Settings `json:"settings"`
	Changed  []string          `json:"changed"`
	Persistence
}

// PatchSettings applies a JSON merge patch on behalf of who. It is all or nothing: a bad key, a bad
// value, or a security setting changed by a non-admin (which is refused and audited) changes nothing.
func (c *Camera) PatchSettings(who Actor, patch []byte) (SettingsResult, error) {
	if err := c.ready(); err != nil {
		return SettingsResult{}, err
	}
	patch, keyword, hasKeyword, err := takeKeyword(patch)
	if err != nil {
		return SettingsResult{}, err
	}
	if hasKeyword && !who.Level.Allows(users.Admin) {
		c.record(who, "settings.change", "storage.keyword", "denied", nil)
		return SettingsResult{}, &ForbiddenError{What: "changing storage.keyword", Need: users.Admin}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.withStorageStatus(c.settings, c.store)
	next, _, err := settings.Apply(cur, patch)
	if err != nil {
		return SettingsResult{}, err
	}
	// A patch replaces the channel list whole; secrets it leaves out are kept (they are never
	// read back, so a client cannot send them again). What changed is judged, and audited, without
	// the secrets.
	next.Notify.Channels = cur.Notify.Channels.Merge(next.Notify.Channels)
	changes, err := settings.Diff(cur.Redacted(), next.Redacted())
	if err != nil {
		return SettingsResult{}, err
	}
	for _, ch := range changes {
		if slices.Contains(settings.ReadOnlyKeys[:], ch.Key) {
			return SettingsResult{}, &settings.FieldError{Code: "invalid_value", Key: ch.Key, Message: "is read-only"}
		}
	}
	if !who.Level.Allows(users.Admin) {
		// Every security key the patch names counts, even one set to its current value: the
		// question is whether this caller may write it at all.
		for _, key := range settings.Touched(patch) {
			if settings.IsSecurity(key) || settings.IsSecurity(key+".") {
				c.record(who, "settings.change", key, "denied", map[string]string{"requested": requested(changes, key)})
				return SettingsResult{}, &ForbiddenError{What: "changing " + key, Need: users.Admin}
			}
		}
	}
	if c.cfg.Model == ModelMove {
		// WP 2.2 b: the move model's privacy zones are colour areas.
		for i, m := range next.Masks {
			if m.Style != mask.Color {
				return SettingsResult{}, &settings.FieldError{Code: "invalid_value", Key: fmt.Sprintf("masks[%d].style", i), Message: "must be \"color\": the move model's privacy zones are colour areas"}
			}
		}
	}
	if hasKeyword && c.store == nil {
		return SettingsResult{}, ErrNoCard
	}
	if hasKeyword && c.users.AdminPasswordDefault() {
		// A keyring is a file that outlives the request; like every other change, it is not kept
		// while the factory password is in use (AUTH-1), so it is refused outright.
		return SettingsResult{}, &settings.FieldError{Code: "invalid_value", Key: "storage.keyword", Message: "cannot be set while the admin password is the factory default"}
	}
	prev := c.settings
	if err := c.applySettingsLocked(next); err != nil {
		return SettingsResult{}, err
	}
	p, err := c.persistLocked()
	if err != nil {
		// What cannot be saved is not kept either: the camera goes on as before the request.
		_ = c.applySettingsLocked(prev)
		c.record(who, "settings.change", strings.Join(settings.Touched(patch), ","), "failed", map[string]string{"reason": "the settings could not be saved"})
		return SettingsResult{}, fmt.Errorf("save settings: %w", err)
	}
	changed := make([]string, 0, len(changes)+1)
	if hasKeyword {
		// The derivation is deliberately slow (ENC-3); it runs once, here.
		if err := c.store.SetKeyword(keyword, record.Cipher(next.Storage.Cipher)); err != nil {
			_ = c.applySettingsLocked(prev)
			_, _ = c.persistLocked()
			c.record(who, "settings.change", "storage.keyword", "failed", map[string]string{"reason": "the keyring could not be made"})
			return SettingsResult{}, fmt.Errorf("storage keyword: %w", err)
		}
		changed = append(changed, "storage.keyword")
		// The audit entry says that the keyword changed, never what it is.
		c.record(who, "settings.change", "storage.keyword", "ok", map[string]string{"takes_effect": "next reboot", "cipher": next.Storage.Cipher})
	}
	for _, ch := range changes {
		changed = append(changed, ch.Key)
		c.record(who, "settings.change", ch.Key, "ok", map[string]string{"old": ch.Old, "new": ch.New, "persisted": fmt.Sprint(p.Persisted)})
	}
	c.rec.wake()
	c.mon.wake()
	c.kickNAS()
	c.kickJanitor()
	c.notifyChanged(prev, next)
	return SettingsResult{Settings: c.withStorageStatus(next, c.store).Redacted(), Changed: changed, Persistence: p}, nil
}

// ErrDisabled is returned for a function that is switched off in the settings.
var ErrDisabled = errors.New("disabled")

// requested is the value a refused patch asked for key, for the audit entry.
func requested(changes []settings.Change, key string) string {
	for _, ch := range changes {
		if ch.Key == key {
			return ch.New
		}
	}
	return "(unchanged)"
}

// ErrUnsupported is returned for a function this model does not have.
var ErrUnsupported = errors.New("not supported")

// applySettingsLocked puts settings into effect: the lockout policy, the masks, the values. The caller
// holds c.mu.
func (c *Camera) applySettingsLocked(next settings.Settings) error {
	if next.Auth.Lockout != c.settings.Auth.Lockout {
		if err := c.users.SetLockout(lockoutOf(next)); err != nil {
			return err
		}
	}
	if err := c.masks.set(next); err != nil {
		return err
	}
	c.settings = next
	c.driveLines(next)
	return nil
}
