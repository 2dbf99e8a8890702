// Package store is the camera's record store: sealed event records on the card, the keyrings that
// protect them, the deletion periods that shred them, and the queue that copies them to a NAS
// (docs/recording.md).
//
// It owns the card's directory listing, so that the camera can search records by time without
// decrypting them again, and it is the one place that decides whether a record may still be read:
// every read checks the deletion period itself, so a record is refused from the first instant past
// its deadline even before the shredding round has run.
package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vsslab/camera/record"
	"vsslab/camera/state"
)

// Medium is where records are written: the camera's card. The simulated card and a mounted card on a
// board both provide it. Errors for a full medium wrap ErrFull; for a missing file, ErrNotFound.
type Medium interface {
	Write(name string, data []byte) error
	Read(name string) ([]byte, error)
	Names() ([]string, error)
	Remove(name string) error
	Rename(oldName, newName string) error
}

// Errors callers branch on with errors.Is.
var (
	// ErrFull is a card without room for the record. Nothing was deleted to make room (DEL-4).
	ErrFull = errors.New("card full")
	// ErrNotFound is a record the store does not hold (never made, erased, or shredded and removed).
	ErrNotFound = errors.New("no such record")
	// ErrExpired is a record past its deletion period: unreadable for good (DEL-1).
	ErrExpired = errors.New("record past its deletion period")
	// ErrCardUnavailable is Open failing on the medium itself (a card missing, unpowered or failing),
	// not on the camera's keys: a camera boots without its card then, and opens the store when the
	// card answers again.
	ErrCardUnavailable = errors.New("card unavailable")
)

// Config is what a Store needs.
type Config struct {
	Medium Medium
	// KeyDir holds the keyrings and the sealed keyword-derived keys.
	KeyDir string
	// DeviceKey seals the keyword-derived keys (DeviceKeyLen bytes).
	DeviceKey []byte
	// Random supplies salts, keys, nonces and record ids: crypto/rand.Reader on a camera.
	Random io.Reader
	// KDF are the argon2id costs for new keyrings; zero means record.DefaultKDF.
	KDF record.KDFParams
	// Signal is called when there is work for the NAS worker; it must not block.
	Signal func()
}

// Entry is what the store knows of a record without opening it.
type Entry struct {
	ID        string    `json:"id"`
	Name      string    `json:"-"`
	Gen       int       `json:"-"`
	Bucket    time.Time `json:"-"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Frames    int       `json:"frames"`
	Kind      string    `json:"kind"`
	Encrypted bool      `json:"encrypted"`
	Size      int       `json:"-"`
}

// SetAside is a file found at start that cannot be served: torn by a power cut, damaged, or sealed
// under a key the camera no longer has.
type SetAside struct {
	Name   string
	Reason string
}

// Store holds the records of one card.
type Store struct {
	cfg  Config
	keys *state.Dir

	mu          sync.Mutex
	gens        generations
	rings       map[int]*record.Keyring
	index       map[string]*Entry           // by record id
	buckets     map[int64]map[string]*Entry // by bucket start (Unix s), then id
	nasPut      map[string]bool             // record names to copy to the NAS
	nasRemove   map[string]bool             // record names to delete from the NAS
	nasKeyrings map[int]uint64              // generations whose NAS keyring copy is stale, with the mark of the change
	// keyringChanges numbers keyring changes, so a NAS copy made before a change is not taken for one after.
	keyringChanges uint64
}

// Open reads the keyrings (switching to a pending one: a reboot is when a new keyword takes effect),
// then checks every record on the medium. Torn, damaged and unreadable records are set aside (renamed
// NAME.torn or NAME.bad) and returned, so the camera can audit them; everything else is indexed.
func Open(cfg Config) (*Store, []SetAside, error) {
	if cfg.Medium == nil || cfg.Random == nil {
		return nil, nil, errors.New("open record store: no medium or random source")
	}
	keys, err := state.Open(cfg.KeyDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open record store: %w", err)
	}
	if _, err := deviceAEAD(cfg.DeviceKey); err != nil {
		return nil, nil, fmt.Errorf("open record store: %w", err)
	}
	gens, rings, err := loadKeyrings(keys, cfg.DeviceKey, cfg.Random)
	if err != nil {
		return nil, nil, fmt.Errorf("open record store: %w", err)
	}
	s := &Store{
		cfg: cfg, keys: keys, gens: gens, rings: rings,
		index:       map[string]*Entry{},
		buckets:     map[int64]map[string]*Entry{},
		nasPut:      map[string]bool{},
		nasRemove:   map[string]bool{},
		nasKeyrings: map[int]uint64{},
	}
	for gen := range rings {
		s.markKeyringStaleLocked(gen)
	}
	aside, err := s.scan()
	if err != nil {
		return nil, nil, fmt.Errorf("open record store: %w", err)
	}
	return s, aside, nil
}

// scan indexes the medium's records.
func (s *Store) scan() ([]SetAside, error) {
	names, err := s.cfg.Medium.Names()
	if err != nil {
		return nil, fmt.Errorf("%w: list card: %w", ErrCardUnavailable, err)
	}
	var aside []SetAside
	for _, name := range names {
		gen, _, ok := parseName(name)
		if !ok {
			continue
		}
		b, err := s.cfg.Medium.Read(name)
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %w", ErrCardUnavailable, name, err)
		}
		e, err := s.entryOf(name, gen, b)
		if err != nil {
			suffix := ".bad"
			if errors.Is(err, record.ErrTorn) {
				suffix = ".torn"
			}
			if rerr := s.cfg.Medium.Rename(name, name+suffix); rerr != nil {
				return nil, fmt.Errorf("set %s aside: %w", name, rerr)
			}
			aside = append(aside, SetAside{Name: name, Reason: err.Error()})
			continue
		}
		s.add(e)
	}
	return aside, nil
}

// entryOf opens a record to learn its metadata.
func (s *Store) entryOf(name string, gen int, b []byte) (*Entry, error) {
	h, err := record.ReadHeader(b)
	if err != nil {
		return nil, err
	}
	var k *record.Keyring
	if gen != 0 {
		if k = s.rings[gen]; k == nil {
			return nil, fmt.Errorf("%w: keyring g%d is gone", record.ErrUnknownBucket, gen)
		}
	}
	meta, _, err := record.Open(k, b)
	if err != nil {
		return nil, err
	}
	if h.Encrypted() != (gen != 0) {
		return nil, fmt.Errorf("%w: name and header disagree on encryption", record.ErrTampered)
	}
	bucket := h.Bucket
	if !h.Encrypted() {
		bucket = bucketStart(meta.Start)
	}
	return &Entry{
		ID: hex.EncodeToString(h.RecordID[:]), Name: name, Gen: gen, Bucket: bucket,
		Start: meta.Start, End: meta.End, Frames: meta.FrameCount, Kind: meta.Kind,
		Encrypted: h.Encrypted(), Size: len(b),
	}, nil
}

func (s *Store) add(e *Entry) {
	s.index[e.ID] = e
	b := s.buckets[e.Bucket.Unix()]
	if b == nil {
		b = map[string]*Entry{}
		s.buckets[e.Bucket.Unix()] = b
	}
	b[e.ID] = e
}

func (s *Store) drop(e *Entry) {
	delete(s.index, e.ID)
	if b := s.buckets[e.Bucket.Unix()]; b != nil {
		delete(b, e.ID)
		if len(b) == 0 {
			delete(s.buckets, e.Bucket.Unix())
		}
	}
}

// bucketStart is the start of the one-hour bucket holding t, counted from the Unix epoch.
func bucketStart(t time.Time) time.Time {
	sec := int64(BucketLength / time.Second)
	u := t.Unix()
	u -= ((u % sec) + sec) % sec
	return time.Unix(u, 0).UTC()
}

// recordName is gN-<bucket start>-<record id>.vsr: flat, and telling only what the clear header
// tells anyway.
func recordName(gen int, bucket time.Time, id string) string {
	return fmt.Sprintf("g%d-%d-%s.vsr", gen, bucket.Unix(), id)
}

// Generation returns the keyword generation of a record file name (gN-…): 0 for unencrypted
// records. Clients use it to find the keyring a record needs (NASKeyringName).
func Generation(name string) (int, bool) {
	gen, _, ok := parseName(name)
	return gen, ok
}

// parseName returns a record name's generation and bucket start.
func parseName(name string) (int, time.Time, bool) {
	base, ok := strings.CutSuffix(name, ".vsr")
	if !ok || !strings.HasPrefix(base, "g") {
		return 0, time.Time{}, false
	}
	parts := strings.Split(base[1:], "-")
	if len(parts) != 3 {
		return 0, time.Time{}, false
	}
	gen, err1 := strconv.Atoi(parts[0])
	sec, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || gen < 0 {
		return 0, time.Time{}, false
	}
	return gen, time.Unix(sec, 0).UTC(), true
}

// Write seals an event and writes it to the card. With an active keyword the record is encrypted
// under its bucket's key (created and persisted on first use); without one it is written in clear,
// as ENC-1 requires of records before a keyword. A full card yields ErrFull and changes nothing.
func (s *Store) Write(meta record.Meta, frames [][]byte) (Entry, error) {
	s.mu.Lock()
	gen := s.gens.Active
	var rec []byte
	var err error
	var bucket time.Time
	if gen == 0 {
		bucket = bucketStart(meta.Start)
		rec, err = record.SealPlain(meta, frames, s.cfg.Random)
	} else {
		k := s.rings[gen]
		before := len(k.Buckets())
		bucket, err = k.EnsureBucket(meta.Start)
		if err == nil && len(k.Buckets()) != before {
			err = s.persistKeyringLocked(gen)
		}
		if err == nil {
			rec, err = record.Seal(k, bucket, meta, frames, s.cfg.Random)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return Entry{}, fmt.Errorf("seal record: %w", err)
	}
	h, err := record.ReadHeader(rec)
	if err != nil {
		return Entry{}, fmt.Errorf("seal record: %w", err)
	}
	id := hex.EncodeToString(h.RecordID[:])
	name := recordName(gen, bucket, id)
	if err := s.cfg.Medium.Write(name, rec); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	e := &Entry{ID: id, Name: name, Gen: gen, Bucket: bucket, Start: meta.Start, End: meta.End,
		Frames: len(frames), Kind: meta.Kind, Encrypted: gen != 0, Size: len(rec)}
	s.mu.Lock()
	s.add(e)
	s.nasPut[name] = true
	delete(s.nasRemove, name)
	s.mu.Unlock()
	s.signal()
	return *e, nil
}

// Deadline is when a record of bucket b becomes unreadable under period: the end of its bucket plus
// the period.
func Deadline(bucket time.Time, period time.Duration) time.Time {
	return bucket.Add(BucketLength + period)
}

// Read opens a record for playback in the camera. It refuses a record past its deadline even if the
// shredding round has not run yet.
func (s *Store) Read(id string, now time.Time, period time.Duration) (record.Meta, [][]byte, error) {
	s.mu.Lock()
	e := s.index[id]
	var k *record.Keyring
	if e != nil {
		k = s.rings[e.Gen]
	}
	s.mu.Unlock()
	if e == nil {
		return record.Meta{}, nil, ErrNotFound
	}
	if !now.Before(Deadline(e.Bucket, period)) {
		return record.Meta{}, nil, ErrExpired
	}
	b, err := s.cfg.Medium.Read(e.Name)
	if err != nil {
		return record.Meta{}, nil, fmt.Errorf("read record: %w", err)
	}
	meta, frames, err := record.Open(k, b)
	if err != nil {
		return record.Meta{}, nil, fmt.Errorf("open record: %w", err)
	}
	return meta, frames, nil
}

// Lookup returns a record's entry, if it is held and not past its deadline.
func (s *Store) Lookup(id string, now time.Time, period time.Duration) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.index[id]
	if e == nil {
		return Entry{}, ErrNotFound
	}
	if !now.Before(Deadline(e.Bucket, period)) {
		return Entry{}, ErrExpired
	}
	return *e, nil
}

// Search returns the records overlapping [from, to] that are still within their period, oldest
// first.
func (s *Store) Search(from, to, now time.Time, period time.Duration) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.index {
		if e.End.Before(from) || e.Start.After(to) || !now.Before(Deadline(e.Bucket, period)) {
			continue
		}
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Erase deletes every record overlapping [from, to] from the card and queues its deletion on the NAS
// (DSR-2). It returns how many records it erased.
func (s *Store) Erase(from, to time.Time) (int, error) {
	s.mu.Lock()
	var victims []*Entry
	for _, e := range s.index {
		if !e.End.Before(from) && !e.Start.After(to) {
			victims = append(victims, e)
		}
	}
	s.mu.Unlock()
	return s.removeAll(victims)
}

// Count returns the number of records held and their total size.
func (s *Store) Count() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var size int64
	for _, e := range s.index {
		size += int64(e.Size)
	}
	return len(s.index), size
}

func (s *Store) signal() {
	if s.cfg.Signal != nil {
		s.cfg.Signal()
	}
}
