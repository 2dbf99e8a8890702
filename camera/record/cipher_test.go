package record

import (
	"bytes"
	"crypto/cipher"
	"testing"

	. "github.com/onsi/gomega"
	"golang.org/x/crypto/xtea"
)

func TestCipherIDsRoundTrip(t *testing.T) {
	g := NewWithT(t)
	for _, c := range []Cipher{None, AES256GCM, XTEA128} {
		id, err := cipherID(c)
		g.Expect(err).NotTo(HaveOccurred())
		back, _, _, ok := cipherByID(id)
		g.Expect(ok).To(BeTrue())
		g.Expect(back).To(Equal(c))
		g.Expect(c.Valid()).To(BeTrue())
	}
	g.Expect(Cipher("des").Valid()).To(BeFalse())
	_, _, _, ok := cipherByID(3)
	g.Expect(ok).To(BeFalse())
}

func TestAEADRoundTripAndAuthentication(t *testing.T) {
	for _, c := range []Cipher{AES256GCM, XTEA128} {
		t.Run(string(c), func(t *testing.T) {
			g := NewWithT(t)
			key := bytes.Repeat([]byte{1}, 32)
			a, err := newAEAD(c, key)
			g.Expect(err).NotTo(HaveOccurred())
			nonce := make([]byte, a.nonceLen())
			plain := []byte("the quick brown fox jumps over the lazy dog")
			sealed := a.seal(nil, nonce, plain, []byte("ad"))
			g.Expect(sealed).To(HaveLen(len(plain) + a.tagLen()))
			g.Expect(bytes.Contains(sealed, []byte("fox"))).To(BeFalse())
			p, ok := a.open(nonce, sealed, []byte("ad"))
			g.Expect(ok).To(BeTrue())
			g.Expect(p).To(Equal(plain))

			_, ok = a.open(nonce, sealed, []byte("aD"))
			g.Expect(ok).To(BeFalse(), "associated data must be authenticated")
			other := bytes.Clone(nonce)
			other[0] ^= 1
			_, ok = a.open(other, sealed, []byte("ad"))
			g.Expect(ok).To(BeFalse(), "nonce must be authenticated")
			for i := range sealed {
				bad := bytes.Clone(sealed)
				bad[i] ^= 0x80
				_, ok = a.open(nonce, bad, []byte("ad"))
				g.Expect(ok).To(BeFalse(), "byte %d", i)
			}
			_, ok = a.open(nonce, sealed[:3], []byte("ad"))
			g.Expect(ok).To(BeFalse())
			_, err = newAEAD(c, key[:16])
			g.Expect(err).To(HaveOccurred())
		})
	}
	_, err := newAEAD(None, bytes.Repeat([]byte{1}, 32))
	NewWithT(t).Expect(err).To(HaveOccurred())
}

// TestXTEAConstructionMatchesDocs pins the construction in docs/formats.md: XTEA key and MAC key are
// separate HMAC subkeys, encryption is CTR with the nonce as initial big-endian counter block, and
// the tag is HMAC-SHA-256(macKey, ad || nonce || ciphertext).
func TestXTEAConstructionMatchesDocs(t *testing.T) {
	g := NewWithT(t)
	root := bytes.Repeat([]byte{9}, 32)
	nonce := []byte{0, 0, 0, 0, 0, 0, 0, 0xff} // exercises the carry of the counter
	plain := bytes.Repeat([]byte("0123456789abcdef"), 5)
	ad := []byte("header")
	a, err := newAEAD(XTEA128, root)
	g.Expect(err).NotTo(HaveOccurred())
	got := a.seal(nil, nonce, plain, ad)

	encKey := hmacSum(root, []byte("vsslab/v1/xtea/enc"))[:16]
	macKey := hmacSum(root, []byte("vsslab/v1/xtea/mac"))
	g.Expect(encKey).NotTo(Equal(macKey[:16]))
	blk, err := xtea.NewCipher(encKey)
	g.Expect(err).NotTo(HaveOccurred())
	want := make([]byte, len(plain))
	ctr := bytes.Clone(nonce)
	for off := 0; off < len(plain); off += 8 {
		var ks [8]byte
		blk.Encrypt(ks[:], ctr)
		for i := off; i < min(off+8, len(plain)); i++ {
			want[i] = plain[i] ^ ks[i-off]
		}
		for i := 7; i >= 0; i-- { // big-endian increment
			ctr[i]++
			if ctr[i] != 0 {
				break
			}
		}
	}
	g.Expect(got[:len(plain)]).To(Equal(want))
	g.Expect(got[len(plain):]).To(Equal(hmacSum(macKey, ad, nonce, want)))
	var _ cipher.Block = blk
}
