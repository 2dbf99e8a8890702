package reports

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

func sampleReport(t testing.TB) Report {
	t.Helper()
	na := withFailure(it("zone follows zoom", types.SpecStateSkipped, "MASK-4"), "not applicable: the target cannot zoom")
	pass := withEntry(it("default password refused", types.SpecStatePassed, "AUTH-1", "AUTH-2"), "attempts",
		types.WrapEntryValue(map[string]any{"http": 401, "rtsp": "<refused>"}))
	fail := withFailure(it("weak password", types.SpecStateFailed, "AUTH-2"), "Expected\n    <int>: 200\nto equal\n    <int>: 400")
	run := testRun
	run.LabelFilter = "AUTH || MASK"
	run.Target.FirmwareHash = "sha256:00ff"
	run.Started = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
	return Build(run, testCatalogue(t), ginkgoReport(pass, fail, na, it("orphan", types.SpecStatePassed, "XYZ-1")))
}

func encodeReport(t testing.TB, rep Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONRoundTrip(t *testing.T) {
	g := NewWithT(t)
	rep := sampleReport(t)
	first := encodeReport(t, rep)
	back, err := ReadJSON(bytes.NewReader(first))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(encodeReport(t, back))).To(Equal(string(first)))
	g.Expect(back.Started.Equal(rep.Started)).To(BeTrue())
	g.Expect(back.Summary).To(Equal(rep.Summary))
	g.Expect(back.Requirements[1].Specs[1].Failure.Message).To(ContainSubstring("to equal"))
	g.Expect(back.Unmapped).To(HaveLen(1))
	g.Expect(back.Problems).To(Equal(rep.Problems))
	g.Expect(bytes.Count(first, []byte("\n"))).To(BeNumerically(">", 50), "indented")
}

func TestReadJSONRejects(t *testing.T) {
	good := string(encodeReport(t, sampleReport(t)))
	cases := map[string]struct {
		doc  string
		want string
	}{
		"wrong schema":        {strings.Replace(good, `"vsslab.report/v1"`, `"vsslab.report/v2"`, 1), `schema "vsslab.report/v2"`},
		"no schema":           {strings.Replace(good, `"schema": "vsslab.report/v1",`, ``, 1), `schema ""`},
		"unknown field":       {strings.Replace(good, `"seed":`, `"signature": "x", "seed":`, 1), `unknown field "signature"`},
		"unknown field deep":  {strings.Replace(good, `"reason":`, `"waiver": "x", "reason":`, 1), `unknown field "waiver"`},
		"trailing data":       {good + "{}", "trailing data"},
		"not JSON":            {"<html>", "invalid character"},
		"empty":               {"", "EOF"},
		"unknown verdict":     {strings.Replace(good, `"verdict": "failed"`, `"verdict": "waived"`, 1), `unknown verdict "waived"`},
		"unknown spec state":  {strings.Replace(good, `"state": "failed"`, `"state": "skipped"`, 1), `unknown state "skipped"`},
		"summary mismatch":    {strings.Replace(good, `"failed": 1`, `"failed": 0`, 1), "summary counts 0 failed, the requirements 1"},
		"summary missing key": {strings.Replace(good, `"error": 0,`, ``, 1), "summary has 4 verdicts"},
		"duplicate id":        {strings.Replace(good, `"id": "AUTH-2"`, `"id": "AUTH-1"`, 1), "duplicate id AUTH-1"},
		"malformed id":        {strings.Replace(good, `"id": "AUTH-2"`, `"id": "auth two"`, 1), `malformed id "auth two"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(tc.doc).NotTo(Equal(good), "the case must change the document")
			_, err := ReadJSON(strings.NewReader(tc.doc))
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
		})
	}
	_, err := ReadJSON(strings.NewReader(strings.Replace(good, `"vsslab.report/v1"`, `"other"`, 1)))
	NewWithT(t).Expect(errors.Is(err, ErrSchema)).To(BeTrue())
}

func TestWriteJSONReportsBadEvidence(t *testing.T) {
	g := NewWithT(t)
	rep := sampleReport(t)
	rep.Requirements[0].Specs[0].Evidence[0].Value = []byte("{not json")
	var buf bytes.Buffer
	g.Expect(WriteJSON(&buf, rep)).To(MatchError(ContainSubstring("write report JSON")))
}

func FuzzReadJSON(f *testing.F) {
	f.Add(encodeReport(f, sampleReport(f)))
	f.Add(encodeReport(f, Build(testRun, Catalogue{}, types.Report{})))
	f.Add([]byte(`{"schema":"vsslab.report/v1","summary":{"passed":0,"failed":0,"error":0,"not_applicable":0,"not_run":0},"requirements":[]}`))
	f.Add([]byte(`{"schema":"vsslab.report/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		if rep.Schema != Schema {
			t.Fatalf("accepted schema %q", rep.Schema)
		}
		total := 0
		for _, v := range Verdicts() {
			total += rep.Summary[v]
		}
		if total != len(rep.Requirements) {
			t.Fatalf("accepted a summary of %d for %d requirements", total, len(rep.Requirements))
		}
		// what was accepted writes and reads back to the same bytes
		var once, twice bytes.Buffer
		if err := WriteJSON(&once, rep); err != nil {
			t.Fatalf("accepted report does not write: %v", err)
		}
		again, err := ReadJSON(bytes.NewReader(once.Bytes()))
		if err != nil {
			t.Fatalf("written report does not read back: %v", err)
		}
		if err := WriteJSON(&twice, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("round trip changed the report:\n%s\n%s", once.Bytes(), twice.Bytes())
		}
	})
}
