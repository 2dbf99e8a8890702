package users

import (
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseLevel(t *testing.T) {
	g := NewWithT(t)
	for _, l := range []Level{Guest, User, Admin} {
		back, err := ParseLevel(l.String())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(back).To(Equal(l))
	}
	g.Expect([]string{Guest.String(), User.String(), Admin.String()}).To(Equal([]string{"guest", "user", "admin"}))
	for _, bad := range []string{"", "Admin", " admin", "root", "operator", "Level(3)"} {
		_, err := ParseLevel(bad)
		g.Expect(err).To(MatchError(ContainSubstring("unknown user level %q", bad)))
	}
	g.Expect(Level(0).String()).To(Equal("Level(0)"))
	g.Expect(Level(7).String()).To(Equal("Level(7)"))
}

func TestLevelAllows(t *testing.T) {
	g := NewWithT(t)
	levels := []Level{Guest, User, Admin}
	for i, l := range levels {
		for j, min := range levels {
			g.Expect(l.Allows(min)).To(Equal(i >= j), "%s allows %s", l, min)
		}
		g.Expect(l.Allows(0)).To(BeFalse(), "an invalid requirement grants nothing")
		g.Expect(Level(4).Allows(l)).To(BeFalse(), "an invalid level is granted nothing")
		g.Expect(Level(0).Allows(l)).To(BeFalse())
	}
}

func TestLevelJSON(t *testing.T) {
	g := NewWithT(t)
	data, err := json.Marshal(map[string]Level{"a": Admin, "g": Guest, "u": User})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal(`{"a":"admin","g":"guest","u":"user"}`))

	var l Level
	g.Expect(json.Unmarshal([]byte(`"user"`), &l)).To(Succeed())
	g.Expect(l).To(Equal(User))
	for _, bad := range []string{`"root"`, `"Admin"`, `3`, `null`, `""`} {
		l = Guest
		err := json.Unmarshal([]byte(bad), &l)
		if bad == `null` {
			g.Expect(err).NotTo(HaveOccurred())
		} else {
			g.Expect(err).To(HaveOccurred(), bad)
		}
		g.Expect(l).To(Equal(Guest), "%s leaves the level unchanged", bad)
	}
	_, err = json.Marshal(Level(0))
	g.Expect(err).To(MatchError(ContainSubstring("invalid level 0")))
}

// FuzzParseLevel: exactly the three names parse, and each parses back to what String writes.
func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"guest", "user", "admin", "Admin", "", "Level(1)", "adminx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		valid := s == "guest" || s == "user" || s == "admin"
		if valid != (err == nil) {
			t.Fatalf("ParseLevel(%q) = %v, %v", s, l, err)
		}
		if err == nil && (l.String() != s || !l.valid()) {
			t.Fatalf("ParseLevel(%q) = %v", s, l)
		}
		if err != nil && l != 0 {
			t.Fatalf("ParseLevel(%q) returned %v with an error", s, l)
		}
	})
}
