package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteAll(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "run-1", "report")
	r := junitRun()
	rep := Build(testRun, testCatalogue(t), r)
	g.Expect(WriteAll(dir, rep, r)).To(Succeed())
	g.Expect(dirNames(t, dir)).To(ConsistOf("report.json", "junit.xml", "report.html"))

	f, err := os.Open(filepath.Join(dir, JSONFile))
	g.Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	back, err := ReadJSON(f)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(encodeReport(t, back))).To(Equal(string(encodeReport(t, rep))))

	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(page)).To(ContainSubstring(`id="req-MASK-4"`))
	g.Expect(readJUnit(t, filepath.Join(dir, JUnitFile)).Suites[0].Cases).To(HaveLen(4))
	for _, name := range []string{JSONFile, JUnitFile, HTMLFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o644)), name)
	}
}

func TestWriteAllFailureKeepsThePreviousReport(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	r := junitRun()
	good := Build(testRun, testCatalogue(t), r)
	g.Expect(WriteAll(dir, good, r)).To(Succeed())
	before := map[string]string{}
	for _, name := range []string{JSONFile, JUnitFile, HTMLFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		before[name] = string(data)
	}

	bad := Build(testRun, testCatalogue(t), r)
	bad.Target.Firmware = "2.0.0"
	bad.Requirements[0].Specs[0].Evidence[0].Value = []byte("{broken")
	g.Expect(WriteAll(dir, bad, r)).To(MatchError(ContainSubstring("write reports")))

	g.Expect(dirNames(t, dir)).To(ConsistOf("report.json", "junit.xml", "report.html"), "no temporary files left")
	for name, content := range before {
		data, err := os.ReadFile(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(data)).To(Equal(content), name+" untouched")
	}
}

func TestWriteAllCannotCreateDir(t *testing.T) {
	g := NewWithT(t)
	blocker := filepath.Join(t.TempDir(), "file")
	g.Expect(os.WriteFile(blocker, nil, 0o644)).To(Succeed())
	err := WriteAll(filepath.Join(blocker, "report"), Build(testRun, testCatalogue(t), junitRun()), junitRun())
	g.Expect(err).To(HaveOccurred())
	g.Expect(strings.HasPrefix(err.Error(), "write reports:")).To(BeTrue())
}
