package target

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
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

// TestSimHasAnAddressOfItsOwn: the camera answers on a loopback address no one else binds, the same
// one after a power cycle, and the control address is another.
func TestSimHasAnAddressOfItsOwn(t *testing.T) {
	g := NewWithT(t)
	s, err := NewSim(t.TempDir(), "iot", 1)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	host, shared := s.ScanHost()
	if host == "" {
		t.Skip("this host gives no loopback address of its own")
	}
	g.Expect(host).NotTo(Equal("127.0.0.1"))
	g.Expect(shared).NotTo(Or(BeEmpty(), Equal(host), Equal("127.0.0.1")))
	for _, raw := range []string{s.BaseURL(), s.HTTPURL(), s.RTSPURL()} {
		u, err := url.Parse(raw)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(u.Hostname()).To(Equal(host), raw)
	}
	g.Expect(s.PowerCycle(context.Background())).To(Succeed())
	h2, s2 := s.ScanHost()
	g.Expect([]string{h2, s2}).To(Equal([]string{host, shared}))
	// The certificate names the address, for clients that check names rather than a pin.
	c, err := tls.Dial("tcp", strings.TrimPrefix(s.BaseURL(), "https://"), &tls.Config{InsecureSkipVerify: true})
	g.Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	g.Expect(c.ConnectionState().PeerCertificates[0].VerifyHostname(host)).To(Succeed())
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

// A switched-off camera's waits leave the clock with it: a spec that waits for "the camera waits for
// T" must see the running camera's wait, never a stale one of the camera before a power cycle.
func TestSimPowerCycleLeavesNoStaleWaits(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	s, err := NewSim(t.TempDir(), "iot", 3)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	clk := s.Clock()
	g.Eventually(clk.Pending).ShouldNot(BeEmpty(), "the camera waits for its next frame")
	first := clk.Pending()
	g.Expect(s.PowerCycle(ctx)).To(Succeed())
	g.Expect(s.FactoryReset(ctx)).To(Succeed())
	g.Eventually(clk.Pending).Should(Equal(first), "only the running camera's waits are pending")
}
