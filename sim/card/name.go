package card

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest file name the card accepts. It keeps names well inside every file
// system's limit, so a name that works in the simulation also works on a real card.
const MaxNameLen = 128

// tempSuffix marks a file that a Write is still filling. '~' is outside the name alphabet, so a temp
// file can never collide with, or be mistaken for, a real record.
const tempSuffix = "~tmp"

// checkName reports whether name may be used as a file name on the card. Names are restricted to
// 1..MaxNameLen characters from [A-Za-z0-9._-], must not contain "..", and must not be "."; so a valid
// name is always a plain entry directly inside the card's directory and can never reach outside it.
func checkName(name string) error {
	switch {
	case len(name) == 0:
		return fmt.Errorf("file name is empty: %w", ErrBadName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("file name is %d bytes, longer than %d: %w", len(name), MaxNameLen, ErrBadName)
	case name == "." || strings.Contains(name, ".."):
		return fmt.Errorf("file name %q is or contains a dot-dot or dot entry: %w", name, ErrBadName)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("file name %q has a disallowed byte at %d: %w", name, i, ErrBadName)
		}
	}
	return nil
}

// nameByte reports whether b belongs to the name alphabet [A-Za-z0-9._-].
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		b == '.' || b == '_' || b == '-'
}
