package record

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestExportWritesFramesAndMetadataForTheOwnerOnly(t *testing.T) {
	g := NewWithT(t)
	k, err := NewKeyring("export keyword", Options{KDF: cheapKDF}, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	frames := [][]byte{{0xFF, 0xD8, 1, 0xFF, 0xD9}, {0xFF, 0xD8, 2, 0xFF, 0xD9}}
	sealed, err := Seal(k, start, Meta{Start: start, End: start.Add(time.Second), Kind: "manual"}, frames, rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	h, err := ReadHeader(sealed)
	g.Expect(err).NotTo(HaveOccurred())
	meta, got, err := Open(k, sealed)
	g.Expect(err).NotTo(HaveOccurred())

	dir, err := Export(t.TempDir(), h, meta, got)
	g.Expect(err).NotTo(HaveOccurred())
	for i, f := range frames {
		b, err := os.ReadFile(filepath.Join(dir, []string{"frame-0001.jpg", "frame-0002.jpg"}[i]))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(b).To(Equal(f))
	}
	info, err := os.Stat(filepath.Join(dir, "meta.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	var doc map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "meta.json"))
	g.Expect(json.Unmarshal(b, &doc)).To(Succeed())
	g.Expect(doc).To(HaveKeyWithValue("kind", "manual"))
	g.Expect(doc).To(HaveKeyWithValue("encrypted", true))
	g.Expect(doc).To(HaveKeyWithValue("frame_count", 2.0))
}
