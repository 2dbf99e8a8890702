package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/xtea"
)

// Cipher names the algorithm protecting a record or wrapping bucket keys. It is a string so that it
// reads well in the keyring JSON and in settings; on the wire a one-byte id is used (see cipherID).
type Cipher string

// The supported ciphers. AES-256-GCM is the default. XTEA-128 (CTR mode with HMAC-SHA-256) is the
// catalogue's alternative for small cameras; it has a 64-bit block and, in Go on a CPU with AES
// instructions, is about 20 times slower than AES-256-GCM (see BenchmarkSeal), so it is not the
// default. None marks records made before a keyword was set (ENC-1: such records stay as they were).
const (
	AES256GCM Cipher = "aes-256-gcm"
	XTEA128   Cipher = "xtea-128"
	None      Cipher = "none"
)

// Wire ids of the ciphers (record header byte 5, keyring MAC input).
const (
	idNone byte = 0
	idAES  byte = 1
	idXTEA byte = 2
)

// Per-cipher sizes: nonce (IV) length and authentication tag length as stored in a record.
const (
	aesNonceLen  = 12
	aesTagLen    = 16
	xteaNonceLen = xtea.BlockSize // 8
	xteaTagLen   = sha256.Size    // 32: full HMAC-SHA-256
	plainTagLen  = sha256.Size    // SHA-256 checksum of a plain record
	keyLen       = 32
)

// cipherID maps a cipher to its wire id.
func cipherID(c Cipher) (byte, error) {
	switch c {
	case None:
		return idNone, nil
	case AES256GCM:
		return idAES, nil
	case XTEA128:
		return idXTEA, nil
	}
	return 0, fmt.Errorf("unknown cipher %q", string(c))
}

// cipherByID maps a wire id back to its cipher, with the nonce and tag lengths the id implies.
func cipherByID(id byte) (c Cipher, nonceLen, tagLen int, ok bool) {
	switch id {
	case idNone:
		return None, 0, plainTagLen, true
	case idAES:
		return AES256GCM, aesNonceLen, aesTagLen, true
	case idXTEA:
		return XTEA128, xteaNonceLen, xteaTagLen, true
	}
	return "", 0, 0, false
}

// Valid reports whether c is a known cipher name.
func (c Cipher) Valid() bool { _, err := cipherID(c); return err == nil }

// hmacSum returns HMAC-SHA-256(key, parts...). It is the only key-derivation primitive in the
// package: every subkey is HMAC(parent, label || context), with labels listed in docs/formats.md.
func hmacSum(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// aead seals or opens with one of the two authenticated constructions under a 32-byte key.
// For AES-256-GCM the key is the AES key. For XTEA-128 the key is only a root: the XTEA key is
// HMAC(key, "vsslab/v1/xtea/enc")[:16] and the MAC key HMAC(key, "vsslab/v1/xtea/mac"), so the
// two never share bits (encrypt-then-MAC with separate keys).
type aead struct {
	c    Cipher
	gcm  cipher.AEAD
	xt   *xtea.Cipher
	mkey []byte
}

func newAEAD(c Cipher, key []byte) (*aead, error) {
	if len(key) != keyLen {
		return nil, fmt.Errorf("key must be %d bytes, got %d", keyLen, len(key))
	}
	switch c {
	case AES256GCM:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("aes: %w", err)
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("gcm: %w", err)
		}
		return &aead{c: c, gcm: g}, nil
	case XTEA128:
		ek := hmacSum(key, []byte("vsslab/v1/xtea/enc"))[:16]
		xt, err := xtea.NewCipher(ek)
		if err != nil {
			return nil, fmt.Errorf("xtea: %w", err)
		}
		return &aead{c: c, xt: xt, mkey: hmacSum(key, []byte("vsslab/v1/xtea/mac"))}, nil
	}
	return nil, fmt.Errorf("cipher %q cannot encrypt", string(c))
}

func (a *aead) nonceLen() int {
	if a.c == AES256GCM {
		return aesNonceLen
	}
	return xteaNonceLen
}

func (a *aead) tagLen() int {
	if a.c == AES256GCM {
		return aesTagLen
	}
	return xteaTagLen
}

// seal appends ciphertext||tag of plain to dst. ad is authenticated but not encrypted; for XTEA the
// tag is HMAC-SHA-256(macKey, ad || nonce || ciphertext).
func (a *aead) seal(dst, nonce, plain, ad []byte) []byte {
	if a.gcm != nil {
		return a.gcm.Seal(dst, nonce, plain, ad)
	}
	start := len(dst)
	dst = append(dst, make([]byte, len(plain))...)
	cipher.NewCTR(a.xt, nonce).XORKeyStream(dst[start:], plain)
	return append(dst, hmacSum(a.mkey, ad, nonce, dst[start:])...)
}

// open verifies and decrypts ciphertext||tag. It returns false, never a partial plaintext, when
// authentication fails; the MAC is compared in constant time before anything is decrypted.
func (a *aead) open(nonce, sealed, ad []byte) ([]byte, bool) {
	if a.gcm != nil {
		p, err := a.gcm.Open(nil, nonce, sealed, ad)
		return p, err == nil
	}
	if len(sealed) < xteaTagLen {
		return nil, false
	}
	ct, tag := sealed[:len(sealed)-xteaTagLen], sealed[len(sealed)-xteaTagLen:]
	if !hmac.Equal(tag, hmacSum(a.mkey, ad, nonce, ct)) {
		return nil, false
	}
	p := make([]byte, len(ct))
	cipher.NewCTR(a.xt, nonce).XORKeyStream(p, ct)
	return p, true
}
