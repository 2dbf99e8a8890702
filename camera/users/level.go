package users

import (
	"fmt"
	"strconv"
)

// Level is an account's access level. The levels are ordered so that a higher level can do everything
// a lower one can, which lets the API layer protect an endpoint with a single minimum level.
type Level int

const (
	// Guest may watch live images only.
	Guest Level = iota + 1
	// User may also change image settings, events and storage setup.
	User
	// Admin may also change everything security related: accounts, certificates, network access.
	Admin
)

// ParseLevel reads a level from its name ("guest", "user", "admin"), exactly as String writes it. The
// match is exact (no case folding or trimming), so a stored or requested level has one spelling only.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "guest":
		return Guest, nil
	case "user":
		return User, nil
	case "admin":
		return Admin, nil
	}
	return 0, fmt.Errorf("unknown user level %q (want guest, user or admin)", s)
}

// String returns the level's name as ParseLevel reads it; a value outside the three levels prints as
// Level(n) so that it is visible in logs instead of posing as a real level.
func (l Level) String() string {
	switch l {
	case Guest:
		return "guest"
	case User:
		return "user"
	case Admin:
		return "admin"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Allows reports whether an account at level l may do what requires level min. Both levels must be one
// of the three real levels: a zero or corrupt value never grants anything, and never is granted.
func (l Level) Allows(min Level) bool {
	return l.valid() && min.valid() && l >= min
}

// MarshalText writes the level as its name, so that JSON (and any other text encoding) stores "admin"
// rather than a number whose meaning would silently change if the levels were ever renumbered.
func (l Level) MarshalText() ([]byte, error) {
	if !l.valid() {
		return nil, fmt.Errorf("marshal user level: invalid level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a level name with ParseLevel; it is what makes JSON accept only the three names.
func (l *Level) UnmarshalText(text []byte) error {
	v, err := ParseLevel(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func (l Level) valid() bool { return l >= Guest && l <= Admin }

// management reports whether the level may change camera configuration (user and admin), which is what
// makes its password subject to the character-class rule. Anything that is not exactly Guest counts, so
// an invalid level gets the stricter rules rather than the weaker ones.
func (l Level) management() bool { return l != Guest }
