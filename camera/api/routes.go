package api

import (
	"net/http"
	"strings"

	"vsslab/camera/users"
)

// access says who may call a route. It is the camera's permission table (AUTH-3), checked in one
// place (Handler.ServeHTTP) before any handler runs; handlers only add finer rules that depend on the
// request's content (security settings, another user's password).
type access int

const (
	// open routes need no credentials at all: the login itself.
	open access = iota
	// guest routes are open to every account and, while access.public is on, to anonymous clients.
	guest
	// account routes need a real account of any level (anonymous public access is not enough).
	account
	// user routes need the user level: image settings, events, storage setup, privacy button.
	user
	// admin routes need the admin level: everything security related.
	admin
)

func (a access) level() users.Level {
	switch a {
	case user:
		return users.User
	case admin:
		return users.Admin
	}
	return users.Guest
}

// route is one row of the table.
type route struct {
	method  string
	pattern string // path segments; "{name}" matches one segment
	access  access
	handle  func(h *Handler, w http.ResponseWriter, r *http.Request, c *call)
}

// routes is the whole API surface, documented in docs/api.md.
func routes() []route {
	return []route{
		{http.MethodGet, "/api/v1/device", guest, (*Handler).device},
		{http.MethodGet, "/api/v1/live.jpg", guest, (*Handler).live},
		{http.MethodGet, "/api/v1/settings", user, (*Handler).getSettings},
		{http.MethodPatch, "/api/v1/settings", user, (*Handler).patchSettings},
		{http.MethodGet, "/api/v1/users", admin, (*Handler).listUsers},
		{http.MethodPost, "/api/v1/users", admin, (*Handler).addUser},
		{http.MethodDelete, "/api/v1/users/{name}", admin, (*Handler).deleteUser},
		{http.MethodPut, "/api/v1/users/{name}/password", account, (*Handler).setPassword},
		{http.MethodGet, "/api/v1/privacy", guest, (*Handler).getPrivacy},
		{http.MethodPost, "/api/v1/privacy", user, (*Handler).privacyOn},
		{http.MethodDelete, "/api/v1/privacy", user, (*Handler).privacyOff},
		{http.MethodGet, "/api/v1/recordings", user, (*Handler).recordings},
		{http.MethodDelete, "/api/v1/recordings", admin, (*Handler).eraseRecordings},
		{http.MethodGet, "/api/v1/recordings/{id}", user, (*Handler).playRecording},
		{http.MethodPost, "/api/v1/recordings/{id}/approvals", user, (*Handler).approveRecording},
		{http.MethodPost, "/api/v1/events", user, (*Handler).postEvent},
		{http.MethodGet, "/api/v1/events", user, (*Handler).listEvents},
		{http.MethodGet, "/api/v1/storage", admin, (*Handler).storage},
		{http.MethodGet, "/api/v1/monitor/log", admin, (*Handler).monitorLog},
		{http.MethodGet, "/api/v1/notify/log", admin, (*Handler).notifyLog},
		{http.MethodPut, "/api/v1/users/{name}/rights", admin, (*Handler).setRights},
		{http.MethodGet, "/api/v1/ptz", user, (*Handler).getPTZ},
		{http.MethodPut, "/api/v1/ptz", user, (*Handler).putPTZ},
		{http.MethodGet, "/api/v1/audit", admin, (*Handler).auditEntries},
		{http.MethodGet, "/api/v1/audit/verify", admin, (*Handler).auditVerify},
		{http.MethodPost, "/api/v1/system/reboot", admin, (*Handler).reboot},
		{http.MethodPost, "/api/v1/system/factory-reset", admin, (*Handler).factoryReset},
		{http.MethodGet, "/api/v1/system/update-check", admin, (*Handler).updateStatus},
		{http.MethodPost, "/api/v1/system/update-check", admin, (*Handler).updateCheck},
		{http.MethodPost, "/api/v1/session", open, (*Handler).login},
		{http.MethodGet, "/api/v1/session", account, (*Handler).whoami},
		{http.MethodDelete, "/api/v1/session", account, (*Handler).logout},
	}
}

// match finds the route for a path. It returns the route for the method, the methods the path allows
// (for 405's Allow header), and the path parameters.
func match(table []route, method, path string) (*route, []string, map[string]string) {
	if method == http.MethodHead {
		// HEAD is GET without the body (net/http drops it), as HTTP requires.
		method = http.MethodGet
	}
	var allowed []string
	for i := range table {
		params, ok := matchPath(table[i].pattern, path)
		if !ok {
			continue
		}
		if table[i].method == method {
			return &table[i], nil, params
		}
		allowed = append(allowed, table[i].method)
		if table[i].method == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	return nil, allowed, nil
}

func matchPath(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(pattern, "/")
	xs := strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}
