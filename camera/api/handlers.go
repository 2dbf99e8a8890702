package api

import (
	"errors"
	"net/http"
	"strconv"

	"vsslab/camera"
	"vsslab/camera/ptz"
	"vsslab/camera/settings"
	"vsslab/camera/state"
	"vsslab/camera/users"
)

func (h *Handler) device(w http.ResponseWriter, r *http.Request, c *call) {
	d, err := h.cam.Device()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *Handler) live(w http.ResponseWriter, r *http.Request, c *call) {
	jpg, err := h.cam.Snapshot(c.who)
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(jpg)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(jpg)
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request, c *call) {
	s, err := h.cam.Settings()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (h *Handler) patchSettings(w http.ResponseWriter, r *http.Request, c *call) {
	body, ok := readBody(w, r, "application/merge-patch+json", "application/json")
	if !ok {
		return
	}
	res, err := h.cam.PatchSettings(c.who, body)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c *call) {
	list, err := h.cam.Users()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": list})
}

type newUser struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Level    string   `json:"level"`
	Rights   []string `json:"rights"`
}

func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, c *call) {
	var req newUser
	if !decodeBody(w, r, &req) {
		return
	}
	level, err := users.ParseLevel(req.Level)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_value", Key: "level", Message: `The level must be "guest", "user" or "admin".`})
		return
	}
	p, err := h.cam.AddUser(c.who, req.Name, req.Password, level, req.Rights...)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		User camera.Account `json:"user"`
		camera.Persistence
	}{camera.Account{Name: req.Name, Level: level, Rights: req.Rights}, p})
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := h.cam.DeleteUser(c.who, c.params["name"])
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type passwordChange struct {
	Password string `json:"password"`
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request, c *call) {
	var req passwordChange
	if !decodeBody(w, r, &req) {
		return
	}
	p, err := h.cam.SetPassword(c.who, c.params["name"], req.Password)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (h *Handler) getPrivacy(w http.ResponseWriter, r *http.Request, c *call) {
	st, err := h.cam.Privacy()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *Handler) privacyOn(w http.ResponseWriter, r *http.Request, c *call) {
	h.setPrivacy(w, c, true)
}

func (h *Handler) privacyOff(w http.ResponseWriter, r *http.Request, c *call) {
	h.setPrivacy(w, c, false)
}

func (h *Handler) setPrivacy(w http.ResponseWriter, c *call, on bool) {
	st, err := h.cam.SetPrivacy(c.who, on)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// ptzState is a PTZ camera's view and the geometry clients need to place things in the scene.
type ptzState struct {
	ptz.View
	Scene size `json:"scene"`
	Frame size `json:"frame"`
}

type size struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

func (h *Handler) ptzState(v ptz.View) ptzState {
	g, _ := h.cam.Geometry()
	return ptzState{View: v, Scene: size{g.SceneW, g.SceneH}, Frame: size{g.FrameW, g.FrameH}}
}

func (h *Handler) getPTZ(w http.ResponseWriter, r *http.Request, c *call) {
	v, err := h.cam.View()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.ptzState(v))
}

func (h *Handler) putPTZ(w http.ResponseWriter, r *http.Request, c *call) {
	var v ptz.View
	if !decodeBody(w, r, &v) {
		return
	}
	got, err := h.cam.SetView(c.who, v)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.ptzState(got))
}

func (h *Handler) auditEntries(w http.ResponseWriter, r *http.Request, c *call) {
	var after uint64
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_value", Key: "after", Message: "after must be an entry number (a whole number, 0 or more)."})
			return
		}
		after = n
	}
	entries, err := h.cam.Audit(after)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

func (h *Handler) auditVerify(w http.ResponseWriter, r *http.Request, c *call) {
	v, err := h.cam.VerifyAudit()
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) reboot(w http.ResponseWriter, r *http.Request, c *call) {
	if err := h.cam.Reboot(c.who); err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "rebooted"})
}

func (h *Handler) factoryReset(w http.ResponseWriter, r *http.Request, c *call) {
	if err := h.cam.FactoryReset(c.who); err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "factory_reset"})
}

func (h *Handler) updateStatus(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, h.cam.UpdateStatus())
}

func (h *Handler) updateCheck(w http.ResponseWriter, r *http.Request, c *call) {
	st, err := h.cam.CheckForUpdate(c.who)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

type credentials struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// login starts a browser session: the cookie is Secure, HttpOnly and SameSite=Strict, and the
// CSRF token in the body must come back in X-CSRF-Token on every request that changes something.
func (h *Handler) login(w http.ResponseWriter, r *http.Request, c *call) {
	var req credentials
	if !decodeBody(w, r, &req) {
		return
	}
	sess, err := h.cam.Login(req.Name, req.Password, clientIP(r))
	if err != nil {
		h.authError(w, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    sess.Token,
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusCreated, map[string]any{
		"name":                     sess.Actor.Name,
		"level":                    sess.Actor.Level,
		"csrf_token":               sess.CSRF,
		"expires":                  sess.Expires,
		"password_change_required": sess.Actor.DefaultPassword && sess.Actor.Level.Allows(users.Admin),
	})
}

func (h *Handler) whoami(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, map[string]any{"name": c.who.Name, "level": c.who.Level})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, c *call) {
	if c.session != "" {
		h.cam.Logout(c.who, c.session)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged_out"})
}

// fail turns a camera error into its status and code. Anything unexpected is a 500 whose details go
// to the server log, not to the client.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var fe *settings.FieldError
	var pe *users.PolicyError
	var fb *camera.ForbiddenError
	var ce *state.CorruptError
	if failRecording(w, err) {
		return
	}
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, apiError{Error: fe.Code, Key: fe.Key, Message: fieldMessage(fe)})
	case errors.As(err, &pe):
		writeError(w, http.StatusBadRequest, pe.Code, pe.Message)
	case errors.As(err, &fb):
		writeError(w, http.StatusForbidden, "forbidden", "Refused: "+fb.Error()+".")
	case errors.Is(err, camera.ErrPrivacyMode):
		writeError(w, http.StatusForbidden, "privacy_mode", "Privacy mode is on: live images and image search are blocked until it ends or is cancelled.")
	case errors.Is(err, users.ErrNotFound):
		writeError(w, http.StatusNotFound, "user_not_found", "There is no such user.")
	case errors.Is(err, users.ErrExists):
		writeError(w, http.StatusConflict, "user_exists", "A user of that name exists already.")
	case errors.Is(err, users.ErrBuiltInAdmin):
		writeError(w, http.StatusConflict, "built_in_admin", "The built-in admin account cannot be deleted.")
	case errors.Is(err, users.ErrLastAdmin):
		writeError(w, http.StatusConflict, "last_admin", err.Error())
	case errors.Is(err, camera.ErrUnsupported):
		writeError(w, http.StatusNotFound, "not_supported", "Not supported: "+err.Error()+".")
	case errors.Is(err, camera.ErrDisabled):
		writeError(w, http.StatusConflict, "disabled", err.Error())
	case errors.As(err, &ce), errors.Is(err, camera.ErrHalted):
		h.log.Error("camera halted", "err", err)
		writeError(w, http.StatusServiceUnavailable, "halted", "The camera could not start: "+err.Error())
	default:
		h.log.Error("request failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "The camera could not complete the request.")
	}
}

func fieldMessage(fe *settings.FieldError) string {
	if fe.Key == "" {
		return fe.Message
	}
	return "Setting " + fe.Key + " " + fe.Message + "."
}
