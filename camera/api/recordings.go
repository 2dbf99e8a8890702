package api

import (
	"errors"
	"net/http"
	"time"

	"vsslab/camera"
	"vsslab/camera/settings"
)

// eventRequest is POST /api/v1/events; the body is optional.
type eventRequest struct {
	Kind string `json:"kind"`
}

func (h *Handler) postEvent(w http.ResponseWriter, r *http.Request, c *call) {
	req := eventRequest{Kind: "manual"}
	if r.ContentLength != 0 {
		if !decodeBody(w, r, &req) {
			return
		}
	}
	e, err := h.cam.TriggerEvent(c.who, req.Kind, camera.SourceAPI)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"event": e})
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, c *call) {
	list, err := h.cam.Events()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": list})
}

// timeWindow reads ?from=&to= (RFC 3339). A missing from means the beginning, a missing to now;
// both are required for erasure (all says so).
func timeWindow(r *http.Request, now time.Time, required bool) (time.Time, time.Time, error) {
	q := r.URL.Query()
	parse := func(key string, def time.Time) (time.Time, error) {
		v := q.Get(key)
		if v == "" {
			if required {
				return time.Time{}, &settings.FieldError{Code: "invalid_value", Key: key, Message: "is required (RFC 3339 time)"}
			}
			return def, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, &settings.FieldError{Code: "invalid_value", Key: key, Message: "must be an RFC 3339 time such as 2026-01-01T08:00:00Z"}
		}
		return t, nil
	}
	from, err := parse("from", time.Unix(0, 0))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := parse("to", now)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return from, to, nil
}

func (h *Handler) recordings(w http.ResponseWriter, r *http.Request, c *call) {
	from, to, err := timeWindow(r, h.cam.Now(), false)
	if err != nil {
		h.fail(w, err)
		return
	}
	list, err := h.cam.SearchRecordings(c.who, from, to)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"recordings": list})
}

func (h *Handler) eraseRecordings(w http.ResponseWriter, r *http.Request, c *call) {
	from, to, err := timeWindow(r, h.cam.Now(), true)
	if err != nil {
		h.fail(w, err)
		return
	}
	n, err := h.cam.EraseRecordings(c.who, from, to)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"erased": n})
}

func (h *Handler) playRecording(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := h.cam.PlayRecording(c.who, c.params["id"])
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type approvalRequest struct {
	Requester string `json:"requester"`
}

func (h *Handler) approveRecording(w http.ResponseWriter, r *http.Request, c *call) {
	var req approvalRequest
	if !decodeBody(w, r, &req) {
		return
	}
	n, err := h.cam.ApproveRecording(c.who, c.params["id"], req.Requester)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"requester": req.Requester, "approvals": n})
}

func (h *Handler) storage(w http.ResponseWriter, r *http.Request, c *call) {
	s, err := h.cam.Storage()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

type rightsRequest struct {
	Rights []string `json:"rights"`
}

func (h *Handler) setRights(w http.ResponseWriter, r *http.Request, c *call) {
	var req rightsRequest
	if !decodeBody(w, r, &req) {
		return
	}
	p, err := h.cam.SetRights(c.who, c.params["name"], req.Rights)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// failRecording maps the recording errors; it returns false for errors it does not know.
func failRecording(w http.ResponseWriter, err error) bool {
	var ae *camera.ApprovalError
	var le *camera.LimitError
	switch {
	case errors.As(err, &ae):
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "approval_required", "message": "Refused: " + ae.Error() + ".", "required": ae.Required, "approvals": ae.Given})
	case errors.As(err, &le):
		writeError(w, http.StatusForbidden, "playback_limit", "Refused: "+le.Error()+".")
	case errors.Is(err, camera.ErrRecordExpired):
		writeError(w, http.StatusGone, "expired", "The record's deletion period has ended: it is unreadable for good.")
	case errors.Is(err, camera.ErrRecordNotFound):
		writeError(w, http.StatusNotFound, "not_found", "There is no such record.")
	case errors.Is(err, camera.ErrNoCard):
		writeError(w, http.StatusNotFound, "not_supported", "This camera has no card to record to.")
	default:
		return false
	}
	return true
}

func (h *Handler) monitorLog(w http.ResponseWriter, r *http.Request, c *call) {
	log, err := h.cam.MonitorLog()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": log})
}

func (h *Handler) notifyLog(w http.ResponseWriter, r *http.Request, c *call) {
	log, err := h.cam.Deliveries()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": log})
}
