// Package api is the reference camera's HTTPS API: the surface that browsers, management software and
// vsslab's own scenarios use. docs/api.md documents it.
//
// Every request passes one gate (ServeHTTP): route lookup (404, 405), authentication (HTTP Basic over
// TLS, a browser session cookie, or anonymous public access), and the permission table of routes.go.
// Errors are JSON, {"error": "<code>", "message": "<sentence>"}, with a fitting status; bad input
// changes nothing.
package api

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"vsslab/camera"
	"vsslab/camera/users"
)

// HSTS is the Strict-Transport-Security header value: one year, as TLS-1 requires at least.
const HSTS = "max-age=31536000; includeSubDomains"

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// SessionCookie is the browser session's cookie name.
const SessionCookie = "vsslab_session"

// Handler serves the API for one camera.
type Handler struct {
	cam   *camera.Camera
	log   *slog.Logger
	table []route
}

// NewHandler returns the API handler. log receives server-side errors (never credentials); nil
// discards them.
func NewHandler(cam *camera.Camera, log *slog.Logger) (*Handler, error) {
	if cam == nil {
		return nil, errors.New("new API handler: no camera")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cam: cam, log: log, table: routes()}, nil
}

// call is what the gate learned about a request.
type call struct {
	who    camera.Actor
	params map[string]string
	// session is the token when the request came with a session cookie.
	session string
}

// ServeHTTP is the gate every request passes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Strict-Transport-Security", HSTS)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")

	rt, allowed, params := match(h.table, r.Method, r.URL.Path)
	if rt == nil {
		if len(allowed) > 0 {
			hdr.Set("Allow", joinMethods(allowed))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path+".")
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "There is no "+r.URL.Path+" on this camera.")
		return
	}
	if !safeMethod(r.Method) && crossSite(r) {
		// A browser that has cached Basic credentials would otherwise let any web page make the
		// camera change something by posting a form to it.
		writeError(w, http.StatusForbidden, "csrf", "A request that changes something must come from the camera's own pages, not from another site.")
		return
	}
	source := clientIP(r)
	c := &call{params: params}
	if rt.access != open {
		who, session, ok := h.authenticate(w, r, source)
		if !ok {
			return
		}
		c.who, c.session = who, session
		if who.Anonymous && rt.access >= account {
			challenge(w)
			writeError(w, http.StatusUnauthorized, "unauthorized", "This needs a login.")
			return
		}
		if !who.Level.Allows(rt.access.level()) {
			h.cam.RecordDenied(who, r.Method+" "+r.URL.Path)
			writeError(w, http.StatusForbidden, "forbidden", "This needs the "+rt.access.level().String()+" level; "+who.Name+" is "+who.Level.String()+".")
			return
		}
		if who.DefaultPassword && who.Level.Allows(users.Admin) {
			hdr.Set("X-Password-Change-Required", "true")
		}
	}
	rt.handle(h, w, r, c)
}

// authenticate finds who is calling: Basic credentials, else a session cookie, else anonymous public
// access. It writes the refusal itself and returns false when the request may not go on.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, source string) (camera.Actor, string, bool) {
	if r.Header.Get("Authorization") != "" {
		name, pass, ok := r.BasicAuth()
		if !ok {
			challenge(w)
			writeError(w, http.StatusUnauthorized, "unauthorized", "Only HTTP Basic authentication is accepted here.")
			return camera.Actor{}, "", false
		}
		who, err := h.cam.Authenticate(name, pass, source)
		if err != nil {
			h.authError(w, err)
			return camera.Actor{}, "", false
		}
		return who, "", true
	}
	if ck, err := r.Cookie(SessionCookie); err == nil {
		who, csrf, ok := h.cam.SessionActor(ck.Value, source)
		if !ok {
			writeError(w, http.StatusUnauthorized, "session_expired", "The session has ended; log in again.")
			return camera.Actor{}, "", false
		}
		if !safeMethod(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(csrf)) != 1 {
			writeError(w, http.StatusForbidden, "csrf", "A session request that changes something must carry the session's X-CSRF-Token header.")
			return camera.Actor{}, "", false
		}
		return who, ck.Value, true
	}
	public, err := h.cam.PublicAccess()
	if err != nil {
		h.fail(w, err)
		return camera.Actor{}, "", false
	}
	if !public {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", "Public access is off: every request needs credentials.")
		return camera.Actor{}, "", false
	}
	return camera.Anonymous(source), "", true
}

func (h *Handler) authError(w http.ResponseWriter, err error) {
	var locked *users.LockedError
	if errors.As(err, &locked) {
		writeError(w, http.StatusUnauthorized, "account_locked", "Too many failed logins: the account is locked until "+locked.Until.UTC().Format(time.RFC3339)+".")
		return
	}
	if errors.Is(err, users.ErrBadCredentials) {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", "The name or password is wrong.")
		return
	}
	h.fail(w, err)
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="vsslab camera", charset="UTF-8"`)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func joinMethods(ms []string) string {
	out := ""
	for i, m := range ms {
		if i > 0 {
			out += ", "
		}
		out += m
	}
	return out
}

// apiError is the error body.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Key     string `json:"key,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// crossSite tells whether a browser says the request comes from another site: its Origin names
// another host, or Sec-Fetch-Site says cross-site. Clients that are not browsers send neither.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || u.Host != r.Host
}
