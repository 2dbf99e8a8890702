package api

import (
	"net/http"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera/users"
)

// permissionTable is docs/api.md's table (AUTH-3). A change to who may call what must change both.
var permissionTable = map[string]access{
	"GET /api/v1/device":                     guest,
	"GET /api/v1/live.jpg":                   guest,
	"GET /api/v1/privacy":                    guest,
	"POST /api/v1/privacy":                   user,
	"DELETE /api/v1/privacy":                 user,
	"GET /api/v1/recordings":                 user,
	"DELETE /api/v1/recordings":              admin,
	"GET /api/v1/recordings/{id}":            user,
	"POST /api/v1/recordings/{id}/approvals": user,
	"POST /api/v1/events":                    user,
	"GET /api/v1/events":                     user,
	"GET /api/v1/storage":                    admin,
	"GET /api/v1/monitor/log":                admin,
	"GET /api/v1/notify/log":                 admin,
	"PUT /api/v1/users/{name}/rights":        admin,
	"GET /api/v1/ptz":                        user, // not yet in docs/api.md
	"PUT /api/v1/ptz":                        user, // not yet in docs/api.md
	"GET /api/v1/settings":                   user,
	"PATCH /api/v1/settings":                 user,
	"GET /api/v1/users":                      admin,
	"POST /api/v1/users":                     admin,
	"DELETE /api/v1/users/{name}":            admin,
	"PUT /api/v1/users/{name}/password":      account,
	"GET /api/v1/audit":                      admin,
	"GET /api/v1/audit/verify":               admin,
	"POST /api/v1/system/reboot":             admin,
	"POST /api/v1/system/factory-reset":      admin,
	"GET /api/v1/system/update-check":        admin,
	"POST /api/v1/system/update-check":       admin,
	"POST /api/v1/session":                   open,
	"GET /api/v1/session":                    account,
	"DELETE /api/v1/session":                 account,
}

func TestRouteTableIsThePermissionTable(t *testing.T) {
	g := NewWithT(t)
	got := map[string]access{}
	for _, rt := range routes() {
		key := rt.method + " " + rt.pattern
		g.Expect(got).NotTo(HaveKey(key), "each method and path once")
		got[key] = rt.access
		g.Expect(rt.handle).NotTo(BeNil(), key)
		g.Expect(rt.pattern).To(HavePrefix("/api/v1/"))
	}
	g.Expect(got).To(Equal(permissionTable))
}

func TestAccessLevels(t *testing.T) {
	g := NewWithT(t)
	g.Expect(open.level()).To(Equal(users.Guest))
	g.Expect(guest.level()).To(Equal(users.Guest))
	g.Expect(account.level()).To(Equal(users.Guest))
	g.Expect(user.level()).To(Equal(users.User))
	g.Expect(admin.level()).To(Equal(users.Admin))
}

func TestMatch(t *testing.T) {
	table := routes()
	for _, tc := range []struct {
		method, path string
		pattern      string
		params       map[string]string
		allowed      []string
	}{
		{"GET", "/api/v1/device", "/api/v1/device", nil, nil},
		{"DELETE", "/api/v1/users/operator", "/api/v1/users/{name}", map[string]string{"name": "operator"}, nil},
		{"PUT", "/api/v1/users/a.b-c_d/password", "/api/v1/users/{name}/password", map[string]string{"name": "a.b-c_d"}, nil},
		{"GET", "/api/v1/users", "/api/v1/users", nil, nil},
		{"HEAD", "/api/v1/live.jpg", "/api/v1/live.jpg", nil, nil},
		{"GET", "/api/v1/audit/verify", "/api/v1/audit/verify", nil, nil},
		{"PUT", "/api/v1/privacy", "", nil, []string{"GET", "HEAD", "POST", "DELETE"}},
		{"GET", "/api/v1/users/operator/password", "", nil, []string{"PUT"}},
		{"GET", "/api/v1/users/", "", nil, nil},
		{"PUT", "/api/v1/users//password", "", nil, nil},
		{"GET", "/api/v1/device/", "", nil, nil},
		{"GET", "api/v1/device", "", nil, nil},
		{"GET", "", "", nil, nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			g := NewWithT(t)
			rt, allowed, params := match(table, tc.method, tc.path)
			if tc.pattern == "" {
				g.Expect(rt).To(BeNil())
				g.Expect(params).To(BeNil())
				g.Expect(allowed).To(Equal(tc.allowed))
				return
			}
			g.Expect(rt).NotTo(BeNil())
			g.Expect(rt.pattern).To(Equal(tc.pattern))
			wantMethod := tc.method
			if wantMethod == "HEAD" {
				wantMethod = "GET" // HEAD is served by the GET route
			}
			g.Expect(rt.method).To(Equal(wantMethod))
			g.Expect(allowed).To(BeNil())
			g.Expect(params).To(Equal(tc.params))
		})
	}
}

// FuzzMatchPath checks the path matcher against every pattern of the table: it never panics; a match
// binds each "{name}" to one non-empty segment without "/"; putting the parameters back into the
// pattern gives the path again; and a pattern without parameters matches only itself.
func FuzzMatchPath(f *testing.F) {
	for _, rt := range routes() {
		f.Add(rt.pattern)
	}
	for _, seed := range []string{
		"/api/v1/users/operator", "/api/v1/users/operator/password", "/api/v1/users//password",
		"/api/v1/users/", "/api/v1/users/{name}", "/api/v1/users/a/b/password", "", "/", "//",
		"/api/v1/users/%2F/password", "/api/v1/users/\x00/password", "/api/v1/users/ü/password",
	} {
		f.Add(seed)
	}
	patterns := map[string]bool{}
	for _, rt := range routes() {
		patterns[rt.pattern] = true
	}
	f.Fuzz(func(t *testing.T, path string) {
		for pattern := range patterns {
			params, ok := matchPath(pattern, path)
			if !ok {
				if params != nil {
					t.Fatalf("%q against %q: no match but params %v", path, pattern, params)
				}
				continue
			}
			segs := strings.Split(pattern, "/")
			rebuilt := make([]string, len(segs))
			wantParams := 0
			for i, s := range segs {
				if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
					wantParams++
					v, found := params[s[1:len(s)-1]]
					if !found {
						t.Fatalf("%q against %q: parameter %s not bound", path, pattern, s)
					}
					if v == "" || strings.Contains(v, "/") {
						t.Fatalf("%q against %q: parameter %s = %q", path, pattern, s, v)
					}
					rebuilt[i] = v
					continue
				}
				rebuilt[i] = s
			}
			if len(params) != wantParams {
				t.Fatalf("%q against %q: params %v, want %d", path, pattern, params, wantParams)
			}
			if got := strings.Join(rebuilt, "/"); got != path {
				t.Fatalf("%q matched %q, but the pattern with its params is %q", path, pattern, got)
			}
			if wantParams == 0 && path != pattern {
				t.Fatalf("%q matched the fixed pattern %q", path, pattern)
			}
		}
	})
}

// TestPermissionTableOverHTTP asks every route as anonymous (public access on), as a guest account
// and as a user account, and checks that the gate lets through exactly what the table allows.
func TestPermissionTableOverHTTP(t *testing.T) {
	r := newRig(t)
	r.addUser(t, "viewer", viewerPassword, users.Guest)
	r.addUser(t, "operator", operatorPassword, users.User)
	callers := []struct {
		name  string
		level access // the highest access the caller has
		opts  []opt
	}{
		{"anonymous", guest, nil},
		{"viewer", account, []opt{basic("viewer", viewerPassword)}},
		{"operator", user, []opt{basic("operator", operatorPassword)}},
	}
	for _, c := range callers {
		for _, rt := range routes() {
			path := strings.ReplaceAll(rt.pattern, "{name}", c.name)
			t.Run(c.name+" "+rt.method+" "+path, func(t *testing.T) {
				g := NewWithT(t)
				rp := r.call(t, rt.method, path, c.opts...)
				var code string
				if rp.status >= 400 {
					code = rp.errorBody(t).Error
				}
				switch {
				case rt.access <= c.level:
					g.Expect(code).NotTo(BeElementOf("unauthorized", "forbidden"), "%d %s", rp.status, rp.body)
				case c.name == "anonymous":
					g.Expect(rp.status).To(Equal(http.StatusUnauthorized), string(rp.body))
					g.Expect(code).To(Equal("unauthorized"))
				default:
					g.Expect(rp.status).To(Equal(http.StatusForbidden), string(rp.body))
					g.Expect(code).To(Equal("forbidden"))
				}
			})
		}
	}
}
