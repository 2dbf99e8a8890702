package users

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes: OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane), which costs 20–40 ms
// on the camera. That is why Store keeps a verification cache for the per-request Basic auth.
const (
	hashMemory  = 19 * 1024 // KiB
	hashTime    = 2
	hashThreads = 1
	saltLen     = 16
	keyLen      = 32
)

// Bounds VerifyHash accepts, so that a tampered or corrupt record cannot make a login allocate
// gigabytes or spin for minutes. They leave room to raise the cost of new hashes later.
const (
	maxEncodedLen = 256
	minMemory     = 8 // KiB per lane, argon2's own minimum
	maxMemory     = 64 * 1024
	maxTime       = 10
	maxThreads    = 8
	minSaltLen    = 16
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
)

// errMalformedHash is wrapped by every VerifyHash parse error.
var errMalformedHash = errors.New("malformed argon2id hash")

// phc is a parsed argon2id hash in PHC string format.
type phc struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// Hash derives an argon2id hash of password with a fresh 16-byte salt read from random, in PHC string
// format: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>" with unpadded standard base64. Passwords are
// stored only in this form; it carries its own parameters so that VerifyHash keeps working if the cost
// of new hashes is raised.
func Hash(password string, random io.Reader) (string, error) {
	if random == nil {
		return "", errors.New("hash password: no random source")
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	return hashWithSalt(password, salt), nil
}

func hashWithSalt(password string, salt []byte) string {
	key := argon2.IDKey([]byte(password), salt, hashTime, hashMemory, hashThreads, keyLen)
	return phc{memory: hashMemory, time: hashTime, threads: hashThreads, salt: salt, key: key}.String()
}

// VerifyHash reports whether password matches the argon2id hash encoded. The comparison is constant
// time. A malformed encoding is an error, never a mismatch, so that a corrupt record is noticed: parsing
// is strict (one canonical spelling, version 19 only, no padding or line breaks in base64) and the cost
// parameters and lengths are bounded.
func VerifyHash(encoded, password string) (bool, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// String writes the canonical PHC encoding, the only spelling parseHash accepts.
func (h phc) String() string {
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.memory, h.time, h.threads,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.key))
}

func parseHash(encoded string) (phc, error) {
	fail := func(what string) (phc, error) {
		return phc{}, fmt.Errorf("%w: %s", errMalformedHash, what)
	}
	if len(encoded) > maxEncodedLen {
		return fail("too long")
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want $argon2id$v=19$m=…,t=…,p=…$salt$key")
	}
	if parts[1] != "argon2id" {
		return fail("not argon2id")
	}
	if parts[2] != "v=19" {
		return fail("unsupported version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return fail("want parameters m, t and p")
	}
	m, okM := param(params[0], "m=", maxMemory)
	t, okT := param(params[1], "t=", maxTime)
	p, okP := param(params[2], "p=", maxThreads)
	if !okM || !okT || !okP {
		return fail("parameters out of range")
	}
	if m < minMemory*p {
		return fail("memory below 8 KiB per lane")
	}
	salt, okS := decodeB64(parts[4], minSaltLen, maxSaltLen)
	key, okK := decodeB64(parts[5], minKeyLen, maxKeyLen)
	if !okS || !okK {
		return fail("bad salt or key")
	}
	return phc{memory: m, time: t, threads: uint8(p), salt: salt, key: key}, nil
}

// param reads "name=value" where value is a canonical decimal in 1..max (no sign, no leading zero).
func param(s, name string, max uint32) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || v[0] == '0' || len(v) > 10 || strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}

// decodeB64 decodes canonical unpadded standard base64 of min..max bytes. The alphabet is checked first
// because the decoder silently skips line breaks, which would give one hash several spellings.
func decodeB64(s string, min, max int) ([]byte, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	if strings.Trim(s, alphabet) != "" {
		return nil, false
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < min || len(b) > max {
		return nil, false
	}
	return b, true
}
