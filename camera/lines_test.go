package camera_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"vsslab/camera"
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
