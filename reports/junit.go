package reports

import (
	"encoding/xml"
	"fmt"
	"os"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJUnit writes the run as JUnit XML for CI systems, using Ginkgo's own JUnit reporter so
// that the file matches what every Ginkgo-aware tool expects. Each testcase's name carries the
// spec's labels, hence the requirement IDs it verifies. There is one testcase per It; a suite
// setup node (BeforeSuite, AfterSuite...) appears only when it failed, so that CI shows a broken
// run without listing every passing setup node. The file is replaced atomically.
func WriteJUnit(path string, r types.Report) error {
	if err := writeAtomic(path, func(tmp string) error { return generateJUnit(tmp, r) }); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// generateJUnit writes the JUnit file at path and checks that it reads back, since Ginkgo's
// writer does not report encoding errors.
func generateJUnit(path string, r types.Report) error {
	r.SpecReports = junitSpecs(r.SpecReports)
	cfg := reporters.JunitReportConfig{OmitSuiteSetupNodes: false, OmitSpecLabels: false}
	if err := reporters.GenerateJUnitReportWithConfig(r, path, cfg); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		return fmt.Errorf("generated JUnit does not parse: %w", err)
	}
	got := 0
	for _, s := range suites.TestSuites {
		got += len(s.TestCases)
	}
	if got != len(r.SpecReports) {
		return fmt.Errorf("generated JUnit has %d testcases, want %d", got, len(r.SpecReports))
	}
	return nil
}

// junitSpecs keeps the Its and the suite-level nodes that failed.
func junitSpecs(in types.SpecReports) types.SpecReports {
	out := types.SpecReports{}
	for _, sr := range in {
		if sr.LeafNodeType == types.NodeTypeIt || sr.State.Is(types.SpecStateFailureStates) {
			out = append(out, sr)
		}
	}
	return out
}
