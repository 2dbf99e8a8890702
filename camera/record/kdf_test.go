package record

import (
	"bytes"
	"testing"

	. "github.com/onsi/gomega"
)

// cheapKDF keeps argon2 fast in tests; it sits exactly on the lower bounds.
var cheapKDF = KDFParams{Time: MinKDFTime, MemoryKiB: MinKDFMemoryKiB, Threads: 1}

func TestDefaultKDFIsValidAndStrong(t *testing.T) {
	g := NewWithT(t)
	p := DefaultKDF()
	g.Expect(p).To(Equal(KDFParams{Time: 3, MemoryKiB: 65536, Threads: 1}))
	g.Expect(p.Validate()).To(Succeed())
	g.Expect(cheapKDF.Validate()).To(Succeed())
}

func TestKDFParamsOutOfBoundsRefused(t *testing.T) {
	for name, p := range map[string]KDFParams{
		"time 0":             {Time: 0, MemoryKiB: 1024, Threads: 1},
		"time too high":      {Time: MaxKDFTime + 1, MemoryKiB: 1024, Threads: 1},
		"memory too low":     {Time: 1, MemoryKiB: MinKDFMemoryKiB - 1, Threads: 1},
		"memory too high":    {Time: 1, MemoryKiB: MaxKDFMemoryKiB + 1, Threads: 1},
		"threads 0":          {Time: 1, MemoryKiB: 1024, Threads: 0},
		"threads too high":   {Time: 1, MemoryKiB: 1024, Threads: MaxKDFThreads + 1},
		"memory below lanes": {Time: 1, MemoryKiB: 64, Threads: 16},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(p.Validate()).NotTo(Succeed())
			_, err := NewKeyring("keyword", Options{KDF: p}, newRand(1))
			g.Expect(err).To(MatchError(ContainSubstring("kdf")))
		})
	}
}

func TestDeriveMasterDependsOnKeywordSaltAndParams(t *testing.T) {
	g := NewWithT(t)
	salt := bytes.Repeat([]byte{7}, saltLen)
	a := deriveMaster("keyword", salt, cheapKDF)
	g.Expect(a).To(HaveLen(32))
	g.Expect(deriveMaster("keyword", salt, cheapKDF)).To(Equal(a))
	g.Expect(deriveMaster("keyworD", salt, cheapKDF)).NotTo(Equal(a))
	g.Expect(deriveMaster("keyword", bytes.Repeat([]byte{8}, saltLen), cheapKDF)).NotTo(Equal(a))
	p := cheapKDF
	p.Time++
	g.Expect(deriveMaster("keyword", salt, p)).NotTo(Equal(a))
}
