package camera_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
)

func TestMonitorLogsACardFaultWithinItsIntervalAndItsRecovery(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"monitor":{"storage_available":{"enabled":true,"interval":"1m"},"events_recorded":{"enabled":true,"interval":"1m"}}}`))
	g.Expect(err).NotTo(HaveOccurred())
	step := func() {
		t.Helper()
		due := r.clk.Now().Add(time.Minute)
		g.Eventually(r.clk.Pending).Should(ContainElement(due), "the monitor waits for its next test")
		g.Expect(r.clk.Advance(time.Minute)).To(Succeed())
	}
	last := func(test string) camera.MonitorEntry {
		var out camera.MonitorEntry
		g.Eventually(func() time.Time {
			log, err := r.cam.MonitorLog()
			g.Expect(err).NotTo(HaveOccurred())
			out = camera.MonitorEntry{}
			for _, e := range log {
				if e.Test == test {
					out = e
				}
			}
			return out.Time
		}).Should(Equal(r.clk.Now()), "the %s test ran at %s", test, r.clk.Now())
		return out
	}
	step()
	g.Expect(last(camera.TestStorageAvailable).Result).To(Equal(camera.ResultOK))

	r.card.Eject()
	_, err = r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	step()
	e := last(camera.TestStorageAvailable)
	g.Expect(e.Result).To(Equal(camera.ResultFail))
	g.Expect(e.Detail).To(ContainSubstring("card removed"))
	ev := last(camera.TestEventsRecorded)
	g.Expect(ev.Result).To(Equal(camera.ResultFail), "the event during the fault was not recorded")

	r.card.Insert()
	step()
	g.Expect(last(camera.TestStorageAvailable).Result).To(Equal(camera.ResultOK))
	events, err := r.cam.Events()
	g.Expect(err).NotTo(HaveOccurred())
	var kinds []string
	for _, e := range events {
		if e.Source == camera.SourceCamera {
			kinds = append(kinds, e.Kind)
		}
	}
	g.Expect(kinds).To(ContainElements("storage_failure", "storage_recovered"))
	g.Expect(withAction(entries(t, r.cam), "monitor.storage_failure")).NotTo(BeEmpty())
}

func TestACameraBootsWithoutItsCardAndRecordsOnceItIsBack(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"monitor":{"storage_available":{"enabled":true,"interval":"1m"}}}`))
	g.Expect(err).NotTo(HaveOccurred())

	// The card is gone when the camera starts: it comes up all the same, and says so.
	r.card.Eject()
	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred(), "the camera answers without its card")
	g.Expect(d.Serial).NotTo(BeEmpty())
	g.Expect(withAction(entries(t, r.cam), "storage.card_unavailable")).To(HaveLen(1))
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Recorded).To(BeFalse(), "no card, no record")

	// The card answers again: the next storage test finds it, and recording resumes without a reboot.
	r.card.Insert()
	due := r.clk.Now().Add(time.Minute)
	g.Eventually(r.clk.Pending).Should(ContainElement(due), "the monitor waits for its next test")
	g.Expect(r.clk.Advance(time.Minute)).To(Succeed())
	g.Eventually(func() []string {
		var got []string
		for _, a := range withAction(entries(t, r.cam), "storage.card_available") {
			got = append(got, a.Outcome)
		}
		return got
	}).Should(Equal([]string{"ok"}), "the storage test adopted the card")
	e, err = r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Recorded).To(BeTrue(), "recording resumed")
}
