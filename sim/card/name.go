package card

import (
	"fmt"

	"vsslab/camera/nas"
)

// MaxNameLen is the longest file name the card accepts: the same as a NAS target's, since the same
// records go to both.
const MaxNameLen = nas.MaxNameLen

// tempSuffix marks a file that a Write is still filling. '~' is outside the name alphabet, so a temp
// file can never collide with, or be mistaken for, a real record.
const tempSuffix = "~tmp"

// checkName reports whether name may be used as a file name on the card. The rule is the record-name
// rule of the NAS transports (camera/nas.CheckName): 1..MaxNameLen characters from [A-Za-z0-9._-],
// no ".." and not "."; so a valid name is always a plain entry directly inside the card's directory.
// The error wraps ErrBadName.
func checkName(name string) error {
	if err := nas.CheckName(name); err != nil {
		return fmt.Errorf("file name: %w (%w)", ErrBadName, err)
	}
	return nil
}
