package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// Keyring format constants (docs/formats.md, "Keyring").
const (
	keyringFormat  = "vsslab-keyring"
	keyringVersion = 1
	// DefaultBucketLength is one day: deletion periods are counted in days, so a day-sized bucket
	// keeps at most one day of records alive past their deadline.
	DefaultBucketLength = 24 * time.Hour
	// MinBucketLength and MaxBucketLength bound the bucket size. Tiny buckets would multiply keys;
	// huge ones would keep records far beyond their deletion period.
	MinBucketLength = time.Minute
	MaxBucketLength = 366 * 24 * time.Hour
	maxKeywordLen   = 1024
)

// Key-derivation labels. Every subkey is HMAC-SHA-256(parent, label || context).
var (
	labelCheckKey   = []byte("vsslab/v1/check")
	labelCheckValue = []byte("vsslab keyword check")
	labelMACKey     = []byte("vsslab/v1/mac")
	labelWrapKey    = []byte("vsslab/v1/wrap")
	labelBucketAD   = []byte("vsslab/v1/bucket")
	labelRecordKey  = []byte("vsslab/v1/record")
)

// Options choose how a new keyring protects records. The zero value means the camera defaults.
type Options struct {
	// Cipher protects the bucket keys and every record sealed with this keyring. Zero means AES256GCM;
	// None is refused (a keyring exists only to encrypt).
	Cipher Cipher
	// KDF are the argon2id costs; zero means DefaultKDF. Tests pass cheap values; they are validated.
	KDF KDFParams
	// BucketLength is the crypto-shredding granularity; zero means DefaultBucketLength. Whole seconds.
	BucketLength time.Duration
}

// Keyring holds the keyword-protected data keys of the time buckets. It keeps in memory the keys
// derived from the keyword (never the keyword itself) so the camera can create bucket keys without
// asking for the keyword again; its persisted form (Marshal) holds only a salt, a key check and the
// wrapped bucket keys, so it is useless without the keyword and safe to copy next to the records on a
// NAS. It is safe for concurrent use.
type Keyring struct {
	mu        sync.Mutex
	cipher    Cipher
	bucketSec int64
	kdf       KDFParams
	salt      []byte
	check     []byte
	mac       []byte
	wrap      *aead
	master    []byte    // derived from the keyword; see MasterKey
	random    io.Reader // nil: read-only (client)
	buckets   map[int64]*bucketEntry
	destroyed map[int64]bool
}

type bucketEntry struct {
	nonce   []byte
	wrapped []byte // ciphertext || tag of the 32-byte bucket key
	key     []byte // unwrapped bucket key
}

// storedKeyring is the JSON form; field order here is the order Marshal writes.
type storedKeyring struct {
	Format        string         `json:"format"`
	Version       int            `json:"version"`
	Cipher        Cipher         `json:"cipher"`
	BucketSeconds int64          `json:"bucket_seconds"`
	KDF           storedKDF      `json:"kdf"`
	Check         []byte         `json:"check"`
	MAC           []byte         `json:"mac"`
	Checksum      []byte         `json:"checksum"`
	Buckets       []storedBucket `json:"buckets"`
	Destroyed     []int64        `json:"destroyed"`
}

type storedKDF struct {
	Alg string `json:"alg"`
	KDFParams
	Salt []byte `json:"salt"`
}

type storedBucket struct {
	Start   int64  `json:"start"`
	Nonce   []byte `json:"nonce"`
	Wrapped []byte `json:"wrapped"`
}

// NewKeyring creates an empty keyring protected by keyword. random supplies the salt and, later, the
// bucket keys; it must be a cryptographic source (crypto/rand.Reader on the camera).
func NewKeyring(keyword string, opts Options, random io.Reader) (*Keyring, error) {
	if opts.Cipher == "" {
		opts.Cipher = AES256GCM
	}
	if opts.KDF == (KDFParams{}) {
		opts.KDF = DefaultKDF()
	}
	if opts.BucketLength == 0 {
		opts.BucketLength = DefaultBucketLength
	}
	if err := checkKeyword(keyword); err != nil {
		return nil, fmt.Errorf("new keyring: %w", err)
	}
	if opts.Cipher != AES256GCM && opts.Cipher != XTEA128 {
		return nil, fmt.Errorf("new keyring: cipher %q cannot protect a keyring", string(opts.Cipher))
	}
	if err := opts.KDF.Validate(); err != nil {
		return nil, fmt.Errorf("new keyring: %w", err)
	}
	if err := checkBucketLength(opts.BucketLength); err != nil {
		return nil, fmt.Errorf("new keyring: %w", err)
	}
	if random == nil {
		return nil, errors.New("new keyring: nil random source")
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return nil, fmt.Errorf("new keyring: read salt: %w", err)
	}
	k := &Keyring{
		cipher:    opts.Cipher,
		bucketSec: int64(opts.BucketLength / time.Second),
		kdf:       opts.KDF,
		salt:      salt,
		random:    random,
		buckets:   map[int64]*bucketEntry{},
		destroyed: map[int64]bool{},
	}
	master := deriveMaster(keyword, salt, opts.KDF)
	k.master = master
	k.check = checkValue(master)
	k.mac = hmacSum(hmacSum(master, labelMACKey), k.params())
	w, err := newAEAD(k.cipher, hmacSum(master, labelWrapKey))
	if err != nil {
		return nil, fmt.Errorf("new keyring: %w", err)
	}
	k.wrap = w
	return k, nil
}

// OpenKeyring reads a keyring persisted by Marshal and unlocks it with keyword. It tells a wrong
// keyword (ErrWrongKeyword) from a damaged file (ErrDamaged): an unkeyed checksum catches accidental
// damage to the parameters, the key check then judges the keyword, and a keyed MAC and the per-bucket
// authentication catch the rest. Every wrapped key is verified, so a keyring that opens can open all
// its buckets. random may be nil for a read-only client (`vsslab decrypt`), which can open records but
// never create bucket keys.
func OpenKeyring(stored []byte, keyword string, random io.Reader) (*Keyring, error) {
	if err := checkKeyword(keyword); err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	k, s, err := parseKeyring(stored, random)
	if err != nil {
		return nil, err
	}
	master := deriveMaster(keyword, k.salt, k.kdf)
	defer clear(master)
	if err := k.unlock(master, s); err != nil {
		return nil, err
	}
	return k, nil
}

// OpenKeyringWithKey reopens a keyring with the key MasterKey returned, without the keyword and
// without the deliberately slow derivation. The camera keeps that key sealed under its device key, so
// that it can go on recording after a reboot although the keyword is stored nowhere (ENC-3).
func OpenKeyringWithKey(stored, master []byte, random io.Reader) (*Keyring, error) {
	if len(master) != keyLen {
		return nil, fmt.Errorf("open keyring: master key of %d bytes, want %d", len(master), keyLen)
	}
	k, s, err := parseKeyring(stored, random)
	if err != nil {
		return nil, err
	}
	if err := k.unlock(master, s); err != nil {
		return nil, err
	}
	return k, nil
}

// parseKeyring reads and checks everything in a persisted keyring that needs no key.
func parseKeyring(stored []byte, random io.Reader) (*Keyring, *storedKeyring, error) {
	var s storedKeyring
	dec := json.NewDecoder(bytes.NewReader(stored))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, nil, fmt.Errorf("open keyring: %w: %w", ErrDamaged, err)
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("open keyring: %w: trailing data", ErrDamaged)
	}
	if s.Format != keyringFormat {
		return nil, nil, fmt.Errorf("open keyring: %w: format %q", ErrDamaged, s.Format)
	}
	if s.Version != keyringVersion {
		return nil, nil, fmt.Errorf("open keyring: %w: version %d", ErrUnsupported, s.Version)
	}
	if s.Cipher != AES256GCM && s.Cipher != XTEA128 {
		return nil, nil, fmt.Errorf("open keyring: %w: cipher %q", ErrDamaged, string(s.Cipher))
	}
	if s.KDF.Alg != "argon2id" {
		return nil, nil, fmt.Errorf("open keyring: %w: kdf %q", ErrDamaged, s.KDF.Alg)
	}
	if err := s.KDF.KDFParams.Validate(); err != nil {
		return nil, nil, fmt.Errorf("open keyring: %w: %w", ErrDamaged, err)
	}
	if s.BucketSeconds < int64(MinBucketLength/time.Second) || s.BucketSeconds > int64(MaxBucketLength/time.Second) {
		return nil, nil, fmt.Errorf("open keyring: %w: bucket length %ds", ErrDamaged, s.BucketSeconds)
	}
	if err := checkBucketLength(time.Duration(s.BucketSeconds) * time.Second); err != nil {
		return nil, nil, fmt.Errorf("open keyring: %w: %w", ErrDamaged, err)
	}
	if len(s.KDF.Salt) != saltLen || len(s.Check) != sha256.Size || len(s.MAC) != sha256.Size || len(s.Checksum) != sha256.Size {
		return nil, nil, fmt.Errorf("open keyring: %w: bad salt, check, mac or checksum length", ErrDamaged)
	}
	k := &Keyring{
		cipher:    s.Cipher,
		bucketSec: s.BucketSeconds,
		kdf:       s.KDF.KDFParams,
		salt:      s.KDF.Salt,
		check:     s.Check,
		mac:       s.MAC,
		random:    random,
		buckets:   map[int64]*bucketEntry{},
		destroyed: map[int64]bool{},
	}
	if !bytes.Equal(s.Checksum, k.checksum()) {
		return nil, nil, fmt.Errorf("open keyring: %w: checksum mismatch", ErrDamaged)
	}
	return k, &s, nil
}

// unlock checks master against the keyring and unwraps every bucket key.
func (k *Keyring) unlock(master []byte, s *storedKeyring) error {
	if !hmac.Equal(checkValue(master), k.check) {
		return fmt.Errorf("open keyring: %w", ErrWrongKeyword)
	}
	if !hmac.Equal(hmacSum(hmacSum(master, labelMACKey), k.params()), k.mac) {
		return fmt.Errorf("open keyring: %w: parameter MAC mismatch", ErrDamaged)
	}
	w, err := newAEAD(k.cipher, hmacSum(master, labelWrapKey))
	if err != nil {
		return fmt.Errorf("open keyring: %w", err)
	}
	k.wrap = w
	k.master = bytes.Clone(master)
	for _, d := range s.Destroyed {
		if d%k.bucketSec != 0 || k.destroyed[d] {
			return fmt.Errorf("open keyring: %w: bad destroyed bucket %d", ErrDamaged, d)
		}
		k.destroyed[d] = true
	}
	for _, b := range s.Buckets {
		if b.Start%k.bucketSec != 0 || k.buckets[b.Start] != nil || k.destroyed[b.Start] {
			return fmt.Errorf("open keyring: %w: bad or duplicate bucket %d", ErrDamaged, b.Start)
		}
		e := &bucketEntry{nonce: b.Nonce, wrapped: b.Wrapped}
		if len(b.Nonce) != w.nonceLen() || len(b.Wrapped) != keyLen+w.tagLen() {
			return fmt.Errorf("open keyring: %w: bucket %d: bad wrapped key size", ErrDamaged, b.Start)
		}
		key, ok := w.open(e.nonce, e.wrapped, k.bucketAD(b.Start))
		if !ok {
			return fmt.Errorf("open keyring: %w: bucket %d: wrapped key fails authentication", ErrDamaged, b.Start)
		}
		e.key = key
		k.buckets[b.Start] = e
	}
	return nil
}

// MasterKey returns a copy of the key derived from the keyword. It is as secret as the keyword for
// this keyring; the camera seals it under its device key so it can reopen the keyring after a reboot
// (OpenKeyringWithKey) without ever storing the keyword.
func (k *Keyring) MasterKey() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Clone(k.master)
}

// Marshal returns the persisted form: JSON holding the KDF parameters and salt, the key check, and the
// wrapped keys of the live buckets. It never contains the keyword, the derived keys or an unwrapped
// bucket key. Destroyed buckets are listed by start time only, so they cannot be recreated by mistake.
func (k *Keyring) Marshal() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := storedKeyring{
		Format:        keyringFormat,
		Version:       keyringVersion,
		Cipher:        k.cipher,
		BucketSeconds: k.bucketSec,
		KDF:           storedKDF{Alg: "argon2id", KDFParams: k.kdf, Salt: k.salt},
		Check:         k.check,
		MAC:           k.mac,
		Checksum:      k.checksum(),
		Buckets:       []storedBucket{},
		Destroyed:     []int64{},
	}
	for _, start := range slices.Sorted(maps.Keys(k.buckets)) {
		e := k.buckets[start]
		s.Buckets = append(s.Buckets, storedBucket{Start: start, Nonce: e.nonce, Wrapped: e.wrapped})
	}
	s.Destroyed = append(s.Destroyed, slices.Sorted(maps.Keys(k.destroyed))...)
	out, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("marshal keyring: %w", err)
	}
	return out, nil
}

// Cipher returns the cipher this keyring seals records with.
func (k *Keyring) Cipher() Cipher { return k.cipher }

// BucketLength returns the bucket size: the granularity at which records can be shredded.
func (k *Keyring) BucketLength() time.Duration { return time.Duration(k.bucketSec) * time.Second }

// BucketStart returns the start of the bucket containing t: t in UTC, truncated to the bucket length
// counted from the Unix epoch (not from year 1 as time.Truncate would), so bucket ids are the same in
// every time zone and in the record header.
func (k *Keyring) BucketStart(t time.Time) time.Time {
	return time.Unix(k.startOf(t), 0).UTC()
}

func (k *Keyring) startOf(t time.Time) int64 {
	s := t.Unix()
	m := s % k.bucketSec
	if m < 0 {
		m += k.bucketSec
	}
	return s - m
}

// EnsureBucket makes sure the bucket containing t has a key, creating a random one on first use, and
// returns the bucket's start. It exists so the camera can create tomorrow's key ahead of time and
// persist the keyring before the first record needs it. The key itself is never returned. It fails
// with ErrKeyDestroyed for a destroyed bucket (a late record must not resurrect shredded data) and
// with ErrReadOnly on a keyring opened without a random source.
func (k *Keyring) EnsureBucket(t time.Time) (time.Time, error) {
	start := k.startOf(t)
	if _, err := k.key(start, true); err != nil {
		return time.Time{}, err
	}
	return time.Unix(start, 0).UTC(), nil
}

// Destroy shreds the key of the bucket starting at bucket: the wrapped and unwrapped copies are
// overwritten in memory and forgotten, and the bucket is remembered as destroyed. Every record in the
// bucket becomes unreadable at once; records are not touched, so the cost does not depend on their
// number. The caller must persist the keyring (Marshal) and replace every stored copy of it, since an
// old copy still holds the wrapped key. bucket must be a bucket start (see BucketStart), so a
// mistaken time cannot shred the wrong bucket.
func (k *Keyring) Destroy(bucket time.Time) error {
	start := bucket.Unix()
	if k.startOf(bucket) != start || bucket.Nanosecond() != 0 {
		return fmt.Errorf("destroy bucket %s: not a bucket start", bucket.UTC().Format(time.RFC3339Nano))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.buckets[start]
	if e == nil {
		err := ErrUnknownBucket
		if k.destroyed[start] {
			err = ErrKeyDestroyed
		}
		return fmt.Errorf("destroy bucket %s: %w", bucket.UTC().Format(time.RFC3339), err)
	}
	clear(e.key)
	clear(e.wrapped)
	clear(e.nonce)
	delete(k.buckets, start)
	k.destroyed[start] = true
	return nil
}

// Buckets returns the starts of the buckets that still have a key, oldest first, so the camera can
// find the ones whose deletion period has elapsed.
func (k *Keyring) Buckets() []time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []time.Time
	for _, s := range slices.Sorted(maps.Keys(k.buckets)) {
		out = append(out, time.Unix(s, 0).UTC())
	}
	return out
}

// key returns the bucket key for start, creating it if create is set.
func (k *Keyring) key(start int64, create bool) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e := k.buckets[start]; e != nil {
		return e.key, nil
	}
	when := time.Unix(start, 0).UTC().Format(time.RFC3339)
	if k.destroyed[start] {
		return nil, fmt.Errorf("bucket %s: %w", when, ErrKeyDestroyed)
	}
	if !create {
		return nil, fmt.Errorf("bucket %s: %w", when, ErrUnknownBucket)
	}
	if k.random == nil {
		return nil, fmt.Errorf("bucket %s: %w", when, ErrReadOnly)
	}
	key := make([]byte, keyLen)
	nonce := make([]byte, k.wrap.nonceLen())
	if _, err := io.ReadFull(k.random, key); err != nil {
		return nil, fmt.Errorf("bucket %s: read key: %w", when, err)
	}
	if _, err := io.ReadFull(k.random, nonce); err != nil {
		return nil, fmt.Errorf("bucket %s: read nonce: %w", when, err)
	}
	e := &bucketEntry{nonce: nonce, key: key, wrapped: k.wrap.seal(nil, nonce, key, k.bucketAD(start))}
	k.buckets[start] = e
	return key, nil
}

// bucketAD binds a wrapped key to its bucket and cipher, so moving wrapped keys between buckets or
// editing the keyring's cipher is detected when the key is unwrapped.
func (k *Keyring) bucketAD(start int64) []byte {
	id, _ := cipherID(k.cipher)
	ad := append(append([]byte{}, labelBucketAD...), id)
	return binary.BigEndian.AppendUint64(ad, uint64(start))
}

// params is the canonical encoding of the keyring parameters, input of the checksum and the MAC.
func (k *Keyring) params() []byte {
	id, _ := cipherID(k.cipher)
	p := append([]byte(keyringFormat), 0, keyringVersion, id)
	p = binary.BigEndian.AppendUint64(p, uint64(k.bucketSec))
	p = binary.BigEndian.AppendUint32(p, k.kdf.Time)
	p = binary.BigEndian.AppendUint32(p, k.kdf.MemoryKiB)
	p = append(p, k.kdf.Threads)
	return append(p, k.salt...)
}

// checksum is SHA-256(params || check || mac): unkeyed, it detects accidental damage before the
// keyword is judged, so damage is not reported as a wrong keyword.
func (k *Keyring) checksum() []byte {
	h := sha256.New()
	h.Write(k.params())
	h.Write(k.check)
	h.Write(k.mac)
	return h.Sum(nil)
}

// checkValue is HMAC(HMAC(master, "vsslab/v1/check"), "vsslab keyword check"): it confirms a keyword
// without revealing anything usable to decrypt.
func checkValue(master []byte) []byte {
	return hmacSum(hmacSum(master, labelCheckKey), labelCheckValue)
}

func checkKeyword(keyword string) error {
	if keyword == "" {
		return errors.New("empty keyword")
	}
	if len(keyword) > maxKeywordLen {
		return fmt.Errorf("keyword longer than %d bytes", maxKeywordLen)
	}
	return nil
}

func checkBucketLength(d time.Duration) error {
	if d < MinBucketLength || d > MaxBucketLength || d%time.Second != 0 {
		return fmt.Errorf("bucket length %s outside [%s, %s] or not whole seconds", d, MinBucketLength, MaxBucketLength)
	}
	return nil
}
