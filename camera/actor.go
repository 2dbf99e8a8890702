package camera

import (
	"vsslab/camera/audit"
	"vsslab/camera/users"
)

// Actor is who asks the camera to do something, and from where: what the permission table checks
// and what the audit log records.
type Actor struct {
	// Name is the account name, "anonymous" for public access, or "system" for the camera itself.
	Name string
	// Level is the account's level; anonymous public access counts as a guest.
	Level users.Level
	// Source is the client's IP address, "local", or "reset button" for the camera's button.
	Source string
	// DefaultPassword marks an admin still using the factory password: changes are applied but not
	// persisted (AUTH-1).
	DefaultPassword bool
	// Anonymous marks public access without credentials. It is a flag, not a name, so that nothing
	// can be mistaken for it; the names "anonymous" and "system" are reserved all the same, to keep
	// the audit trail unambiguous.
	Anonymous bool
}

// system is the camera acting on its own (boot, scheduled work).
func system() Actor { return Actor{Name: "system", Level: users.Admin, Source: "local"} }

// Anonymous is public access from source: a guest without a password, allowed only while
// access.public is on.
func Anonymous(source string) Actor {
	return Actor{Name: "anonymous", Level: users.Guest, Source: source, Anonymous: true}
}

// record appends to the audit log. An audit write that fails must not go unnoticed, but it must not
// take the camera down either: the failure is kept and reported by Verify (the log's head will not
// match) and by the next successful write's gap.
func (c *Camera) record(who Actor, action, target, outcome string, detail map[string]string) {
	if outcome != audit.OutcomeOK && outcome != audit.OutcomeDenied && outcome != audit.OutcomeFailed {
		// A programming error, not a runtime condition: say so loudly in tests.
		panic("camera: audit outcome " + outcome + " is not ok, denied or failed")
	}
	_, _ = c.audit.Append(audit.Record{
		Actor:   who.Name,
		Source:  who.Source,
		Action:  action,
		Target:  target,
		Outcome: outcome,
		Detail:  detail,
	})
}

// Audit returns the audit entries after seq.
func (c *Camera) Audit(after uint64) ([]audit.Entry, error) {
	return c.audit.Entries(after)
}

// VerifyAudit re-reads and checks the whole hash chain.
func (c *Camera) VerifyAudit() (audit.Verification, error) {
	return c.audit.Verify()
}

// RecordDenied audits a request the permission table refused, so that probing of the admin area is
// visible in the trail.
func (c *Camera) RecordDenied(who Actor, what string) {
	c.record(who, "access.denied", what, "denied", nil)
}
