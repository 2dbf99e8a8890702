package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// fiveEntries writes a log of five entries in a fresh directory and returns the directory, the log
// and the entries.
func fiveEntries(t *testing.T) (string, *Log, []Entry) {
	t.Helper()
	dir := t.TempDir()
	l := openLog(t, dir)
	return dir, l, appendN(t, l, 5)
}

func verify(t *testing.T, l *Log) Verification {
	t.Helper()
	v, err := l.Verify()
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return v
}

func TestHashFollowsDocumentedFormula(t *testing.T) {
	g := NewWithT(t)
	dir, _, written := fiveEntries(t)
	prev := "0000000000000000000000000000000000000000000000000000000000000000"
	for i, line := range logLines(t, dir) {
		// What an outside verifier does: empty the final hash member and hash prev + "\n" + that.
		suffix := []byte(`"hash":"` + written[i].Hash + `"}`)
		g.Expect(bytes.HasSuffix(line, suffix)).To(BeTrue())
		canon := append(bytes.TrimSuffix(bytes.Clone(line), suffix), `"hash":""}`...)
		sum := sha256.Sum256(append([]byte(prev+"\n"), canon...))
		g.Expect(hex.EncodeToString(sum[:])).To(Equal(written[i].Hash), "entry %d", i+1)
		g.Expect(bytes.Contains(line, []byte(`"prev":"`+prev+`"`))).To(BeTrue())
		prev = written[i].Hash
	}
}

func TestVerifyDetectsEditedField(t *testing.T) {
	cases := map[string]func(line []byte) []byte{
		"actor": func(line []byte) []byte {
			return bytes.Replace(line, []byte(`"actor":"user3"`), []byte(`"actor":"mallory"`), 1)
		},
		"outcome": func(line []byte) []byte {
			return bytes.Replace(line, []byte(`"outcome":"ok"`), []byte(`"outcome":"denied"`), 1)
		},
		"detail value": func(line []byte) []byte {
			return bytes.Replace(line, []byte(`"new":"true"`), []byte(`"new":"false"`), 1)
		},
		"time": func(line []byte) []byte {
			return bytes.Replace(line, []byte(`"time":"2026-03-01T`), []byte(`"time":"2026-03-02T`), 1)
		},
		"target removed": func(line []byte) []byte {
			return bytes.Replace(line, []byte(`"target":"microphone.enabled",`), nil, 1)
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir, l, _ := fiveEntries(t)
			lines := logLines(t, dir)
			edited := edit(bytes.Clone(lines[2]))
			g.Expect(edited).NotTo(Equal(lines[2]))
			lines[2] = edited
			writeLog(t, dir, lines)

			g.Expect(verify(t, l)).To(Equal(Verification{Entries: 2, BrokenAt: 3,
				Reason: "entry 3: hash does not match its content"}))
		})
	}
}

func TestVerifyDetectsEntryRewrittenWithRecomputedHash(t *testing.T) {
	g := NewWithT(t)
	dir, l, written := fiveEntries(t)
	lines := logLines(t, dir)
	forged := written[2]
	forged.Actor = "mallory"
	lines[2] = seal(t, forged)
	writeLog(t, dir, lines)

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 3, BrokenAt: 4,
		Reason: "entry 4: prev does not match the hash of entry 3"}))
}

func TestVerifyDetectsFirstEntryNotChainedToStart(t *testing.T) {
	g := NewWithT(t)
	dir, l, written := fiveEntries(t)
	lines := logLines(t, dir)
	forged := written[0]
	forged.Prev = written[4].Hash
	lines[0] = seal(t, forged)
	writeLog(t, dir, lines)

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 0, BrokenAt: 1,
		Reason: "entry 1: prev is not the chain start (64 zeros)"}))
}

func TestVerifyDetectsDeletedMiddleLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	lines := logLines(t, dir)
	writeLog(t, dir, append(lines[:2:2], lines[3:]...))

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 2, BrokenAt: 3,
		Reason: "entry 3 missing: seq jumps from 2 to 4"}))
}

func TestVerifyDetectsDeletedFirstLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	writeLog(t, dir, logLines(t, dir)[1:])

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 0, BrokenAt: 1,
		Reason: "log starts at entry 2 instead of entry 1"}))
}

func TestVerifyDetectsDeletedLastLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	writeLog(t, dir, logLines(t, dir)[:4])

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 4, BrokenAt: 5,
		Reason: "log ends at entry 4 but the head records 5 entries"}))
}

func TestVerifyDetectsReorderedLines(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	lines := logLines(t, dir)
	lines[1], lines[2] = lines[2], lines[1]
	writeLog(t, dir, lines)

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 1, BrokenAt: 2,
		Reason: "entry 2 missing: seq jumps from 1 to 3"}))
}

func TestVerifyDetectsDuplicatedLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	lines := logLines(t, dir)
	writeLog(t, dir, [][]byte{lines[0], lines[1], lines[1], lines[2], lines[3], lines[4]})

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 2, BrokenAt: 2,
		Reason: "entry 2 out of order: it comes after entry 2"}))
}

func TestVerifyDetectsUnreadableLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	lines := logLines(t, dir)
	lines[2] = lines[2][:20]
	writeLog(t, dir, lines)

	v := verify(t, l)
	g.Expect(v.OK).To(BeFalse())
	g.Expect(v.Entries).To(Equal(2))
	g.Expect(v.BrokenAt).To(Equal(uint64(3)))
	g.Expect(v.Reason).To(HavePrefix("line 3: not a readable entry: it is not a valid entry"))
}

func TestVerifyDetectsReencodedLine(t *testing.T) {
	g := NewWithT(t)
	dir, l, written := fiveEntries(t)
	lines := logLines(t, dir)
	var m map[string]any
	g.Expect(json.Unmarshal(lines[2], &m)).To(Succeed())
	reencoded, err := json.MarshalIndent(m, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	lines[2] = bytes.ReplaceAll(reencoded, []byte("\n"), []byte(" "))
	writeLog(t, dir, lines)

	// Same meaning, so the hash still matches; the bytes are not what the camera wrote.
	es, err := l.Entries(2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es[0].Hash).To(Equal(written[2].Hash))
	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 2, BrokenAt: 3,
		Reason: "entry 3: line is not in the canonical form the camera writes"}))
}

func TestVerifyDetectsReplacedLastEntry(t *testing.T) {
	g := NewWithT(t)
	dir, l, written := fiveEntries(t)
	lines := logLines(t, dir)
	forged := written[4]
	forged.Outcome = "denied"
	lines[4] = seal(t, forged)
	writeLog(t, dir, lines)

	g.Expect(verify(t, l)).To(Equal(Verification{Entries: 4, BrokenAt: 5,
		Reason: "entry 5: hash differs from the one audit.head records"}))
}

func TestVerifyDetectsForgedTailAndKeepsReportingIt(t *testing.T) {
	g := NewWithT(t)
	dir, l, written := fiveEntries(t)
	forged6 := written[4]
	forged6.Seq, forged6.Prev, forged6.Actor = 6, written[4].Hash, "mallory"
	line6 := seal(t, forged6)
	var e6 Entry
	g.Expect(json.Unmarshal(line6, &e6)).To(Succeed())
	forged7 := e6
	forged7.Seq, forged7.Prev = 7, e6.Hash
	writeLog(t, dir, append(logLines(t, dir), line6, seal(t, forged7)))

	want := Verification{Entries: 5, BrokenAt: 6, Reason: "log has 7 entries but the head records only 5"}
	g.Expect(verify(t, l)).To(Equal(want))

	// A reboot and further appends must not bless the forged entries. (A single forged entry would
	// be: after a reboot it looks exactly like a crash between log write and head rename.)
	g.Expect(l.Close()).To(Succeed())
	l2 := openLog(t, dir)
	e, err := l2.Append(record(8))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Seq).To(Equal(uint64(8)))
	g.Expect(verify(t, l2)).To(Equal(Verification{Entries: 5, BrokenAt: 6,
		Reason: "log has 8 entries but the head records only 5"}))
}

func TestTruncatedTailStaysDetectedAfterReopenAndAppend(t *testing.T) {
	g := NewWithT(t)
	dir, l, _ := fiveEntries(t)
	g.Expect(l.Close()).To(Succeed())
	writeLog(t, dir, logLines(t, dir)[:3])

	l2 := openLog(t, dir)
	e, err := l2.Append(record(6))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Seq).To(Equal(uint64(6)), "seqs 4 and 5 were used and must not be reused")
	g.Expect(verify(t, l2)).To(Equal(Verification{Entries: 3, BrokenAt: 4,
		Reason: "entry 4 missing: seq jumps from 3 to 6"}))
}

func TestHeadLaggingByTwoIsNotAccepted(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 3)
	headAt3 := readFile(t, filepath.Join(dir, headName))
	appendN(t, l, 2)
	g.Expect(l.Close()).To(Succeed())
	writeFile(t, filepath.Join(dir, headName), headAt3)

	l2 := openLog(t, dir)
	want := Verification{Entries: 3, BrokenAt: 4, Reason: "log has 5 entries but the head records only 3"}
	g.Expect(verify(t, l2)).To(Equal(want))
	appendN(t, l2, 1)
	g.Expect(verify(t, l2).OK).To(BeFalse())
}

func TestVerifyReportsBadHead(t *testing.T) {
	cases := map[string]struct {
		head   []byte // nil: removed
		reason string
	}{
		"missing":       {nil, "audit.head is missing, so entries cut off the end cannot be ruled out"},
		"garbage":       {[]byte("garbage"), "audit.head is unreadable: it is not a JSON object"},
		"bad hash":      {[]byte(`{"entries":5,"hash":"ABC"}`), "audit.head is unreadable: its hash is not 64 lowercase hex digits"},
		"not an object": {[]byte(`null`), "audit.head is unreadable: it is not a JSON object"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir, l, _ := fiveEntries(t)
			path := filepath.Join(dir, headName)
			if tc.head == nil {
				g.Expect(os.Remove(path)).To(Succeed())
			} else {
				writeFile(t, path, tc.head)
			}
			want := Verification{Entries: 5, Reason: tc.reason}
			g.Expect(verify(t, l)).To(Equal(want))

			// Reopening and appending leaves the head as found, so the finding stays.
			g.Expect(l.Close()).To(Succeed())
			l2 := openLog(t, dir)
			appendN(t, l2, 1)
			want.Entries = 6
			g.Expect(verify(t, l2)).To(Equal(want))
		})
	}
}

func TestTamperedLogDoesNotStopOpen(t *testing.T) {
	cases := map[string]func(lines [][]byte) [][]byte{
		"garbage in the middle": func(ls [][]byte) [][]byte {
			return [][]byte{ls[0], []byte("\x00\x01garbage"), ls[1], ls[2], ls[3], ls[4]}
		},
		"empty line in the middle": func(ls [][]byte) [][]byte {
			return [][]byte{ls[0], {}, ls[1], ls[2], ls[3], ls[4]}
		},
		"huge line": func(ls [][]byte) [][]byte {
			return [][]byte{ls[0], bytes.Repeat([]byte("{"), 3*maxLine), ls[1], ls[2], ls[3], ls[4]}
		},
		"absurd seq": func(ls [][]byte) [][]byte {
			return append(ls, []byte(`{"seq":18446744073709551615,"prev":"x","hash":"y"}`))
		},
		"everything unreadable": func(ls [][]byte) [][]byte {
			return [][]byte{[]byte("a"), []byte("b")}
		},
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir, l, _ := fiveEntries(t)
			g.Expect(l.Close()).To(Succeed())
			writeLog(t, dir, tamper(logLines(t, dir)))
			before := readFile(t, filepath.Join(dir, logName))

			l2, err := Open(dir, newClock())
			g.Expect(err).NotTo(HaveOccurred())
			defer l2.Close()
			g.Expect(readFile(t, filepath.Join(dir, logName))).To(Equal(before), "evidence kept")
			found := verify(t, l2)
			g.Expect(found.OK).To(BeFalse())

			e, err := l2.Append(record(6))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(e.Seq).To(BeNumerically(">=", 6))
			g.Expect(e.Seq).To(BeNumerically("<=", maxSaneSeq+1))
			sum, err := entryHash(e)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sum).To(Equal(e.Hash))
			g.Expect(verify(t, l2)).To(Equal(found), "the first break is still the one reported")
		})
	}
}

// FuzzVerify writes arbitrary bytes as audit.log, alone or around a log the package wrote, and checks
// that Open never fails on content, that Verify passes only a log the package wrote, that appending
// never makes a failing log pass, and that an appended entry's own hash always recomputes.
func FuzzVerify(f *testing.F) {
	// A log the package wrote: four entries (valid) and the fifth line, which together with the head
	// of four is also a valid state (the crash between log write and head rename).
	build := f.TempDir()
	l, err := Open(build, newClock())
	if err != nil {
		f.Fatal(err)
	}
	appendN(f, l, 4)
	valid := readFile(f, filepath.Join(build, logName))
	validHead := readFile(f, filepath.Join(build, headName))
	appendN(f, l, 1)
	valid5 := readFile(f, filepath.Join(build, logName))
	l.Close()
	line5 := valid5[len(valid):]
	lines := bytes.SplitAfter(valid, []byte{'\n'})

	// mode%4: 0 log = data, no head; 1 log = data; 2 log = valid + data; 3 data inserted into valid
	// at pos. Modes 1 to 3 have the head of the valid log.
	f.Add([]byte(""), uint8(0), uint16(0))
	f.Add(valid, uint8(0), uint16(0))
	f.Add(valid, uint8(1), uint16(0))
	f.Add(valid5, uint8(1), uint16(0))
	f.Add(valid[:len(valid)-1], uint8(1), uint16(0))
	f.Add(bytes.Join([][]byte{lines[1], lines[0], lines[2], lines[3]}, nil), uint8(1), uint16(0))
	f.Add([]byte(""), uint8(2), uint16(0))
	f.Add(line5[:len(line5)/2], uint8(2), uint16(0))
	f.Add(line5, uint8(2), uint16(0))
	f.Add(line5[:len(line5)-1], uint8(2), uint16(0))
	f.Add([]byte("\n"), uint8(2), uint16(0))
	f.Add([]byte("\x00\x00\x00"), uint8(2), uint16(0))
	f.Add(lines[3], uint8(2), uint16(0))
	f.Add([]byte(" "), uint8(3), uint16(1))
	f.Add([]byte("x"), uint8(3), uint16(len(lines[0])+40))
	f.Add([]byte("\n"), uint8(3), uint16(len(lines[0])))

	f.Fuzz(func(t *testing.T, data []byte, mode uint8, pos uint16) {
		dir := t.TempDir()
		var content []byte
		good := [][]byte{valid, valid5} // logs the package wrote that go with the valid head
		switch mode % 4 {
		case 0:
			content = data
			good = [][]byte{{}}
		case 1:
			content = data
		case 2:
			content = append(bytes.Clone(valid), data...)
		case 3:
			at := int(pos) % (len(valid) + 1)
			content = append(append(bytes.Clone(valid[:at]), data...), valid[at:]...)
		}
		writeFile(t, filepath.Join(dir, logName), content)
		if mode%4 != 0 {
			writeFile(t, filepath.Join(dir, headName), validHead)
		}

		l, err := Open(dir, newClock())
		if err != nil {
			t.Fatalf("Open failed on content: %v", err)
		}
		defer l.Close()
		v1, err := l.Verify()
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		stored := readFile(t, filepath.Join(dir, logName))
		if v1.OK {
			known := false
			for _, g := range good {
				known = known || bytes.Equal(stored, g)
			}
			if !known {
				t.Fatalf("Verify passed a log the package did not write:\n%q", stored)
			}
		} else if v1.Reason == "" {
			t.Fatalf("failed verification without a reason: %+v", v1)
		}

		e, err := l.Append(record(99))
		if err != nil {
			t.Fatalf("Append after Open: %v", err)
		}
		if sum, err := entryHash(e); err != nil || sum != e.Hash {
			t.Fatalf("appended entry's hash does not recompute: %v", err)
		}
		es, err := l.Entries(0)
		if err != nil {
			t.Fatalf("Entries: %v", err)
		}
		if len(es) == 0 || es[len(es)-1].Hash != e.Hash || es[len(es)-1].Seq != e.Seq {
			t.Fatalf("appended entry not read back last")
		}
		v2, err := l.Verify()
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		switch {
		case v1.OK && (!v2.OK || v2.Entries != v1.Entries+1):
			t.Fatalf("append broke a valid log: %+v then %+v", v1, v2)
		case !v1.OK && v2.OK:
			t.Fatalf("append made a failing log pass: %+v then %+v", v1, v2)
		}
	})
}
