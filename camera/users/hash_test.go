package users

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/argon2"
)

func TestHashAndVerify(t *testing.T) {
	g := NewWithT(t)
	h, err := Hash("Correct-Horse-1", &seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h).To(MatchRegexp(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`))
	g.Expect(h).To(HavePrefix("$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$"), "salt from the reader")

	for password, want := range map[string]bool{"Correct-Horse-1": true, "correct-horse-1": false, "Correct-Horse-1 ": false, "": false} {
		ok, err := VerifyHash(h, password)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ok).To(Equal(want), password)
	}

	other, err := Hash("Correct-Horse-1", &seqRandom{next: 50})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(other).NotTo(Equal(h), "a fresh salt gives a fresh hash")

	_, err = Hash("x", strings.NewReader("too short for a salt"[:10]))
	g.Expect(err).To(MatchError(ContainSubstring("read salt")))
	_, err = Hash("x", nil)
	g.Expect(err).To(MatchError(ContainSubstring("no random source")))
}

func TestVerifyHashHonoursEncodedParameters(t *testing.T) {
	g := NewWithT(t)
	salt := []byte("0123456789abcdef")
	cheap := phc{memory: 64, time: 1, threads: 2, salt: salt, key: argon2.IDKey([]byte("pw"), salt, 1, 64, 2, 16)}.String()
	g.Expect(cheap).To(Equal("$argon2id$v=19$m=64,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$" +
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte("pw"), salt, 1, 64, 2, 16))))
	g.Expect(VerifyHash(cheap, "pw")).To(BeTrue())
	g.Expect(VerifyHash(cheap, "pW")).To(BeFalse())
}

func TestVerifyHashRejectsMalformed(t *testing.T) {
	const (
		salt = "MDEyMzQ1Njc4OWFiY2RlZg"                      // 16 bytes
		key  = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY" // 32 bytes
	)
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	for name, encoded := range map[string]string{
		"empty":               "",
		"argon2i":             strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16":          strings.Replace(good, "v=19", "v=16", 1),
		"no version":          strings.Replace(good, "$v=19", "", 1),
		"parameter order":     strings.Replace(good, "m=19456,t=2", "t=2,m=19456", 1),
		"missing parameter":   strings.Replace(good, ",p=1", "", 1),
		"extra parameter":     strings.Replace(good, "p=1", "p=1,k=2", 1),
		"leading zero":        strings.Replace(good, "m=19456", "m=019456", 1),
		"plus sign":           strings.Replace(good, "m=19456", "m=+19456", 1),
		"space":               strings.Replace(good, "t=2", "t= 2", 1),
		"hex":                 strings.Replace(good, "m=19456", "m=0x4c00", 1),
		"memory too large":    strings.Replace(good, "m=19456", "m=65537", 1),
		"memory overflow":     strings.Replace(good, "m=19456", "m=4294967296", 1),
		"memory below 8/lane": strings.Replace(good, "m=19456,t=2,p=1", "m=15,t=2,p=2", 1),
		"time zero":           strings.Replace(good, "t=2", "t=0", 1),
		"time too large":      strings.Replace(good, "t=2", "t=11", 1),
		"lanes zero":          strings.Replace(good, "p=1", "p=0", 1),
		"lanes too many":      strings.Replace(good, "p=1", "p=9", 1),
		"padded salt":         strings.Replace(good, salt, salt+"==", 1),
		"line break in salt":  strings.Replace(good, salt, salt[:10]+"\n"+salt[10:], 1),
		"url-safe alphabet":   strings.Replace(good, salt, salt[:21]+"_", 1),
		"non-canonical salt":  strings.Replace(good, salt, salt[:21]+"h", 1), // 'g' with a stray low bit
		"short salt":          strings.Replace(good, salt, "MDEyMzQ1Njc", 1),
		"short key":           strings.Replace(good, key, "MDEyMzQ1Njc4OWFiY2Rl", 1),
		"long key":            strings.Replace(good, key, strings.Repeat(key, 3)[:88], 1),
		"empty key":           strings.Replace(good, "$"+key, "$", 1),
		"no key":              strings.Replace(good, "$"+key, "", 1),
		"trailing dollar":     good + "$",
		"leading space":       " " + good,
		"too long":            strings.Replace(good, salt, strings.Repeat("A", 220), 1),
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			ok, err := VerifyHash(encoded, "pw")
			g.Expect(ok).To(BeFalse())
			g.Expect(errors.Is(err, errMalformedHash)).To(BeTrue(), "%v", err)
		})
	}
	_, err := parseHash(good)
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "the cases above each break one thing")
}

func TestParseHashAcceptsTheBounds(t *testing.T) {
	g := NewWithT(t)
	for _, h := range []phc{
		{memory: 8, time: 1, threads: 1, salt: make([]byte, 16), key: make([]byte, 16)},
		{memory: 64 * 1024, time: 10, threads: 8, salt: make([]byte, 64), key: make([]byte, 64)},
		{memory: 64, time: 1, threads: 8, salt: make([]byte, 16), key: make([]byte, 16)},
	} {
		back, err := parseHash(h.String())
		g.Expect(err).NotTo(HaveOccurred(), h.String())
		g.Expect(back).To(Equal(h))
	}
}

// FuzzVerifyHash: arbitrary encodings never panic; a malformed one is an error, never a match; what
// parses is in canonical form (one spelling per hash); and a hash made by Hash verifies its own
// password and no other.
func FuzzVerifyHash(f *testing.F) {
	const fixedPassword = "Correct-Horse-1"
	fixed, err := Hash(fixedPassword, &seqRandom{})
	if err != nil {
		f.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	cheap := phc{memory: 8, time: 1, threads: 1, salt: salt, key: argon2.IDKey([]byte("pw"), salt, 1, 8, 1, 16)}.String()
	f.Add(fixed, fixedPassword)
	f.Add(fixed, "correct-horse-1")
	f.Add(cheap, "pw")
	f.Add(dummyHash, "")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZg==", "pw")
	f.Add("$argon2id$v=19$m=08,t=1,p=1$$", "x")
	f.Add("$$$$$", "")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		h, err := parseHash(encoded)
		if err == nil && h.String() != encoded {
			t.Fatalf("%q parsed but is not canonical (%q)", encoded, h.String())
		}
		// Past parsing, VerifyHash runs the same code whatever the parameters; running argon2 only for
		// cheap ones keeps the fuzzer from spending seconds on each mutation of a real hash.
		if err != nil || h.memory*h.time <= 1024 {
			ok, err := VerifyHash(encoded, password)
			if err != nil && (ok || !errors.Is(err, errMalformedHash)) {
				t.Fatalf("VerifyHash(%q) = %v, %v", encoded, ok, err)
			}
		}
		if ok, err := VerifyHash(fixed, password); err != nil || ok != (password == fixedPassword) {
			t.Fatalf("fixed hash with %q: %v, %v", password, ok, err)
		}
	})
}
