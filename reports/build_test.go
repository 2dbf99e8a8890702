package reports

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

// testCatalogueYAML is a small catalogue for the tests of Build: MASK-4 applies to the PTZ
// model only, as in the real one.
const testCatalogueYAML = `
areas:
  - {id: AUTH, name: access protection, refs: ["GDPR Art. 32"]}
  - {id: MASK, name: obscured image areas, refs: ["GDPR Art. 25"]}
  - {id: NET, name: network exposure, refs: []}
requirements:
  - {id: AUTH-1, area: AUTH, title: Default password must change, behaviour: b1, evidence: e1, refs: ["WP 2.1.3 b"], models: [iot, move]}
  - {id: AUTH-2, area: AUTH, title: Password rules, behaviour: b2, evidence: e2, refs: [], models: [iot, move]}
  - {id: AUTH-3, area: AUTH, title: Three levels, behaviour: b3, evidence: e3, refs: [], models: [iot, move]}
  - {id: MASK-4, area: MASK, title: PTZ zones stay on the scene, behaviour: b4, evidence: e4, refs: [], models: [move]}
  - {id: NET-1, area: NET, title: Works offline, behaviour: b5, evidence: e5, refs: [], beyond: true, models: [iot, move]}
`

func testCatalogue(t testing.TB) Catalogue {
	t.Helper()
	c, err := ParseCatalogue([]byte(testCatalogueYAML))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	t0      = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	testRun = Run{
		HarnessVersion: "0.1.0",
		Target:         Target{Kind: "in-process", Model: "move", Firmware: "1.0.0", Serial: "SIM-1"},
		Seed:           42,
		Started:        t0,
		Finished:       t0.Add(90 * time.Second),
		Environment:    map[string]string{"go": "go1.26", "os/arch": "linux/amd64"},
	}
)

// it builds the report of one It in container "Cam".
func it(text string, state types.SpecState, labels ...string) types.SpecReport {
	return types.SpecReport{
		LeafNodeType:            types.NodeTypeIt,
		ContainerHierarchyTexts: []string{"Cam"},
		LeafNodeText:            text,
		LeafNodeLabels:          labels,
		LeafNodeLocation:        types.CodeLocation{FileName: "/src/scenarios/cam_test.go", LineNumber: 10},
		State:                   state,
		RunTime:                 1500 * time.Millisecond,
	}
}

func withFailure(sr types.SpecReport, msg string) types.SpecReport {
	sr.Failure = types.Failure{Message: msg, Location: types.CodeLocation{FileName: "/src/scenarios/cam_test.go", LineNumber: 12}}
	return sr
}

func withEntry(sr types.SpecReport, name string, value types.ReportEntryValue) types.SpecReport {
	sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{
		Name: name, Value: value, Location: types.CodeLocation{FileName: "/src/scenarios/cam_test.go", LineNumber: 11},
	})
	return sr
}

func suiteNode(nodeType types.NodeType, state types.SpecState) types.SpecReport {
	return types.SpecReport{LeafNodeType: nodeType, State: state,
		LeafNodeLocation: types.CodeLocation{FileName: "/src/scenarios/suite_test.go", LineNumber: 5}}
}

func ginkgoReport(specs ...types.SpecReport) types.Report {
	return types.Report{
		SuiteDescription: "vsslab scenarios",
		SuitePath:        "/src/scenarios",
		StartTime:        t0,
		EndTime:          t0.Add(time.Minute),
		SuiteConfig:      types.SuiteConfig{RandomSeed: 7},
		SpecReports:      specs,
	}
}

func result(g Gomega, rep Report, id string) RequirementResult {
	for _, r := range rep.Requirements {
		if r.ID == id {
			return r
		}
	}
	g.Expect(id).To(BeEmpty(), "no result for requirement")
	return RequirementResult{}
}

func specNames(specs []SpecResult) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

func TestBuildOneResultPerRequirementInCatalogueOrder(t *testing.T) {
	g := NewWithT(t)
	rep := Build(testRun, testCatalogue(t), ginkgoReport())
	var ids []string
	for _, r := range rep.Requirements {
		ids = append(ids, r.ID)
	}
	g.Expect(ids).To(Equal([]string{"AUTH-1", "AUTH-2", "AUTH-3", "MASK-4", "NET-1"}))
	net := rep.Requirements[4]
	g.Expect(net.Verdict).To(Equal(NotRun))
	g.Expect(net.Reason).To(Equal("no spec verifies this requirement yet"))
	g.Expect(net.Beyond).To(BeTrue())
	g.Expect(net.Behaviour).To(Equal("b5"))
	g.Expect(net.EvidenceExpected).To(Equal("e5"))
	g.Expect(rep.Requirements[0].Refs).To(Equal([]string{"WP 2.1.3 b"}))
	g.Expect(rep.Schema).To(Equal("vsslab.report/v1"))
	g.Expect(rep.Harness.Version).To(Equal("0.1.0"))
	g.Expect(rep.Target).To(Equal(testRun.Target))
	g.Expect(rep.Seed).To(Equal(int64(42)))
	g.Expect(rep.Started).To(Equal(testRun.Started))
	g.Expect(rep.Finished).To(Equal(testRun.Finished))
	g.Expect(rep.Environment).To(Equal(testRun.Environment))
	g.Expect(rep.Problems).To(BeEmpty())
}

func TestBuildVerdictRules(t *testing.T) {
	cases := []struct {
		name    string
		specs   []types.SpecReport
		verdict Verdict
		reason  string
	}{
		{"all passed", []types.SpecReport{it("a", types.SpecStatePassed, "AUTH-1"), it("b", types.SpecStatePassed, "AUTH-1")},
			Passed, "2 specs passed."},
		{"one failure fails the requirement", []types.SpecReport{
			it("a", types.SpecStatePassed, "AUTH-1"), withFailure(it("b", types.SpecStateFailed, "AUTH-1"), "expected 401"), it("c", types.SpecStatePassed, "AUTH-1")},
			Failed, "1 of 3 specs failed."},
		{"failure wins over error and not run", []types.SpecReport{
			it("a", types.SpecStatePanicked, "AUTH-1"), it("b", types.SpecStateFailed, "AUTH-1"), it("c", types.SpecStatePending, "AUTH-1")},
			Failed, "1 of 3 specs failed."},
		{"error wins over not run", []types.SpecReport{
			it("a", types.SpecStateInterrupted, "AUTH-1"), it("b", types.SpecStatePending, "AUTH-1"), it("c", types.SpecStatePassed, "AUTH-1")},
			Error, "1 of 3 specs ended in error (panicked, interrupted, aborted or timed out)."},
		{"timed out is an error", []types.SpecReport{it("a", types.SpecStateTimedout, "AUTH-1")},
			Error, "the only spec ended in error (panicked, interrupted, aborted or timed out)."},
		{"aborted is an error", []types.SpecReport{it("a", types.SpecStateAborted, "AUTH-1")},
			Error, "the only spec ended in error (panicked, interrupted, aborted or timed out)."},
		{"a pending spec makes the evidence incomplete", []types.SpecReport{
			it("a", types.SpecStatePassed, "AUTH-1"), it("b", types.SpecStatePending, "AUTH-1"), it("c", types.SpecStatePassed, "AUTH-1")},
			NotRun, "1 of 3 specs did not run."},
		{"a spec filtered out did not run", []types.SpecReport{it("a", types.SpecStatePassed, "AUTH-1"), it("b", types.SpecStateSkipped, "AUTH-1")},
			NotRun, "1 of 2 specs did not run."},
		{"a skip without justification is not run, not not-applicable", []types.SpecReport{
			withFailure(it("a", types.SpecStateSkipped, "AUTH-1"), "needs a bench board"), withFailure(it("b", types.SpecStateSkipped, "AUTH-1"), "no")},
			NotRun, "all 2 specs did not run."},
		{"all not applicable", []types.SpecReport{
			withFailure(it("a", types.SpecStateSkipped, "AUTH-1"), "not applicable: the target has no virtual clock"),
			withFailure(it("b", types.SpecStateSkipped, "AUTH-1"), "Not Applicable: the target has no virtual clock.")},
			NotApplicable, "not applicable: the target has no virtual clock"},
		{"passed with some not applicable", []types.SpecReport{
			it("a", types.SpecStatePassed, "AUTH-1"), it("b", types.SpecStatePassed, "AUTH-1"),
			withFailure(it("c", types.SpecStateSkipped, "AUTH-1"), "not applicable: no board lines")},
			Passed, "2 specs passed, 1 not applicable: no board lines."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rep := Build(testRun, testCatalogue(t), ginkgoReport(tc.specs...))
			r := result(g, rep, "AUTH-1")
			g.Expect(r.Verdict).To(Equal(tc.verdict))
			g.Expect(r.Reason).To(Equal(tc.reason))
			g.Expect(r.Specs).To(HaveLen(len(tc.specs)))
		})
	}
}

func TestBuildSpecStates(t *testing.T) {
	g := NewWithT(t)
	states := map[types.SpecState]Verdict{
		types.SpecStatePassed: Passed, types.SpecStateFailed: Failed, types.SpecStatePending: NotRun,
		types.SpecStateSkipped: NotRun, types.SpecStatePanicked: Error, types.SpecStateInterrupted: Error,
		types.SpecStateAborted: Error, types.SpecStateTimedout: Error, types.SpecStateInvalid: Error,
	}
	for state, want := range states {
		rep := Build(testRun, testCatalogue(t), ginkgoReport(it("x", state, "AUTH-2")))
		g.Expect(result(g, rep, "AUTH-2").Specs[0].State).To(Equal(want), state.String())
	}
	na := withFailure(it("x", types.SpecStateSkipped, "AUTH-2"), "  NOT APPLICABLE: no clock")
	rep := Build(testRun, testCatalogue(t), ginkgoReport(na))
	s := result(g, rep, "AUTH-2").Specs[0]
	g.Expect(s.State).To(Equal(NotApplicable))
	g.Expect(s.Failure).To(Equal(&Failure{Message: "  NOT APPLICABLE: no clock", Location: "/src/scenarios/cam_test.go:12"}))
}

func TestBuildSpecResultFields(t *testing.T) {
	g := NewWithT(t)
	sr := it("refuses a weak password", types.SpecStatePanicked, "AUTH-2", "slow")
	sr.ContainerHierarchyTexts = []string{"AUTH", "", "admin"}
	sr.ContainerHierarchyLabels = [][]string{{"AUTH-1"}, {}, {"slow"}}
	sr.Failure = types.Failure{Message: "Test Panicked", ForwardedPanic: "boom", Location: types.CodeLocation{FileName: "/x.go", LineNumber: 3}}
	rep := Build(testRun, testCatalogue(t), ginkgoReport(sr))
	s := result(g, rep, "AUTH-2").Specs[0]
	g.Expect(s.Name).To(Equal("AUTH admin refuses a weak password"))
	g.Expect(s.Labels).To(Equal([]string{"AUTH-1", "slow", "AUTH-2"}))
	g.Expect(s.Location).To(Equal("/src/scenarios/cam_test.go:10"))
	g.Expect(s.Failure).To(Equal(&Failure{Message: "Test Panicked: boom", Location: "/x.go:3"}))
	g.Expect(s.RunTime).To(Equal(1.5))
	g.Expect(s.Evidence).To(BeEmpty())
	g.Expect(s.Evidence).NotTo(BeNil(), "an empty list encodes as [], not null")
	// the container's label counts too
	g.Expect(result(g, rep, "AUTH-1").Specs).To(HaveLen(1))
}

func TestBuildMultiLabelSpecCountsForEachRequirement(t *testing.T) {
	g := NewWithT(t)
	failing := withFailure(it("lockout", types.SpecStateFailed, "AUTH-1", "AUTH-2", "slow"), "not locked")
	passing := it("password change", types.SpecStatePassed, "auth-2") // labels are case-insensitive, as in Ginkgo
	rep := Build(testRun, testCatalogue(t), ginkgoReport(failing, passing))
	g.Expect(result(g, rep, "AUTH-1").Verdict).To(Equal(Failed))
	g.Expect(specNames(result(g, rep, "AUTH-1").Specs)).To(Equal([]string{"Cam lockout"}))
	g.Expect(result(g, rep, "AUTH-2").Verdict).To(Equal(Failed))
	g.Expect(specNames(result(g, rep, "AUTH-2").Specs)).To(Equal([]string{"Cam lockout", "Cam password change"}))
	g.Expect(rep.Unmapped).To(BeEmpty())
	g.Expect(rep.Problems).To(BeEmpty())
}

func TestBuildDuplicateLabelCountsOnce(t *testing.T) {
	g := NewWithT(t)
	sr := it("a", types.SpecStatePassed, "AUTH-1", "auth-1")
	rep := Build(testRun, testCatalogue(t), ginkgoReport(sr))
	g.Expect(result(g, rep, "AUTH-1").Specs).To(HaveLen(1))
}

func TestBuildUnknownAndMissingLabels(t *testing.T) {
	g := NewWithT(t)
	unknown := it("does something", types.SpecStatePassed, "FOO-9", "AUTH-3")
	none := it("helper", types.SpecStatePassed, "slow", "owner:ana")
	rep := Build(testRun, testCatalogue(t), ginkgoReport(unknown, none))
	g.Expect(rep.Problems).To(Equal([]string{
		`spec "Cam does something" labels unknown requirement FOO-9`,
		`spec "Cam helper" carries no requirement label`,
	}))
	g.Expect(specNames(rep.Unmapped)).To(Equal([]string{"Cam does something", "Cam helper"}))
	// a known label of the same spec still counts
	g.Expect(result(g, rep, "AUTH-3").Verdict).To(Equal(Passed))
}

func TestBuildIgnoresPassingSuiteNodes(t *testing.T) {
	g := NewWithT(t)
	rep := Build(testRun, testCatalogue(t), ginkgoReport(
		suiteNode(types.NodeTypeBeforeSuite, types.SpecStatePassed),
		it("a", types.SpecStatePassed, "AUTH-1"),
		suiteNode(types.NodeTypeReportAfterSuite, types.SpecStatePassed),
		suiteNode(types.NodeTypeSynchronizedAfterSuite, types.SpecStatePassed),
	))
	g.Expect(rep.Unmapped).To(BeEmpty())
	g.Expect(rep.Problems).To(BeEmpty())
	g.Expect(result(g, rep, "AUTH-1").Verdict).To(Equal(Passed))
	g.Expect(result(g, rep, "AUTH-1").Specs).To(HaveLen(1))
}

func TestBuildBrokenSuiteMakesEveryRequirementWithSpecsAnError(t *testing.T) {
	g := NewWithT(t)
	before := suiteNode(types.NodeTypeBeforeSuite, types.SpecStateFailed)
	before.Failure = types.Failure{Message: "camera did not boot"}
	rep := Build(testRun, testCatalogue(t), ginkgoReport(
		before,
		it("a", types.SpecStatePassed, "AUTH-1"),
		withFailure(it("b", types.SpecStateFailed, "AUTH-2"), "refused"),
		it("c", types.SpecStateSkipped, "AUTH-3"),
	))
	g.Expect(rep.Problems).To(ConsistOf(ContainSubstring("BeforeSuite failed at /src/scenarios/suite_test.go:5: camera did not boot")))
	for _, id := range []string{"AUTH-1", "AUTH-2", "AUTH-3"} {
		r := result(g, rep, id)
		g.Expect(r.Verdict).To(Equal(Error), id)
		g.Expect(r.Reason).To(Equal("the run was broken (BeforeSuite failed), so the evidence of 1 spec cannot be trusted."), id)
	}
	g.Expect(result(g, rep, "NET-1").Verdict).To(Equal(NotRun), "a requirement without specs stays not run")
	g.Expect(rep.Summary).To(Equal(map[Verdict]int{Passed: 0, Failed: 0, Error: 3, NotApplicable: 0, NotRun: 2}))
}

func TestBuildSpecialSuiteFailureReasonsAreProblems(t *testing.T) {
	g := NewWithT(t)
	r := ginkgoReport(it("a", types.SpecStatePassed, "AUTH-1"))
	r.SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	rep := Build(testRun, testCatalogue(t), r)
	g.Expect(rep.Problems).To(Equal([]string{"the suite reports: Interrupted by User"}))
}

func TestBuildModelNotApplicable(t *testing.T) {
	g := NewWithT(t)
	spec := it("zone follows pan", types.SpecStatePassed, "MASK-4")

	iot := testRun
	iot.Target.Model = ModelIoT
	r := result(g, Build(iot, testCatalogue(t), ginkgoReport(spec)), "MASK-4")
	g.Expect(r.Verdict).To(Equal(NotApplicable), "a row for the PTZ model is never passed on the fixed model")
	g.Expect(r.Reason).To(Equal("not applicable: MASK-4 applies to the move model only; the target is the iot model"))
	g.Expect(r.Specs).To(HaveLen(1), "the specs are still shown")

	g.Expect(result(g, Build(testRun, testCatalogue(t), ginkgoReport(spec)), "MASK-4").Verdict).To(Equal(Passed))

	other := testRun
	other.Target.Model = "acme-dome-9"
	g.Expect(result(g, Build(other, testCatalogue(t), ginkgoReport(spec)), "MASK-4").Verdict).To(Equal(Passed),
		"a third-party model is judged by its specs, which skip what does not apply")
}

func TestBuildSummaryHasAllFiveVerdicts(t *testing.T) {
	g := NewWithT(t)
	rep := Build(testRun, testCatalogue(t), ginkgoReport(it("a", types.SpecStatePassed, "AUTH-1")))
	g.Expect(rep.Summary).To(Equal(map[Verdict]int{Passed: 1, Failed: 0, Error: 0, NotApplicable: 0, NotRun: 4}))
	var buf bytes.Buffer
	g.Expect(WriteJSON(&buf, rep)).To(Succeed())
	var raw struct {
		Summary map[string]int `json:"summary"`
	}
	g.Expect(json.Unmarshal(buf.Bytes(), &raw)).To(Succeed())
	g.Expect(raw.Summary).To(HaveLen(5))
	g.Expect(raw.Summary).To(HaveKey("not_applicable"))
	g.Expect(raw.Summary).To(HaveKey("not_run"))
	g.Expect(raw.Summary).To(HaveKey("error"))
}

func TestBuildEvidence(t *testing.T) {
	g := NewWithT(t)
	type frame struct {
		Width  int    `json:"width"`
		Format string `json:"format"`
	}
	sr := it("a", types.SpecStatePassed, "AUTH-1")
	sr = withEntry(sr, "live struct", types.WrapEntryValue(frame{640, "<jpeg>"}))
	sr = withEntry(sr, "live int", types.WrapEntryValue(3))
	sr = withEntry(sr, "decoded", types.ReportEntryValue{AsJSON: `{"b": 1, "a": [1, 2]}`, Representation: "{b:1}"})
	sr = withEntry(sr, "unencodable", types.ReportEntryValue{AsJSON: "not json", Representation: "chan int"})
	sr = withEntry(sr, "live unencodable", types.WrapEntryValue(make(chan int)))
	sr = withEntry(sr, "no value", types.ReportEntryValue{})
	rep := Build(testRun, testCatalogue(t), ginkgoReport(sr))
	ev := result(g, rep, "AUTH-1").Specs[0].Evidence
	g.Expect(ev).To(HaveLen(6))
	var names, values []string
	for _, e := range ev {
		names = append(names, e.Name)
		values = append(values, string(e.Value))
		g.Expect(e.Location).To(Equal("/src/scenarios/cam_test.go:11"))
	}
	g.Expect(names).To(Equal([]string{"live struct", "live int", "decoded", "unencodable", "live unencodable", "no value"}))
	g.Expect(values[0]).To(Equal(`{"width":640,"format":"\u003cjpeg\u003e"}`))
	g.Expect(values[1]).To(Equal(`3`))
	g.Expect(values[2]).To(Equal(`{"b":1,"a":[1,2]}`), "Ginkgo's JSON is kept, in its order")
	g.Expect(values[3]).To(Equal(`"chan int"`))
	g.Expect(values[4]).To(HavePrefix(`"0x`), "a value that is not JSON is kept as its string form")
	g.Expect(values[5]).To(Equal(`null`))
}

func TestBuildIdentificationProblems(t *testing.T) {
	g := NewWithT(t)
	rep := Build(Run{}, testCatalogue(t), ginkgoReport())
	g.Expect(rep.Problems).To(Equal([]string{
		"the run does not name the harness version",
		"the run does not name the target's model",
		"the run does not name the target's firmware version",
	}))
	// what the run leaves out comes from Ginkgo's report
	g.Expect(rep.Seed).To(Equal(int64(7)))
	g.Expect(rep.Started).To(Equal(t0))
	g.Expect(rep.Finished).To(Equal(t0.Add(time.Minute)))
}

func TestBuildCopiesItsInputs(t *testing.T) {
	g := NewWithT(t)
	cat := testCatalogue(t)
	run := testRun
	run.Environment = map[string]string{"go": "go1.26"}
	rep := Build(run, cat, ginkgoReport())
	run.Environment["go"] = "changed"
	cat.Requirements[0].Refs[0] = "changed"
	g.Expect(rep.Environment["go"]).To(Equal("go1.26"))
	g.Expect(rep.Requirements[0].Refs[0]).To(Equal("WP 2.1.3 b"))
}

func TestBuildIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	specs := []types.SpecReport{
		withEntry(it("zeta", types.SpecStatePassed, "AUTH-1", "AUTH-2"), "m", types.WrapEntryValue(map[string]int{"z": 1, "a": 2})),
		withFailure(it("alpha", types.SpecStateFailed, "AUTH-2"), "boom"),
		it("mid", types.SpecStatePassed, "AUTH-1"),
		it("orphan b", types.SpecStatePassed, "BAR-1"),
		it("orphan a", types.SpecStatePassed),
		withFailure(it("na", types.SpecStateSkipped, "AUTH-3"), "not applicable: y"),
		withFailure(it("na2", types.SpecStateSkipped, "AUTH-3"), "not applicable: x"),
	}
	encode := func(specs []types.SpecReport) []byte {
		var buf bytes.Buffer
		g.Expect(WriteJSON(&buf, Build(testRun, testCatalogue(t), ginkgoReport(specs...)))).To(Succeed())
		return buf.Bytes()
	}
	first := encode(specs)
	g.Expect(encode(specs)).To(Equal(first))
	reversed := slices.Clone(specs)
	slices.Reverse(reversed)
	g.Expect(string(encode(reversed))).To(Equal(string(first)), "the order in which specs finished must not matter")

	rep := Build(testRun, testCatalogue(t), ginkgoReport(specs...))
	g.Expect(specNames(result(g, rep, "AUTH-1").Specs)).To(Equal([]string{"Cam mid", "Cam zeta"}))
	g.Expect(specNames(rep.Unmapped)).To(Equal([]string{"Cam orphan a", "Cam orphan b"}))
	g.Expect(result(g, rep, "AUTH-3").Reason).To(Equal("not applicable: x; y"))
}

func TestReportJSONFieldNames(t *testing.T) {
	g := NewWithT(t)
	sr := withEntry(withFailure(it("a", types.SpecStateFailed, "AUTH-1"), "no"), "n", types.WrapEntryValue(1))
	rep := Build(testRun, testCatalogue(t), ginkgoReport(sr, it("b", types.SpecStatePassed)))
	var buf bytes.Buffer
	g.Expect(WriteJSON(&buf, rep)).To(Succeed())
	out := buf.String()
	for _, key := range []string{`"schema"`, `"harness"`, `"version"`, `"target"`, `"kind"`, `"model"`, `"firmware"`, `"serial"`,
		`"seed"`, `"started"`, `"finished"`, `"environment"`, `"summary"`, `"requirements"`, `"unmapped_specs"`, `"problems"`,
		`"id"`, `"title"`, `"refs"`, `"beyond"`, `"behaviour"`, `"evidence_expected"`, `"verdict"`, `"reason"`, `"specs"`,
		`"name"`, `"state"`, `"labels"`, `"location"`, `"failure"`, `"message"`, `"evidence"`, `"value"`, `"run_time_seconds"`} {
		g.Expect(out).To(ContainSubstring(key))
	}
	g.Expect(out).NotTo(ContainSubstring(`"firmware_hash"`), "omitted when unknown")
	g.Expect(out).NotTo(ContainSubstring(`"label_filter"`), "omitted when there is none")
	g.Expect(out).NotTo(ContainSubstring("null"), "empty lists are [] so readers need not tell null apart")
	g.Expect(out).To(HaveSuffix("}\n"))
}
