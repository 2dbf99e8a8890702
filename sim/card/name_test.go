package card

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/sim/clock"
)

func TestCheckName(t *testing.T) {
	g := NewWithT(t)
	for _, ok := range []string{"a", "A", "0", "-", "_", ".hidden", "evt-2026.01.01_08-00.rec",
		strings.Repeat("z", MaxNameLen)} {
		g.Expect(checkName(ok)).To(Succeed(), "%q", ok)
	}
	for _, bad := range []string{"", ".", "..", "...", "a..", "..a", "a/b", "a b", "a~tmp", "ä", "a\n",
		strings.Repeat("z", MaxNameLen+1)} {
		g.Expect(checkName(bad)).To(MatchError(ErrBadName), "%q", bad)
	}
}

// FuzzNames checks the name rule against an independent statement of it, and that every accepted
// name is a plain entry of the card's directory that round-trips through Write, List and Read, while
// every refused name changes nothing.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"a", ".", "..", "a..b", "../x", "x/y", "evt-1.rec", "a~tmp", "\x00", "é",
		strings.Repeat("b", MaxNameLen), strings.Repeat("b", MaxNameLen+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := checkName(name)
		want := len(name) >= 1 && len(name) <= MaxNameLen && name != "." && !strings.Contains(name, "..") &&
			strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
		if want != (err == nil) {
			t.Fatalf("checkName(%q) = %v, want valid=%v", name, err, want)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Fatalf("checkName(%q) = %v, not ErrBadName", name, err)
		}

		dir := t.TempDir()
		c, cerr := New(dir, 1<<20, clock.New(clock.Epoch()))
		if cerr != nil {
			t.Fatal(cerr)
		}
		werr := c.Write(name, []byte("payload"))
		if err != nil {
			if !errors.Is(werr, ErrBadName) {
				t.Fatalf("Write(%q) = %v, want ErrBadName", name, werr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 || c.Used() != 0 {
				t.Fatalf("refused name %q changed the card: %v", name, entries)
			}
			return
		}
		if werr != nil {
			t.Fatalf("Write(%q) = %v", name, werr)
		}
		if filepath.Base(name) != name || filepath.Dir(filepath.Join(dir, name)) != dir {
			t.Fatalf("valid name %q is not a plain entry of the directory", name)
		}
		files, lerr := c.List()
		if lerr != nil || len(files) != 1 || files[0].Name != name {
			t.Fatalf("List after Write(%q) = %v, %v", name, files, lerr)
		}
		if data, rerr := c.Read(name); rerr != nil || string(data) != "payload" {
			t.Fatalf("Read(%q) = %q, %v", name, data, rerr)
		}
	})
}
