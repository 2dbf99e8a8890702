package world

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"

	simclock "vsslab/sim/clock"
)

func TestSerialIsStablePerSeed(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Serial(1)).To(Equal(Serial(1)))
	g.Expect(Serial(1)).NotTo(Equal(Serial(2)))
	g.Expect(Serial(1)).To(MatchRegexp(`^VSS-[0-9A-F]{8}$`))
}

func TestStartServesTheCamera(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	w, err := Start(Options{StateDir: dir, Model: "iot", Seed: 5, Clock: simclock.New(simclock.Epoch()), HTTPS: "127.0.0.1:0"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.Server.HTTPSURL()).To(HavePrefix("https://127.0.0.1:"))
	g.Expect(w.Server.HTTPURL()).To(BeEmpty(), "no plain-HTTP port unless asked for")
	g.Expect(w.StateDir()).To(Equal(dir))
	d, err := w.Camera.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.Serial).To(Equal(Serial(5)))
	f, err := w.Sensor.Capture()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Image.Rect.Dx()).To(Equal(640))
	g.Expect(w.Close()).To(Succeed())
}

func TestStartNeedsAClock(t *testing.T) {
	g := NewWithT(t)
	_, err := Start(Options{StateDir: t.TempDir(), Model: "iot"})
	g.Expect(err).To(MatchError(ContainSubstring("no clock")))
}

func TestStartRefusesABadModel(t *testing.T) {
	g := NewWithT(t)
	_, err := Start(Options{StateDir: t.TempDir(), Model: "box", Clock: simclock.New(simclock.Epoch()), HTTPS: "127.0.0.1:0"})
	g.Expect(err).To(HaveOccurred())
}

func TestCertHostsNameTheListenAddress(t *testing.T) {
	got := certHosts("127.77.1.2:0")
	if !slices.Contains(got, "127.77.1.2") || !slices.Contains(got, "127.0.0.1") {
		t.Fatalf("hosts %v", got)
	}
	if got := certHosts("127.0.0.1:8443"); len(got) != 3 {
		t.Fatalf("the loopback address is named twice: %v", got)
	}
	if got := certHosts("camera.local:8443"); slices.Contains(got, "camera.local") {
		t.Fatalf("a name that is not an address was added: %v", got)
	}
}
