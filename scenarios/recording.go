package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/camera/record"
	"vsslab/scenarios/target"
)

// Helpers of the recording specs (PBD-2, ENC-1..3, DEL-1..4, ACC-2, DSR-2, MASK-2 and MASK-5 on
// recordings), written against docs/recording.md. The client side of end-to-end encryption is the
// library a client uses (vsslab/camera/record, what `vsslab decrypt` runs): the specs open NAS and
// card files with it and the keyword, as the owner of the records would.

// Byte patterns a plain record carries and ciphertext must not.
var (
	// jpegSOI is a JPEG's start (SOI, then the APP0 marker with its "JFIF" identifier): long enough
	// that random ciphertext does not hold it by chance (a bare FF D8 FF turns up about once in 16 MB).
	jpegSOI      = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'}
	plainMetaKey = []byte(`"kind"`)
)

// recordKeyword is the storage keyword the specs set; long and unusual, so that finding its bytes in
// a file is never chance.
const recordKeyword = "Lantern-Quartz-Ember-7319-vsslab"

// recordingWindow is how far around a spec's events its searches reach.
const recordingWindow = 6 * time.Hour

// flexID is an id the camera may send as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id %s is neither a string nor a number", b)
	}
	*f = flexID(n.String())
	return nil
}

// cameraEvent is one entry of GET /api/v1/events.
type cameraEvent struct {
	ID       flexID    `json:"id"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Source   string    `json:"source"`
	Armed    bool      `json:"armed"`
	Recorded bool      `json:"recorded"`
	Record   string    `json:"record"`
	Error    string    `json:"error"`
}

// recordingInfo is one entry of an image search (GET /api/v1/recordings).
type recordingInfo struct {
	ID        string    `json:"id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Frames    int       `json:"frames"`
	Kind      string    `json:"kind"`
	Encrypted bool      `json:"encrypted"`
}

// playedRecord is a record played back through the API (GET /api/v1/recordings/{id}).
type playedRecord struct {
	ID             string    `json:"id"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Kind           string    `json:"kind"`
	Encrypted      bool      `json:"encrypted"`
	PlaybackMasked bool      `json:"playback_masked"`
	Frames         []struct {
		Captured time.Time `json:"captured"`
		JPEG     []byte    `json:"jpeg"` // base64 in the JSON
	} `json:"frames"`
}

// patchStorage changes storage settings as the admin.
func (s *suite) patchStorage(ctx SpecContext, admin Cred, storage map[string]any) Response {
	GinkgoHelper()
	return s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"storage": storage})
}

// storageSettings reads the storage settings.
func (s *suite) storageSettings(ctx SpecContext, cred Cred) map[string]any {
	GinkgoHelper()
	st, ok := s.settings(ctx, cred)["storage"].(map[string]any)
	Expect(ok).To(BeTrue(), "the settings have a storage object")
	return st
}

// durationSetting parses a duration setting (Go duration text: "72h" and "72h0m0s" are the same).
func durationSetting(settings map[string]any, key string) time.Duration {
	GinkgoHelper()
	text, ok := settings[key].(string)
	Expect(ok).To(BeTrue(), "%s is a duration text: %v", key, settings[key])
	d, err := time.ParseDuration(text)
	Expect(err).NotTo(HaveOccurred(), key)
	return d
}

// armRecording arms general and storage arming, and records each event synchronously (no pre- or
// post-event time: the record is on the card before POST /api/v1/events answers). extra holds further
// storage settings for the same patch.
func (s *suite) armRecording(ctx SpecContext, admin Cred, extra map[string]any) {
	GinkgoHelper()
	storage := map[string]any{"pre_event": "0s", "post_event": "0s"}
	for k, v := range extra {
		storage[k] = v
	}
	// The video motion detector is switched off so that the spec's own events are the only ones:
	// the scene's people would otherwise raise motion events of their own (PBD-2 checks those).
	s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{
		"arming":  map[string]any{"general": true, "storage": true},
		"events":  map[string]any{"video_motion": false},
		"storage": storage,
	})
}

// setKeyword sets the storage keyword (and cipher and any other storage settings in extra), reboots,
// and checks that records are encrypted from now on (ENC-1).
func (s *suite) setKeyword(ctx SpecContext, admin Cred, extra map[string]any) {
	GinkgoHelper()
	storage := map[string]any{"keyword": recordKeyword}
	for k, v := range extra {
		storage[k] = v
	}
	resp := s.patchStorage(ctx, admin, storage)
	Expect(string(resp.Body)).NotTo(ContainSubstring(recordKeyword), "the answer to the patch does not echo the keyword")
	s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/reboot", nil)
	st := s.storageSettings(ctx, admin)
	Expect(st).To(HaveKeyWithValue("keyword_set", true))
	Expect(st).To(HaveKeyWithValue("encrypting", true))
}

// postEvent raises an event through the API and returns it as the camera answered.
func (s *suite) postEvent(ctx SpecContext, cred Cred, kind string) cameraEvent {
	GinkgoHelper()
	resp := s.expectStatus(ctx, 201, cred, "POST", "/api/v1/events", map[string]string{"kind": kind})
	var body struct {
		Event cameraEvent `json:"event"`
	}
	Expect(resp.JSON(&body)).To(Succeed())
	Expect(body.Event.Kind).To(Equal(kind))
	return body.Event
}

// recordEvent raises an event that must be recorded (storage armed, no post-event time) and returns
// it; its Record is the record's id.
func (s *suite) recordEvent(ctx SpecContext, cred Cred) cameraEvent {
	GinkgoHelper()
	ev := s.postEvent(ctx, cred, "manual")
	Expect(ev.Recorded).To(BeTrue(), "the event is recorded before the answer: %+v", ev)
	Expect(ev.Record).NotTo(BeEmpty())
	Expect(ev.Error).To(BeEmpty())
	return ev
}

// events lists the camera's recent events, oldest first.
func (s *suite) events(ctx SpecContext, cred Cred) []cameraEvent {
	GinkgoHelper()
	var body struct {
		Events []cameraEvent `json:"events"`
	}
	Expect(s.expectStatus(ctx, 200, cred, "GET", "/api/v1/events", nil).JSON(&body)).To(Succeed())
	return body.Events
}

// eventIDs is the set of the ids of events.
func eventIDs(events []cameraEvent) map[flexID]bool {
	out := map[flexID]bool{}
	for _, e := range events {
		out[e.ID] = true
	}
	return out
}

// newEvents are the events not in seen.
func newEvents(events []cameraEvent, seen map[flexID]bool) []cameraEvent {
	var out []cameraEvent
	for _, e := range events {
		if !seen[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

// searchPath is the image search over [from, to].
func searchPath(from, to time.Time) string {
	return "/api/v1/recordings?" + url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}.Encode()
}

// search lists the records overlapping [from, to].
func (s *suite) search(ctx SpecContext, cred Cred, from, to time.Time) []recordingInfo {
	GinkgoHelper()
	var body struct {
		Recordings []recordingInfo `json:"recordings"`
	}
	Expect(s.expectStatus(ctx, 200, cred, "GET", searchPath(from, to), nil).JSON(&body)).To(Succeed())
	return body.Recordings
}

// searchAround lists the records within recordingWindow of now.
func (s *suite) searchAround(ctx SpecContext, cred Cred, now time.Time) []recordingInfo {
	GinkgoHelper()
	return s.search(ctx, cred, now.Add(-recordingWindow), now.Add(recordingWindow))
}

// recordingIDs are the ids of a search result.
func recordingIDs(recs []recordingInfo) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func recordingPath(id string) string { return "/api/v1/recordings/" + url.PathEscape(id) }

// play plays a record back through the API and decodes every frame.
func (s *suite) play(ctx SpecContext, cred Cred, id string) (playedRecord, []*image.YCbCr) {
	GinkgoHelper()
	var rec playedRecord
	Expect(s.expectStatus(ctx, 200, cred, "GET", recordingPath(id), nil).JSON(&rec)).To(Succeed())
	Expect(rec.ID).To(Equal(id))
	Expect(rec.Frames).NotTo(BeEmpty(), "a record has frames")
	frames := make([]*image.YCbCr, 0, len(rec.Frames))
	for i, f := range rec.Frames {
		img, err := decodeYCbCr(f.JPEG)
		Expect(err).NotTo(HaveOccurred(), "frame %d of record %s", i, id)
		frames = append(frames, img)
	}
	return rec, frames
}

// expectGone checks that a record can no longer be played back: 404, or 410 expired.
func (s *suite) expectGone(ctx SpecContext, cred Cred, id string) int {
	GinkgoHelper()
	resp := s.do(ctx, cred, "GET", recordingPath(id), nil)
	Expect(resp.Status).To(BeElementOf(404, 410), "record %s: %s", id, resp)
	Expect(resp.Body).NotTo(ContainSubstring(`"frames"`))
	return resp.Status
}

// cardOf returns the target's card, or marks the spec not applicable.
func (s *suite) cardOf() target.Card {
	GinkgoHelper()
	c, ok := s.env.Target.(target.Card)
	if !ok {
		Skip("not applicable: the target's storage medium cannot be reached as someone holding the card")
	}
	return c
}

// truthAt returns a function that reads the ground truth at a past moment, or marks the spec not
// applicable.
func (s *suite) truthAt() func(time.Time) *image.YCbCr {
	GinkgoHelper()
	g, ok := s.env.Target.(target.Grounded)
	if !ok {
		Skip("not applicable: the target has no ground truth (the image before masking) to compare with")
	}
	return func(t time.Time) *image.YCbCr {
		GinkgoHelper()
		tr, err := g.TruthAt(t)
		Expect(err).NotTo(HaveOccurred())
		return tr.Image
	}
}

// newNAS makes a directory that stands for a mounted share and returns it with its storage.nas URL.
func newNAS() (dir, nasURL string) {
	GinkgoHelper()
	dir, err := filepath.Abs(GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	return dir, (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// recordName is a record's file name taken apart: g<gen>-<bucket start, Unix s>-<record id>.vsr.
type recordName struct {
	Name   string
	Gen    int
	Bucket time.Time
	ID     string
}

// parseRecordName parses a record file name; ok is false for other files (keyrings, torn records).
func parseRecordName(name string) (recordName, bool) {
	base, ok := strings.CutSuffix(name, ".vsr")
	if !ok || !strings.HasPrefix(base, "g") {
		return recordName{}, false
	}
	parts := strings.SplitN(base[1:], "-", 3)
	if len(parts) != 3 || parts[2] == "" {
		return recordName{}, false
	}
	gen, err1 := strconv.Atoi(parts[0])
	bucket, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return recordName{}, false
	}
	return recordName{Name: name, Gen: gen, Bucket: time.Unix(bucket, 0).UTC(), ID: parts[2]}, true
}

// recordFiles lists the record files directly in dir (a card or a NAS directory), by name. A missing
// directory has none.
func recordFiles(dir string) []recordName {
	GinkgoHelper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	var out []recordName
	for _, e := range entries {
		if rn, ok := parseRecordName(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, rn)
		}
	}
	return out
}

// recordFileOf is the name of record id's file in dir, or "".
func recordFileOf(dir, id string) string {
	GinkgoHelper()
	for _, rn := range recordFiles(dir) {
		if rn.ID == id {
			return rn.Name
		}
	}
	return ""
}

// fileNames are the names of record files.
func fileNames(rns []recordName) []string {
	out := make([]string, 0, len(rns))
	for _, rn := range rns {
		out = append(out, rn.Name)
	}
	return out
}

// readRecordFile reads a record file and checks that its clear header names the record id the API
// uses (the id in the file name is the hex of the header's record id).
func readRecordFile(dir, name string) ([]byte, record.Header) {
	GinkgoHelper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	Expect(err).NotTo(HaveOccurred())
	h, err := record.ReadHeader(raw)
	Expect(err).NotTo(HaveOccurred(), "record file %s", name)
	rn, ok := parseRecordName(name)
	Expect(ok).To(BeTrue())
	Expect(hex.EncodeToString(h.RecordID[:])).To(Equal(rn.ID), "the file name carries the header's record id")
	return raw, h
}

// hashFiles is the SHA-256 of every regular file directly in dir, by name.
func hashFiles(dir string) map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		Expect(err).NotTo(HaveOccurred())
		sum := sha256.Sum256(data)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

// filesContaining walks root recursively and returns the paths (relative to root) of the regular
// files holding any of the needles.
func filesContaining(root string, needles ...[]byte) []string {
	GinkgoHelper()
	var hits []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			// A transfer's temporary file renamed into place meanwhile: its final name is read
			// when the walk gets to it (temporary names begin with a dot and sort first).
			return nil
		}
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(data, n) {
				rel, _ := filepath.Rel(root, path)
				hits = append(hits, fmt.Sprintf("%s (holds %q)", rel, n))
			}
		}
		return nil
	})
	Expect(err).NotTo(HaveOccurred())
	return hits
}

// countFiles is the number of regular files under root.
func countFiles(root string) int {
	GinkgoHelper()
	n := 0
	Expect(filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})).To(Succeed())
	return n
}

// keyringName is the keyring file of generation gen beside the records on the NAS.
func keyringName(gen int) string { return fmt.Sprintf("keyring-g%d.json", gen) }

// keyringCache opens keyring files with the keyword as a client does, deriving the key again only
// when the file changed (argon2id with the camera's parameters takes a noticeable fraction of a
// second).
type keyringCache struct {
	sum [32]byte
	k   *record.Keyring
	err error
}

// open opens the keyring file at path with keyword.
func (c *keyringCache) open(path, keyword string) (*record.Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if c.k == nil && c.err == nil || sum != c.sum {
		c.sum = sum
		c.k, c.err = record.OpenKeyring(data, keyword, nil)
	}
	return c.k, c.err
}

// keyringJSON is the part of a keyring file a certifier reads without the keyword.
type keyringJSON struct {
	Cipher        string `json:"cipher"`
	BucketSeconds int64  `json:"bucket_seconds"`
	KDF           struct {
		Alg       string `json:"alg"`
		Time      uint32 `json:"time"`
		MemoryKiB uint32 `json:"memory_kib"`
		Threads   uint8  `json:"threads"`
	} `json:"kdf"`
	Buckets []struct {
		Start int64 `json:"start"`
	} `json:"buckets"`
	Destroyed []int64 `json:"destroyed"`
}

// readKeyringJSON parses a keyring file's clear members.
func readKeyringJSON(path string) keyringJSON {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var k keyringJSON
	Expect(json.Unmarshal(data, &k)).To(Succeed())
	return k
}

// openWithClient opens a record file's bytes with the client library: frames decoded as JPEG.
func openWithClient(k *record.Keyring, raw []byte) (record.Meta, []*image.YCbCr, error) {
	meta, frames, err := record.Open(k, raw)
	if err != nil {
		return meta, nil, err
	}
	out := make([]*image.YCbCr, 0, len(frames))
	for i, f := range frames {
		img, err := decodeYCbCr(f)
		if err != nil {
			return meta, nil, fmt.Errorf("frame %d: %w", i, err)
		}
		out = append(out, img)
	}
	return meta, out, nil
}

// errorClass names the client library's verdict on a record, for evidence.
func errorClass(err error) string {
	for _, e := range []error{record.ErrTorn, record.ErrTampered, record.ErrUnsupported, record.ErrKeyDestroyed, record.ErrUnknownBucket, record.ErrNeedKeyring} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	if err == nil {
		return "opened"
	}
	return err.Error()
}

// bucketStart is t floored to the granularity g, counted from the Unix epoch (docs/formats.md).
func bucketStart(t time.Time, g time.Duration) time.Time {
	sec := int64(g / time.Second)
	u := t.Unix()
	r := u % sec
	if r < 0 {
		r += sec
	}
	return time.Unix(u-r, 0).UTC()
}

// deadline is when a record of the bucket starting at bucket is past its deletion period p: the end
// of its bucket (granularity g) plus p.
func deadline(bucket time.Time, g, p time.Duration) time.Time { return bucket.Add(g).Add(p) }

// advanceTo moves the virtual clock forward to t.
func advanceTo(clk target.Clock, t time.Time) {
	GinkgoHelper()
	d := t.Sub(clk.Now())
	Expect(d).To(BeNumerically(">=", 0), "the clock is already past %s", t)
	Expect(clk.Advance(d)).To(Succeed())
}

// findBy returns the audit entries with the given action by actor ("" for any actor).
func findBy(entries []auditEntry, action, actor string) []auditEntry {
	var out []auditEntry
	for _, e := range entries {
		if e.Action == action && (actor == "" || e.Actor == actor) {
			out = append(out, e)
		}
	}
	return out
}

// addAccountWithRights creates an account at level with rights (docs/recording.md).
func (s *suite) addAccountWithRights(ctx SpecContext, admin Cred, name, level string, rights []string) Cred {
	GinkgoHelper()
	s.expectStatus(ctx, 201, admin, "POST", "/api/v1/users", map[string]any{"name": name, "password": operatorPassword, "level": level, "rights": rights})
	return Cred{name, operatorPassword}
}

// sortedKeys is the sorted keys of a set, for evidence.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// errIs reports whether err is one of targets.
func errIs(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
