// Package record holds the on-disk and on-NAS format of recorded events and the cryptography that
// protects them: records are encrypted inside the camera, so a NAS only ever stores ciphertext and
// decryption happens only in a client holding the keyword (or in the playback camera).
//
// Deletion periods are enforced by crypto-shredding. Records are grouped into time buckets; every
// bucket has its own random data key, wrapped by a key derived from the keyword and kept in a
// Keyring. Destroying a bucket's key makes every record in it unreadable at once, at a cost that does
// not depend on how many records the bucket holds, because records are never touched.
//
// The package does no I/O and reads no clock: callers pass times and a source of randomness, and
// persist the bytes it returns. The byte-exact formats are described in docs/formats.md.
package record

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; every error this package returns wraps at
// most one of the record-level ones (ErrTorn, ErrTampered, ErrUnsupported, ErrKeyDestroyed, ErrUnknownBucket) so that
// a camera scanning its store at start can decide what to do with each record.
var (
	// ErrTorn means the record is a clean prefix of a record: it was cut short (power loss during a
	// write, a partial upload). The camera sets such records aside instead of treating them as attacks.
	ErrTorn = errors.New("record torn (truncated)")
	// ErrTampered means the bytes are complete but fail authentication or are structurally impossible:
	// a flipped bit, an edited header, trailing garbage, or a record sealed under another key.
	ErrTampered = errors.New("record tampered or damaged")
	// ErrUnsupported means the record declares a format version this code does not know. It is kept
	// apart from ErrTampered so a newer firmware's records are not mistaken for attacks.
	ErrUnsupported = errors.New("unsupported record format version")
	// ErrKeyDestroyed means the record's bucket key was destroyed because its deletion period elapsed.
	// The record is unreadable for good; this is the intended outcome of crypto-shredding, not a fault.
	ErrKeyDestroyed = errors.New("bucket key destroyed or unknown")
	// ErrUnknownBucket means the keyring never held a key for the record's bucket: the record was sealed
	// under another keyring (another camera, or a keyword set afresh), or its bucket id was altered.
	ErrUnknownBucket = errors.New("bucket unknown to this keyring")
	// ErrNeedKeyring means an encrypted record was opened without a keyring.
	ErrNeedKeyring = errors.New("record is encrypted and no keyring was given")
	// ErrWrongKeyword means the keyword does not match the keyring's stored key check.
	ErrWrongKeyword = errors.New("wrong keyword")
	// ErrDamaged means the persisted keyring is corrupt (bad JSON, a checksum or MAC mismatch, a wrapped
	// key that fails authentication), as opposed to the keyword being wrong.
	ErrDamaged = errors.New("keyring damaged")
	// ErrReadOnly means a keyring opened without a source of randomness (a client such as
	// `vsslab decrypt`) was asked to create a bucket key.
	ErrReadOnly = errors.New("keyring is read-only: no random source to create bucket keys")
)
