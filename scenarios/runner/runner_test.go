package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/reports"
)

// TestRunWritesTheReport runs a slice of the real suites in-process (Ginkgo allows one run per
// process, so this is the package's only Run) and checks what a certifier receives.
func TestRunWritesTheReport(t *testing.T) {
	g := NewWithT(t)
	out := filepath.Join(t.TempDir(), "report")
	var progress bytes.Buffer
	res, err := Run(context.Background(), Options{
		Model: "iot", LabelFilter: "TLS-1 || AUTH-4", OutDir: out, Seed: 7, Progress: &progress,
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.ExitCode).To(Equal(0))
	for _, f := range []string{"report.json", "junit.xml", "report.html", "run.log"} {
		g.Expect(filepath.Join(out, f)).To(BeARegularFile())
	}
	f, err := os.Open(filepath.Join(out, "report.json"))
	g.Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	rep, err := reports.ReadJSON(f)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rep.Seed).To(Equal(int64(7)))
	g.Expect(rep.Target.Kind).To(Equal("sim"))
	g.Expect(rep.Target.FirmwareHash).To(HavePrefix("sha256:"))
	g.Expect(rep.Harness.Version).To(Equal(HarnessVersion))
	verdicts := map[string]reports.Verdict{}
	for _, r := range rep.Requirements {
		verdicts[r.ID] = r.Verdict
	}
	g.Expect(verdicts).To(HaveKeyWithValue("TLS-1", reports.Passed))
	g.Expect(verdicts).To(HaveKeyWithValue("AUTH-4", reports.Passed))
	g.Expect(verdicts).To(HaveKeyWithValue("AUTH-1", reports.NotRun), "filtered out, so not run: never passed")
	g.Expect(verdicts).To(HaveKeyWithValue("ANA-1", reports.NotRun))

	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	g.Expect(lines[0]).To(Equal("running 2 specs"))
	g.Expect(lines).To(HaveLen(3))
	g.Expect(progress.String()).To(ContainSubstring("passed         TLS-1"))

	log, err := os.ReadFile(filepath.Join(out, "run.log"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(log)).To(ContainSubstring("SUCCESS!"), "Ginkgo's transcript goes to run.log")
	g.Expect(string(log)).To(ContainSubstring("anonymous live image"))

	g.Expect(Summary(rep, out)).To(ContainSubstring("2 passed"))
}

func TestOptionsAreChecked(t *testing.T) {
	for name, o := range map[string]Options{
		"target":       {Target: "bench", OutDir: "x"},
		"board on sim": {Target: "sim", Board: "sim-ov5640", OutDir: "x"},
		"model":        {Model: "dome", OutDir: "x"},
		"no out":       {},
		"label filter": {OutDir: "x", LabelFilter: "AUTH-1 &&"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Run(context.Background(), o)
			var ue *UsageError
			g.Expect(err).To(BeAssignableToTypeOf(ue))
		})
	}
}

func TestExitCodes(t *testing.T) {
	g := NewWithT(t)
	rep := reports.Report{Summary: map[reports.Verdict]int{reports.Passed: 3}}
	g.Expect(exitCode(rep)).To(Equal(0))
	rep.Summary[reports.NotRun] = 5
	g.Expect(exitCode(rep)).To(Equal(0), "not run is not a failure")
	rep.Summary[reports.Error] = 1
	g.Expect(exitCode(rep)).To(Equal(2))
	rep.Summary[reports.Failed] = 1
	g.Expect(exitCode(rep)).To(Equal(1), "a failed requirement wins")
}

func TestBenchTargetNeedsTheCameraAndItsPin(t *testing.T) {
	g := NewWithT(t)
	_, err := Run(context.Background(), Options{Target: "hil:rpi-ov5640", OutDir: t.TempDir()})
	var ue *UsageError
	g.Expect(errors.As(err, &ue)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(And(ContainSubstring("--camera https://HOST:PORT"), ContainSubstring("--pin HEX"), ContainSubstring("ready line"))))
	_, err = Run(context.Background(), Options{Target: "hil:rpi-ov5640", Camera: "https://127.0.0.1:1", OutDir: t.TempDir()})
	g.Expect(errors.As(err, &ue)).To(BeTrue(), "a pin is needed too: %v", err)

	_, err = Run(context.Background(), Options{Target: "sim", Camera: "https://127.0.0.1:1", OutDir: t.TempDir()})
	g.Expect(errors.As(err, &ue)).To(BeTrue(), "a camera address is not silently ignored: %v", err)
	g.Expect(err).To(MatchError(ContainSubstring("need --target hil:FILE")))

	// With both, the run reaches for the bench: here the probes' GPIO are not on this host, which is
	// no usage mistake but a bench that is not there.
	_, err = Run(context.Background(), Options{Target: "hil:sim-ov5640", Camera: "https://127.0.0.1:1", Pin: strings.Repeat("0", 64), OutDir: t.TempDir()})
	g.Expect(err).To(MatchError(ContainSubstring(`no GPIO named "SIM_GPIO5"`)))
	g.Expect(errors.As(err, &ue)).To(BeFalse())
}

func TestFirmwareHashOnlyForTheCameraThisProgramCarries(t *testing.T) {
	g := NewWithT(t)
	for _, kind := range []string{"sim", "hil-sim", "container"} {
		g.Expect((&Options{Target: kind}).firmwareHash()).To(HavePrefix("sha256:"), kind)
	}
	g.Expect((&Options{Target: "hil:rpi-ov5640"}).firmwareHash()).To(BeEmpty(), "a bench runs what was flashed on the board")
}
