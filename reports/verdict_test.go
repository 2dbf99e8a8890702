package reports

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

func TestVerdicts(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Verdicts()).To(Equal([]Verdict{"passed", "failed", "error", "not_applicable", "not_run"}))
	for _, v := range Verdicts() {
		g.Expect(v.Valid()).To(BeTrue(), string(v))
	}
	g.Expect(Verdict("skipped").Valid()).To(BeFalse())
	g.Expect(Verdict("").Valid()).To(BeFalse())
	g.Expect(NotApplicable.Text()).To(Equal("not applicable"))
	g.Expect(NotRun.Text()).To(Equal("not run"))
}

func TestSpecVerdictNotApplicableNeedsThePrefix(t *testing.T) {
	g := NewWithT(t)
	skip := func(msg string) Verdict {
		return specVerdict(types.SpecReport{State: types.SpecStateSkipped, Failure: types.Failure{Message: msg}})
	}
	g.Expect(skip("not applicable: no clock")).To(Equal(NotApplicable))
	g.Expect(skip("Not applicable:no clock")).To(Equal(NotApplicable))
	g.Expect(skip("not applicable")).To(Equal(NotRun), "the colon is part of the prefix")
	g.Expect(skip("this is not applicable: here")).To(Equal(NotRun), "the message must start with it")
	g.Expect(skip("")).To(Equal(NotRun))
	g.Expect(skip("n")).To(Equal(NotRun))
	// a failed spec whose message happens to start with the prefix is still a failure
	g.Expect(specVerdict(types.SpecReport{State: types.SpecStateFailed, Failure: types.Failure{Message: "not applicable: x"}})).To(Equal(Failed))
}

func TestDecide(t *testing.T) {
	spec := func(state Verdict, msg string) SpecResult {
		s := SpecResult{State: state}
		if msg != "" {
			s.Failure = &Failure{Message: msg}
		}
		return s
	}
	cases := []struct {
		specs   []SpecResult
		verdict Verdict
		reason  string
	}{
		{nil, NotRun, "no spec verifies this requirement yet"},
		{[]SpecResult{spec(Passed, "")}, Passed, "1 spec passed."},
		{[]SpecResult{spec(Failed, "x")}, Failed, "the only spec failed."},
		{[]SpecResult{spec(Failed, "x"), spec(Failed, "y")}, Failed, "all 2 specs failed."},
		{[]SpecResult{spec(NotRun, "")}, NotRun, "the only spec did not run."},
		{[]SpecResult{spec(NotApplicable, "")}, NotApplicable, "not applicable: no justification given"},
		{[]SpecResult{spec(NotApplicable, "not applicable: b."), spec(NotApplicable, "not applicable: a"), spec(NotApplicable, "not applicable: b")},
			NotApplicable, "not applicable: a; b"},
		{[]SpecResult{spec(NotApplicable, "not applicable: a"), spec(NotRun, "")}, NotRun, "1 of 2 specs did not run."},
		{[]SpecResult{spec(Passed, ""), spec(NotApplicable, "not applicable: a"), spec(NotApplicable, "not applicable: b")},
			Passed, "1 spec passed, 2 not applicable: a; b."},
		{[]SpecResult{spec(Error, ""), spec(Passed, ""), spec(NotApplicable, "not applicable: a")}, Error,
			"1 of 3 specs ended in error (panicked, interrupted, aborted or timed out)."},
	}
	for _, tc := range cases {
		g := NewWithT(t)
		v, reason := decide(tc.specs)
		g.Expect(v).To(Equal(tc.verdict), tc.reason)
		g.Expect(reason).To(Equal(tc.reason))
	}
}
