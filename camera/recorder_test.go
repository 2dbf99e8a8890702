package camera_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/settings"
	"vsslab/camera/store"
)

// armed arms general and storage recording with no pre- or post-event time and no video motion,
// so each event records exactly its own frame, synchronously.
func armedRig(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"arming":{"general":true,"storage":true},"events":{"video_motion":false},"storage":{"pre_event":"0s","post_event":"0s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNothingIsRecordedUnlessGeneralAndStorageAreArmed(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	for _, patch := range []string{`{"storage":{"post_event":"0s"}}`, `{"arming":{"storage":true}}`, `{"arming":{"storage":false,"general":true}}`} {
		_, err := r.cam.PatchSettings(adminActor(), []byte(patch))
		g.Expect(err).NotTo(HaveOccurred())
		e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(e.Armed).To(BeFalse(), patch)
		g.Expect(e.Recorded).To(BeFalse(), patch)
	}
	files, err := r.card.List()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(BeEmpty())
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"arming":{"storage":true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Recorded).To(BeTrue())
	g.Expect(e.Record).NotTo(BeEmpty(), "with no post-event time the record is written before the answer")
	files, _ = r.card.List()
	g.Expect(files).To(HaveLen(1))
}

func TestEventKindIsChecked(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.TriggerEvent(userActor(), "Bad Kind!", camera.SourceAPI)
	var fe *settings.FieldError
	g.Expect(err).To(BeAssignableToTypeOf(fe))
}

func TestPostEventFramesFollowTheClock(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"post_event":"1s","fps":5}}`))
	g.Expect(err).NotTo(HaveOccurred())
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Record).To(BeEmpty(), "still recording")
	// Move time one frame at a time, each time once the recorder waits for that frame.
	for range 5 {
		due := r.clk.Now().Add(200 * time.Millisecond)
		g.Eventually(r.clk.Pending).Should(ContainElement(due))
		g.Expect(r.clk.Advance(200 * time.Millisecond)).To(Succeed())
	}
	var rec camera.Recording
	g.Eventually(func(g Gomega) {
		list, err := r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(list).To(HaveLen(1))
		rec = list[0]
	}).Should(Succeed())
	g.Expect(rec.Frames).To(Equal(6), "the event frame and one every 200 ms for a second")
	g.Expect(rec.End.Sub(rec.Start)).To(Equal(time.Second))
}

func TestFullCardRaisesAnEventAndAnAuditEntryOnce(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	first, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.Record).NotTo(BeEmpty())
	r.card.SetCapacity(r.card.Used())
	for range 2 {
		e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(e.Recorded).To(BeFalse())
	}
	g.Expect(withAction(entries(t, r.cam), "storage.full")).To(HaveLen(1))
	events, err := r.cam.Events()
	g.Expect(err).NotTo(HaveOccurred())
	full := 0
	for _, e := range events {
		if e.Kind == "storage_full" {
			full++
		}
	}
	g.Expect(full).To(Equal(1))
	_, err = r.cam.PlayRecording(userActor(), first.Record)
	g.Expect(err).NotTo(HaveOccurred(), "nothing was deleted to make room")
	st, err := r.cam.Storage()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.StorageFull).To(BeTrue())
}

func TestKeywordIsWriteOnlyAndTakesEffectAtReboot(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	const keyword = "keyword of the storage"
	res, err := r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"keyword":"`+keyword+`"}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Changed).To(ContainElement("storage.keyword"))
	g.Expect(res.Settings.Storage.KeywordSet).To(BeTrue())
	g.Expect(res.Settings.Storage.Encrypting).To(BeFalse())
	_, err = r.cam.PatchSettings(userActor(), []byte(`{"storage":{"keyword":"another keyword"}}`))
	g.Expect(err).To(MatchError(camera.ErrForbidden))
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"encrypting":true}}`))
	g.Expect(err).To(MatchError(ContainSubstring("read-only")))
	for _, e := range entries(t, r.cam) {
		for _, v := range e.Detail {
			g.Expect(v).NotTo(ContainSubstring(keyword))
		}
	}

	before, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Storage.Encrypting).To(BeTrue())
	after, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	list, err := r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
	g.Expect(err).NotTo(HaveOccurred())
	enc := map[string]bool{}
	for _, e := range list {
		enc[e.ID] = e.Encrypted
	}
	g.Expect(enc).To(Equal(map[string]bool{before.Record: false, after.Record: true}))
}

func TestShredGranularityIsTheStoreBucket(t *testing.T) {
	g := NewWithT(t)
	g.Expect(time.Duration(settings.Defaults().Storage.ShredGranularity)).To(Equal(store.BucketLength))
}

func TestRecordIsRefusedAtItsDeadline(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"deletion_period":"1h"}}`))
	g.Expect(err).NotTo(HaveOccurred())
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	list, err := r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Minute), r.clk.Now())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(HaveLen(1))
	deadline := store.Deadline(list[0].Bucket, time.Hour)
	g.Expect(r.clk.Advance(deadline.Sub(r.clk.Now()) - time.Second)).To(Succeed())
	_, err = r.cam.PlayRecording(userActor(), e.Record)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.clk.Advance(time.Second)).To(Succeed())
	_, err = r.cam.PlayRecording(userActor(), e.Record)
	g.Expect(err).To(Or(MatchError(camera.ErrRecordExpired), MatchError(camera.ErrRecordNotFound)))
	g.Eventually(func() []string {
		files, _ := r.card.List()
		var names []string
		for _, f := range files {
			names = append(names, f.Name)
		}
		return names
	}).Should(BeEmpty(), "the shredding round removes the file")
	g.Eventually(func() []string {
		var out []string
		for _, e := range withAction(entries(t, r.cam), "recordings.expire") {
			out = append(out, e.Outcome)
		}
		return out
	}).Should(ContainElement("ok"))
}

func TestApprovalsNeedOtherSupervisors(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.AddUser(adminActor(), "operator", "Op3rator!Pass-vss", 2)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.AddUser(adminActor(), "carol", "Sup3rvisor!Pass-1", 2, "supervisor")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"playback":{"approvals_required":1}}`))
	g.Expect(err).NotTo(HaveOccurred())
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())

	_, err = r.cam.PlayRecording(userActor(), e.Record)
	var ae *camera.ApprovalError
	g.Expect(err).To(BeAssignableToTypeOf(ae))
	_, err = r.cam.ApproveRecording(userActor(), e.Record, "operator")
	g.Expect(err).To(MatchError(camera.ErrForbidden), "no right, and own playback")
	carol := camera.Actor{Name: "carol", Level: 2, Source: "192.0.2.9"}
	_, err = r.cam.ApproveRecording(carol, e.Record, "operator")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.PlayRecording(userActor(), e.Record)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.clk.Advance(time.Hour)).To(Succeed())
	_, err = r.cam.PlayRecording(userActor(), e.Record)
	g.Expect(err).To(BeAssignableToTypeOf(ae), "approvals hold for an hour")
}

func TestBusyScenesMakeRecordsOfBoundedLength(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"post_event":"30s","fps":1}}`))
	g.Expect(err).NotTo(HaveOccurred())
	// An event every 20 s for three minutes keeps extending the recording.
	for range 9 {
		_, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
		g.Expect(err).NotTo(HaveOccurred())
		for range 20 {
			due := r.clk.Now().Add(time.Second)
			g.Eventually(r.clk.Pending).Should(ContainElement(due))
			g.Expect(r.clk.Advance(time.Second)).To(Succeed())
		}
	}
	var list []camera.Recording
	g.Eventually(func() int {
		list, _ = r.cam.SearchRecordings(userActor(), r.clk.Now().Add(-time.Hour), r.clk.Now())
		return len(list)
	}).Should(BeNumerically(">=", 3), "a record ends at its maximum length and the next event starts another")
	for _, rec := range list {
		g.Expect(rec.End.Sub(rec.Start)).To(BeNumerically("<=", camera.MaxRecording))
	}
}

func TestPreEventFramesComeFromTheBuffer(t *testing.T) {
	g := NewWithT(t)
	r := armedRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"storage":{"pre_event":"1s","fps":5}}`))
	g.Expect(err).NotTo(HaveOccurred())
	start := r.clk.Now()
	// Two seconds of frames, one at a time as the recorder asks for them.
	for range 10 {
		due := r.clk.Now().Add(200 * time.Millisecond)
		g.Eventually(r.clk.Pending).Should(ContainElement(due), "the recorder waits for its next frame")
		g.Expect(r.clk.Advance(200 * time.Millisecond)).To(Succeed())
	}
	g.Expect(r.clk.Now().Sub(start)).To(Equal(2 * time.Second))
	e, err := r.cam.TriggerEvent(userActor(), "manual", camera.SourceAPI)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Record).NotTo(BeEmpty())
	p, err := r.cam.PlayRecording(userActor(), e.Record)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(p.Frames)).To(BeNumerically(">=", 5), "a second of frames before the event, and the event's own")
	g.Expect(len(p.Frames)).To(BeNumerically("<=", 7))
	g.Expect(p.Frames[len(p.Frames)-1].Captured).To(Equal(r.clk.Now()))
	g.Expect(r.clk.Now().Sub(p.Frames[0].Captured)).To(BeNumerically("<=", time.Second), "nothing older than the pre-event time")
}
