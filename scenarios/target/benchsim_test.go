package target

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	hilboard "vsslab/hil/board"
)

func TestBenchSimIsABenchWithoutHardware(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	b, err := NewBenchSim(t.TempDir(), "iot", 1, simBoard(t))
	g.Expect(err).NotTo(HaveOccurred())
	defer b.Close()

	// A bench's capabilities, and nothing a simulation alone has.
	var tgt Target = b
	_, clocked := tgt.(Clocked)
	_, grounded := tgt.(Grounded)
	_, hasCard := tgt.(Card)
	_, storage := tgt.(Storage)
	_, observed := tgt.(Observed)
	g.Expect([]bool{clocked, grounded, hasCard, storage, observed}).To(HaveEach(BeFalse()))
	info, err := b.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Kind).To(Equal(KindBenchSim))
	host, control := b.ScanHost()
	if control != "" {
		g.Expect(b.BaseURL()).To(ContainSubstring(host), "the camera listens on an address of its own")
	}

	// The reset button and the power switch reach the camera through the virtual board's wires.
	before := b.CertificateSHA256()
	g.Expect(b.FactoryReset(ctx)).To(Succeed())
	g.Expect(b.CertificateSHA256()).NotTo(Equal(before), "a reset camera has a new identity, which the target pinned")
	g.Expect(b.PowerCycle(ctx)).To(Succeed())
	_, err = b.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "the camera answers under its pin after the power cycle")
}

func TestBenchSimNeedsABoardWiredAsABench(t *testing.T) {
	g := NewWithT(t)
	for _, drop := range []string{hilboard.ProbeResetButton, hilboard.ProbePower, hilboard.ProbeCardPower} {
		p := simBoard(t)
		probes := map[string]string{}
		for k, v := range p.Probes {
			if k != drop {
				probes[k] = v
			}
		}
		p.Probes = probes
		_, err := NewBenchSim(t.TempDir(), "iot", 1, p)
		g.Expect(err).To(MatchError(ContainSubstring("has no " + drop + " probe")))
	}
	p := simBoard(t)
	lines := map[string]string{}
	for k, v := range p.Lines {
		if k != hilboard.LineResetIn {
			lines[k] = v
		}
	}
	p.Lines = lines
	_, err := NewBenchSim(t.TempDir(), "iot", 1, p)
	g.Expect(err).To(MatchError(ContainSubstring("no reset_in line")))
	_, err = NewBenchSim(t.TempDir(), "dome", 1, simBoard(t))
	g.Expect(err).To(MatchError(ContainSubstring(`model "dome"`)))
}
