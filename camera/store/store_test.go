package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera/record"
)

// memCard is a medium in memory with the faults the store must survive.
type memCard struct {
	mu       sync.Mutex
	files    map[string][]byte
	capacity int
	tearAt   int // >0: the next write keeps only this many bytes and fails
}

func newMemCard() *memCard { return &memCard{files: map[string][]byte{}, capacity: 1 << 30} }

func (m *memCard) used() int {
	n := 0
	for _, b := range m.files {
		n += len(b)
	}
	return n
}

func (m *memCard) Write(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.used()+len(data) > m.capacity {
		return fmt.Errorf("card: %w", ErrFull)
	}
	if m.tearAt > 0 {
		m.files[name] = bytes.Clone(data[:m.tearAt])
		m.tearAt = 0
		return errors.New("card write error")
	}
	m.files[name] = bytes.Clone(data)
	return nil
}

func (m *memCard) Read(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("card: %w", ErrNotFound)
	}
	return bytes.Clone(b), nil
}

func (m *memCard) Names() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (m *memCard) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, name)
	return nil
}

func (m *memCard) Rename(o, n string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[o]
	if !ok {
		return ErrNotFound
	}
	delete(m.files, o)
	m.files[n] = b
	return nil
}

// memNAS is a NAS target in memory that can be taken down.
type memNAS struct {
	memCard
	down bool
}

func (n *memNAS) Put(_ context.Context, name string, data []byte) error {
	if n.down {
		return errors.New("nas unreachable")
	}
	return n.Write(name, data)
}

func (n *memNAS) List(context.Context) ([]string, error) {
	if n.down {
		return nil, errors.New("nas unreachable")
	}
	return n.Names()
}

func (n *memNAS) Remove(_ context.Context, name string) error {
	if n.down {
		return errors.New("nas unreachable")
	}
	return n.memCard.Remove(name)
}

var (
	t0      = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	cheap   = record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	devKey  = bytes.Repeat([]byte{7}, DeviceKeyLen)
	period  = 72 * time.Hour
	keyword = "a storage keyword"
)

func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func openStore(t *testing.T, card Medium, dir string) (*Store, []SetAside) {
	t.Helper()
	s, aside, err := Open(Config{Medium: card, KeyDir: dir, DeviceKey: devKey, Random: seeded(uint64(len(dir))), KDF: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return s, aside
}

func event(at time.Time, kind string) (record.Meta, [][]byte) {
	frames := [][]byte{[]byte("\xff\xd8\xff frame one " + kind), []byte("\xff\xd8\xff frame two")}
	return record.Meta{Start: at, End: at.Add(time.Second), Kind: kind, FrameTimes: []time.Time{at, at.Add(time.Second)}}, frames
}

func write(t *testing.T, s *Store, at time.Time) Entry {
	t.Helper()
	m, f := event(at, "manual")
	e, err := s.Write(m, f)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKeywordTakesEffectAtNextOpen(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	plain := write(t, s, t0)
	g.Expect(plain.Encrypted).To(BeFalse())

	g.Expect(s.SetKeyword(keyword, record.AES256GCM)).To(Succeed())
	g.Expect(s.KeywordSet()).To(BeTrue())
	g.Expect(s.Encrypting()).To(BeFalse(), "not before the reboot")
	still := write(t, s, t0.Add(time.Minute))
	g.Expect(still.Encrypted).To(BeFalse())
	before := bytes.Clone(card.files[plain.Name])

	s, _ = openStore(t, card, dir) // reboot
	g.Expect(s.Encrypting()).To(BeTrue())
	enc := write(t, s, t0.Add(2*time.Minute))
	g.Expect(enc.Encrypted).To(BeTrue())
	g.Expect(enc.Name).To(HavePrefix("g1-"))
	raw := card.files[enc.Name]
	g.Expect(bytes.Contains(raw, []byte("\xff\xd8\xff"))).To(BeFalse(), "no JPEG marker in ciphertext")
	g.Expect(bytes.Contains(raw, []byte("manual"))).To(BeFalse(), "no plaintext metadata")
	g.Expect(card.files[plain.Name]).To(Equal(before), "earlier records stay as they were")

	for _, e := range []Entry{plain, still, enc} {
		meta, frames, err := s.Read(e.ID, t0.Add(time.Hour), period)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(frames).To(HaveLen(2))
		g.Expect(meta.Kind).To(Equal("manual"))
	}

	// The keyword is stored nowhere; the NAS copy of the keyring opens with it.
	nas := &memNAS{memCard: *newMemCard()}
	_, err := s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	k, err := record.OpenKeyring(nas.files[NASKeyringName(1)], keyword, nil)
	g.Expect(err).NotTo(HaveOccurred())
	_, frames, err := record.Open(k, nas.files[enc.Name])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(frames).To(HaveLen(2))
	_, err = record.OpenKeyring(nas.files[NASKeyringName(1)], "wrong keyword", nil)
	g.Expect(err).To(MatchError(record.ErrWrongKeyword))
}

func TestAnotherDeviceKeyCannotReopen(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.XTEA128)).To(Succeed())
	_, _, err := Open(Config{Medium: card, KeyDir: dir, DeviceKey: bytes.Repeat([]byte{8}, DeviceKeyLen), Random: seeded(1)})
	g.Expect(err).To(MatchError(ContainSubstring("another device key")))
}

func TestExpireShredsAtTheDeadlineAndNeverBefore(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.AES256GCM)).To(Succeed())
	s, _ = openStore(t, card, dir)
	at := t0.Add(10 * time.Minute)
	e := write(t, s, at)
	later := write(t, s, t0.Add(2*time.Hour))
	deadline := Deadline(bucketStart(at), period)
	g.Expect(deadline).To(Equal(t0.Add(time.Hour + period)))

	ex, err := s.Expire(deadline.Add(-time.Second), period)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ex.Removed).To(BeZero())
	_, _, err = s.Read(e.ID, deadline.Add(-time.Second), period)
	g.Expect(err).NotTo(HaveOccurred(), "readable until the deadline")

	_, _, err = s.Read(e.ID, deadline, period)
	g.Expect(err).To(MatchError(ErrExpired), "refused at the deadline even before the round")
	g.Expect(s.Search(t0, t0.Add(time.Hour), deadline, period)).To(BeEmpty())

	raw := bytes.Clone(card.files[e.Name])
	ex, err = s.Expire(deadline, period)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ex.Removed).To(Equal(1))
	g.Expect(ex.Shredded[1]).To(Equal([]time.Time{bucketStart(at)}))
	g.Expect(card.files).NotTo(HaveKey(e.Name))
	g.Expect(card.files).To(HaveKey(later.Name))

	// A copy of the raw record (a NAS, a card image) is unreadable with the keyword and the keyring
	// as it stands now.
	nas := &memNAS{memCard: *newMemCard()}
	_, err = s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	k, err := record.OpenKeyring(nas.files[NASKeyringName(1)], keyword, nil)
	g.Expect(err).NotTo(HaveOccurred())
	_, _, err = record.Open(k, raw)
	g.Expect(err).To(MatchError(record.ErrKeyDestroyed))

	// After a reboot the shredded bucket stays shredded.
	s, _ = openStore(t, card, dir)
	_, _, err = s.Read(later.ID, deadline, period)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestPlainRecordsAreDeletedAtTheirDeadline(t *testing.T) {
	g := NewWithT(t)
	card := newMemCard()
	s, _ := openStore(t, card, t.TempDir())
	e := write(t, s, t0)
	ex, err := s.Expire(Deadline(e.Bucket, period), period)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ex.Removed).To(Equal(1))
	g.Expect(card.files).To(BeEmpty())
}

func TestFullCardDeletesNothing(t *testing.T) {
	g := NewWithT(t)
	card := newMemCard()
	s, _ := openStore(t, card, t.TempDir())
	e := write(t, s, t0)
	card.capacity = card.used()
	m, f := event(t0.Add(time.Minute), "manual")
	_, err := s.Write(m, f)
	g.Expect(err).To(MatchError(ErrFull))
	g.Expect(card.files).To(HaveLen(1))
	_, _, err = s.Read(e.ID, t0.Add(time.Minute), period)
	g.Expect(err).NotTo(HaveOccurred())
}

// goneCard is a medium that does not answer: a card missing or without power.
type goneCard struct{ *memCard }

func (goneCard) Names() ([]string, error) { return nil, errors.New("card removed") }

func TestOpenTellsAMissingCardFromTheCamerasKeys(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, _, err := Open(Config{Medium: goneCard{newMemCard()}, KeyDir: dir, DeviceKey: devKey, Random: seeded(1)})
	g.Expect(err).To(MatchError(ErrCardUnavailable), "the camera boots without the card")
	g.Expect(err).To(MatchError(ContainSubstring("card removed")))
	card := newMemCard()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.XTEA128)).To(Succeed())
	_, _, err = Open(Config{Medium: card, KeyDir: dir, DeviceKey: bytes.Repeat([]byte{8}, DeviceKeyLen), Random: seeded(1)})
	g.Expect(err).NotTo(MatchError(ErrCardUnavailable), "a key the camera cannot open is not the card's fault")
}

func TestTornRecordsAreSetAsideAtOpen(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.AES256GCM)).To(Succeed())
	s, _ = openStore(t, card, dir)
	good := write(t, s, t0)
	card.tearAt = 50
	m, f := event(t0.Add(time.Minute), "manual")
	_, err := s.Write(m, f)
	g.Expect(err).To(HaveOccurred())
	names, _ := card.Names()
	g.Expect(names).To(HaveLen(2), "the torn file is left by the power cut")

	s, aside := openStore(t, card, dir)
	g.Expect(aside).To(HaveLen(1))
	g.Expect(aside[0].Reason).To(ContainSubstring("torn"))
	names, _ = card.Names()
	g.Expect(slices.ContainsFunc(names, func(n string) bool { return len(n) > 5 && n[len(n)-5:] == ".torn" })).To(BeTrue())
	g.Expect(s.Search(t0.Add(-time.Hour), t0.Add(time.Hour), t0, period)).To(HaveLen(1))
	_, _, err = s.Read(good.ID, t0, period)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestEraseRemovesTheWindowOnly(t *testing.T) {
	g := NewWithT(t)
	card := newMemCard()
	s, _ := openStore(t, card, t.TempDir())
	var es []Entry
	for i := range 5 {
		es = append(es, write(t, s, t0.Add(time.Duration(i)*10*time.Minute)))
	}
	nas := &memNAS{memCard: *newMemCard()}
	_, err := s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nas.files).To(HaveLen(5))

	n, err := s.Erase(t0.Add(15*time.Minute), t0.Add(35*time.Minute))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(2))
	_, _, err = s.Read(es[2].ID, t0, period)
	g.Expect(err).To(MatchError(ErrNotFound))
	_, _, err = s.Read(es[1].ID, t0, period)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nas.files).To(HaveLen(3))
	g.Expect(nas.files).NotTo(HaveKey(es[3].Name))
}

func TestNASDownKeepsTheQueue(t *testing.T) {
	g := NewWithT(t)
	card := newMemCard()
	s, _ := openStore(t, card, t.TempDir())
	nas := &memNAS{memCard: *newMemCard(), down: true}
	write(t, s, t0)
	write(t, s, t0.Add(time.Minute))
	_, err := s.Sync(context.Background(), nas)
	g.Expect(err).To(HaveOccurred())
	g.Expect(s.Pending()).To(Equal(2))
	nas.down = false
	n, err := s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(2))
	g.Expect(s.Pending()).To(BeZero())
}

func TestReconcileRemovesWhatTheCameraNoLongerHolds(t *testing.T) {
	g := NewWithT(t)
	card := newMemCard()
	s, _ := openStore(t, card, t.TempDir())
	e := write(t, s, t0)
	nas := &memNAS{memCard: *newMemCard()}
	old := recordName(0, t0.Add(-100*time.Hour), "00112233445566778899aabbccddeeff")
	nas.files[old] = []byte("an old record")
	nas.files["notes.txt"] = []byte("not ours")
	_, err := s.Reconcile(context.Background(), nas, t0, period)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(nas.files).To(HaveKey(e.Name))
	g.Expect(nas.files).NotTo(HaveKey(old))
	g.Expect(nas.files).To(HaveKey("notes.txt"), "only record files are the camera's business")
}

func TestParseName(t *testing.T) {
	g := NewWithT(t)
	name := recordName(3, bucketStart(t0.Add(90*time.Minute)), "ab")
	gen, b, ok := parseName(name)
	g.Expect(ok).To(BeTrue())
	g.Expect(gen).To(Equal(3))
	g.Expect(b).To(Equal(t0.Add(time.Hour)))
	for _, bad := range []string{"x.vsr", "g1-2.vsr", "g-1-2-3.vsr", "g1-x-3.vsr", "g1-2-3.vsr.torn", "g1-2-3"} {
		_, _, ok := parseName(bad)
		g.Expect(ok).To(BeFalse(), bad)
	}
}

// FuzzParseName: record names come from card and NAS listings, which others can write to. A name
// is either refused or parsed into a generation and bucket that name the same record again.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"g1-1767225600-00ff.vsr", "g0-0-a.vsr", "g-1-2-3.vsr", "g99999999999999999999-1-a.vsr", "keyring-g1.json", "g1--5-a.vsr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		gen, bucket, ok := parseName(name)
		if !ok {
			return
		}
		if gen < 0 {
			t.Fatalf("negative generation from %q", name)
		}
		again, b2, ok := parseName(recordName(gen, bucket, "ab"))
		if !ok || again != gen || !b2.Equal(bucket) {
			t.Fatalf("%q: generation %d bucket %v do not round-trip", name, gen, bucket)
		}
	})
}

func TestASecondKeywordKeepsTheFirstGenerationReadable(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.AES256GCM)).To(Succeed())
	s, _ = openStore(t, card, dir)
	first := write(t, s, t0)
	g.Expect(s.SetKeyword("another storage keyword", record.XTEA128)).To(Succeed())
	s, _ = openStore(t, card, dir)
	second := write(t, s, t0.Add(time.Minute))
	g.Expect(first.Name).To(HavePrefix("g1-"))
	g.Expect(second.Name).To(HavePrefix("g2-"))
	for _, e := range []Entry{first, second} {
		_, frames, err := s.Read(e.ID, t0.Add(time.Hour), period)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(frames).To(HaveLen(2))
	}
	h, err := record.ReadHeader(card.files[second.Name])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Cipher).To(Equal(record.XTEA128))
}

// hookNAS runs a hook before its first Put of a given name: the camera writing a record while a
// NAS round is under way.
type hookNAS struct {
	memNAS
	name string
	hook func()
}

func (n *hookNAS) Put(ctx context.Context, name string, data []byte) error {
	if name == n.name && n.hook != nil {
		hook := n.hook
		n.hook = nil
		hook()
	}
	return n.memNAS.Put(ctx, name, data)
}

// Every record on the NAS opens with the NAS's own keyring after every round, even when a record in a
// new bucket is written while the keyring is being copied: a record must never reach the NAS before
// the keyring that opens it, and the keyring's later change must not be lost.
func TestNASNeverHoldsARecordItsKeyringCannotOpen(t *testing.T) {
	g := NewWithT(t)
	card, dir := newMemCard(), t.TempDir()
	s, _ := openStore(t, card, dir)
	g.Expect(s.SetKeyword(keyword, record.AES256GCM)).To(Succeed())
	s, _ = openStore(t, card, dir)
	first := write(t, s, t0)
	var later Entry
	nas := &hookNAS{memNAS: memNAS{memCard: *newMemCard()}, name: NASKeyringName(1)}
	nas.hook = func() { later = write(t, s, t0.Add(3*time.Hour)) }
	opensAll := func(round string) []string {
		k, err := record.OpenKeyring(nas.files[NASKeyringName(1)], keyword, nil)
		g.Expect(err).NotTo(HaveOccurred(), round)
		var names []string
		for name, data := range nas.files {
			if strings.HasSuffix(name, ".vsr") {
				_, _, err := record.Open(k, data)
				g.Expect(err).NotTo(HaveOccurred(), "%s: %s on the NAS opens with the NAS keyring", round, name)
				names = append(names, name)
			}
		}
		return names
	}
	_, err := s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(later.Name).NotTo(BeEmpty(), "the hook wrote during the round")
	g.Expect(opensAll("first round")).To(ConsistOf(first.Name))
	g.Expect(s.Pending()).To(BeNumerically(">", 0), "the later record and its keyring wait for the next round")
	_, err = s.Sync(context.Background(), nas)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(opensAll("second round")).To(ConsistOf(first.Name, later.Name))
	g.Expect(s.Pending()).To(BeZero())
}
