package store

import (
	"errors"
	"fmt"
	"time"
)

// Expiry is what one shredding round did.
type Expiry struct {
	// Shredded are the key buckets destroyed (crypto-shredding), per generation.
	Shredded map[int][]time.Time
	// Removed is how many record files were deleted from the card.
	Removed int
}

// Expire destroys the key of every bucket whose deadline (bucket end + period) has passed, persists
// the keyrings, and then deletes the bucket's files from the card and queues their deletion on the
// NAS (DEL-1, DEL-2). The shredding is what makes the records unreadable, at once and at a cost that
// does not depend on how many records a bucket holds; deleting files afterwards only frees space.
// Unencrypted records cannot be shredded: their files are deleted.
func (s *Store) Expire(now time.Time, period time.Duration) (Expiry, error) {
	out := Expiry{Shredded: map[int][]time.Time{}}
	s.mu.Lock()
	var errs []error
	for gen, k := range s.rings {
		changed := false
		for _, b := range k.Buckets() {
			if now.Before(Deadline(b, period)) {
				break // Buckets is oldest first
			}
			if err := k.Destroy(b); err != nil {
				errs = append(errs, fmt.Errorf("shred bucket %s of g%d: %w", b.Format(time.RFC3339), gen, err))
				continue
			}
			out.Shredded[gen] = append(out.Shredded[gen], b)
			changed = true
		}
		if changed {
			if err := s.persistKeyringLocked(gen); err != nil {
				errs = append(errs, fmt.Errorf("persist keyring g%d: %w", gen, err))
			}
		}
	}
	var victims []*Entry
	for start, b := range s.buckets {
		if now.Before(Deadline(time.Unix(start, 0), period)) {
			continue
		}
		for _, e := range b {
			victims = append(victims, e)
		}
	}
	s.mu.Unlock()
	n, err := s.removeAll(victims)
	out.Removed = n
	return out, errors.Join(append(errs, err)...)
}

// NextDeadline is when the next Expire has something to do: the earliest deadline of a held record
// or a live bucket key; zero when there is none.
func (s *Store) NextDeadline(period time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	consider := func(b time.Time) {
		if d := Deadline(b, period); next.IsZero() || d.Before(next) {
			next = d
		}
	}
	for start := range s.buckets {
		consider(time.Unix(start, 0))
	}
	for _, k := range s.rings {
		if bs := k.Buckets(); len(bs) > 0 {
			consider(bs[0])
		}
	}
	return next
}

// removeAll deletes records from the card, forgets them and queues their deletion on the NAS. A
// file the card refuses to delete stays held, so a later round tries again.
func (s *Store) removeAll(victims []*Entry) (int, error) {
	n := 0
	var errs []error
	for _, e := range victims {
		if err := s.cfg.Medium.Remove(e.Name); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", e.Name, err))
			continue
		}
		s.mu.Lock()
		s.drop(e)
		delete(s.nasPut, e.Name)
		s.nasRemove[e.Name] = true
		s.mu.Unlock()
		n++
	}
	if n > 0 {
		s.signal()
	}
	return n, errors.Join(errs...)
}
