package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// recordingRig is a rig whose admin password is changed and whose storage is armed with no pre- or
// post-event time, so every event is on the card before its answer.
func recordingRig(t *testing.T) (*rig, opt) {
	t.Helper()
	r := newRig(t)
	if rp := r.call(t, http.MethodPut, "/api/v1/users/admin/password", asAdmin(), jsonBody(`{"password":"`+adminPassword+`"}`)); rp.status != http.StatusOK {
		t.Fatalf("change admin password: %d %s", rp.status, rp.body)
	}
	admin := basic("admin", adminPassword)
	rp := r.call(t, http.MethodPatch, "/api/v1/settings", admin, jsonBody(`{"arming":{"general":true,"storage":true},"events":{"video_motion":false},"storage":{"pre_event":"0s","post_event":"0s"}}`))
	if rp.status != http.StatusOK {
		t.Fatalf("arm: %d %s", rp.status, rp.body)
	}
	return r, admin
}

func TestEventsRecordingsAndErasureOverTheAPI(t *testing.T) {
	g := NewWithT(t)
	r, admin := recordingRig(t)

	rp := r.call(t, http.MethodPost, "/api/v1/events", admin)
	g.Expect(rp.status).To(Equal(http.StatusCreated), string(rp.body))
	var ev struct {
		Event struct {
			Kind     string `json:"kind"`
			Recorded bool   `json:"recorded"`
			Record   string `json:"record"`
		} `json:"event"`
	}
	rp.decode(t, &ev)
	g.Expect(ev.Event.Kind).To(Equal("manual"), "an empty body is a manual event")
	g.Expect(ev.Event.Recorded).To(BeTrue())

	expectError(t, r.call(t, http.MethodPost, "/api/v1/events", admin, jsonBody(`{"kind":"Not A Kind"}`)), http.StatusBadRequest, "invalid_value")
	expectError(t, r.call(t, http.MethodPost, "/api/v1/events", admin, jsonBody(`{"kind":"manual","extra":1}`)), http.StatusBadRequest, "bad_request")

	from := r.clk.Now().Add(-time.Minute).Format(time.RFC3339)
	to := r.clk.Now().Add(time.Minute).Format(time.RFC3339)
	rp = r.call(t, http.MethodGet, "/api/v1/recordings?from="+from+"&to="+to, admin)
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(string(rp.body)).To(ContainSubstring(ev.Event.Record))
	expectError(t, r.call(t, http.MethodGet, "/api/v1/recordings?from=yesterday", admin), http.StatusBadRequest, "invalid_value")

	rp = r.call(t, http.MethodGet, "/api/v1/recordings/"+ev.Event.Record, admin)
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	var play struct {
		Frames []struct {
			JPEG []byte `json:"jpeg"`
		} `json:"frames"`
	}
	rp.decode(t, &play)
	g.Expect(play.Frames).To(HaveLen(1))
	g.Expect(play.Frames[0].JPEG[:2]).To(Equal([]byte{0xFF, 0xD8}), "a JPEG, decrypted in the camera")
	expectError(t, r.call(t, http.MethodGet, "/api/v1/recordings/0123", admin), http.StatusNotFound, "not_found")

	expectError(t, r.call(t, http.MethodDelete, "/api/v1/recordings", admin), http.StatusBadRequest, "invalid_value")
	rp = r.call(t, http.MethodDelete, "/api/v1/recordings?from="+from+"&to="+to, admin)
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	g.Expect(string(rp.body)).To(MatchJSON(`{"erased":1}`))
	expectError(t, r.call(t, http.MethodGet, "/api/v1/recordings/"+ev.Event.Record, admin), http.StatusNotFound, "not_found")
}

func TestStorageStatusShowsTheNASKeyButNeverTheKeyword(t *testing.T) {
	g := NewWithT(t)
	r, admin := recordingRig(t)
	const keyword = "the storage keyword 42"
	rp := r.call(t, http.MethodPatch, "/api/v1/settings", admin, jsonBody(`{"storage":{"keyword":"`+keyword+`"}}`))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	g.Expect(string(rp.body)).NotTo(ContainSubstring(keyword))
	for _, path := range []string{"/api/v1/settings", "/api/v1/storage", "/api/v1/audit"} {
		rp = r.call(t, http.MethodGet, path, admin)
		g.Expect(rp.status).To(Equal(http.StatusOK), path)
		g.Expect(string(rp.body)).NotTo(ContainSubstring(keyword), path)
	}
	rp = r.call(t, http.MethodGet, "/api/v1/storage", admin)
	var st map[string]any
	g.Expect(json.Unmarshal(rp.body, &st)).To(Succeed())
	g.Expect(st["nas_client_key"]).To(HavePrefix("ssh-ed25519 "))
}

// FuzzTimeWindow: the search and erasure windows come from the query string.
func FuzzTimeWindow(f *testing.F) {
	for _, q := range []string{"from=2026-01-01T08:00:00Z&to=2026-01-02T08:00:00Z", "from=x", "to=2026-13-01T00:00:00Z", "from=&to=", "from=2026-01-01T08:00:00.123456789+02:00"} {
		f.Add(q, false)
	}
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, query string, required bool) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/recordings", nil)
		req.URL.RawQuery = query
		from, to, err := timeWindow(req, now, required)
		if err != nil {
			return
		}
		q := req.URL.Query()
		if required && (q.Get("from") == "" || q.Get("to") == "") {
			t.Fatal("a required window was accepted without both ends")
		}
		if q.Get("to") == "" && !to.Equal(now) {
			t.Fatal("a missing end is not now")
		}
		if q.Get("from") == "" && !from.Equal(time.Unix(0, 0)) {
			t.Fatal("a missing start is not the beginning")
		}
	})
}
