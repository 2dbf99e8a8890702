package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Verdict is the outcome of a requirement, or of one spec, in a certification report.
type Verdict string

// The five verdicts a report may give (EN 303 645 4-1 reporting). Only Passed is a pass:
// incomplete evidence (NotRun) and a broken run (Error) never are.
const (
	// Passed: every spec that ran passed, and at least one did.
	Passed Verdict = "passed"
	// Failed: a spec observed the camera breaking the requirement.
	Failed Verdict = "failed"
	// NotApplicable: the target lacks what the requirement is about, with a recorded justification.
	NotApplicable Verdict = "not_applicable"
	// NotRun: no spec verified the requirement, or some of its specs did not run.
	NotRun Verdict = "not_run"
	// Error: a spec panicked, was interrupted, aborted or timed out, or the suite's setup broke,
	// so the evidence is unusable either way.
	Error Verdict = "error"
)

// Verdicts lists the five verdicts in the order reports show them.
func Verdicts() []Verdict {
	return []Verdict{Passed, Failed, Error, NotApplicable, NotRun}
}

// Valid reports whether v is one of the five verdicts.
func (v Verdict) Valid() bool {
	switch v {
	case Passed, Failed, NotApplicable, NotRun, Error:
		return true
	}
	return false
}

// Text spells the verdict out for people ("not applicable" rather than "not_applicable").
func (v Verdict) Text() string {
	return strings.ReplaceAll(string(v), "_", " ")
}

// notApplicablePrefix starts the message of Skip calls that mean "this target cannot have this
// behaviour": Skip("not applicable: the target has no virtual clock").
const notApplicablePrefix = "not applicable:"

// specVerdict maps a Ginkgo spec state to a verdict. A skip counts as not applicable only when
// its message says so; any other skip, a pending spec or one filtered out did not run.
func specVerdict(sr types.SpecReport) Verdict {
	switch sr.State {
	case types.SpecStatePassed:
		return Passed
	case types.SpecStateFailed:
		return Failed
	case types.SpecStateSkipped:
		if isNotApplicable(sr.Failure.Message) {
			return NotApplicable
		}
		return NotRun
	case types.SpecStatePending:
		return NotRun
	default: // panicked, interrupted, aborted, timed out, or an invalid state
		return Error
	}
}

func isNotApplicable(msg string) bool {
	msg = strings.TrimSpace(msg)
	return len(msg) >= len(notApplicablePrefix) && strings.EqualFold(msg[:len(notApplicablePrefix)], notApplicablePrefix)
}

// justification is the text of a not-applicable skip after its "not applicable:" prefix.
func justification(s SpecResult) string {
	if s.Failure == nil {
		return ""
	}
	msg := strings.TrimSpace(s.Failure.Message)
	if isNotApplicable(msg) {
		msg = strings.TrimSpace(msg[len(notApplicablePrefix):])
	}
	return msg
}

// decide gives a requirement's verdict and the sentence explaining it from the specs labelled
// with its ID. Any failure wins over an error, an error over a spec that did not run, and a
// requirement passes only if every spec ran and at least one passed.
func decide(specs []SpecResult) (Verdict, string) {
	n := len(specs)
	if n == 0 {
		return NotRun, "no spec verifies this requirement yet"
	}
	count := map[Verdict]int{}
	for _, s := range specs {
		count[s.State]++
	}
	switch {
	case count[Failed] > 0:
		return Failed, fmt.Sprintf("%s failed.", ofSpecs(count[Failed], n))
	case count[Error] > 0:
		return Error, fmt.Sprintf("%s ended in error (panicked, interrupted, aborted or timed out).", ofSpecs(count[Error], n))
	case count[NotRun] > 0:
		return NotRun, fmt.Sprintf("%s did not run.", ofSpecs(count[NotRun], n))
	case count[NotApplicable] == n:
		return NotApplicable, notApplicablePrefix + " " + justifications(specs)
	default:
		reason := plural(count[Passed], "spec") + " passed"
		if na := count[NotApplicable]; na > 0 {
			reason += fmt.Sprintf(", %d not applicable: %s", na, justifications(specs))
		}
		return Passed, reason + "."
	}
}

// justifications joins the distinct justifications of the not-applicable specs, sorted.
func justifications(specs []SpecResult) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range specs {
		if s.State != NotApplicable {
			continue
		}
		j := strings.TrimSuffix(justification(s), ".")
		if j == "" {
			j = "no justification given"
		}
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// ofSpecs says "1 of 3 specs" or, when all are meant, "the only spec" / "all 3 specs".
func ofSpecs(k, n int) string {
	switch {
	case n == 1:
		return "the only spec"
	case k == n:
		return fmt.Sprintf("all %d specs", n)
	default:
		return fmt.Sprintf("%d of %d specs", k, n)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
