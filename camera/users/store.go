package users

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Clock tells the time. Lockouts are timed with it, so that tests and scenario runs drive them on
// virtual time.
type Clock interface{ Now() time.Time }

// Account is the persisted form of one user. Hash is an argon2id PHC string (see Hash); Default marks a
// password that is still the factory one, which only the built-in admin can have. Store hands out
// Accounts without Hash, except in Records, which is meant for persistence.
type Account struct {
	Name    string `json:"name"`
	Level   Level  `json:"level"`
	Hash    string `json:"hash"`
	Default bool   `json:"default,omitempty"`
	// DigestHA1 is MD5(name:realm:password) for RTSP Digest authentication (RFC 2617), which players
	// such as ffmpeg and VLC speak. It is a password equivalent for this realm only, kept beside the
	// argon2 hash in the owner-only state file; see DigestHA1.
	DigestHA1 string `json:"digest_ha1,omitempty"`
	// Rights are given on top of the level (see RightSupervisor, RightUnmask).
	Rights []string `json:"rights,omitempty"`
}

// builtinAdmin is the factory account. It always exists, is always an admin and cannot be deleted, so
// the owner can never lock themselves out of administration by managing accounts.
const builtinAdmin = "admin"

// Errors callers branch on.
var (
	// ErrBadCredentials is a failed login. Unknown names and wrong passwords both give it, so that a
	// login never reveals which names exist.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrNotFound is a management call on an account that does not exist.
	ErrNotFound = errors.New("no such user")
	// ErrExists is an Add of a name already taken (or a duplicate name in NewStore's records).
	ErrExists = errors.New("user already exists")
	// ErrLastAdmin refuses a Delete that would leave the camera without an admin account.
	ErrLastAdmin = errors.New("the last admin account cannot be removed")
	// ErrBuiltInAdmin refuses deleting the built-in "admin" account, which the camera always keeps.
	ErrBuiltInAdmin = errors.New("the built-in admin account cannot be deleted")
)

// Store is the camera's in-memory account directory. It is safe for concurrent use. Argon2 work (logins
// that miss the cache, Add, SetPassword) runs outside the lock that guards the directory, so a slow hash
// never stalls other requests; logins to one name are strictly sequential, so concurrent guesses cannot
// slip past the lockout.
type Store struct {
	clk    Clock
	random io.Reader // read only while write is held
	macKey []byte    // key of the verification cache, random per Store

	write sync.Mutex // serializes Add, Delete and SetPassword end to end, across their argon2 work

	mu       sync.Mutex // guards the fields below; never held during argon2
	lockout  Lockout
	accounts map[string]Account
	cache    map[string][sha256.Size]byte // name → HMAC of name and last verified password
	guards   map[[sha256.Size]byte]*guard // SHA-256 of a login name → its lockout state
	sweepAt  int                          // len(guards) at which idle guards are swept
}

// FactoryAccounts is the directory the camera ships with (and returns to on factory reset): the built-in
// admin with the factory password, marked Default so that the camera insists on a new one.
func FactoryAccounts(random io.Reader) ([]Account, error) {
	h, err := Hash(factoryPassword, random)
	if err != nil {
		return nil, fmt.Errorf("factory accounts: %w", err)
	}
	return []Account{{Name: builtinAdmin, Level: Admin, Hash: h, Default: true, DigestHA1: DigestHA1(builtinAdmin, factoryPassword)}}, nil
}

// NewStore builds a Store from persisted accounts, rejecting a directory that is corrupt or that breaks
// the invariants the rest of the camera relies on: every name is well formed and unique, every level is
// real, every hash parses, only the built-in admin carries Default, and the built-in admin exists and is
// an admin. Lockout counters always start empty. random supplies salts and the cache key.
func NewStore(clk Clock, lockout Lockout, accounts []Account, random io.Reader) (*Store, error) {
	if clk == nil {
		return nil, errors.New("new user store: no clock")
	}
	if random == nil {
		return nil, errors.New("new user store: no random source")
	}
	if err := lockout.Validate(); err != nil {
		return nil, fmt.Errorf("new user store: %w", err)
	}
	byName := make(map[string]Account, len(accounts))
	for i, a := range accounts {
		if err := checkAccount(a); err != nil {
			return nil, fmt.Errorf("new user store: account %d %q: %w", i, a.Name, err)
		}
		if _, dup := byName[a.Name]; dup {
			return nil, fmt.Errorf("new user store: account %d %q: %w", i, a.Name, ErrExists)
		}
		byName[a.Name] = a
	}
	if a, ok := byName[builtinAdmin]; !ok || a.Level != Admin {
		return nil, fmt.Errorf("new user store: the built-in %q account is missing or not an admin", builtinAdmin)
	}
	key := make([]byte, sha256.Size)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("new user store: read cache key: %w", err)
	}
	return &Store{
		clk:      clk,
		random:   random,
		macKey:   key,
		lockout:  lockout,
		accounts: byName,
		cache:    make(map[string][sha256.Size]byte),
		guards:   make(map[[sha256.Size]byte]*guard),
		sweepAt:  minSweep,
	}, nil
}

func checkAccount(a Account) error {
	if err := checkName(a.Name); err != nil {
		return err
	}
	if !a.Level.valid() {
		return fmt.Errorf("invalid level %d", int(a.Level))
	}
	if _, err := parseHash(a.Hash); err != nil {
		return err
	}
	if a.Default && a.Name != builtinAdmin {
		return errors.New("only the built-in admin can have the factory-default password")
	}
	if _, err := CheckRights(a.Rights); err != nil {
		return err
	}
	return nil
}

// Get returns the account called name, without its hash.
func (s *Store) Get(name string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[name]
	return withoutHash(a), ok
}

// List returns all accounts sorted by name, without their hashes, for showing to an admin.
func (s *Store) List() []Account {
	list := s.Records()
	for i := range list {
		list[i] = withoutHash(list[i])
	}
	return list
}

// Records returns all accounts sorted by name, with hashes: the camera persists them and hands them
// back to NewStore at start. The slice is a copy; changing it does not change the Store.
func (s *Store) Records() []Account {
	s.mu.Lock()
	list := make([]Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		list = append(list, a)
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b Account) int { return cmp.Compare(a.Name, b.Name) })
	return list
}

// Add creates an account. The name must be well formed and free (ErrExists), and the password must pass
// CheckPassword for the level; refusals wrap a *PolicyError.
func (s *Store) Add(name, password string, level Level) error {
	s.write.Lock()
	defer s.write.Unlock()
	if err := checkName(name); err != nil {
		return fmt.Errorf("add user: %w", err)
	}
	if !level.valid() {
		return fmt.Errorf("add user %q: invalid level %d", name, int(level))
	}
	if _, ok := s.Get(name); ok {
		return fmt.Errorf("add user %q: %w", name, ErrExists)
	}
	if err := CheckPassword(name, level, password); err != nil {
		return fmt.Errorf("add user %q: %w", name, err)
	}
	h, err := Hash(password, s.random)
	if err != nil {
		return fmt.Errorf("add user %q: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[name] = Account{Name: name, Level: level, Hash: h, DigestHA1: DigestHA1(name, password)}
	return nil
}

// Delete removes an account and forgets its cached password. The built-in admin cannot be deleted
// (ErrBuiltInAdmin), nor can the last admin (ErrLastAdmin). Lockout state of the name is kept, so that
// deleting and re-adding a name does not reset a lock.
func (s *Store) Delete(name string) error {
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[name]
	switch {
	case !ok:
		return fmt.Errorf("delete user %q: %w", name, ErrNotFound)
	case name == builtinAdmin:
		return fmt.Errorf("delete user %q: %w", name, ErrBuiltInAdmin)
	case a.Level == Admin && s.admins() == 1:
		return fmt.Errorf("delete user %q: %w", name, ErrLastAdmin)
	}
	delete(s.accounts, name)
	delete(s.cache, name)
	return nil
}

func (s *Store) admins() int {
	n := 0
	for _, a := range s.accounts {
		if a.Level == Admin {
			n++
		}
	}
	return n
}

// SetPassword replaces an account's password. The new password must pass CheckPassword for the
// account's level and differ from the current one (Code "unchanged"); refusals wrap a *PolicyError. It
// clears Default and forgets the cached password, so the old password stops working at once.
func (s *Store) SetPassword(name, password string) error {
	s.write.Lock()
	defer s.write.Unlock()
	s.mu.Lock()
	a, ok := s.accounts[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("set password of %q: %w", name, ErrNotFound)
	}
	if err := CheckPassword(name, a.Level, password); err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	same, err := VerifyHash(a.Hash, password)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	if same {
		return fmt.Errorf("set password of %q: %w", name,
			&PolicyError{codeUnchanged, "The new password must differ from the current one."})
	}
	h, err := Hash(password, s.random)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	a.Hash, a.Default, a.DigestHA1 = h, false, DigestHA1(name, password)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[name] = a
	delete(s.cache, name)
	return nil
}

// SetLockout changes the lockout rule. Locks already in force keep their end time; failures already
// recorded are judged by the new rule at the next failed login.
func (s *Store) SetLockout(l Lockout) error {
	if err := l.Validate(); err != nil {
		return fmt.Errorf("set lockout: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockout = l
	return nil
}

// AdminPasswordDefault reports whether the built-in admin still has the factory password; the API layer
// then refuses to persist admin changes until it is changed.
func (s *Store) AdminPasswordDefault() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accounts[builtinAdmin].Default
}

func withoutHash(a Account) Account {
	a.Hash, a.DigestHA1 = "", ""
	return a
}
