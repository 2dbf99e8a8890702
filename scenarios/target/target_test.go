package target

import (
	"context"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestSimKeepsItsAddressAcrossPowerCycles(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s, err := NewSim(t.TempDir(), "iot", 3)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	base, plain, pin := s.BaseURL(), s.HTTPURL(), s.CertificateSHA256()
	g.Expect(s.PowerCycle(ctx)).To(Succeed())
	g.Expect(s.BaseURL()).To(Equal(base))
	g.Expect(s.HTTPURL()).To(Equal(plain))
	g.Expect(s.CertificateSHA256()).To(Equal(pin), "a power cycle keeps the identity")

	g.Expect(s.FactoryReset(ctx)).To(Succeed())
	g.Expect(s.BaseURL()).To(Equal(base))
	g.Expect(s.CertificateSHA256()).NotTo(Equal(pin), "a reset makes a new identity")

	info, err := s.Info(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Kind).To(Equal("sim"))
	g.Expect(info.Model).To(Equal("iot"))
	g.Expect(info.Serial).NotTo(BeEmpty())
}

func TestSimCapabilities(t *testing.T) {
	g := NewWithT(t)
	s, err := NewSim(t.TempDir(), "move", 1)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	var tgt Target = s
	_, clocked := tgt.(Clocked)
	_, observed := tgt.(Observed)
	_, storage := tgt.(Storage)
	_, grounded := tgt.(Grounded)
	_, hasCard := tgt.(Card)
	_, motion := tgt.(MotionInput)
	g.Expect([]bool{clocked, observed, storage, grounded, hasCard, motion}).To(Equal([]bool{true, true, true, true, true, true}))

	before := s.Clock().Now()
	g.Expect(s.Clock().Advance(time.Hour)).To(Succeed())
	g.Expect(s.Clock().Now().Sub(before)).To(Equal(time.Hour))
	g.Expect(s.OutboundAttempts()).To(BeEmpty())
	g.Expect(s.StateDir()).To(BeADirectory())
}

func TestSimRefusesUnknownModel(t *testing.T) {
	g := NewWithT(t)
	_, err := NewSim(t.TempDir(), "dome", 1)
	g.Expect(err).To(MatchError(ContainSubstring("dome")))
}

func TestPinnedClientTrustsOnlyThePin(t *testing.T) {
	g := NewWithT(t)
	s, err := NewSim(t.TempDir(), "iot", 1)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()

	good := PinnedClient(s.CertificateSHA256)
	resp, err := good.Get(s.BaseURL() + "/api/v1/device")
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))

	wrong := PinnedClient(func() string { return "00" })
	_, err = wrong.Get(s.BaseURL() + "/api/v1/device")
	g.Expect(err).To(MatchError(ContainSubstring("expected 00")))

	// Redirects are shown to the caller, not followed.
	resp, err = good.Get(s.HTTPURL() + "/api/v1/device")
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusPermanentRedirect))
}
