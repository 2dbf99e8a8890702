package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

const testKeyword = "correct horse battery staple"

// day0 is a bucket start for one-hour buckets.
var day0 = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// newRand is a deterministic random source, so failures reproduce.
func newRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func testKeyring(t testing.TB, c Cipher) *Keyring {
	t.Helper()
	k, err := NewKeyring(testKeyword, Options{Cipher: c, KDF: cheapKDF, BucketLength: time.Hour}, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewKeyringDefaults(t *testing.T) {
	g := NewWithT(t)
	k, err := NewKeyring(testKeyword, Options{KDF: cheapKDF}, newRand(1))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k.Cipher()).To(Equal(AES256GCM))
	g.Expect(k.BucketLength()).To(Equal(24 * time.Hour))
	g.Expect(k.Buckets()).To(BeEmpty())
}

func TestNewKeyringValidates(t *testing.T) {
	for name, tc := range map[string]struct {
		keyword string
		opts    Options
		random  io.Reader
	}{
		"empty keyword":     {"", Options{KDF: cheapKDF}, newRand(1)},
		"huge keyword":      {string(make([]byte, 2000)), Options{KDF: cheapKDF}, newRand(1)},
		"cipher none":       {"k", Options{Cipher: None, KDF: cheapKDF}, newRand(1)},
		"unknown cipher":    {"k", Options{Cipher: "des", KDF: cheapKDF}, newRand(1)},
		"bucket too short":  {"k", Options{KDF: cheapKDF, BucketLength: time.Second}, newRand(1)},
		"bucket too long":   {"k", Options{KDF: cheapKDF, BucketLength: 400 * 24 * time.Hour}, newRand(1)},
		"bucket fractional": {"k", Options{KDF: cheapKDF, BucketLength: time.Hour + time.Millisecond}, newRand(1)},
		"nil random":        {"k", Options{KDF: cheapKDF}, nil},
		"failing random":    {"k", Options{KDF: cheapKDF}, bytes.NewReader([]byte{1, 2})},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewKeyring(tc.keyword, tc.opts, tc.random)
			NewWithT(t).Expect(err).To(HaveOccurred())
		})
	}
}

func TestBucketStartTruncatesFromEpochInUTC(t *testing.T) {
	g := NewWithT(t)
	k, err := NewKeyring(testKeyword, Options{KDF: cheapKDF, BucketLength: 7 * time.Hour}, newRand(1))
	g.Expect(err).NotTo(HaveOccurred())
	paris := time.FixedZone("CET", 3600)
	in := time.Date(2026, 3, 14, 10, 30, 5, 9, paris)
	start := k.BucketStart(in)
	g.Expect(start.Location()).To(Equal(time.UTC))
	g.Expect(start.Unix() % (7 * 3600)).To(BeZero())
	g.Expect(in.Sub(start)).To(And(BeNumerically(">=", 0), BeNumerically("<", 7*time.Hour)))
	before := time.Unix(-1, 0) // before the epoch: still the bucket that contains it
	g.Expect(k.BucketStart(before).Unix()).To(Equal(int64(-7 * 3600)))

	got, err := k.EnsureBucket(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(start))
	g.Expect(k.Buckets()).To(Equal([]time.Time{start}))
	g.Expect(k.Destroy(in)).To(MatchError(ContainSubstring("not a bucket start")))
	g.Expect(k.Buckets()).To(HaveLen(1), "a refused destroy changes nothing")
}

func TestKeyringPersistsAndReopens(t *testing.T) {
	for _, c := range []Cipher{AES256GCM, XTEA128} {
		t.Run(string(c), func(t *testing.T) {
			g := NewWithT(t)
			k := testKeyring(t, c)
			r1, err := Seal(k, day0, Meta{Kind: "motion"}, [][]byte{[]byte("a")}, newRand(2))
			g.Expect(err).NotTo(HaveOccurred())
			r2, err := Seal(k, day0.Add(5*time.Hour), Meta{Kind: "manual"}, [][]byte{[]byte("b")}, newRand(3))
			g.Expect(err).NotTo(HaveOccurred())
			stored, err := k.Marshal()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(stored)).NotTo(ContainSubstring(testKeyword))
			g.Expect(json.Valid(stored)).To(BeTrue())

			for _, random := range []io.Reader{newRand(4), nil} {
				k2, err := OpenKeyring(stored, testKeyword, random)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(k2.Buckets()).To(Equal(k.Buckets()))
				g.Expect(k2.Cipher()).To(Equal(c))
				g.Expect(k2.BucketLength()).To(Equal(time.Hour))
				m, f, err := Open(k2, r1)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(m.Kind).To(Equal("motion"))
				g.Expect(f).To(Equal([][]byte{[]byte("a")}))
				_, _, err = Open(k2, r2)
				g.Expect(err).NotTo(HaveOccurred())
				again, err := k2.Marshal()
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(again).To(Equal(stored), "reopening must not change the persisted form")
			}
			ro, err := OpenKeyring(stored, testKeyword, nil)
			g.Expect(err).NotTo(HaveOccurred())
			_, err = ro.EnsureBucket(day0.Add(48 * time.Hour))
			g.Expect(err).To(MatchError(ErrReadOnly))
			_, err = Seal(ro, day0.Add(48*time.Hour), Meta{Kind: "x"}, nil, newRand(5))
			g.Expect(err).To(MatchError(ErrReadOnly))
		})
	}
}

func TestOpenKeyringWrongKeyword(t *testing.T) {
	g := NewWithT(t)
	k := testKeyring(t, AES256GCM)
	_, err := k.EnsureBucket(day0)
	g.Expect(err).NotTo(HaveOccurred())
	stored, err := k.Marshal()
	g.Expect(err).NotTo(HaveOccurred())
	_, err = OpenKeyring(stored, "Correct horse battery staple", nil)
	g.Expect(err).To(MatchError(ErrWrongKeyword))
	g.Expect(errors.Is(err, ErrDamaged)).To(BeFalse())
	_, err = OpenKeyring(stored, "", nil)
	g.Expect(err).To(HaveOccurred())
}

// edit decodes stored keyring JSON into a generic map, applies f, and re-encodes it.
func edit(t *testing.T, stored []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(stored, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flipB64(s any) string {
	b, _ := base64.StdEncoding.DecodeString(s.(string))
	b[0] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func TestOpenKeyringDamaged(t *testing.T) {
	k := testKeyring(t, AES256GCM)
	for _, at := range []time.Time{day0, day0.Add(time.Hour)} {
		if _, err := k.EnsureBucket(at); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	bucket := func(m map[string]any, i int) map[string]any { return m["buckets"].([]any)[i].(map[string]any) }
	for name, damaged := range map[string][]byte{
		"not json":       []byte("{"),
		"trailing":       append(bytes.Clone(stored), []byte(" {}")...),
		"unknown field":  edit(t, stored, func(m map[string]any) { m["extra"] = 1 }),
		"format":         edit(t, stored, func(m map[string]any) { m["format"] = "other" }),
		"cipher":         edit(t, stored, func(m map[string]any) { m["cipher"] = "xtea-128" }),
		"cipher none":    edit(t, stored, func(m map[string]any) { m["cipher"] = "none" }),
		"bucket seconds": edit(t, stored, func(m map[string]any) { m["bucket_seconds"] = 7200 }),
		"salt":           edit(t, stored, func(m map[string]any) { kdf := m["kdf"].(map[string]any); kdf["salt"] = flipB64(kdf["salt"]) }),
		"kdf time":       edit(t, stored, func(m map[string]any) { m["kdf"].(map[string]any)["time"] = 2 }),
		"kdf too costly": edit(t, stored, func(m map[string]any) { m["kdf"].(map[string]any)["memory_kib"] = 1 << 30 }),
		"kdf alg":        edit(t, stored, func(m map[string]any) { m["kdf"].(map[string]any)["alg"] = "scrypt" }),
		"check":          edit(t, stored, func(m map[string]any) { m["check"] = flipB64(m["check"]) }),
		"mac":            edit(t, stored, func(m map[string]any) { m["mac"] = flipB64(m["mac"]) }),
		"checksum":       edit(t, stored, func(m map[string]any) { m["checksum"] = flipB64(m["checksum"]) }),
		"wrapped key":    edit(t, stored, func(m map[string]any) { b := bucket(m, 0); b["wrapped"] = flipB64(b["wrapped"]) }),
		"wrap nonce":     edit(t, stored, func(m map[string]any) { b := bucket(m, 1); b["nonce"] = flipB64(b["nonce"]) }),
		"short wrapped":  edit(t, stored, func(m map[string]any) { bucket(m, 0)["wrapped"] = "AAAA" }),
		"swapped keys": edit(t, stored, func(m map[string]any) {
			a, b := bucket(m, 0), bucket(m, 1)
			a["wrapped"], b["wrapped"] = b["wrapped"], a["wrapped"]
			a["nonce"], b["nonce"] = b["nonce"], a["nonce"]
		}),
		"misaligned bucket": edit(t, stored, func(m map[string]any) { bucket(m, 0)["start"] = day0.Unix() + 1 }),
		"duplicate bucket": edit(t, stored, func(m map[string]any) {
			m["buckets"] = append(m["buckets"].([]any), bucket(m, 0))
		}),
		"live and destroyed": edit(t, stored, func(m map[string]any) { m["destroyed"] = []any{day0.Unix()} }),
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := OpenKeyring(damaged, testKeyword, nil)
			g.Expect(err).To(MatchError(ErrDamaged))
			g.Expect(errors.Is(err, ErrWrongKeyword)).To(BeFalse())
		})
	}
	t.Run("future version", func(t *testing.T) {
		_, err := OpenKeyring(edit(t, stored, func(m map[string]any) { m["version"] = 2 }), testKeyword, nil)
		NewWithT(t).Expect(err).To(MatchError(ErrUnsupported))
	})
}

func TestDestroyShredsBucket(t *testing.T) {
	for _, c := range []Cipher{AES256GCM, XTEA128} {
		t.Run(string(c), func(t *testing.T) {
			g := NewWithT(t)
			k := testKeyring(t, c)
			doomed, err := Seal(k, day0, Meta{Kind: "motion"}, [][]byte{[]byte("x")}, newRand(2))
			g.Expect(err).NotTo(HaveOccurred())
			kept, err := Seal(k, day0.Add(time.Hour), Meta{Kind: "motion"}, [][]byte{[]byte("y")}, newRand(3))
			g.Expect(err).NotTo(HaveOccurred())
			before, err := k.Marshal()
			g.Expect(err).NotTo(HaveOccurred())
			var s storedKeyring
			g.Expect(json.Unmarshal(before, &s)).To(Succeed())
			g.Expect(s.Buckets[0].Start).To(Equal(day0.Unix()))
			wrapped := base64.StdEncoding.EncodeToString(s.Buckets[0].Wrapped)
			nonce := base64.StdEncoding.EncodeToString(s.Buckets[0].Nonce)
			entry := k.buckets[day0.Unix()]

			g.Expect(k.Destroy(day0)).To(Succeed())
			g.Expect(entry.key).To(Equal(make([]byte, 32)), "unwrapped key overwritten")
			g.Expect(entry.wrapped).To(Equal(make([]byte, len(entry.wrapped))), "wrapped key overwritten")
			g.Expect(k.Buckets()).To(Equal([]time.Time{day0.Add(time.Hour)}))
			_, _, err = Open(k, doomed)
			g.Expect(err).To(MatchError(ErrKeyDestroyed))
			_, _, err = Open(k, kept)
			g.Expect(err).NotTo(HaveOccurred())

			after, err := k.Marshal()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(after)).NotTo(ContainSubstring(wrapped))
			g.Expect(string(after)).NotTo(ContainSubstring(nonce))

			g.Expect(k.Destroy(day0)).To(MatchError(ErrKeyDestroyed))
			g.Expect(k.Destroy(day0.Add(9 * time.Hour))).To(MatchError(ErrUnknownBucket))
			_, err = Seal(k, day0.Add(time.Minute), Meta{Kind: "late"}, nil, newRand(4))
			g.Expect(err).To(MatchError(ErrKeyDestroyed), "a destroyed bucket is never recreated")

			k2, err := OpenKeyring(after, testKeyword, newRand(5))
			g.Expect(err).NotTo(HaveOccurred())
			_, _, err = Open(k2, doomed)
			g.Expect(err).To(MatchError(ErrKeyDestroyed))
			_, err = k2.EnsureBucket(day0)
			g.Expect(err).To(MatchError(ErrKeyDestroyed))
			_, _, err = Open(k2, kept)
			g.Expect(err).NotTo(HaveOccurred())
		})
	}
}

// FuzzOpenKeyring feeds arbitrary bytes as a persisted keyring. Invariants: no panic; a wrong keyword
// is never accepted; a keyring that opens marshals to a form that reopens with the same buckets.
func FuzzOpenKeyring(f *testing.F) {
	k := testKeyring(f, XTEA128)
	if _, err := k.EnsureBucket(day0); err != nil {
		f.Fatal(err)
	}
	if err := k.Destroy(day0); err != nil {
		f.Fatal(err)
	}
	if _, err := k.EnsureBucket(day0.Add(time.Hour)); err != nil {
		f.Fatal(err)
	}
	good, err := k.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("{}"))
	f.Add([]byte(`{"format":"vsslab-keyring","version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := OpenKeyring(b, "not the keyword", nil); err == nil {
			t.Fatal("wrong keyword accepted")
		}
		k2, err := OpenKeyring(b, testKeyword, nil)
		if err != nil {
			if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrWrongKeyword) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		again, err := k2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		k3, err := OpenKeyring(again, testKeyword, nil)
		if err != nil {
			t.Fatalf("re-marshalled keyring does not reopen: %v", err)
		}
		if len(k3.Buckets()) != len(k2.Buckets()) {
			t.Fatal("buckets lost in a round trip")
		}
	})
}

func TestOpenKeyringWithKeyNeedsNoKeyword(t *testing.T) {
	g := NewWithT(t)
	k := testKeyring(t, AES256GCM)
	meta := Meta{Start: day0, End: day0, Kind: "manual"}
	rec, err := Seal(k, day0, meta, [][]byte{[]byte("frame")}, newRand(2))
	g.Expect(err).NotTo(HaveOccurred())
	stored, err := k.Marshal()
	g.Expect(err).NotTo(HaveOccurred())

	master := k.MasterKey()
	g.Expect(master).To(HaveLen(keyLen))
	again, err := OpenKeyringWithKey(stored, master, newRand(3))
	g.Expect(err).NotTo(HaveOccurred())
	_, frames, err := Open(again, rec)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(frames).To(Equal([][]byte{[]byte("frame")}))

	other, err := NewKeyring(testKeyword, Options{KDF: cheapKDF, BucketLength: time.Hour}, newRand(9)) // another salt
	g.Expect(err).NotTo(HaveOccurred())
	_, err = OpenKeyringWithKey(stored, other.MasterKey(), nil)
	g.Expect(err).To(MatchError(ErrWrongKeyword))
	_, err = OpenKeyringWithKey(stored, master[:16], nil)
	g.Expect(err).To(HaveOccurred())
}

func TestSealRefusesMismatchedFrameTimes(t *testing.T) {
	g := NewWithT(t)
	k := testKeyring(t, AES256GCM)
	meta := Meta{Start: day0, End: day0, Kind: "manual", FrameTimes: []time.Time{day0, day0}}
	_, err := Seal(k, day0, meta, [][]byte{[]byte("one")}, newRand(2))
	g.Expect(err).To(MatchError(ContainSubstring("frame times")))
	meta.FrameTimes = meta.FrameTimes[:1]
	meta.PlaybackMasks = []Region{{X: 16, Y: 32, W: 64, H: 64, Tile: 16}}
	rec, err := Seal(k, day0, meta, [][]byte{[]byte("one")}, newRand(2))
	g.Expect(err).NotTo(HaveOccurred())
	got, _, err := Open(k, rec)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.FrameTimes).To(HaveLen(1))
	g.Expect(got.PlaybackMasks).To(Equal(meta.PlaybackMasks))
}
