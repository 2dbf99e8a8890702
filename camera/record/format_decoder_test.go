package record_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/xtea"

	"vsslab/camera/record"
)

// This file is a second, independent decoder written from docs/formats.md alone (it uses no
// unexported name of the package). If the document and the code drift apart, it fails.

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// docOpen implements "Seal(key, nonce, plaintext, ad)" in reverse, as documented.
func docOpen(t *testing.T, c string, key, nonce, sealed, ad []byte) []byte {
	t.Helper()
	if c == "aes-256-gcm" {
		b, _ := aes.NewCipher(key)
		g, _ := cipher.NewGCM(b)
		p, err := g.Open(nil, nonce, sealed, ad)
		if err != nil {
			t.Fatalf("documented GCM open failed: %v", err)
		}
		return p
	}
	enc := mac(key, []byte("vsslab/v1/xtea/enc"))[:16]
	mk := mac(key, []byte("vsslab/v1/xtea/mac"))
	ct, tag := sealed[:len(sealed)-32], sealed[len(sealed)-32:]
	if !hmac.Equal(tag, mac(mk, ad, nonce, ct)) {
		t.Fatal("documented XTEA tag mismatch")
	}
	blk, _ := xtea.NewCipher(enc)
	p := make([]byte, len(ct))
	cipher.NewCTR(blk, nonce).XORKeyStream(p, ct)
	return p
}

func TestDocumentedFormatDecodesIndependently(t *testing.T) {
	for _, c := range []record.Cipher{record.AES256GCM, record.XTEA128} {
		t.Run(string(c), func(t *testing.T) {
			g := NewWithT(t)
			var seed [32]byte
			random := rand.NewChaCha8(seed)
			k, err := record.NewKeyring("doc keyword", record.Options{Cipher: c, KDF: record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}, random)
			g.Expect(err).NotTo(HaveOccurred())
			at := time.Date(2026, 3, 14, 10, 0, 30, 0, time.UTC)
			frames := [][]byte{{0xFF, 0xD8, 0xFF, 0xD9}, bytes.Repeat([]byte{7}, 300)}
			rec, err := record.Seal(k, at, record.Meta{Start: at, End: at.Add(time.Second), Kind: "motion"}, frames, random)
			g.Expect(err).NotTo(HaveOccurred())
			stored, err := k.Marshal()
			g.Expect(err).NotTo(HaveOccurred())

			// Keyring.
			var kr struct {
				Format        string `json:"format"`
				Version       int    `json:"version"`
				Cipher        string `json:"cipher"`
				BucketSeconds int64  `json:"bucket_seconds"`
				KDF           struct {
					Alg       string `json:"alg"`
					Time      uint32 `json:"time"`
					MemoryKiB uint32 `json:"memory_kib"`
					Threads   uint8  `json:"threads"`
					Salt      []byte `json:"salt"`
				} `json:"kdf"`
				Check, MAC, Checksum []byte
				Buckets              []struct {
					Start          int64
					Nonce, Wrapped []byte
				}
				Destroyed []int64
			}
			g.Expect(json.Unmarshal(stored, &kr)).To(Succeed())
			id := byte(1)
			if kr.Cipher == "xtea-128" {
				id = 2
			}
			P := append([]byte("vsslab-keyring\x00"), 1, id)
			P = binary.BigEndian.AppendUint64(P, uint64(kr.BucketSeconds))
			P = binary.BigEndian.AppendUint32(P, kr.KDF.Time)
			P = binary.BigEndian.AppendUint32(P, kr.KDF.MemoryKiB)
			P = append(append(P, kr.KDF.Threads), kr.KDF.Salt...)
			g.Expect(P).To(HaveLen(50))
			sum := sha256.Sum256(append(append(bytes.Clone(P), kr.Check...), kr.MAC...))
			g.Expect(kr.Checksum).To(Equal(sum[:]))
			master := argon2.IDKey([]byte("doc keyword"), kr.KDF.Salt, kr.KDF.Time, kr.KDF.MemoryKiB, kr.KDF.Threads, 32)
			g.Expect(kr.Check).To(Equal(mac(mac(master, []byte("vsslab/v1/check")), []byte("vsslab keyword check"))))
			g.Expect(kr.MAC).To(Equal(mac(mac(master, []byte("vsslab/v1/mac")), P)))
			wrapKey := mac(master, []byte("vsslab/v1/wrap"))

			// Record header.
			g.Expect(rec[:4]).To(Equal([]byte("VSSR")))
			g.Expect(rec[4]).To(Equal(byte(1)))
			g.Expect(rec[5]).To(Equal(id))
			n, tl := int(rec[6]), int(rec[7])
			bucket := int64(binary.BigEndian.Uint64(rec[8:16]))
			g.Expect(bucket % kr.BucketSeconds).To(BeZero())
			L := int(binary.BigEndian.Uint32(rec[32:36]))
			g.Expect(rec).To(HaveLen(36 + n + L + tl))

			var bucketKey []byte
			for _, b := range kr.Buckets {
				if b.Start == bucket {
					ad := append([]byte("vsslab/v1/bucket"), id)
					ad = binary.BigEndian.AppendUint64(ad, uint64(b.Start))
					g.Expect(ad).To(HaveLen(25))
					bucketKey = docOpen(t, kr.Cipher, wrapKey, b.Nonce, b.Wrapped, ad)
				}
			}
			g.Expect(bucketKey).To(HaveLen(32))
			recordKey := mac(bucketKey, []byte("vsslab/v1/record"), []byte{id}, rec[16:32])
			payload := docOpen(t, kr.Cipher, recordKey, rec[36:36+n], rec[36+n:], rec[:36])
			g.Expect(payload).To(HaveLen(L))

			// Payload.
			M := binary.BigEndian.Uint32(payload)
			var meta map[string]any
			g.Expect(json.Unmarshal(payload[4:4+M], &meta)).To(Succeed())
			g.Expect(meta).To(HaveKeyWithValue("kind", "motion"))
			g.Expect(meta).To(HaveKeyWithValue("start", "2026-03-14T10:00:30Z"))
			g.Expect(meta).To(HaveKeyWithValue("frame_count", BeNumerically("==", 2)))
			rest := payload[4+M:]
			F := binary.BigEndian.Uint32(rest)
			rest = rest[4:]
			var got [][]byte
			for range F {
				K := binary.BigEndian.Uint32(rest)
				got = append(got, rest[4:4+K])
				rest = rest[4+K:]
			}
			g.Expect(rest).To(BeEmpty())
			g.Expect(got).To(Equal(frames))
		})
	}
	t.Run("none", func(t *testing.T) {
		g := NewWithT(t)
		rec, err := record.SealPlain(record.Meta{Kind: "motion"}, [][]byte{{1, 2}}, rand.NewChaCha8([32]byte{}))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rec[4:8]).To(Equal([]byte{1, 0, 0, 32}))
		g.Expect(rec[8:16]).To(Equal(make([]byte, 8)))
		L := int(binary.BigEndian.Uint32(rec[32:36]))
		g.Expect(rec).To(HaveLen(36 + L + 32))
		sum := sha256.Sum256(rec[:36+L])
		g.Expect(rec[36+L:]).To(Equal(sum[:]))
	})
}
