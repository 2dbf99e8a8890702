package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Target is where records are copied: a NAS (camera/nas provides file:// and sftp://).
type Target interface {
	Put(ctx context.Context, name string, data []byte) error
	List(ctx context.Context) ([]string, error)
	Remove(ctx context.Context, name string) error
}

// Pending tells how many NAS operations wait.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nasPut) + len(s.nasRemove) + len(s.nasKeyrings)
}

// Sync runs the NAS queue once: stale keyring copies first (a record is useless on the NAS without
// its keyring, and a destroyed bucket must vanish from the NAS copy too), then deletions, then new
// records. It stops at the first failure and keeps what is left for the next round; every call is
// bounded by ctx, so a NAS that is down or slow only delays its own copies, never recording.
//
// The round works on what was queued when it began. A record written meanwhile, perhaps in a new
// bucket whose key the keyring copy being sent lacks, waits for the next round, which sends the
// keyring again first: the NAS never holds a record its own keyring cannot open.
func (s *Store) Sync(ctx context.Context, t Target) (int, error) {
	done := 0
	s.mu.Lock()
	gens := slices.Sorted(maps.Keys(s.nasKeyrings))
	removals := slices.Sorted(maps.Keys(s.nasRemove))
	puts := slices.Sorted(maps.Keys(s.nasPut))
	s.mu.Unlock()
	for _, gen := range gens {
		data, mark, err := s.marshalKeyring(gen)
		if err != nil {
			return done, err
		}
		if err := t.Put(ctx, NASKeyringName(gen), data); err != nil {
			return done, fmt.Errorf("copy keyring g%d: %w", gen, err)
		}
		s.mu.Lock()
		// A keyring that changed after it was read for this copy stays stale.
		if s.nasKeyrings[gen] == mark {
			delete(s.nasKeyrings, gen)
		}
		s.mu.Unlock()
		done++
	}
	for _, name := range removals {
		if err := t.Remove(ctx, name); err != nil {
			return done, fmt.Errorf("delete %s on the NAS: %w", name, err)
		}
		s.mu.Lock()
		delete(s.nasRemove, name)
		s.mu.Unlock()
		done++
	}
	for _, name := range puts {
		data, err := s.cfg.Medium.Read(name)
		if err != nil {
			// Erased or shredded meanwhile: nothing to copy, whatever the card said. Still held: the
			// card is out or failing, so try again later.
			s.mu.Lock()
			_, held := s.byName(name)
			if !held {
				delete(s.nasPut, name)
			}
			s.mu.Unlock()
			if !held || errors.Is(err, ErrNotFound) {
				continue
			}
			return done, fmt.Errorf("read %s for the NAS: %w", name, err)
		}
		s.mu.Lock()
		_, held := s.byName(name)
		s.mu.Unlock()
		if !held {
			// Shredded or erased between the read and now: never send it.
			s.mu.Lock()
			delete(s.nasPut, name)
			s.mu.Unlock()
			continue
		}
		if err := t.Put(ctx, name, data); err != nil {
			return done, fmt.Errorf("copy %s to the NAS: %w", name, err)
		}
		s.mu.Lock()
		delete(s.nasPut, name)
		s.mu.Unlock()
		done++
	}
	return done, nil
}

func (s *Store) byName(name string) (*Entry, bool) {
	gen, bucket, ok := parseName(name)
	if !ok {
		return nil, false
	}
	for _, e := range s.buckets[bucket.Unix()] {
		if e.Name == name && e.Gen == gen {
			return e, true
		}
	}
	return nil, false
}

// Reconcile compares the NAS with the card, for a NAS newly configured or back after a long outage:
// records the NAS lacks are queued for copying, and record files the camera no longer holds (past
// their period, erased, or left from before) are queued for deletion (DEL-2). It then runs Sync.
func (s *Store) Reconcile(ctx context.Context, t Target, now time.Time, period time.Duration) (int, error) {
	names, err := t.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("list the NAS: %w", err)
	}
	onNAS := map[string]bool{}
	s.mu.Lock()
	for _, name := range names {
		if !strings.HasSuffix(name, ".vsr") {
			continue
		}
		onNAS[name] = true
		_, bucket, ok := parseName(name)
		_, held := s.byName(name)
		if !ok || !held || !now.Before(Deadline(bucket, period)) {
			s.nasRemove[name] = true
			delete(s.nasPut, name)
		}
	}
	for _, e := range s.index {
		if !onNAS[e.Name] {
			s.nasPut[e.Name] = true
		}
	}
	for gen := range s.rings {
		s.markKeyringStaleLocked(gen)
	}
	s.mu.Unlock()
	return s.Sync(ctx, t)
}
