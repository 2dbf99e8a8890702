package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

type doc struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestSaveLoadRoundTrip(t *testing.T) {
	g := NewWithT(t)
	d, err := Open(filepath.Join(t.TempDir(), "state"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.SaveJSON("settings.json", doc{Name: "cam", Count: 3})).To(Succeed())
	var got doc
	g.Expect(d.LoadJSON("settings.json", &got)).To(Succeed())
	g.Expect(got).To(Equal(doc{Name: "cam", Count: 3}))

	info, err := os.Stat(filepath.Join(d.Path(), "settings.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)), "state files hold secrets: owner only")
	dinfo, err := os.Stat(d.Path())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dinfo.Mode().Perm()).To(Equal(os.FileMode(0o700)))
}

func TestMissingFileIsNotCorrupt(t *testing.T) {
	g := NewWithT(t)
	d, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	var got doc
	err = d.LoadJSON("users.json", &got)
	g.Expect(errors.Is(err, ErrNotExist)).To(BeTrue())
	var ce *CorruptError
	g.Expect(errors.As(err, &ce)).To(BeFalse())
}

func TestCorruptFileIsNamed(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":     `{"name": "ca`,
		"unknown field": `{"name": "cam", "count": 1, "public": true}`,
		"trailing data": `{"name": "cam", "count": 1} {}`,
		"wrong type":    `{"name": 5}`,
		"empty":         ``,
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			d, err := Open(t.TempDir())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(os.WriteFile(filepath.Join(d.Path(), "settings.json"), []byte(content), 0o600)).To(Succeed())
			var got doc
			err = d.LoadJSON("settings.json", &got)
			var ce *CorruptError
			g.Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
			g.Expect(ce.Path).To(Equal(filepath.Join(d.Path(), "settings.json")))
			g.Expect(err.Error()).To(ContainSubstring("settings.json"))
			g.Expect(err.Error()).To(ContainSubstring("will not replace it with factory defaults"))
		})
	}
}

func TestAtomicWriteLeavesNoTemporaryFiles(t *testing.T) {
	g := NewWithT(t)
	d, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	for i := range 5 {
		g.Expect(d.SaveJSON("users.json", doc{Count: i})).To(Succeed())
	}
	entries, err := os.ReadDir(d.Path())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1))
	var got doc
	g.Expect(d.LoadJSON("users.json", &got)).To(Succeed())
	g.Expect(got.Count).To(Equal(4))
}

func TestFailedWriteKeepsOldContent(t *testing.T) {
	g := NewWithT(t)
	d, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.SaveJSON("settings.json", doc{Name: "old"})).To(Succeed())
	// A value that cannot be encoded must not touch the stored file.
	g.Expect(d.SaveJSON("settings.json", map[string]any{"bad": make(chan int)})).NotTo(Succeed())
	var got doc
	g.Expect(d.LoadJSON("settings.json", &got)).To(Succeed())
	g.Expect(got.Name).To(Equal("old"))
}

func TestNamesCannotEscape(t *testing.T) {
	g := NewWithT(t)
	d, err := Open(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range []string{"", ".", "..", "../x", "/etc/passwd", "a/../../x"} {
		g.Expect(d.WriteFile(name, []byte("x"))).NotTo(Succeed(), name)
	}
	g.Expect(d.WriteFile("tls/key.pem", []byte("k"))).To(Succeed())
	data, err := d.ReadFile("tls/key.pem")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal("k"))
	g.Expect(d.Remove("tls")).To(Succeed())
	_, err = d.ReadFile("tls/key.pem")
	g.Expect(errors.Is(err, ErrNotExist)).To(BeTrue())
}

func TestOpenRefusesAFile(t *testing.T) {
	g := NewWithT(t)
	f := filepath.Join(t.TempDir(), "file")
	g.Expect(os.WriteFile(f, nil, 0o600)).To(Succeed())
	_, err := Open(f)
	g.Expect(err).To(HaveOccurred())
}
