package camera_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/settings"
)

// updateServer counts the requests it gets and answers each with status.
func updateServer(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"latest":"0.1.0"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func enableUpdateCheck(t *testing.T, cam *camera.Camera, u string) {
	t.Helper()
	patch, _ := json.Marshal(map[string]any{"update_check": map[string]any{"enabled": true, "url": u}})
	if _, err := cam.PatchSettings(adminActor(), patch); err != nil {
		t.Fatalf("enable the update check: %v", err)
	}
}

func TestUpdateCheckIsRefusedWhileOff(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	st, err := r.cam.CheckForUpdate(adminActor())
	g.Expect(err).To(MatchError(camera.ErrDisabled))
	g.Expect(err.Error()).To(ContainSubstring("update_check.enabled"))
	g.Expect(st).To(Equal(camera.UpdateStatus{}))
	g.Expect(r.cam.UpdateStatus()).To(Equal(camera.UpdateStatus{}))
	g.Expect(r.obs.Attempts()).To(BeEmpty(), "no connection is even tried")
	g.Expect(withAction(entries(t, r.cam), "update_check.run")).To(BeEmpty())
}

func TestUpdateCheckGoesThroughTheDialer(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	srv, hits := updateServer(t, http.StatusOK)
	enableUpdateCheck(t, r.cam, srv.URL+"/latest.json")
	g.Expect(r.obs.Attempts()).To(BeEmpty(), "switching the check on does not run it")

	st, err := r.cam.CheckForUpdate(adminActor())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.OK).To(BeTrue(), st.Detail)
	g.Expect(st.Detail).To(Equal("200 OK"))
	g.Expect(st.URL).To(Equal(srv.URL + "/latest.json"))
	g.Expect(st.Checked).NotTo(BeNil())
	g.Expect(*st.Checked).To(Equal(r.clk.Now()), "checked at the camera's clock")
	g.Expect(hits.Load()).To(Equal(int32(1)))
	g.Expect(r.cam.UpdateStatus()).To(Equal(st))

	u, _ := url.Parse(srv.URL)
	attempts := r.obs.Attempts()
	g.Expect(attempts).To(HaveLen(1), "the connection went through the camera's dialer")
	g.Expect(attempts[0].Address).To(Equal(u.Host))
	g.Expect(attempts[0].Allowed).To(BeTrue())

	runs := withAction(entries(t, r.cam), "update_check.run")
	g.Expect(runs).To(HaveLen(1))
	g.Expect(runs[0].Outcome).To(Equal("ok"))
	g.Expect(runs[0].Actor).To(Equal("admin"))
	g.Expect(runs[0].Target).To(Equal(srv.URL + "/latest.json"))
}

func TestUpdateCheckFailures(t *testing.T) {
	t.Run("server error", func(t *testing.T) {
		g := NewWithT(t)
		r := newRig(t)
		srv, hits := updateServer(t, http.StatusInternalServerError)
		enableUpdateCheck(t, r.cam, srv.URL)
		st, err := r.cam.CheckForUpdate(adminActor())
		g.Expect(err).NotTo(HaveOccurred(), "a failed check is a status, not an error")
		g.Expect(st.OK).To(BeFalse())
		g.Expect(st.Detail).To(Equal("500 Internal Server Error"))
		g.Expect(hits.Load()).To(Equal(int32(1)))
		runs := withAction(entries(t, r.cam), "update_check.run")
		g.Expect(runs).To(HaveLen(1))
		g.Expect(runs[0].Outcome).To(Equal("failed"))
	})
	t.Run("unreachable network", func(t *testing.T) {
		g := NewWithT(t)
		r := newRig(t)
		enableUpdateCheck(t, r.cam, "http://192.0.2.44:8080/latest.json")
		st, err := r.cam.CheckForUpdate(adminActor())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.OK).To(BeFalse())
		g.Expect(st.Detail).To(ContainSubstring("simulated network"))
		attempts := r.obs.Attempts()
		g.Expect(attempts).To(HaveLen(1))
		g.Expect(attempts[0].Address).To(Equal("192.0.2.44:8080"))
		g.Expect(attempts[0].Allowed).To(BeFalse())
	})
	t.Run("no dialer", func(t *testing.T) {
		g := NewWithT(t)
		r := newRig(t)
		cfg := r.config()
		cfg.Dialer = nil
		g.Expect(r.cam.Close()).To(Succeed())
		cam, err := camera.New(cfg)
		g.Expect(err).NotTo(HaveOccurred())
		defer cam.Close()
		enableUpdateCheck(t, cam, "http://127.0.0.1:1/")
		st, err := cam.CheckForUpdate(adminActor())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st.OK).To(BeFalse())
		g.Expect(st.Detail).To(Equal("the camera has no network"))
	})
}

func TestEnabledUpdateCheckRunsAtBoot(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	srv, hits := updateServer(t, http.StatusOK)
	g.Expect(r.cam.Close()).To(Succeed())
	s := settings.Defaults()
	s.UpdateCheck = settings.UpdateCheck{Enabled: true, URL: srv.URL + "/v1"}
	stored, err := json.Marshal(s)
	g.Expect(err).NotTo(HaveOccurred())
	writeFile(t, r.path("settings.json"), stored)

	r.cam = r.open(t)
	g.Eventually(func() []string {
		var addrs []string
		for _, a := range r.obs.Attempts() {
			addrs = append(addrs, a.Address)
		}
		return addrs
	}).WithTimeout(10 * time.Second).Should(Equal([]string{srv.Listener.Addr().String()}))
	g.Eventually(r.cam.UpdateStatus).WithTimeout(10 * time.Second).Should(HaveField("OK", BeTrue()))
	g.Expect(hits.Load()).To(Equal(int32(1)), "once at boot")
	g.Eventually(func() int {
		return len(withAction(entries(t, r.cam), "update_check.run"))
	}).Should(Equal(1))
	runs := withAction(entries(t, r.cam), "update_check.run")
	g.Expect(runs[0].Actor).To(Equal("system"))

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	g.Eventually(hits.Load).WithTimeout(10*time.Second).Should(Equal(int32(2)), "and again at every reboot")
	g.Eventually(r.cam.UpdateStatus).WithTimeout(10 * time.Second).Should(HaveField("OK", BeTrue()))
}
