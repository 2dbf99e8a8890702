package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Verification is what Verify found. It is meant to be shown to a certifier as it is, so Reason is a
// sentence and BrokenAt points at the first entry that cannot be trusted.
type Verification struct {
	OK       bool   `json:"ok"`
	Entries  int    `json:"entries"`             // entries that verified before any break (all of them when OK)
	BrokenAt uint64 `json:"broken_at,omitempty"` // seq of the first bad or missing entry (a 1-based line number when no seq can be read)
	Reason   string `json:"reason,omitempty"`    // what is wrong, e.g. "entry 7: hash does not match its content"
}

// Verify re-reads audit.log and audit.head from disk and checks the whole chain. For each line, in
// order: it is a readable entry; its seq is the previous seq + 1 (the first is 1); its prev is the
// previous entry's hash (64 zeros for the first); its hash recomputes; the line is exactly the
// canonical encoding of the entry. Then the head must record the last entry's seq and hash. The first
// failure is reported; a damaged log is a result, not an error. The error is only for I/O failures.
func (l *Log) Verify() (Verification, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Verification{}, fmt.Errorf("verify audit log: %w", ErrClosed)
	}
	h, hs, err := readHead(l.dir)
	if err != nil {
		return Verification{}, fmt.Errorf("verify audit log: %w", err)
	}
	path := filepath.Join(l.dir, logName)
	var c chain
	f, err := os.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Judged like an empty log: the head tells whether entries are missing.
		c = newChain(h, hs.valid)
	case err != nil:
		return Verification{}, fmt.Errorf("verify audit log: %w", err)
	default:
		defer f.Close()
		if c, _, _, err = scan(f, h, hs.valid); err != nil {
			return Verification{}, fmt.Errorf("verify audit log: read %s: %w", path, err)
		}
	}
	return c.result(h, hs), nil
}

// rawLine is one line of audit.log as read.
type rawLine struct {
	pos     uint64 // 1-based line number
	start   int64  // offset of its first byte
	end     int64  // offset after its last byte, newline included
	newline bool   // it ends in "\n" (only the last line of a file may not)
	tooLong bool   // it is longer than maxLine; data is then nil
	data    []byte // the line without its newline; valid only during the callback
}

// lineInfo is what Open needs to know about the last line after the scan.
type lineInfo struct {
	start, end int64
	newline    bool
	err        error // why it is not a readable entry, nil if it is
}

// readLines calls fn for each line of r, including a last line without newline. Lines longer than
// maxLine are passed without their data, so a huge line costs no memory.
func readLines(r io.Reader, fn func(*rawLine)) error {
	br := bufio.NewReaderSize(r, maxLine+1)
	var off int64
	var pos uint64
	for {
		ln := rawLine{start: off}
		chunk, err := br.ReadSlice('\n')
		off += int64(len(chunk))
		for err == bufio.ErrBufferFull {
			ln.tooLong = true
			chunk, err = br.ReadSlice('\n')
			off += int64(len(chunk))
		}
		if err != nil && err != io.EOF {
			return err
		}
		if off == ln.start {
			return nil // io.EOF with nothing left
		}
		pos++
		ln.pos, ln.end = pos, off
		ln.newline = err == nil
		if !ln.tooLong {
			ln.data = bytes.TrimSuffix(chunk, []byte{'\n'})
		}
		fn(&ln)
		if err == io.EOF {
			return nil
		}
	}
}

// parseEntry reads one line as an Entry. It does not check the chain.
func parseEntry(ln *rawLine) (Entry, error) {
	switch {
	case ln.tooLong:
		return Entry{}, fmt.Errorf("it is longer than %d bytes", maxLine)
	case len(ln.data) == 0:
		return Entry{}, errors.New("it is empty")
	case ln.data[0] != '{':
		return Entry{}, errors.New("it is not a JSON object")
	}
	var e Entry
	if err := json.Unmarshal(ln.data, &e); err != nil {
		return Entry{}, fmt.Errorf("it is not a valid entry (%v)", err)
	}
	return e, nil
}

// chain is the state of a scan of audit.log: how far the chain verifies, and where Open has to
// continue it. It is a plain value so that a scan can keep the state from before the last line.
type chain struct {
	lines uint64 // lines read

	// Verification: the part of the log that verified so far.
	seq      uint64 // seq of the last verified entry
	hash     string // its hash (chainStart before the first)
	verified int
	broken   bool
	brokenAt uint64
	reason   string

	// Continuation, over all readable entries whether they verify or not.
	maxSeq    uint64 // highest seq seen that is at most maxSaneSeq
	tipSeen   bool   // a readable entry was seen
	tipSeq    uint64 // seq, hash and prev of the last readable entry
	tipHash   string
	tipPrev   string
	tipIsLast bool // the last line read is that entry

	// headSeen is set once the entry the head records has been read (at once for an empty head).
	want     head
	headSeen bool
}

func newChain(h head, headValid bool) chain {
	return chain{hash: chainStart, want: h, headSeen: headValid && h.Entries == 0}
}

// scan reads the whole log. It returns the state after all lines, the state before the last line,
// and what the last line was (nil for an empty file).
func scan(r io.Reader, h head, headValid bool) (c, before chain, last *lineInfo, err error) {
	c = newChain(h, headValid)
	before = c
	err = readLines(r, func(ln *rawLine) {
		before = c
		e, perr := parseEntry(ln)
		c.add(ln, e, perr, headValid)
		last = &lineInfo{start: ln.start, end: ln.end, newline: ln.newline, err: perr}
	})
	return c, before, last, err
}

// add takes one line into the state.
func (c *chain) add(ln *rawLine, e Entry, perr error, headValid bool) {
	c.lines++
	c.tipIsLast = perr == nil
	if perr == nil {
		c.tipSeen, c.tipSeq, c.tipHash, c.tipPrev = true, e.Seq, e.Hash, e.Prev
		if e.Seq <= maxSaneSeq && e.Seq > c.maxSeq {
			c.maxSeq = e.Seq
		}
		if headValid && e.Seq == c.want.Entries && e.Hash == c.want.Hash {
			c.headSeen = true
		}
	}
	if c.broken {
		return
	}
	fail := func(at uint64, format string, args ...any) {
		c.broken, c.brokenAt, c.reason = true, at, fmt.Sprintf(format, args...)
	}
	if perr != nil {
		fail(ln.pos, "line %d: not a readable entry: %v", ln.pos, perr)
		return
	}
	want := c.seq + 1
	switch {
	case e.Seq == 0:
		fail(ln.pos, "line %d: seq 0 is not valid, seqs start at 1", ln.pos)
		return
	case e.Seq != want && c.seq == 0:
		fail(want, "log starts at entry %d instead of entry 1", e.Seq)
		return
	case e.Seq > want:
		// Broken at the entry that is missing: that is the one a deletion removed.
		fail(want, "entry %d missing: seq jumps from %d to %d", want, c.seq, e.Seq)
		return
	case e.Seq < want:
		fail(e.Seq, "entry %d out of order: it comes after entry %d", e.Seq, c.seq)
		return
	}
	if e.Prev != c.hash {
		if e.Seq == 1 {
			fail(e.Seq, "entry 1: prev is not the chain start (64 zeros)")
		} else {
			fail(e.Seq, "entry %d: prev does not match the hash of entry %d", e.Seq, c.seq)
		}
		return
	}
	if sum, err := entryHash(e); err != nil || sum != e.Hash {
		fail(e.Seq, "entry %d: hash does not match its content", e.Seq)
		return
	}
	if line, err := json.Marshal(e); err != nil || !bytes.Equal(line, ln.data) {
		fail(e.Seq, "entry %d: line is not in the canonical form the camera writes", e.Seq)
		return
	}
	c.seq, c.hash = e.Seq, e.Hash
	c.verified++
}

// headMatches tells whether the head records exactly the last line of the log.
func (c *chain) headMatches(h head) bool {
	if c.lines == 0 {
		return h.Entries == 0
	}
	return c.tipIsLast && c.tipSeq == h.Entries && c.tipHash == h.Hash
}

// lagsByOne tells whether the whole chain verifies and the head records the entry before the last:
// the state a crash between the log write and the head rename leaves.
func (c *chain) lagsByOne(h head) bool {
	return !c.broken && c.lines > 0 && c.seq == h.Entries+1 && c.tipPrev == h.Hash
}

// result turns the state after a full scan into a Verification, checking the head last.
func (c *chain) result(h head, hs headState) Verification {
	if c.broken {
		return Verification{Entries: c.verified, BrokenAt: c.brokenAt, Reason: c.reason}
	}
	n := c.seq
	all := Verification{Entries: c.verified}
	switch {
	case !hs.present:
		all.Reason = fmt.Sprintf("%s is missing, so entries cut off the end cannot be ruled out", headName)
		return all
	case !hs.valid:
		all.Reason = fmt.Sprintf("%s is unreadable: %s", headName, hs.problem)
		return all
	case n < h.Entries:
		all.BrokenAt = n + 1
		all.Reason = fmt.Sprintf("log ends at entry %d but the head records %d entries", n, h.Entries)
		return all
	case n == h.Entries && c.hash != h.Hash:
		return Verification{Entries: c.verified - 1, BrokenAt: n,
			Reason: fmt.Sprintf("entry %d: hash differs from the one %s records", n, headName)}
	case n > h.Entries && !c.headSeen:
		return Verification{Entries: int(h.Entries) - 1, BrokenAt: h.Entries,
			Reason: fmt.Sprintf("entry %d: hash differs from the one %s records", h.Entries, headName)}
	case n > h.Entries:
		return Verification{Entries: int(h.Entries), BrokenAt: h.Entries + 1,
			Reason: fmt.Sprintf("log has %d entries but the head records only %d", n, h.Entries)}
	}
	return Verification{OK: true, Entries: c.verified}
}
