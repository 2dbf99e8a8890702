package camera

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"vsslab/camera/nas"
	"vsslab/camera/settings"
	"vsslab/camera/state"
	"vsslab/camera/store"
)

// Files of the storage subsystem in the state directory.
const (
	deviceKeyFile = "device.key"
	nasKeyFile    = "nas_ed25519"
	keyDirName    = "storage"
)

// ErrNoCard is returned by recording functions on a camera built without a storage medium.
var ErrNoCard = fmt.Errorf("%w: this camera has no card", ErrUnsupported)

// openStore opens the record store on the card, creating the device key on first boot. It runs in
// boot, so a keyword set before a reboot takes effect here (ENC-1). Records found torn or damaged are
// set aside and audited.
func (c *Camera) openStore() (*store.Store, error) {
	if c.cfg.Card == nil {
		return nil, nil
	}
	devKey, err := c.secretFile(deviceKeyFile, func() ([]byte, error) {
		k := make([]byte, store.DeviceKeyLen)
		_, err := io.ReadFull(c.cfg.Random, k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	keyDir, err := c.dir.Join(keyDirName)
	if err != nil {
		return nil, err
	}
	st, aside, err := store.Open(store.Config{
		Medium: c.cfg.Card, KeyDir: keyDir, DeviceKey: devKey, Random: c.cfg.Random, KDF: c.cfg.KDF,
		Signal: c.kickNAS,
	})
	if err != nil {
		return nil, err
	}
	for _, a := range aside {
		c.record(system(), "storage.torn_record", a.Name, "failed", map[string]string{"reason": a.Reason, "handling": "set aside, never served"})
	}
	return st, nil
}

// secretFile reads a key file of the state directory, creating it with make on first use.
func (c *Camera) secretFile(name string, make func() ([]byte, error)) ([]byte, error) {
	b, err := c.dir.ReadFile(name)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, state.ErrNotExist) {
		return nil, err
	}
	if b, err = make(); err != nil {
		return nil, err
	}
	if err := c.dir.WriteFile(name, b); err != nil {
		return nil, err
	}
	return b, nil
}

// nasClientKey is the camera's own SSH key for SFTP, made at first use.
func (c *Camera) nasClientKey() (ssh.Signer, error) {
	b, err := c.secretFile(nasKeyFile, func() ([]byte, error) {
		_, priv, err := ed25519.GenerateKey(c.cfg.Random)
		if err != nil {
			return nil, err
		}
		return priv.Seed(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("NAS client key: %w", err)
	}
	if len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("NAS client key: %d bytes, want %d", len(b), ed25519.SeedSize)
	}
	return ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(b))
}

// cardUnavailable reports whether opening the record store failed on the card itself rather than on
// the camera's keys.
func cardUnavailable(err error) bool { return errors.Is(err, store.ErrCardUnavailable) }

// adoptCard opens the record store on a card that was unavailable at boot and answers now (the
// storage test found it writable), so recording resumes without a reboot. It does nothing while a
// store is open or on a camera without a card slot; a failure is audited and retried at the next test.
func (c *Camera) adoptCard() {
	c.mu.Lock()
	open := c.store != nil || c.cfg.Card == nil || c.halted != nil
	c.mu.Unlock()
	if open {
		return
	}
	st, err := c.openStore()
	if err != nil {
		c.record(system(), "storage.card_available", "", "failed", map[string]string{"reason": err.Error()})
		return
	}
	c.mu.Lock()
	if c.store != nil || c.halted != nil {
		c.mu.Unlock()
		return // a reboot opened one meanwhile
	}
	c.store = st
	c.mu.Unlock()
	c.record(system(), "storage.card_available", "", "ok", nil)
	c.kickNAS()
}

// storeOrErr returns the running store.
func (c *Camera) storeOrErr() (*store.Store, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == nil {
		return nil, ErrNoCard
	}
	return c.store, nil
}

// withStorageStatus fills in the read-only storage keys of s.
func (c *Camera) withStorageStatus(s settings.Settings, st *store.Store) settings.Settings {
	s.Storage.ShredGranularity = settings.Duration(store.BucketLength)
	if st != nil {
		s.Storage.KeywordSet = st.KeywordSet()
		s.Storage.Encrypting = st.Encrypting()
	}
	return s
}

// takeKeyword removes storage.keyword from a patch: the keyword is write-only and must never reach
// the settings, their file or the audit log. It returns the patch without it, and the keyword if one
// was given.
func takeKeyword(patch []byte) ([]byte, string, bool, error) {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return patch, "", false, nil // settings.Apply reports the syntax error
	}
	raw, ok := p["storage"]
	if !ok {
		return patch, "", false, nil
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil || st == nil {
		return patch, "", false, nil
	}
	kw, ok := st["keyword"]
	if !ok {
		return patch, "", false, nil
	}
	var keyword string
	if err := json.Unmarshal(kw, &keyword); err != nil {
		return nil, "", false, &settings.FieldError{Code: "invalid_value", Key: "storage.keyword", Message: "must be a JSON string"}
	}
	if n := len([]rune(keyword)); n < 8 || n > 256 || strings.TrimSpace(keyword) != keyword {
		return nil, "", false, &settings.FieldError{Code: "invalid_value", Key: "storage.keyword", Message: "must be 8 to 256 characters without leading or trailing spaces"}
	}
	delete(st, "keyword")
	if len(st) == 0 {
		delete(p, "storage")
	} else {
		b, _ := json.Marshal(st)
		p["storage"] = b
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, "", false, err
	}
	return out, keyword, true, nil
}

// StorageStatus is GET /api/v1/storage: the card, the NAS and the camera's SFTP key.
type StorageStatus struct {
	Card         CardStatus `json:"card"`
	NAS          NASStatus  `json:"nas"`
	StorageFull  bool       `json:"storage_full"`
	NASClientKey string     `json:"nas_client_key"`
}

// CardStatus describes the card as the store sees it.
type CardStatus struct {
	Present bool  `json:"present"`
	Records int   `json:"records"`
	Bytes   int64 `json:"bytes"`
}

// NASStatus describes the NAS queue.
type NASStatus struct {
	URL          string    `json:"url"`
	Pending      int       `json:"pending"`
	LastError    string    `json:"last_error,omitempty"`
	LastTransfer time.Time `json:"last_transfer,omitzero"`
}

// Storage reports the storage status.
func (c *Camera) Storage() (StorageStatus, error) {
	st, err := c.storeOrErr()
	if err != nil {
		return StorageStatus{}, err
	}
	n, size := st.Count()
	out := StorageStatus{Card: CardStatus{Present: true, Records: n, Bytes: size}}
	signer, err := c.nasClientKey()
	if err != nil {
		return StorageStatus{}, err
	}
	out.NASClientKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	s, _ := c.Settings()
	c.rec.mu.Lock()
	out.StorageFull = c.rec.full
	c.rec.mu.Unlock()
	c.nasState.Lock()
	out.NAS = NASStatus{URL: s.Storage.NAS, Pending: st.Pending(), LastError: c.nasState.lastErr, LastTransfer: c.nasState.last}
	c.nasState.Unlock()
	if u, err := nas.ParseURL(s.Storage.NAS); err == nil {
		out.NAS.URL = u.Redacted()
	}
	return out, nil
}

// kickNAS wakes the NAS worker without blocking.
func (c *Camera) kickNAS() {
	select {
	case c.nasKick <- struct{}{}:
	default:
	}
}

// kickJanitor wakes the shredding round without blocking.
func (c *Camera) kickJanitor() {
	select {
	case c.janitorKick <- struct{}{}:
	default:
	}
}

// janitor destroys the keys of buckets whose deletion period has ended, at their deadline on the
// camera's clock (DEL-1), and deletes their files.
func (c *Camera) janitor(stop <-chan struct{}) {
	var armed time.Time
	var due <-chan time.Time
	for {
		st, period := c.storeAndPeriod()
		if st != nil {
			if next := st.NextDeadline(period); !next.Equal(armed) {
				armed, due = next, nil
				if !next.IsZero() {
					due = c.cfg.Clock.Until(next)
				}
			}
		}
		select {
		case <-stop:
			return
		case <-c.janitorKick:
			continue
		case <-due:
		}
		armed, due = time.Time{}, nil
		if st == nil {
			continue
		}
		c.expire(st, period)
	}
}

// expire runs one shredding round and audits it.
func (c *Camera) expire(st *store.Store, period time.Duration) {
	ex, err := st.Expire(c.cfg.Clock.Now(), period)
	for gen, buckets := range ex.Shredded {
		for _, b := range buckets {
			c.record(system(), "recordings.shred", fmt.Sprintf("g%d/%s", gen, b.Format(time.RFC3339)), "ok",
				map[string]string{"deadline": store.Deadline(b, period).Format(time.RFC3339)})
		}
	}
	if ex.Removed > 0 {
		c.record(system(), "recordings.expire", "", "ok", map[string]string{"removed": fmt.Sprint(ex.Removed)})
	}
	if err != nil {
		c.record(system(), "recordings.expire", "", "failed", map[string]string{"reason": err.Error()})
	}
}

func (c *Camera) storeAndPeriod() (*store.Store, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store, time.Duration(c.settings.Storage.DeletionPeriod)
}

// nasRetry is how long the NAS worker waits after a failure before trying again on its own.
const nasRetry = 30 * time.Second

// nasReconcile is how often the worker compares the NAS with the card (DEL-2 for files it missed).
const nasReconcile = time.Hour

// nasCallTimeout bounds one round of NAS work in real time, whatever the clock.
const nasCallTimeout = 20 * time.Second

// nasWorker copies records to the NAS and deletes expired ones there. It owns the connection; the
// recorder only queues, so a NAS that is down or slow never delays recording.
func (c *Camera) nasWorker(stop <-chan struct{}) {
	var (
		target     nas.Target
		targetURL  string
		reconciled time.Time
		retry      <-chan time.Time
	)
	defer func() {
		if target != nil {
			_ = target.Close()
		}
	}()
	for {
		select {
		case <-stop:
			return
		case <-c.nasKick:
		case <-retry:
		}
		retry = nil
		st, period := c.storeAndPeriod()
		s, err := c.Settings()
		if err != nil || st == nil {
			continue
		}
		if s.Storage.NAS != targetURL || s.Storage.NASHostKey != c.nasState.hostKey() {
			if target != nil {
				_ = target.Close()
				target = nil
			}
			targetURL, reconciled = s.Storage.NAS, time.Time{}
			c.nasState.setHostKey(s.Storage.NASHostKey)
		}
		if targetURL == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), nasCallTimeout)
		err = func() error {
			if target == nil {
				t, err := c.openNAS(ctx, s.Storage)
				if err != nil {
					return err
				}
				target = t
			}
			now := c.cfg.Clock.Now()
			if reconciled.IsZero() || now.Sub(reconciled) >= nasReconcile {
				if _, err := st.Reconcile(ctx, nasTarget{target}, now, period); err != nil {
					return err
				}
				reconciled = now
				return nil
			}
			_, err := st.Sync(ctx, nasTarget{target})
			return err
		}()
		cancel()
		c.nasState.Lock()
		if err != nil {
			c.nasState.lastErr = err.Error()
		} else {
			c.nasState.lastErr = ""
			c.nasState.last = c.cfg.Clock.Now()
		}
		c.nasState.Unlock()
		if err != nil || st.Pending() > 0 {
			retry = c.cfg.Clock.After(nasRetry)
		}
	}
}

func (c *Camera) openNAS(ctx context.Context, st settings.Storage) (nas.Target, error) {
	o := nas.Options{}
	if c.cfg.Dialer != nil {
		o.Dial = c.cfg.Dialer.DialContext
	}
	if strings.HasPrefix(st.NAS, "sftp:") {
		signer, err := c.nasClientKey()
		if err != nil {
			return nil, err
		}
		hk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(st.NASHostKey))
		if err != nil {
			return nil, fmt.Errorf("NAS host key: %w", err)
		}
		o.ClientKey, o.HostKey = signer, hk
	}
	return nas.Open(ctx, st.NAS, o)
}

// nasTarget adapts a nas.Target to the store's view of it.
type nasTarget struct{ t nas.Target }

func (n nasTarget) Put(ctx context.Context, name string, data []byte) error {
	return n.t.Put(ctx, name, data)
}

func (n nasTarget) Remove(ctx context.Context, name string) error { return n.t.Remove(ctx, name) }

func (n nasTarget) List(ctx context.Context) ([]string, error) {
	files, err := n.t.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Name
	}
	return out, nil
}

// wipeStorage destroys the recording keys and the records (factory reset): with the device key and
// the keyrings gone, no copy of a record anywhere can be read again.
func (c *Camera) wipeStorage() error {
	keyDir, err := c.dir.Join(keyDirName)
	if err != nil {
		return err
	}
	for _, name := range []string{deviceKeyFile, nasKeyFile} {
		if err := c.dir.Remove(name); err != nil {
			return err
		}
	}
	if err := removeTree(keyDir); err != nil {
		return err
	}
	if c.cfg.Card == nil {
		return nil
	}
	names, err := c.cfg.Card.Names()
	if err != nil {
		return fmt.Errorf("list card: %w", err)
	}
	for _, n := range names {
		if err := c.cfg.Card.Remove(n); err != nil {
			return fmt.Errorf("wipe card: %w", err)
		}
	}
	return nil
}

// removeTree deletes a directory of the camera's own state.
func removeTree(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", filepath.Base(dir), err)
	}
	return nil
}

// nasState is the NAS worker's last outcome, for GET /api/v1/storage.
type nasState struct {
	sync.Mutex
	lastErr string
	last    time.Time
	hk      string
}

func (n *nasState) hostKey() string {
	n.Lock()
	defer n.Unlock()
	return n.hk
}

func (n *nasState) setHostKey(k string) {
	n.Lock()
	n.hk = k
	n.Unlock()
}
