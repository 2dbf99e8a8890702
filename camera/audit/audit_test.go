package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// fakeClock starts at a fixed instant in a non-UTC zone, with nanoseconds, and moves on by a little
// more than a second at each reading, so every entry gets a distinct time stamp.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second + time.Nanosecond)
	return c.t
}

func openLog(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := Open(dir, newClock())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func record(i int) Record {
	return Record{
		Actor:   fmt.Sprintf("user%d", i),
		Source:  "192.0.2.10",
		Action:  "settings.change",
		Target:  "microphone.enabled",
		Outcome: OutcomeOK,
		Detail:  map[string]string{"old": "false", "new": "true"},
	}
}

func appendN(t testing.TB, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := 1; i <= n; i++ {
		e, err := l.Append(record(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

// logLines returns the lines of audit.log without their newlines.
func logLines(t testing.TB, dir string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\n'})
}

// writeLog replaces audit.log by the given lines, each ended by a newline.
func writeLog(t testing.TB, dir string, lines [][]byte) {
	t.Helper()
	var b bytes.Buffer
	for _, ln := range lines {
		b.Write(ln)
		b.WriteByte('\n')
	}
	writeFile(t, filepath.Join(dir, logName), b.Bytes())
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// seal gives e the hash the package documentation defines, computed independently of the package,
// and returns its line: what an attacker who knows the formula would write.
func seal(t testing.TB, e Entry) []byte {
	t.Helper()
	e.Hash = ""
	e.Time = e.Time.UTC()
	canon, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(e.Prev + "\n" + string(canon)))
	e.Hash = hex.EncodeToString(sum[:])
	line, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func TestOpenCreatesEmptyVerifiedLog(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "audit")
	l := openLog(t, dir)

	for _, name := range []string{logName, headName} {
		fi, err := os.Stat(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)), name)
	}
	g.Expect(string(readFile(t, filepath.Join(dir, headName)))).To(MatchJSON(
		`{"entries":0,"hash":"` + strings.Repeat("0", 64) + `"}`))
	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 0}))
	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es).To(BeEmpty())
}

func TestAppendReadBackVerify(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	clk := newClock()
	l, err := Open(dir, clk)
	g.Expect(err).NotTo(HaveOccurred())
	defer l.Close()

	first := clk.t.Add(time.Second + time.Nanosecond)
	written := appendN(t, l, 3)
	g.Expect(written[0].Seq).To(Equal(uint64(1)))
	g.Expect(written[0].Prev).To(Equal(strings.Repeat("0", 64)))
	g.Expect(written[0].Time.Location()).To(Equal(time.UTC))
	g.Expect(written[0].Time.Equal(first)).To(BeTrue())
	g.Expect(written[0].Time.Nanosecond()).To(Equal(123456790))

	got, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(3))
	for i, e := range got {
		g.Expect(e.Seq).To(Equal(uint64(i + 1)))
		g.Expect(e.Time.Equal(written[i].Time)).To(BeTrue())
		g.Expect(e.Actor).To(Equal(fmt.Sprintf("user%d", i+1)))
		g.Expect(e.Source).To(Equal("192.0.2.10"))
		g.Expect(e.Action).To(Equal("settings.change"))
		g.Expect(e.Target).To(Equal("microphone.enabled"))
		g.Expect(e.Outcome).To(Equal("ok"))
		g.Expect(e.Detail).To(Equal(map[string]string{"old": "false", "new": "true"}))
		g.Expect(e.Hash).To(Equal(written[i].Hash))
		if i > 0 {
			g.Expect(e.Prev).To(Equal(got[i-1].Hash))
		}
	}

	after, err := l.Entries(2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(after).To(HaveLen(1))
	g.Expect(after[0].Seq).To(Equal(uint64(3)))

	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 3}))
	g.Expect(string(readFile(t, filepath.Join(dir, headName)))).To(MatchJSON(
		`{"entries":3,"hash":"` + written[2].Hash + `"}`))
}

func TestAppendStoresEmptyTargetAndDetailAsAbsent(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	e, err := l.Append(Record{Actor: "system", Source: "local", Action: "system.boot", Outcome: "ok",
		Detail: map[string]string{}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Detail).To(BeNil())
	line := string(logLines(t, dir)[0])
	g.Expect(line).NotTo(ContainSubstring(`"target"`))
	g.Expect(line).NotTo(ContainSubstring(`"detail"`))
	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.OK).To(BeTrue())
}

func TestAppendCopiesDetail(t *testing.T) {
	g := NewWithT(t)
	l := openLog(t, t.TempDir())
	detail := map[string]string{"old": "1"}
	_, err := l.Append(Record{Actor: "admin", Action: "settings.change", Outcome: "ok", Detail: detail})
	g.Expect(err).NotTo(HaveOccurred())
	detail["old"] = "changed after the fact"
	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es[0].Detail).To(Equal(map[string]string{"old": "1"}))
}

func TestAppendRefusesInvalidRecords(t *testing.T) {
	ok := Record{Actor: "admin", Source: "local", Action: "user.create", Outcome: "ok"}
	cases := map[string]func(*Record){
		"no actor":           func(r *Record) { r.Actor = "" },
		"no action":          func(r *Record) { r.Action = "" },
		"no outcome":         func(r *Record) { r.Outcome = "" },
		"unknown outcome":    func(r *Record) { r.Outcome = "success" },
		"outcome wrong case": func(r *Record) { r.Outcome = "OK" },
		"too large": func(r *Record) {
			r.Detail = map[string]string{"blob": strings.Repeat("x", maxLine)}
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			l := openLog(t, dir)
			appendN(t, l, 1)
			logBefore := readFile(t, filepath.Join(dir, logName))
			headBefore := readFile(t, filepath.Join(dir, headName))

			r := ok
			spoil(&r)
			_, err := l.Append(r)
			g.Expect(err).To(MatchError(ErrInvalidRecord))
			g.Expect(readFile(t, filepath.Join(dir, logName))).To(Equal(logBefore))
			g.Expect(readFile(t, filepath.Join(dir, headName))).To(Equal(headBefore))

			e, err := l.Append(ok)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(e.Seq).To(Equal(uint64(2)), "a refused record must not use up a seq")
		})
	}
}

func TestAppendRefusesSecretDetailKeys(t *testing.T) {
	for _, key := range []string{"password", "Password", "SECRET", "token", "KeyWord",
		"new_password", "old-password", "wifi.secret", "apiToken", "client secret"} {
		t.Run(key, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			l := openLog(t, dir)
			logBefore := readFile(t, filepath.Join(dir, logName))
			headBefore := readFile(t, filepath.Join(dir, headName))

			_, err := l.Append(Record{Actor: "admin", Action: "user.password.change", Outcome: "ok",
				Detail: map[string]string{"user": "bob", key: "hunter2"}})
			g.Expect(err).To(MatchError(ErrInvalidRecord))
			g.Expect(err.Error()).To(ContainSubstring(key))
			g.Expect(err.Error()).NotTo(ContainSubstring("hunter2"))
			g.Expect(readFile(t, filepath.Join(dir, logName))).To(Equal(logBefore))
			g.Expect(readFile(t, filepath.Join(dir, headName))).To(Equal(headBefore))
		})
	}
}

func TestAppendAcceptsHarmlessDetailKeys(t *testing.T) {
	g := NewWithT(t)
	l := openLog(t, t.TempDir())
	for _, key := range []string{"old", "new", "user", "passwords_changed", "tokens", "keywords",
		"age"} {
		_, err := l.Append(Record{Actor: "admin", Action: "settings.change", Outcome: "ok",
			Detail: map[string]string{key: "v"}})
		g.Expect(err).NotTo(HaveOccurred(), key)
	}
}

func TestAppendStoresInvalidUTF8AsReplacementCharacters(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	e, err := l.Append(Record{Actor: "bob\xff", Source: "local", Action: "auth.login", Target: "\xc0x",
		Outcome: "denied", Detail: map[string]string{"user\xfe": "\xff"}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Actor).To(Equal("bob\uFFFD"))
	g.Expect(e.Target).To(Equal("\uFFFDx"))
	g.Expect(e.Detail).To(Equal(map[string]string{"user\uFFFD": "\uFFFD"}))

	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es[0].Actor).To(Equal(e.Actor))
	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.OK).To(BeTrue(), v.Reason)
}

func TestAppendKeepsJSONSpecialCharactersOnOneLine(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	_, err := l.Append(Record{Actor: "eve\n{\"seq\":99}", Source: "<script>&", Action: "auth.login",
		Outcome: "denied", Detail: map[string]string{"why": "line\u2028sep\r\n"}})
	g.Expect(err).NotTo(HaveOccurred())
	appendN(t, l, 1)
	g.Expect(logLines(t, dir)).To(HaveLen(2))
	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 2}))
}

func TestReopenContinuesChain(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	before := appendN(t, l, 2)
	g.Expect(l.Close()).To(Succeed())

	l2 := openLog(t, dir)
	e, err := l2.Append(record(3))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Seq).To(Equal(uint64(3)))
	g.Expect(e.Prev).To(Equal(before[1].Hash))

	v, err := l2.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 3}))
}

func TestOpenRepairsTornLastLine(t *testing.T) {
	cases := map[string]func(line []byte) []byte{
		"half a line":                func(line []byte) []byte { return line[:len(line)/2] },
		"one byte":                   func(line []byte) []byte { return line[:1] },
		"all but the closing brace":  func(line []byte) []byte { return line[:len(line)-1] },
		"zeros where the line was":   func(line []byte) []byte { return make([]byte, len(line)+1) },
		"garbage ended by a newline": func(line []byte) []byte { return append(line[:10:10], "\x00\n"...) },
	}
	for name, tear := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			l := openLog(t, dir)
			written := appendN(t, l, 3)
			headAt3 := readFile(t, filepath.Join(dir, headName))
			logAt3 := readFile(t, filepath.Join(dir, logName))
			appendN(t, l, 1)
			g.Expect(l.Close()).To(Succeed())

			// Power loss while entry 4 was being written: part of its line, head still at 3.
			line4 := logLines(t, dir)[3]
			writeFile(t, filepath.Join(dir, logName), append(bytes.Clone(logAt3), tear(line4)...))
			writeFile(t, filepath.Join(dir, headName), headAt3)

			l2 := openLog(t, dir)
			g.Expect(readFile(t, filepath.Join(dir, logName))).To(Equal(logAt3))
			es, err := l2.Entries(0)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(es).To(HaveLen(3))
			v, err := l2.Verify()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v).To(Equal(Verification{OK: true, Entries: 3}))

			e, err := l2.Append(record(4))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(e.Seq).To(Equal(uint64(4)))
			g.Expect(e.Prev).To(Equal(written[2].Hash))
			v, err = l2.Verify()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v).To(Equal(Verification{OK: true, Entries: 4}))
		})
	}
}

func TestOpenKeepsCompleteLastEntryWithoutNewline(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 2)
	headAt2 := readFile(t, filepath.Join(dir, headName))
	appendN(t, l, 1)
	g.Expect(l.Close()).To(Succeed())
	full := readFile(t, filepath.Join(dir, logName))

	// Everything of entry 3 reached the disk but its newline, and the head was not renamed yet.
	writeFile(t, filepath.Join(dir, logName), full[:len(full)-1])
	writeFile(t, filepath.Join(dir, headName), headAt2)

	l2 := openLog(t, dir)
	g.Expect(readFile(t, filepath.Join(dir, logName))).To(Equal(full))
	v, err := l2.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 3}))
}

func TestOpenAcceptsHeadLaggingByOne(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 3)
	headAt3 := readFile(t, filepath.Join(dir, headName))
	written := appendN(t, l, 1)
	g.Expect(l.Close()).To(Succeed())
	writeFile(t, filepath.Join(dir, headName), headAt3) // crash before the rename

	l2 := openLog(t, dir)
	g.Expect(string(readFile(t, filepath.Join(dir, headName)))).To(MatchJSON(
		`{"entries":4,"hash":"` + written[0].Hash + `"}`))
	v, err := l2.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 4}))
	e, err := l2.Append(record(5))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Seq).To(Equal(uint64(5)))
}

func TestOpenAcceptsHeadLaggingOnFirstEntry(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	emptyHead := readFile(t, filepath.Join(dir, headName))
	appendN(t, l, 1)
	g.Expect(l.Close()).To(Succeed())
	writeFile(t, filepath.Join(dir, headName), emptyHead)

	l2 := openLog(t, dir)
	v, err := l2.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: 1}))
}

func TestOpenRemovesStaleHeadTempFile(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, headTemp), []byte(`{"entries":`))
	openLog(t, dir)
	_, err := os.Stat(filepath.Join(dir, headTemp))
	g.Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue())
}

func TestConcurrentAppendsKeepValidChain(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := l.Append(record(w*100 + i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{OK: true, Entries: workers * each}))
	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	actors := map[string]bool{}
	for i, e := range es {
		g.Expect(e.Seq).To(Equal(uint64(i + 1)))
		actors[e.Actor] = true
	}
	g.Expect(actors).To(HaveLen(workers * each))
}

func TestOpenValidatesArguments(t *testing.T) {
	g := NewWithT(t)
	_, err := Open("", newClock())
	g.Expect(err).To(MatchError(ContainSubstring("no directory")))
	_, err = Open(t.TempDir(), nil)
	g.Expect(err).To(MatchError(ContainSubstring("no clock")))
}

func TestOpenFailsOnIOErrorsNamingTheFile(t *testing.T) {
	g := NewWithT(t)
	notDir := filepath.Join(t.TempDir(), "file")
	writeFile(t, notDir, nil)
	_, err := Open(notDir, newClock())
	g.Expect(err).To(MatchError(ContainSubstring(notDir)))

	dir := t.TempDir()
	g.Expect(os.Mkdir(filepath.Join(dir, logName), 0o700)).To(Succeed())
	_, err = Open(dir, newClock())
	g.Expect(err).To(MatchError(ContainSubstring(filepath.Join(dir, logName))))
}

func TestClosedLogRefusesUse(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	g.Expect(l.Close()).To(Succeed())
	g.Expect(l.Close()).To(Succeed())
	_, err := l.Append(record(1))
	g.Expect(err).To(MatchError(ErrClosed))
	_, err = l.Entries(0)
	g.Expect(err).To(MatchError(ErrClosed))
	_, err = l.Verify()
	g.Expect(err).To(MatchError(ErrClosed))
	g.Expect(readFile(t, filepath.Join(dir, logName))).To(BeEmpty())
}

func TestEntriesSkipsUnreadableLines(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 3)
	lines := logLines(t, dir)
	writeLog(t, dir, [][]byte{lines[0], []byte("not json"), lines[1], []byte("null"), lines[2]})

	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es).To(HaveLen(3))
	g.Expect([]uint64{es[0].Seq, es[1].Seq, es[2].Seq}).To(Equal([]uint64{1, 2, 3}))
}

func TestAppendStartsNewLineAfterForeignBytes(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 1)
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_WRONLY|os.O_APPEND, 0)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = f.WriteString("injected")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Close()).To(Succeed())

	e, err := l.Append(record(2))
	g.Expect(err).NotTo(HaveOccurred())
	lines := logLines(t, dir)
	g.Expect(lines).To(HaveLen(3))
	g.Expect(string(lines[1])).To(Equal("injected"))
	es, err := l.Entries(1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es).To(HaveLen(1))
	g.Expect(es[0].Hash).To(Equal(e.Hash))
	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{Entries: 1, BrokenAt: 2,
		Reason: "line 2: not a readable entry: it is not a JSON object"}))
}

func TestAppendRecreatesRemovedLog(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	l := openLog(t, dir)
	appendN(t, l, 3)
	g.Expect(os.Remove(filepath.Join(dir, logName))).To(Succeed())

	v, err := l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(Verification{Entries: 0, BrokenAt: 1,
		Reason: "log ends at entry 0 but the head records 3 entries"}))

	e, err := l.Append(record(4))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Seq).To(Equal(uint64(4)))
	es, err := l.Entries(0)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(es).To(HaveLen(1))
	v, err = l.Verify()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.OK).To(BeFalse())
	g.Expect(v.Reason).To(Equal("log starts at entry 4 instead of entry 1"))
}

func TestSecretKey(t *testing.T) {
	g := NewWithT(t)
	for k, want := range map[string]bool{
		"password": true, "PASSWORD": true, "userPassword": true, "password2": true, "oauth2token": true, "db_secret": true,
		"Token": true, "refresh-token": true, "keyword": true, "key": false, "old": false,
		"passwordless": false, "tokenizer": false, "": false, "SecretKey": true,
	} {
		g.Expect(secretKey(k)).To(Equal(want), k)
	}
}
