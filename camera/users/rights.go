package users

import (
	"errors"
	"fmt"
	"slices"
)

// Rights an admin can give an account on top of its level. They are separate from levels because
// they answer other questions: a supervisor approves other people's playback (ACC-2, four and six
// eyes), and unmasking removes playback pixelation (MASK-5). No account has a right unless given it,
// admins included, so that who can see what is always an explicit decision.
const (
	RightSupervisor = "supervisor"
	RightUnmask     = "unmask"
)

// ErrBadRight is a right that does not exist.
var ErrBadRight = errors.New("unknown right")

// CheckRights validates a list of rights and returns it sorted without duplicates.
func CheckRights(rights []string) ([]string, error) {
	out := make([]string, 0, len(rights))
	for _, r := range rights {
		if r != RightSupervisor && r != RightUnmask {
			return nil, fmt.Errorf("%w %q: rights are %q and %q", ErrBadRight, r, RightSupervisor, RightUnmask)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Has tells whether the account holds right.
func (a Account) Has(right string) bool { return slices.Contains(a.Rights, right) }

// SetRights replaces an account's rights.
func (s *Store) SetRights(name string, rights []string) error {
	rights, err := CheckRights(rights)
	if err != nil {
		return fmt.Errorf("set rights of %q: %w", name, err)
	}
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[name]
	if !ok {
		return fmt.Errorf("set rights of %q: %w", name, ErrNotFound)
	}
	a.Rights = rights
	s.accounts[name] = a
	return nil
}
