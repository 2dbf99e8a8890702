package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Schema names the version of the report format; ReadJSON accepts only this one.
const Schema = "vsslab.report/v1"

// Target names the device under test so that the run can be repeated on the same device
// (EN 303 645 reporting obligations).
type Target struct {
	// Kind is how the harness reached the camera: in-process, container, remote or bench.
	Kind string `json:"kind"`
	// Model is the camera model; for the reference camera "iot" (fixed) or "move" (PTZ).
	Model    string `json:"model"`
	Firmware string `json:"firmware"`
	Serial   string `json:"serial"`
	// FirmwareHash identifies the exact firmware image when the target can report it.
	FirmwareHash string `json:"firmware_hash,omitempty"`
}

// Harness identifies the harness that produced the report.
type Harness struct {
	Version string `json:"version"`
}

// Run is what the runner knows about a run that Ginkgo's report does not: the harness, the
// target and the environment. Zero Seed, LabelFilter, Started and Finished are taken from
// Ginkgo's report instead.
type Run struct {
	HarnessVersion    string
	Target            Target
	Seed              int64
	LabelFilter       string
	Started, Finished time.Time
	// Environment records what is needed to repeat the run: Go version, OS/arch, host name...
	Environment map[string]string
}

// Report is the certification report: a verdict for every requirement of the catalogue, the
// evidence behind it, and what identifies the run. It is what report.json holds.
type Report struct {
	Schema      string            `json:"schema"`
	Harness     Harness           `json:"harness"`
	Target      Target            `json:"target"`
	Seed        int64             `json:"seed"`
	LabelFilter string            `json:"label_filter,omitempty"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	Environment map[string]string `json:"environment,omitempty"`
	// Summary counts requirements (not specs) per verdict; all five verdicts are always present.
	Summary map[Verdict]int `json:"summary"`
	// Requirements has one result per catalogue row, in catalogue order.
	Requirements []RequirementResult `json:"requirements"`
	// Unmapped holds the specs that verify no known requirement: no requirement label, or a
	// label naming a requirement the catalogue does not have.
	Unmapped []SpecResult `json:"unmapped_specs,omitempty"`
	// Problems are things a certifier must look at before signing: unknown labels, a broken
	// suite setup, an interrupted run, a run that does not name its target.
	Problems []string `json:"problems,omitempty"`
}

// RequirementResult is the verdict on one requirement, with the catalogue text it was judged
// against and the specs that judged it.
type RequirementResult struct {
	ID               string   `json:"id"`
	Area             string   `json:"area"`
	Title            string   `json:"title"`
	Refs             []string `json:"refs"`
	Beyond           bool     `json:"beyond"`
	Models           []string `json:"models"`
	Behaviour        string   `json:"behaviour"`
	EvidenceExpected string   `json:"evidence_expected"`
	Verdict          Verdict  `json:"verdict"`
	// Reason explains the verdict in one sentence, such as "2 specs passed." or the
	// justification of a not-applicable verdict.
	Reason string `json:"reason"`
	// Specs are the specs labelled with this requirement's ID, sorted by name.
	Specs []SpecResult `json:"specs"`
}

// SpecResult is one Ginkgo spec (an It) as the report shows it.
type SpecResult struct {
	// Name is the spec's full text: its containers and its own text joined by spaces.
	Name string `json:"name"`
	// State is the spec's outcome in the report's terms; Error covers panicked, interrupted,
	// aborted and timed-out specs.
	State  Verdict  `json:"state"`
	Labels []string `json:"labels"`
	// Location is the file:line of the It.
	Location string `json:"location"`
	// Failure holds the failure message, or for a skipped spec the skip's justification.
	Failure  *Failure   `json:"failure,omitempty"`
	Evidence []Evidence `json:"evidence"`
	RunTime  float64    `json:"run_time_seconds"`
}

// Failure is why a spec did not pass, and where.
type Failure struct {
	Message  string `json:"message"`
	Location string `json:"location"`
}

// Evidence is one value a spec measured and attached with AddReportEntry.
type Evidence struct {
	Name string `json:"name"`
	// Value is the entry's value as JSON; a value that cannot be JSON is kept as its string form.
	Value    json.RawMessage `json:"value"`
	Location string          `json:"location"`
}

// idLabel matches labels that claim to name a requirement. Ginkgo compares labels without
// regard to case, and so does the report.
var idLabel = regexp.MustCompile(`^[A-Za-z]+-[0-9]+$`)

// Build judges every requirement of the catalogue from the specs of a Ginkgo run. A spec counts
// for every requirement ID among its labels (its containers' labels included). Beyond the rules
// of decide, two facts of the run override a verdict: a requirement that does not apply to the
// target's model (for the reference models iot and move) is not applicable, and a failed suite
// setup or teardown node makes every requirement with specs an error. The output depends only on
// its inputs, so the same report content always gives the same JSON.
func Build(run Run, cat Catalogue, r types.Report) Report {
	rep := Report{
		Schema:      Schema,
		Harness:     Harness{Version: run.HarnessVersion},
		Target:      run.Target,
		Seed:        run.Seed,
		LabelFilter: run.LabelFilter,
		Started:     run.Started,
		Finished:    run.Finished,
		Environment: maps.Clone(run.Environment),
		Summary:     map[Verdict]int{},
	}
	if rep.Seed == 0 {
		rep.Seed = r.SuiteConfig.RandomSeed
	}
	if rep.LabelFilter == "" {
		rep.LabelFilter = r.SuiteConfig.LabelFilter
	}
	if rep.Started.IsZero() {
		rep.Started = r.StartTime
	}
	if rep.Finished.IsZero() {
		rep.Finished = r.EndTime
	}

	specs := collectSpecs(cat, r)
	broken, suiteProblems := suiteBreakage(r)
	for _, req := range cat.Requirements {
		res := judge(req, specs.byID[req.ID], run.Target.Model, broken)
		rep.Summary[res.Verdict]++
		rep.Requirements = append(rep.Requirements, res)
	}
	rep.Requirements = nonNil(rep.Requirements)
	for _, v := range Verdicts() {
		rep.Summary[v] += 0 // every verdict is present, counted or not
	}
	rep.Unmapped = specs.unmapped
	sortSpecs(rep.Unmapped)
	rep.Problems = slices.Concat(identificationProblems(run), suiteProblems, sortedUnique(specs.problems))
	return rep
}

// identificationProblems lists what the run fails to name of what a repeatable report must.
func identificationProblems(run Run) []string {
	var problems []string
	if run.HarnessVersion == "" {
		problems = append(problems, "the run does not name the harness version")
	}
	if run.Target.Model == "" {
		problems = append(problems, "the run does not name the target's model")
	}
	if run.Target.Firmware == "" {
		problems = append(problems, "the run does not name the target's firmware version")
	}
	return problems
}

// collected holds the Its of a run sorted by the requirements they verify.
type collected struct {
	byID     map[string][]SpecResult
	unmapped []SpecResult
	problems []string
}

// collectSpecs files every It under the catalogue IDs among its labels. Labels that look like a
// requirement ID but name none of the catalogue are problems, and so is an It with no such label.
func collectSpecs(cat Catalogue, r types.Report) collected {
	known := make(map[string]bool, len(cat.Requirements))
	for _, req := range cat.Requirements {
		known[req.ID] = true
	}
	c := collected{byID: map[string][]SpecResult{}}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		spec := specResult(sr)
		var ids, unknown []string
		for _, label := range spec.Labels {
			if !idLabel.MatchString(label) {
				continue
			}
			id := strings.ToUpper(label)
			switch {
			case !known[id]:
				unknown = append(unknown, label)
			case !slices.Contains(ids, id):
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			c.byID[id] = append(c.byID[id], spec)
		}
		for _, label := range unknown {
			c.problems = append(c.problems, fmt.Sprintf("spec %q labels unknown requirement %s", spec.Name, label))
		}
		if len(ids) == 0 && len(unknown) == 0 {
			c.problems = append(c.problems, fmt.Sprintf("spec %q carries no requirement label", spec.Name))
		}
		if len(ids) == 0 || len(unknown) > 0 {
			c.unmapped = append(c.unmapped, spec)
		}
	}
	return c
}

// suiteBreakage finds the suite-level nodes (BeforeSuite, AfterSuite...) that failed, which
// break the whole run, and the suite's own failure reasons, such as an interrupt.
func suiteBreakage(r types.Report) (broken, problems []string) {
	for _, sr := range r.SpecReports {
		if !sr.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) || !sr.State.Is(types.SpecStateFailureStates) {
			continue
		}
		broken = append(broken, sr.LeafNodeType.String())
		problems = append(problems, fmt.Sprintf("%s %s at %s: %s; the run was broken, so every requirement with specs is reported as error",
			sr.LeafNodeType, sr.State, location(sr.LeafNodeLocation), failureMessage(sr.Failure)))
	}
	problems = sortedUnique(problems)
	for _, reason := range r.SpecialSuiteFailureReasons {
		problems = append(problems, "the suite reports: "+reason)
	}
	return sortedUnique(broken), problems
}

// judge gives one requirement its result from its specs, the target's model and whether the
// run was broken.
func judge(req Requirement, specs []SpecResult, model string, broken []string) RequirementResult {
	sortSpecs(specs)
	res := RequirementResult{
		ID:               req.ID,
		Area:             req.Area,
		Title:            req.Title,
		Refs:             nonNil(slices.Clone(req.Refs)),
		Beyond:           req.Beyond,
		Models:           nonNil(slices.Clone(req.Models)),
		Behaviour:        req.Behaviour,
		EvidenceExpected: req.Evidence,
		Specs:            nonNil(specs),
	}
	res.Verdict, res.Reason = decide(specs)
	switch {
	case (model == ModelIoT || model == ModelMove) && !req.AppliesTo(model):
		res.Verdict = NotApplicable
		res.Reason = fmt.Sprintf("%s %s applies to the %s model only; the target is the %s model",
			notApplicablePrefix, req.ID, strings.Join(req.Models, " and "), model)
	case len(broken) > 0 && len(specs) > 0:
		res.Verdict = Error
		res.Reason = fmt.Sprintf("the run was broken (%s failed), so the evidence of %s cannot be trusted.",
			strings.Join(broken, ", "), plural(len(specs), "spec"))
	}
	return res
}

// specResult converts one Ginkgo It into the report's terms.
func specResult(sr types.SpecReport) SpecResult {
	s := SpecResult{
		Name:     sr.FullText(),
		State:    specVerdict(sr),
		Labels:   nonNil(sr.Labels()),
		Location: location(sr.LeafNodeLocation),
		Evidence: []Evidence{},
		RunTime:  sr.RunTime.Seconds(),
	}
	if !sr.Failure.IsZero() {
		s.Failure = &Failure{Message: failureMessage(sr.Failure), Location: location(sr.Failure.Location)}
	}
	for _, e := range sr.ReportEntries {
		s.Evidence = append(s.Evidence, Evidence{Name: e.Name, Value: evidenceValue(e.Value), Location: location(e.Location)})
	}
	return s
}

// failureMessage is the failure's message, with the panic's value for a panicked spec.
func failureMessage(f types.Failure) string {
	msg := f.Message
	if f.ForwardedPanic != "" && !strings.Contains(msg, f.ForwardedPanic) {
		if msg == "" {
			return f.ForwardedPanic
		}
		msg += ": " + f.ForwardedPanic
	}
	return msg
}

// evidenceValue turns a report entry's value into JSON: the JSON Ginkgo recorded (a report read
// back from disk or from a parallel process), else the live value marshalled (a report from the
// same process, where Ginkgo has not encoded it yet), else its string form as a JSON string.
func evidenceValue(v types.ReportEntryValue) json.RawMessage {
	if v.AsJSON != "" && json.Valid([]byte(v.AsJSON)) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(v.AsJSON)); err == nil {
			return compact.Bytes()
		}
	}
	raw := v.GetRawValue()
	if raw != nil {
		if b, err := json.Marshal(raw); err == nil {
			return b
		}
	}
	s := v.Representation
	if s == "" {
		if raw == nil {
			return json.RawMessage(`null`) // AddReportEntry without a value
		}
		s = v.String()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// location formats a code location as file:line, or "" when unknown.
func location(cl types.CodeLocation) string {
	if cl.FileName == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", cl.FileName, cl.LineNumber)
}

// sortSpecs orders specs by name, then location, then state, so that the report does not depend
// on the order in which (possibly parallel) specs finished.
func sortSpecs(specs []SpecResult) {
	sort.SliceStable(specs, func(i, j int) bool {
		a, b := specs[i], specs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Location != b.Location {
			return a.Location < b.Location
		}
		return a.State < b.State
	})
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// nonNil makes empty lists encode as [] rather than null, so readers need not tell them apart.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
