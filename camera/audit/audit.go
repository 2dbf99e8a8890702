package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Clock gives the time stamps. The camera passes its clock (a virtual one in tests) so that the
// package never reads the system clock itself.
type Clock interface{ Now() time.Time }

// Record is what a caller says happened. Append turns it into an Entry.
type Record struct {
	Actor   string            // user name, "anonymous", or "system"
	Source  string            // the remote IP address of the request, or "local"
	Action  string            // dotted verb, e.g. "settings.change", "auth.lockout", "user.create"
	Target  string            // what it acted on, e.g. "microphone.enabled" or a user name; may be empty
	Outcome string            // "ok", "denied" or "failed"
	Detail  map[string]string // extra facts (old/new values...); may be nil; never secrets
}

// Entry is a stored Record with its place in the hash chain. Its JSON encoding is exactly one line of
// audit.log, and the hash is computed over that encoding (see the package documentation).
type Entry struct {
	Seq     uint64            `json:"seq"`  // 1, 2, 3, ... never reused
	Time    time.Time         `json:"time"` // from the clock, stored UTC with nanoseconds
	Actor   string            `json:"actor"`
	Source  string            `json:"source"`
	Action  string            `json:"action"`
	Target  string            `json:"target,omitempty"`
	Outcome string            `json:"outcome"`
	Detail  map[string]string `json:"detail,omitempty"`
	Prev    string            `json:"prev"` // hex SHA-256 of the previous entry (64 zeros at the chain start)
	Hash    string            `json:"hash"` // hex SHA-256 over prev and this entry's canonical form
}

// Outcomes a Record may report. They are the only three so that an export can be filtered without
// guessing at synonyms.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

var (
	// ErrInvalidRecord is returned by Append for a record it refuses (a required field missing, an
	// unknown outcome, a detail key that could hold a secret, a record too large for one line);
	// nothing is written. Callers branch on it to tell their own mistakes from I/O failures.
	ErrInvalidRecord = errors.New("invalid audit record")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("audit log is closed")
)

const (
	logName  = "audit.log"
	headName = "audit.head"
	headTemp = "audit.head.tmp"

	// maxLine bounds one line of audit.log. Records are small; the bound keeps a log padded with a
	// huge line from exhausting memory when the camera reads it at boot.
	maxLine = 64 << 10
	// maxSaneSeq is the largest seq Open continues from. A seq above it can only come from tampering
	// (nobody appends 2^53 entries), and continuing from it could overflow; 2^53 also keeps seqs exact
	// for verifiers that read JSON numbers as doubles.
	maxSaneSeq = 1 << 53
)

// chainStart is the Prev of entry 1 and the head hash of an empty log.
const chainStart = "0000000000000000000000000000000000000000000000000000000000000000"

// secretWords are detail keys refused as a guard against callers logging secrets. A key is refused
// when it, or one of its words ("new_password", "wifi.secret", "apiToken"), is one of them.
var secretWords = map[string]bool{"password": true, "secret": true, "token": true, "keyword": true}

// Log is an open audit trail. It is safe for concurrent use; one directory must be used by one Log.
type Log struct {
	dir string
	clk Clock

	mu     sync.Mutex
	closed bool
	next   uint64 // seq of the next entry
	prev   string // Prev of the next entry
	// keepHead is set when audit.head disagreed with the log at Open in a way no crash explains. The
	// head is then never rewritten, so that Verify keeps reporting the disagreement instead of the
	// next append quietly making the log look whole again.
	keepHead bool
}

// Open opens the audit trail in dir, creating the directory and its files if absent, and readies it
// to continue the chain. It repairs only what a power loss leaves behind (see the package
// documentation) and accepts a tampered log, so that editing the log cannot stop the camera; Verify
// reports the damage. Only I/O failures make it fail.
func Open(dir string, clk Clock) (*Log, error) {
	if dir == "" {
		return nil, errors.New("open audit log: no directory given")
	}
	if clk == nil {
		return nil, errors.New("open audit log: no clock given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, headTemp)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open audit log: remove stale head: %w", err)
	}
	h, hs, err := readHead(dir)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}

	logPath := filepath.Join(dir, logName)
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	c, before, last, err := scan(f, h, hs.valid)
	if err != nil {
		return nil, fmt.Errorf("open audit log: read %s: %w", logPath, err)
	}

	// A power loss during an append leaves at most one torn line, after the entry the head records.
	// Only such a line is removed; anything else is kept as evidence, on a line of its own.
	if last != nil {
		repaired := true
		switch {
		case last.err != nil && hs.valid && before.headSeen:
			if err := f.Truncate(last.start); err != nil {
				return nil, fmt.Errorf("open audit log: cut torn line from %s: %w", logPath, err)
			}
			c = before
		case !last.newline:
			if _, err := f.WriteAt([]byte{'\n'}, last.end); err != nil {
				return nil, fmt.Errorf("open audit log: end last line of %s: %w", logPath, err)
			}
		default:
			repaired = false
		}
		if repaired {
			if err := f.Sync(); err != nil {
				return nil, fmt.Errorf("open audit log: %s: %w", logPath, err)
			}
		}
	}

	l := &Log{dir: dir, clk: clk, next: 1, prev: chainStart}
	if c.tipSeen && isHex64(c.tipHash) {
		l.prev = c.tipHash
	}
	highest := c.maxSeq
	if hs.valid && h.Entries <= maxSaneSeq && h.Entries > highest {
		highest = h.Entries
	}
	l.next = highest + 1

	switch {
	case !hs.present && c.lines == 0:
		// A fresh directory, or a crash before the first head was written.
		if err := writeHead(dir, head{Entries: 0, Hash: chainStart}); err != nil {
			return nil, fmt.Errorf("open audit log: %w", err)
		}
	case hs.valid && c.headMatches(h):
	case hs.valid && c.lagsByOne(h):
		// The crash came between the log write and the head rename of the last append.
		if err := writeHead(dir, head{Entries: c.tipSeq, Hash: c.tipHash}); err != nil {
			return nil, fmt.Errorf("open audit log: %w", err)
		}
	default:
		l.keepHead = true
	}
	return l, nil
}

// Append records r: it validates it, stamps the time from the clock, chains it to the previous entry,
// writes it to audit.log with one write and fsync, and then updates audit.head. A refused record
// returns an error wrapping ErrInvalidRecord and writes nothing. If only the head update fails, the
// entry is on disk and is returned together with the error; the next append brings the head up to
// date.
func (l *Log) Append(r Record) (Entry, error) {
	r, err := normalize(r)
	if err != nil {
		return Entry{}, fmt.Errorf("append audit entry: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Entry{}, fmt.Errorf("append audit entry: %w", ErrClosed)
	}
	e := Entry{
		Seq:     l.next,
		Time:    l.clk.Now().UTC(),
		Actor:   r.Actor,
		Source:  r.Source,
		Action:  r.Action,
		Target:  r.Target,
		Outcome: r.Outcome,
		Detail:  r.Detail,
		Prev:    l.prev,
	}
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return Entry{}, fmt.Errorf("append audit entry: clock time %v cannot be stored", e.Time)
	}
	hash, err := entryHash(e)
	if err != nil {
		return Entry{}, fmt.Errorf("append audit entry: %w", err)
	}
	e.Hash = hash
	line, err := json.Marshal(e)
	if err != nil {
		return Entry{}, fmt.Errorf("append audit entry: %w", err)
	}
	if len(line) > maxLine {
		return Entry{}, fmt.Errorf("append audit entry: %w: %d bytes encoded, at most %d allowed",
			ErrInvalidRecord, len(line), maxLine)
	}
	if err := appendLine(filepath.Join(l.dir, logName), append(line, '\n')); err != nil {
		return Entry{}, fmt.Errorf("append audit entry %d: %w", e.Seq, err)
	}
	l.next = e.Seq + 1
	l.prev = e.Hash
	if !l.keepHead {
		if err := writeHead(l.dir, head{Entries: e.Seq, Hash: e.Hash}); err != nil {
			return e, fmt.Errorf("append audit entry %d: written, but %w", e.Seq, err)
		}
	}
	return e, nil
}

// Entries returns the entries with Seq > after, in the order of the file, read from disk so that an
// export shows what is stored rather than what this process remembers. It does not judge the chain
// (Verify does) and skips lines that are not readable entries, so a damaged log can still be exported.
func (l *Log) Entries(after uint64) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("read audit log: %w", ErrClosed)
	}
	path := filepath.Join(l.dir, logName)
	out := []Entry{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	err = readLines(f, func(ln *rawLine) {
		e, err := parseEntry(ln)
		if err == nil && e.Seq > after {
			out = append(out, e)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log %s: %w", path, err)
	}
	return out, nil
}

// Close ends the use of the log. Every write is already durable when Append returns, so Close only
// makes later calls fail with ErrClosed; calling it again does nothing.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

// normalize validates r and returns the form that is stored: invalid UTF-8 replaced by U+FFFD (JSON
// cannot carry it, and an entry must hash the same after a round trip through the file) and Detail
// copied, with an empty map stored as none.
func normalize(r Record) (Record, error) {
	clean := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	r.Actor, r.Source, r.Action = clean(r.Actor), clean(r.Source), clean(r.Action)
	r.Target, r.Outcome = clean(r.Target), clean(r.Outcome)
	switch {
	case r.Actor == "":
		return Record{}, fmt.Errorf("%w: actor is required", ErrInvalidRecord)
	case r.Action == "":
		return Record{}, fmt.Errorf("%w: action is required", ErrInvalidRecord)
	case r.Outcome == "":
		return Record{}, fmt.Errorf("%w: outcome is required", ErrInvalidRecord)
	case r.Outcome != OutcomeOK && r.Outcome != OutcomeDenied && r.Outcome != OutcomeFailed:
		return Record{}, fmt.Errorf("%w: outcome %q is not one of %q, %q, %q",
			ErrInvalidRecord, r.Outcome, OutcomeOK, OutcomeDenied, OutcomeFailed)
	}
	if len(r.Detail) == 0 {
		r.Detail = nil
		return r, nil
	}
	detail := make(map[string]string, len(r.Detail))
	for k, v := range r.Detail {
		k = clean(k)
		if secretKey(k) {
			return Record{}, fmt.Errorf("%w: detail key %q names a secret, and secrets are never logged",
				ErrInvalidRecord, k)
		}
		if _, dup := detail[k]; dup {
			return Record{}, fmt.Errorf("%w: detail key %q appears twice once made valid UTF-8",
				ErrInvalidRecord, k)
		}
		detail[k] = clean(v)
	}
	r.Detail = detail
	return r, nil
}

// secretKey tells whether a detail key, compared case-insensitively, or one of its words is a
// secretWord. Words are runs of letters, split at camelCase humps ("wifiPassword", "db_secret" and
// "token2" all count).
func secretKey(k string) bool {
	var word []rune
	found := false
	flush := func() {
		if secretWords[strings.ToLower(string(word))] {
			found = true
		}
		word = word[:0]
	}
	prevLower := false
	for _, r := range k {
		if !unicode.IsLetter(r) {
			flush()
			prevLower = false
			continue
		}
		if unicode.IsUpper(r) && prevLower {
			flush()
		}
		word = append(word, r)
		prevLower = !unicode.IsUpper(r)
	}
	flush()
	return found || secretWords[strings.ToLower(k)]
}

// canonical is the encoding the hash covers: the entry with Hash empty and Time in UTC.
func canonical(e Entry) ([]byte, error) {
	e.Hash = ""
	e.Time = e.Time.UTC()
	return json.Marshal(e)
}

// entryHash computes Hash for e from e.Prev and e's canonical form.
func entryHash(e Entry) (string, error) {
	c, err := canonical(e)
	if err != nil {
		return "", err
	}
	s := sha256.New()
	io.WriteString(s, e.Prev)
	s.Write([]byte{'\n'})
	s.Write(c)
	return hex.EncodeToString(s.Sum(nil)), nil
}

// appendLine appends line to the log file with a single write and fsync. The file is opened for each
// append, so a log file removed behind the camera's back is recreated rather than written into the
// void. If the file does not end in a newline (it was changed behind the camera's back) one is put in
// front, so the new entry stays a line of its own. A failed write is cut back off where possible.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	size := fi.Size()
	if size > 0 {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, size-1); err != nil {
			f.Close()
			return fmt.Errorf("read %s: %w", path, err)
		}
		if b[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		if f.Truncate(size) == nil {
			f.Sync()
		}
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if size == 0 {
		return syncDir(filepath.Dir(path))
	}
	return nil
}

// head is the content of audit.head.
type head struct {
	Entries uint64 `json:"entries"`
	Hash    string `json:"hash"`
}

// headState says what readHead found.
type headState struct {
	present bool   // the file exists
	valid   bool   // and holds a well-formed head
	problem string // why not, as a sentence fragment, when present but not valid
}

// readHead reads audit.head. Only I/O failures are errors; a missing or malformed head is reported
// in the state.
func readHead(dir string) (head, headState, error) {
	path := filepath.Join(dir, headName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return head{}, headState{}, nil
	}
	if err != nil {
		return head{}, headState{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return head{}, headState{}, fmt.Errorf("read %s: %w", path, err)
	}
	bad := func(why string) (head, headState, error) {
		return head{}, headState{present: true, problem: why}, nil
	}
	if len(data) > 4096 {
		return bad("it is larger than 4096 bytes")
	}
	trimmed := strings.TrimSpace(string(data))
	if !strings.HasPrefix(trimmed, "{") {
		return bad("it is not a JSON object")
	}
	var h head
	if err := json.Unmarshal([]byte(trimmed), &h); err != nil {
		return bad(fmt.Sprintf("it is not valid JSON (%v)", err))
	}
	if !isHex64(h.Hash) {
		return bad("its hash is not 64 lowercase hex digits")
	}
	if h.Entries == 0 && h.Hash != chainStart {
		return bad("it records no entries but a hash other than 64 zeros")
	}
	return h, headState{present: true, valid: true}, nil
}

// writeHead replaces audit.head atomically: temp file, fsync, rename, fsync of the directory.
func writeHead(dir string, h head) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, headTemp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", headName, err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, headName)); err != nil {
		return fmt.Errorf("write %s: %w", headName, err)
	}
	return syncDir(dir)
}

// syncDir makes a directory's entries (a created or renamed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// isHex64 tells whether s looks like a hash this package writes: 64 lowercase hex digits.
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
