package users

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	. "github.com/onsi/gomega"
)

var policyCodes = []string{"invalid_name", "too_short", "too_long", "invalid_characters", "default_password",
	"contains_name", "weak_password", "missing_class", "unchanged"}

func TestCheckPassword(t *testing.T) {
	long := strings.Repeat("Ké7#", 32) // 128 runes, 160 bytes
	for _, tc := range []struct {
		name     string
		level    Level
		password string
		code     string // "" = accepted
		message  string // checked when set
	}{
		{"bob", Admin, "Kx7#mP2q!vL", "", ""},
		{"bob", User, "Kx7#mP2q!vL", "", ""},
		{"bob", Admin, long, "", ""},
		{"bob", Guest, "just a long phrase", "", ""},
		{"jo", User, "Jo#Rk9tzq", "", ""}, // names under 3 characters are not searched for

		{"bob", Guest, "meinsm", "default_password", "The password must not be or contain the factory default password."},
		{"bob", Admin, "MeInSm", "default_password", ""},
		{"bob", User, "xMEINSM#2024q", "default_password", ""},

		{"bob", Guest, "", "too_short", "The password must be at least 8 characters long."},
		{"bob", User, "Ab1!xyz", "too_short", ""},
		{"bob", User, "Ké7#üß!", "too_short", ""}, // 7 characters, 10 bytes

		{"bob", Admin, long + "x", "too_long", "The password must be at most 128 characters long."},

		{"bob", Guest, "Good\x00Pass1!", "invalid_characters", "The password must be valid text without control characters."},
		{"bob", Admin, "Tab\tHere12A!", "invalid_characters", ""},
		{"bob", Admin, "Ab1!\xffxyzw", "invalid_characters", ""},
		{"bob", Admin, "Ab1!xyzw\u0085", "invalid_characters", ""},

		{"bob", User, "MyBob#2024x", "contains_name", "The password must not contain the user name."},
		{"camera1", Guest, "xxCAMERA1yy", "contains_name", ""},

		{"bob", Guest, "iloveyou", "weak_password", "The password is too common or too easy to guess; choose a less predictable one."},
		{"bob", Guest, "ILoveYou", "weak_password", ""},
		{"bob", Admin, "P@ssw0rd!", "weak_password", ""},
		{"bob", Admin, "Password1!", "weak_password", ""},
		{"bob", User, "Dragon_2024!", "weak_password", ""},
		{"bob", Admin, "!!Qwerty123", "weak_password", ""},
		{"bob", Guest, "12345678", "weak_password", ""},
		{"bob", Guest, "zyxwvuts", "weak_password", ""},
		{"bob", Guest, "aaaaaaaaaa", "weak_password", ""},
		{"bob", Admin, "Abcdefgh1!", "weak_password", ""},
		{"bob", Admin, "#12345678!", "weak_password", ""},

		{"bob", User, "correcthorsebattery", "missing_class",
			"A password for a management account must also contain an upper-case letter, a digit and a special character."},
		{"bob", Admin, "Correct-Horse-Battery", "missing_class",
			"A password for a management account must also contain a digit."},
		{"bob", Admin, "CORRECT-HORSE-9", "missing_class",
			"A password for a management account must also contain a lower-case letter."},
		{"bob", Level(0), "correct horse battery staple", "missing_class",
			"A password for a management account must also contain an upper-case letter and a digit."},
	} {
		t.Run(tc.code+"/"+tc.password, func(t *testing.T) {
			g := NewWithT(t)
			err := CheckPassword(tc.name, tc.level, tc.password)
			if tc.code == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			var pe *PolicyError
			g.Expect(errors.As(err, &pe)).To(BeTrue())
			g.Expect(pe.Code).To(Equal(tc.code))
			g.Expect(policyCodes).To(ContainElement(pe.Code))
			g.Expect(pe.Error()).To(Equal(pe.Message))
			g.Expect(pe.Message).To(MatchRegexp(`^[A-Z].*\.$`), "a complete sentence")
			if tc.password != "" {
				g.Expect(pe.Message).NotTo(ContainSubstring(tc.password))
			}
			if tc.message != "" {
				g.Expect(pe.Message).To(Equal(tc.message))
			}
		})
	}
}

func TestGuestAndManagementRules(t *testing.T) {
	g := NewWithT(t)
	for _, password := range []string{"correcthorsebattery", "CORRECT HORSE", "2468013579", "zu hause 2x"} {
		g.Expect(CheckPassword("viewer", Guest, password)).To(Succeed(), password)
		for _, l := range []Level{User, Admin, Level(0), Level(9)} {
			var pe *PolicyError
			g.Expect(errors.As(CheckPassword("viewer", l, password), &pe)).To(BeTrue(), "%s at %s", password, l)
			g.Expect(pe.Code).To(Equal("missing_class"))
		}
	}
}

func TestWeakList(t *testing.T) {
	g := NewWithT(t)
	lines := strings.Split(strings.TrimSuffix(weakList, "\n"), "\n")
	g.Expect(len(lines)).To(BeNumerically(">=", 200))
	seen := map[string]bool{}
	for _, w := range lines {
		g.Expect(w).NotTo(BeEmpty())
		g.Expect(w).To(Equal(strings.ToLower(strings.TrimSpace(w))), "entries are trimmed and lower-case")
		g.Expect(seen[w]).To(BeFalse(), "duplicate %q", w)
		seen[w] = true
		g.Expect(inWeakList(w)).To(BeTrue())
		if utf8.RuneCountInString(w) >= minPasswordLen && !strings.Contains(w, factoryPassword) {
			for _, variant := range []string{w, strings.ToUpper(w)} {
				var pe *PolicyError
				g.Expect(errors.As(CheckPassword("viewer", Guest, variant), &pe)).To(BeTrue(), variant)
				g.Expect(pe.Code).To(Equal("weak_password"))
			}
		}
	}
	g.Expect(inWeakList("passwor")).To(BeFalse(), "whole lines only")
}

func TestCheckName(t *testing.T) {
	g := NewWithT(t)
	for _, good := range []string{"a", "0", "admin", "bob.smith", "cam_01", "x-y", strings.Repeat("z", 32)} {
		g.Expect(checkName(good)).To(Succeed(), good)
	}
	for _, bad := range []string{"", "Bob", "_bob", ".", "-x", "bob smith", "bob\x00", "bøb", "bob/..", strings.Repeat("z", 33)} {
		var pe *PolicyError
		g.Expect(errors.As(checkName(bad), &pe)).To(BeTrue(), bad)
		g.Expect(pe.Code).To(Equal("invalid_name"))
	}
}

// FuzzCheckName: the rule is exactly the documented regular expression.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"admin", "Admin", "", "a.b-c_d", "-a", strings.Repeat("a", 33), "é"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := checkName(name) == nil, re.MatchString(name); got != want {
			t.Fatalf("checkName(%q) accepted=%v, want %v", name, got, want)
		}
	})
}

// FuzzCheckPassword: refusals are *PolicyErrors with a known code and a sentence; an accepted password
// keeps every base rule; one accepted for a management account has all four classes and is also fine
// for a guest.
func FuzzCheckPassword(f *testing.F) {
	f.Add("bob", "Kx7#mP2q!vL", 3)
	f.Add("bob", "correcthorsebattery", 1)
	f.Add("bob", "MyBob#2024x", 2)
	f.Add("", "Password1!", 3)
	f.Add("a", "ÄÖÜäöü12!!", 2)
	f.Add("x", strings.Repeat("Ké7#", 33), 0)
	f.Fuzz(func(t *testing.T, name, password string, level int) {
		l := Level(level)
		err := CheckPassword(name, l, password)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || err != error(pe) {
				t.Fatalf("not a bare *PolicyError: %#v", err)
			}
			if !strings.Contains(strings.Join(policyCodes, " "), pe.Code) || pe.Code == "" {
				t.Fatalf("unknown code %q", pe.Code)
			}
			if !strings.HasSuffix(pe.Message, ".") || pe.Error() != pe.Message {
				t.Fatalf("bad message %q", pe.Message)
			}
			return
		}
		n := utf8.RuneCountInString(password)
		if n < 8 || n > 128 || !utf8.ValidString(password) || strings.ContainsFunc(password, unicode.IsControl) ||
			strings.Contains(strings.ToLower(password), "meinsm") {
			t.Fatalf("accepted %q, which breaks a base rule", password)
		}
		if l == Guest {
			return
		}
		if !strings.ContainsFunc(password, unicode.IsUpper) || !strings.ContainsFunc(password, unicode.IsLower) ||
			!strings.ContainsFunc(password, unicode.IsDigit) ||
			!strings.ContainsFunc(password, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) }) {
			t.Fatalf("accepted %q for level %d without all four classes", password, level)
		}
		if err := CheckPassword(name, Guest, password); err != nil {
			t.Fatalf("accepted %q for management but not for a guest: %v", password, err)
		}
	})
}

func TestReservedNames(t *testing.T) {
	g := NewWithT(t)
	for _, name := range []string{"anonymous", "system"} {
		err := checkName(name)
		g.Expect(err).To(HaveOccurred())
		g.Expect(err.(*PolicyError).Code).To(Equal("invalid_name"))
	}
	g.Expect(checkName("systems")).To(Succeed())
}
