package camera_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"vsslab/camera"
	simboard "vsslab/sim/board"
)

func TestLinesFollowTheSettings(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	mic := &gpiotest.Pin{N: "MIC_EN", L: gpio.High}
	dbg := &gpiotest.Pin{N: "DEBUG_EN", L: gpio.High}
	cfg := r.config()
	cfg.MicEnable, cfg.DebugEnable = mic, dbg
	g.Expect(r.cam.Close()).To(Succeed())
	cam, err := camera.New(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = cam.Close() })
	g.Expect(mic.Read()).To(Equal(gpio.Low), "factory state: the microphone's line is low")
	g.Expect(dbg.Read()).To(Equal(gpio.Low), "factory state: no debug access")

	_, err = cam.PatchSettings(adminActor(), []byte(`{"microphone":{"enabled":true},"debug":{"enabled":true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mic.Read()).To(Equal(gpio.High))
	g.Expect(dbg.Read()).To(Equal(gpio.High))
	_, err = cam.PatchSettings(userActor(), []byte(`{"debug":{"enabled":false}}`))
	g.Expect(err).To(MatchError(camera.ErrForbidden), "debug access is an admin's decision")

	g.Expect(cam.FactoryReset(adminActor())).To(Succeed())
	g.Expect(mic.Read()).To(Equal(gpio.Low), "a reset switches the microphone off at the line")
	g.Expect(dbg.Read()).To(Equal(gpio.Low))
}

func TestResetButtonHeldLongEnoughResetsTheCamera(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	button, err := simboard.NewPin("RESET_BTN", 4, r.clk)
	g.Expect(err).NotTo(HaveOccurred())
	cfg := r.config()
	cfg.ResetButton = button
	g.Expect(r.cam.Close()).To(Succeed())
	cam, err := camera.New(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = cam.Close() })
	_, err = cam.SetPassword(adminActor(), "admin", "Button-Test!2026-Owner")
	g.Expect(err).NotTo(HaveOccurred())
	factory := func() bool {
		d, err := cam.Device()
		g.Expect(err).NotTo(HaveOccurred())
		return d.FactoryState
	}
	g.Expect(factory()).To(BeFalse())
	oldCert := cam.CertificateSHA256()

	// press holds the button for d on the camera's clock, handing each edge to the camera before the
	// next, as a finger is slower than the camera's watcher.
	press := func(d time.Duration) {
		taken, _ := button.Watch()
		handOver := func(level gpio.Level) {
			g.Expect(button.Drive(level)).To(Succeed())
			taken++
			g.Eventually(func() bool { n, waiting := button.Watch(); return n >= taken && waiting }, 5*time.Second, time.Millisecond).Should(BeTrue())
		}
		g.Eventually(func() bool { _, waiting := button.Watch(); return waiting }, 5*time.Second, time.Millisecond).Should(BeTrue(), "the camera watches its button")
		handOver(gpio.High)
		g.Expect(r.clk.Advance(d)).To(Succeed())
		handOver(gpio.Low)
	}

	press(camera.DefaultResetHold - time.Second)
	g.Expect(factory()).To(BeFalse(), "a short press does nothing")
	g.Expect(cam.CertificateSHA256()).To(Equal(oldCert))

	press(camera.DefaultResetHold)
	g.Eventually(factory, 5*time.Second, time.Millisecond).Should(BeTrue(), "a long press resets the camera")
	g.Expect(cam.CertificateSHA256()).NotTo(Equal(oldCert), "with a new identity")
	entries, err := cam.Audit(0)
	g.Expect(err).NotTo(HaveOccurred())
	var resets []string
	for _, e := range entries {
		if e.Action == "system.factory_reset" {
			resets = append(resets, e.Source+"/"+e.Outcome)
		}
	}
	g.Expect(resets).To(Equal([]string{"reset button/ok"}), "the audit trail says the button reset it")
}
