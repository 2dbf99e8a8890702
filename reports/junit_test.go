package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

// junitDoc is the part of a JUnit file the tests read, decoded independently of Ginkgo's types.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Status  string `xml:"status,attr"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t testing.TB, path string) junitDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	return doc
}

func junitRun() types.Report {
	afterSuite := suiteNode(types.NodeTypeAfterSuite, types.SpecStateFailed)
	afterSuite.Failure = types.Failure{Message: "could not stop the camera"}
	return ginkgoReport(
		suiteNode(types.NodeTypeBeforeSuite, types.SpecStatePassed),
		withEntry(it("old password refused", types.SpecStatePassed, "AUTH-1", "AUTH-2"), "status", types.WrapEntryValue(401)),
		withFailure(it("zone follows pan", types.SpecStateSkipped, "MASK-4"), "not applicable: fixed camera"),
		withFailure(it("weak <password>", types.SpecStateFailed, "AUTH-2"), `expected 400 & got "200"`),
		afterSuite,
		suiteNode(types.NodeTypeReportAfterSuite, types.SpecStatePassed),
	)
}

func TestWriteJUnit(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "junit.xml")
	g.Expect(WriteJUnit(path, junitRun())).To(Succeed())
	doc := readJUnit(t, path)
	g.Expect(doc.Suites).To(HaveLen(1))
	cases := doc.Suites[0].Cases
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	g.Expect(names).To(Equal([]string{
		"[It] Cam old password refused [AUTH-1, AUTH-2]",
		"[It] Cam zone follows pan [MASK-4]",
		"[It] Cam weak <password> [AUTH-2]",
		"[AfterSuite]",
	}), "one testcase per It, labels in the name, and the failed suite node; passing suite nodes left out")
	g.Expect(doc.Tests).To(Equal(4))
	g.Expect(cases[0].Properties).To(ContainElement(HaveField("Value", "401")))
	g.Expect(cases[1].Skipped.Message).To(Equal("skipped - not applicable: fixed camera"))
	g.Expect(cases[2].Failure.Message).To(Equal(`expected 400 & got "200"`))
	g.Expect(cases[3].Failure.Message).To(Equal("could not stop the camera"))

	entries, err := os.ReadDir(filepath.Dir(path))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "no temporary file left behind")
	info, err := os.Stat(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o644)))

	// writing again replaces the file
	g.Expect(WriteJUnit(path, ginkgoReport(it("only", types.SpecStatePassed, "NET-1")))).To(Succeed())
	g.Expect(readJUnit(t, path).Suites[0].Cases).To(HaveLen(1))
}

func TestWriteJUnitFailureLeavesNothing(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	g.Expect(os.WriteFile(blocker, []byte("x"), 0o644)).To(Succeed())
	g.Expect(WriteJUnit(filepath.Join(blocker, "junit.xml"), junitRun())).To(MatchError(ContainSubstring("write JUnit report")))
	entries, _ := os.ReadDir(dir)
	g.Expect(entries).To(HaveLen(1))
}
