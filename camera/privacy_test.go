package camera_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
)

func TestPrivacyModeLastsTwentyFourHours(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	start := r.clk.Now()
	st, err := r.cam.SetPrivacy(userActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeTrue())
	g.Expect(st.Until).NotTo(BeNil())
	g.Expect(*st.Until).To(Equal(start.Add(camera.PrivacyDuration)))
	g.Expect(camera.PrivacyDuration).To(Equal(24 * time.Hour))

	blocked := func(when string) {
		t.Helper()
		_, err := r.cam.Snapshot(guestActor())
		g.Expect(err).To(MatchError(camera.ErrPrivacyMode), "snapshot "+when)
		_, err = r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
		g.Expect(err).To(MatchError(camera.ErrPrivacyMode), "image search "+when)
		st, err := r.cam.Privacy()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.Active).To(BeTrue(), when)
	}
	blocked("at once")
	g.Expect(r.clk.Advance(24*time.Hour - time.Second)).To(Succeed())
	blocked("one second before the end")

	g.Expect(r.clk.Advance(2 * time.Second)).To(Succeed())
	st, err = r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st).To(Equal(camera.PrivacyStatus{}), "privacy mode ends by itself after 24 hours")
	_, err = r.cam.Snapshot(guestActor())
	g.Expect(err).NotTo(HaveOccurred())
	recs, err := r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(recs).To(BeEmpty())

	on := withAction(entries(t, r.cam), "privacy.on")
	g.Expect(on).To(HaveLen(1))
	g.Expect(on[0].Actor).To(Equal("operator"))
	g.Expect(on[0].Detail).To(HaveKeyWithValue("until", start.Add(24*time.Hour).Format(time.RFC3339)))
}

func TestPrivacyModeSurvivesRebootAndRestart(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t) // factory password: privacy is stored all the same
	_, err := r.cam.SetPrivacy(userActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	until := r.clk.Now().Add(24 * time.Hour)

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	st, err := r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeTrue(), "a reboot keeps privacy mode")
	_, err = r.cam.Snapshot(guestActor())
	g.Expect(err).To(MatchError(camera.ErrPrivacyMode))

	g.Expect(r.clk.Advance(time.Hour)).To(Succeed())
	r.restart(t)
	st, err = r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeTrue(), "a new start keeps privacy mode")
	g.Expect(st.Until.Equal(until)).To(BeTrue(), "and its end: %v", st.Until)
	_, err = r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
	g.Expect(err).To(MatchError(camera.ErrPrivacyMode))

	st, err = r.cam.SetPrivacy(userActor(), false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeFalse())
	_, err = r.cam.Snapshot(guestActor())
	g.Expect(err).NotTo(HaveOccurred(), "off works at once")
	g.Expect(withAction(entries(t, r.cam), "privacy.off")).To(HaveLen(1))

	r.restart(t)
	st, err = r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeFalse(), "switching off is stored too")
}

func TestPrivacyModeSwitchedOnAgainRestartsTheDay(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.SetPrivacy(userActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.clk.Advance(20 * time.Hour)).To(Succeed())
	st, err := r.cam.SetPrivacy(userActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*st.Until).To(Equal(r.clk.Now().Add(24 * time.Hour)))
	g.Expect(r.clk.Advance(23 * time.Hour)).To(Succeed())
	_, err = r.cam.Snapshot(guestActor())
	g.Expect(err).To(MatchError(camera.ErrPrivacyMode))
}
