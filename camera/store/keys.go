package store

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"vsslab/camera/record"
	"vsslab/camera/state"
)

// BucketLength is the crypto-shredding granularity: a record becomes unreadable at most this long
// after its deletion period ends. An hour is 1/72 of the factory period, and keeps a 30-day history
// to 720 keys.
const BucketLength = time.Hour

// DeviceKeyLen is the size of the device key that seals the keyword-derived keys.
const DeviceKeyLen = 32

// generations is the persisted list of keyrings: which one records are written with now, and which
// one the next boot switches to.
type generations struct {
	Active  int   `json:"active"`
	Pending int   `json:"pending"`
	Known   []int `json:"known"`
}

const generationsFile = "generations.json"

func keyringFile(gen int) string { return fmt.Sprintf("keyring-g%d.json", gen) }
func masterFile(gen int) string  { return fmt.Sprintf("master-g%d.sealed", gen) }

// NASKeyringName is the name a generation's keyring has on the NAS, beside its records.
func NASKeyringName(gen int) string { return keyringFile(gen) }

// sealMaster protects a keyword-derived key with the device key (AES-256-GCM), so the camera can
// reopen its keyrings after a reboot although the keyword is stored nowhere.
func sealMaster(deviceKey, master []byte, gen int, random io.Reader) ([]byte, error) {
	a, err := deviceAEAD(deviceKey)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return a.Seal(nonce, nonce, master, masterAD(gen)), nil
}

func openMaster(deviceKey, sealed []byte, gen int) ([]byte, error) {
	a, err := deviceAEAD(deviceKey)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	out, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], masterAD(gen))
	if err != nil {
		return nil, errors.New("sealed key fails authentication (another device key?)")
	}
	return out, nil
}

func deviceAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != DeviceKeyLen {
		return nil, fmt.Errorf("device key of %d bytes, want %d", len(key), DeviceKeyLen)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func masterAD(gen int) []byte { return fmt.Appendf(nil, "vsslab/v1/master/g%d", gen) }

// loadKeyrings reads the generations and opens every keyring with its sealed key. A pending keyring
// becomes the active one: this is the reboot at which a new keyword takes effect (ENC-1).
func loadKeyrings(dir *state.Dir, deviceKey []byte, random io.Reader) (generations, map[int]*record.Keyring, error) {
	var g generations
	switch err := dir.LoadJSON(generationsFile, &g); {
	case errors.Is(err, fs.ErrNotExist):
		return generations{}, map[int]*record.Keyring{}, nil
	case err != nil:
		return g, nil, err
	}
	rings := map[int]*record.Keyring{}
	for _, gen := range g.Known {
		stored, err := dir.ReadFile(keyringFile(gen))
		if err != nil {
			return g, nil, fmt.Errorf("keyring g%d: %w", gen, err)
		}
		sealed, err := dir.ReadFile(masterFile(gen))
		if err != nil {
			return g, nil, fmt.Errorf("keyring g%d: %w", gen, err)
		}
		master, err := openMaster(deviceKey, sealed, gen)
		if err != nil {
			return g, nil, fmt.Errorf("keyring g%d: %w", gen, err)
		}
		k, err := record.OpenKeyringWithKey(stored, master, random)
		clear(master)
		if err != nil {
			return g, nil, fmt.Errorf("keyring g%d: %w", gen, err)
		}
		rings[gen] = k
	}
	if g.Pending != 0 {
		g.Active, g.Pending = g.Pending, 0
		if err := dir.SaveJSON(generationsFile, g); err != nil {
			return g, nil, fmt.Errorf("activate keyring g%d: %w", g.Active, err)
		}
	}
	return g, rings, nil
}

// SetKeyword derives a new keyring from keyword and stores it as pending: it takes effect at the next
// start (ENC-1). The derivation runs now, so the admin waits for it once; the keyword is then
// forgotten and only the derived key, sealed under the device key, is kept.
func (s *Store) SetKeyword(keyword string, c record.Cipher) error {
	k, err := record.NewKeyring(keyword, record.Options{Cipher: c, KDF: s.cfg.KDF, BucketLength: BucketLength}, s.cfg.Random)
	if err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	master := k.MasterKey()
	defer clear(master)
	s.mu.Lock()
	defer s.mu.Unlock()
	gen := 1
	for _, known := range s.gens.Known {
		gen = max(gen, known+1)
	}
	sealed, err := sealMaster(s.cfg.DeviceKey, master, gen, s.cfg.Random)
	if err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	stored, err := k.Marshal()
	if err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	if err := s.keys.WriteFile(keyringFile(gen), stored); err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	if err := s.keys.WriteFile(masterFile(gen), sealed); err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	g := s.gens
	if g.Pending != 0 {
		// A second keyword before the reboot replaces the first one, which never sealed anything.
		g.Known = without(g.Known, g.Pending)
		_ = s.keys.Remove(keyringFile(g.Pending))
		_ = s.keys.Remove(masterFile(g.Pending))
	}
	g.Pending = gen
	g.Known = append(append([]int(nil), g.Known...), gen)
	if err := s.keys.SaveJSON(generationsFile, g); err != nil {
		return fmt.Errorf("set keyword: %w", err)
	}
	s.gens = g
	return nil
}

func without(xs []int, x int) []int {
	out := make([]int, 0, len(xs))
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// persistKeyring writes a keyring after a bucket was created or destroyed, and marks its NAS copy
// stale. Callers hold s.mu.
func (s *Store) persistKeyringLocked(gen int) error {
	k := s.rings[gen]
	stored, err := k.Marshal()
	if err != nil {
		return err
	}
	if err := s.keys.WriteFile(keyringFile(gen), stored); err != nil {
		return err
	}
	s.markKeyringStaleLocked(gen)
	s.signal()
	return nil
}

// marshalKeyring returns a generation's persisted keyring (for the NAS copy).
// It also returns the stale mark the copy answers to; both are read in one hold of the lock, so
// that a change made after the read marks the keyring stale again.
func (s *Store) marshalKeyring(gen int) ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.rings[gen]
	if k == nil {
		return nil, 0, fmt.Errorf("no keyring g%d", gen)
	}
	data, err := k.Marshal()
	return data, s.nasKeyrings[gen], err
}

// markKeyringStaleLocked queues a generation's keyring for copying to the NAS, with a mark newer
// than any before. Callers hold s.mu.
func (s *Store) markKeyringStaleLocked(gen int) {
	s.keyringChanges++
	s.nasKeyrings[gen] = s.keyringChanges
}

// KeywordSet tells whether a keyword was given (pending or active).
func (s *Store) KeywordSet() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens.Active != 0 || s.gens.Pending != 0
}

// Encrypting tells whether records written now are encrypted.
func (s *Store) Encrypting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens.Active != 0
}
