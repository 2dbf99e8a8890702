package users

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// fakeClock is a settable clock: lockouts run on it without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seqRandom is a deterministic stand-in for crypto/rand: it yields next, next+1, … .
type seqRandom struct {
	mu   sync.Mutex
	next byte
}

func (r *seqRandom) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// factoryStore is a Store as the camera ships: only admin/meinsm.
func factoryStore(t *testing.T, clk Clock) *Store {
	t.Helper()
	accounts, err := FactoryAccounts(&seqRandom{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(clk, DefaultLockout(), accounts, &seqRandom{next: 100})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	bobPassword  = "Tr0ub4dor&3x"
	newAdminPass = "N3w-Adm1n-Pass"
)

func TestFactoryAccounts(t *testing.T) {
	g := NewWithT(t)
	accounts, err := FactoryAccounts(&seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(accounts).To(HaveLen(1))
	a := accounts[0]
	g.Expect(a.Name).To(Equal("admin"))
	g.Expect(a.Level).To(Equal(Admin))
	g.Expect(a.Default).To(BeTrue())
	g.Expect(a.Hash).To(HavePrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
	g.Expect(VerifyHash(a.Hash, "meinsm")).To(BeTrue())

	_, err = FactoryAccounts(strings.NewReader("short"))
	g.Expect(err).To(MatchError(ContainSubstring("factory accounts")))
}

func TestFactoryAdminMustChangePassword(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.AdminPasswordDefault()).To(BeTrue())

	a, err := s.Authenticate("admin", "meinsm")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a).To(Equal(Account{Name: "admin", Level: Admin, Default: true}), "no hash handed out")

	var pe *PolicyError
	g.Expect(errors.As(s.SetPassword("admin", "MEINSM"), &pe)).To(BeTrue())
	g.Expect(pe.Code).To(Equal("default_password"))
	g.Expect(s.AdminPasswordDefault()).To(BeTrue(), "a refused change changes nothing")

	g.Expect(s.SetPassword("admin", newAdminPass)).To(Succeed())
	g.Expect(s.AdminPasswordDefault()).To(BeFalse())
	g.Expect(s.Records()[0].Default).To(BeFalse())

	// The old password worked a moment ago and is cached; it must stop working at once.
	_, err = s.Authenticate("admin", "meinsm")
	g.Expect(err).To(MatchError(ErrBadCredentials))
	a, err = s.Authenticate("admin", newAdminPass)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Default).To(BeFalse())
}

func TestSetPasswordRefusals(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Add("bob", bobPassword, User)).To(Succeed())
	before := s.Records()

	var pe *PolicyError
	err := s.SetPassword("bob", bobPassword)
	g.Expect(errors.As(err, &pe)).To(BeTrue())
	g.Expect(pe.Code).To(Equal("unchanged"))
	g.Expect(err.Error()).NotTo(ContainSubstring(bobPassword))

	err = s.SetPassword("bob", "alllowercase1!")
	g.Expect(errors.As(err, &pe)).To(BeTrue())
	g.Expect(pe.Code).To(Equal("missing_class"), "the account's level decides the rules")

	g.Expect(s.SetPassword("nobody", bobPassword+"x")).To(MatchError(ErrNotFound))
	g.Expect(s.Records()).To(Equal(before))
}

func TestAdd(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Add("bob", bobPassword, User)).To(Succeed())
	g.Expect(s.Add("viewer", "just a long phrase", Guest)).To(Succeed(), "guests need only the base rules")

	var pe *PolicyError
	for _, name := range []string{"", "Bob", "-bob", ".bob", "bob smith", "böb", strings.Repeat("a", 33)} {
		err := s.Add(name, bobPassword, User)
		g.Expect(errors.As(err, &pe)).To(BeTrue(), name)
		g.Expect(pe.Code).To(Equal("invalid_name"))
	}
	g.Expect(s.Add(strings.Repeat("a", 32), bobPassword, User)).To(Succeed())
	g.Expect(s.Add("9.a_b-c", bobPassword, Guest)).To(Succeed())

	g.Expect(s.Add("bob", "Another1!pass", Admin)).To(MatchError(ErrExists))
	g.Expect(s.Add("admin", "Another1!pass", Admin)).To(MatchError(ErrExists))
	g.Expect(s.Add("carol", bobPassword, Level(0))).To(MatchError(ContainSubstring("invalid level")))
	g.Expect(errors.As(s.Add("carol", "carol-Pass1!", User), &pe)).To(BeTrue())
	g.Expect(pe.Code).To(Equal("contains_name"))
	_, ok := s.Get("carol")
	g.Expect(ok).To(BeFalse(), "a refused Add changes nothing")

	bob, ok := s.Get("bob")
	g.Expect(ok).To(BeTrue())
	g.Expect(bob).To(Equal(Account{Name: "bob", Level: User}))
	names := []string{}
	for _, a := range s.List() {
		g.Expect(a.Hash).To(BeEmpty())
		names = append(names, a.Name)
	}
	g.Expect(names).To(Equal([]string{"9.a_b-c", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "admin", "bob", "viewer"}))
}

func TestCaseVariantLoginRefused(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Add("bob", bobPassword, User)).To(Succeed())
	_, err := s.Authenticate("bob", strings.ToLower(bobPassword))
	g.Expect(err).To(MatchError(ErrBadCredentials))
	_, err = s.Authenticate("Bob", bobPassword)
	g.Expect(err).To(MatchError(ErrBadCredentials))
	a, err := s.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a).To(Equal(Account{Name: "bob", Level: User}))
}

func TestDelete(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Delete("admin")).To(MatchError(ErrBuiltInAdmin))
	g.Expect(s.Delete("ghost")).To(MatchError(ErrNotFound))

	g.Expect(s.Add("ops", "0ps-Admin-Key", Admin)).To(Succeed())
	_, err := s.Authenticate("ops", "0ps-Admin-Key")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Delete("ops")).To(Succeed())
	_, ok := s.Get("ops")
	g.Expect(ok).To(BeFalse())
	_, err = s.Authenticate("ops", "0ps-Admin-Key")
	g.Expect(err).To(MatchError(ErrBadCredentials), "the cached password went with the account")

	// Re-adding the name with another password must not revive the old one from the cache.
	g.Expect(s.Add("ops", "0ther-Admin-Key", Admin)).To(Succeed())
	_, err = s.Authenticate("ops", "0ps-Admin-Key")
	g.Expect(err).To(MatchError(ErrBadCredentials))
}

func TestDeleteLastAdmin(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Add("ops", "0ps-Admin-Key", Admin)).To(Succeed())
	g.Expect(s.Add("bob", bobPassword, User)).To(Succeed())
	// The built-in admin cannot go, so "last admin" is a second line of defence; reach it by breaking
	// the invariant from inside the package.
	s.mu.Lock()
	delete(s.accounts, "admin")
	s.mu.Unlock()
	g.Expect(s.Delete("ops")).To(MatchError(ErrLastAdmin))
	g.Expect(s.Delete("bob")).To(Succeed(), "non-admins can still go")
}

func TestNewStoreRejectsBadDirectories(t *testing.T) {
	hash, err := Hash("Some-Pass-1", &seqRandom{})
	if err != nil {
		t.Fatal(err)
	}
	admin := Account{Name: "admin", Level: Admin, Hash: hash}
	bob := Account{Name: "bob", Level: User, Hash: hash}
	with := func(a Account, change func(*Account)) Account { change(&a); return a }
	clk := newFakeClock()
	for name, tc := range map[string]struct {
		clk      Clock
		lockout  Lockout
		accounts []Account
		random   io.Reader // nil: a working one
		want     string
	}{
		"no clock":            {nil, DefaultLockout(), []Account{admin}, nil, "no clock"},
		"no random":           {clk, DefaultLockout(), []Account{admin}, strings.NewReader(""), "cache key"},
		"bad lockout":         {clk, Lockout{}, []Account{admin}, nil, "max failures"},
		"empty":               {clk, DefaultLockout(), nil, nil, "missing"},
		"upper-case name":     {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Name = "Bob" })}, nil, "user name must"},
		"empty name":          {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Name = "" })}, nil, "user name must"},
		"long name":           {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Name = strings.Repeat("b", 33) })}, nil, "user name must"},
		"zero level":          {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Level = 0 })}, nil, "invalid level 0"},
		"level 4":             {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Level = 4 })}, nil, "invalid level 4"},
		"empty hash":          {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Hash = "" })}, nil, "malformed"},
		"argon2i hash":        {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Hash = strings.Replace(hash, "argon2id", "argon2i", 1) })}, nil, "malformed"},
		"truncated hash":      {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Hash = hash[:len(hash)-10] })}, nil, "malformed"},
		"clear-text password": {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Hash = "Some-Pass-1" })}, nil, "malformed"},
		"duplicate":           {clk, DefaultLockout(), []Account{admin, bob, bob}, nil, "already exists"},
		"no admin account":    {clk, DefaultLockout(), []Account{with(bob, func(a *Account) { a.Level = Admin })}, nil, "missing or not an admin"},
		"admin not Admin":     {clk, DefaultLockout(), []Account{with(admin, func(a *Account) { a.Level = User }), with(bob, func(a *Account) { a.Level = Admin })}, nil, "missing or not an admin"},
		"default on bob":      {clk, DefaultLockout(), []Account{admin, with(bob, func(a *Account) { a.Default = true })}, nil, "factory-default"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			random := tc.random
			if random == nil {
				random = &seqRandom{}
			}
			s, err := NewStore(tc.clk, tc.lockout, tc.accounts, random)
			g.Expect(s).To(BeNil())
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(err.Error()).To(HavePrefix("new user store: "))
			g.Expect(err.Error()).NotTo(ContainSubstring(hash[30:]), "hashes stay out of messages")
		})
	}
	g := NewWithT(t)
	_, err = NewStore(clk, DefaultLockout(), []Account{admin}, nil)
	g.Expect(err).To(MatchError(ContainSubstring("no random source")))
	s, err := NewStore(clk, DefaultLockout(), []Account{bob, admin}, &seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Records()).To(Equal([]Account{admin, bob}))
}

func TestRecordsRoundTripThroughJSON(t *testing.T) {
	g := NewWithT(t)
	clk := newFakeClock()
	s := factoryStore(t, clk)
	g.Expect(s.Add("bob", bobPassword, User)).To(Succeed())
	g.Expect(s.Add("viewer", "just a long phrase", Guest)).To(Succeed())

	records := s.Records()
	records[0].Hash = "changed"
	g.Expect(s.Records()[0].Hash).NotTo(Equal("changed"), "Records is a copy")

	data, err := json.Marshal(s.Records())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(ContainSubstring(`"name":"admin","level":"admin","hash":"$argon2id$`))
	g.Expect(string(data)).To(ContainSubstring(`"default":true`))
	g.Expect(string(data)).To(ContainSubstring(`"name":"viewer","level":"guest"`))
	g.Expect(strings.Count(string(data), `"default"`)).To(Equal(1), "default is omitted when false")
	g.Expect(string(data)).NotTo(ContainSubstring(bobPassword))

	var back []Account
	g.Expect(json.Unmarshal(data, &back)).To(Succeed())
	s2, err := NewStore(clk, DefaultLockout(), back, &seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s2.Records()).To(Equal(s.Records()))
	g.Expect(s2.AdminPasswordDefault()).To(BeTrue())
	_, err = s2.Authenticate("bob", bobPassword)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestSetLockout(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.SetLockout(Lockout{MaxFailures: 0, Window: time.Minute, Duration: time.Minute})).
		To(MatchError(ContainSubstring("set lockout")))
	g.Expect(s.SetLockout(Lockout{MaxFailures: 1, Window: time.Minute, Duration: time.Minute})).To(Succeed())
	var le *LockedError
	_, err := s.Authenticate("admin", "wrong")
	g.Expect(errors.As(err, &le)).To(BeTrue(), "one failure locks under the new rule")
	g.Expect(le.JustLocked).To(BeTrue())
}

// FuzzNewStore feeds arbitrary account files to NewStore: a directory it accepts must hold exactly the
// given accounts, each well formed, with the built-in admin present.
func FuzzNewStore(f *testing.F) {
	good := `{"name":"admin","level":"admin","hash":"` + dummyHash + `","default":true}`
	f.Add(`[` + good + `]`)
	f.Add(`[` + good + `,{"name":"bob","level":"guest","hash":"` + dummyHash + `"}]`)
	f.Add(`[` + good + `,{"name":"Bob","level":"user","hash":"` + dummyHash + `"}]`)
	f.Add(`[` + good + `,` + good + `]`)
	f.Add(`[{"name":"admin","level":"user","hash":"` + dummyHash + `"}]`)
	f.Add(`[{"name":"admin","level":"admin","hash":"x"}]`)
	f.Add(`[]`)
	nameRE := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)
	f.Fuzz(func(t *testing.T, data string) {
		var accounts []Account
		if json.Unmarshal([]byte(data), &accounts) != nil {
			return
		}
		s, err := NewStore(newFakeClock(), DefaultLockout(), accounts, &seqRandom{})
		if err != nil {
			if s != nil {
				t.Fatal("store returned with an error")
			}
			return
		}
		want := slices.Clone(accounts)
		slices.SortFunc(want, func(a, b Account) int { return strings.Compare(a.Name, b.Name) })
		if got := s.Records(); !reflect.DeepEqual(got, want) {
			t.Fatalf("records %v, want %v", got, want)
		}
		admin, ok := s.Get("admin")
		if !ok || admin.Level != Admin {
			t.Fatal("accepted without the built-in admin")
		}
		for _, a := range accounts {
			if !nameRE.MatchString(a.Name) || !a.Level.valid() || (a.Default && a.Name != "admin") {
				t.Fatalf("accepted bad account %q", a.Name)
			}
			if _, err := parseHash(a.Hash); err != nil {
				t.Fatalf("accepted bad hash: %v", err)
			}
		}
	})
}
