package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/hil/trace"
)

func TestBoardProbe(t *testing.T) {
	bin := buildBinary(t)

	t.Run("on the virtual board it prints the chip, the lines and a frame, and records a trace", func(t *testing.T) {
		g := NewWithT(t)
		tracePath := filepath.Join(t.TempDir(), "probe.json")
		out, err := exec.Command(bin, "board", "probe", "--board", "sim:sim-ov5640", "--record", tracePath).CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), string(out))
		g.Expect(string(out)).To(ContainSubstring("chip id: 0x5640\n"))
		g.Expect(string(out)).To(ContainSubstring("streaming, test pattern off, output 1280x720"))
		g.Expect(string(out)).To(MatchRegexp(`mic_enable +SIM_GPIO27 +Low`))
		g.Expect(string(out)).To(MatchRegexp(`frame:   1280x720, mean luma \d+\.\d, min \d+, max \d+`))
		f, err := os.Open(tracePath)
		g.Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		tr, err := trace.Read(f)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(tr.Ops).NotTo(BeEmpty())
	})

	t.Run("without a board it exits 2 and says what is missing and what to do", func(t *testing.T) {
		g := NewWithT(t)
		out, err := exec.Command(bin, "board", "probe").CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring(`no I2C bus named "I2C1"`))
		g.Expect(string(out)).To(ContainSubstring("see docs/bench.md"))
		out, err = exec.Command(bin, "board", "probe", "--board", filepath.Join(t.TempDir(), "missing.yaml")).CombinedOutput()
		g.Expect(exitCode(err)).To(Equal(2))
		g.Expect(string(out)).To(ContainSubstring("missing.yaml"))
	})
}
