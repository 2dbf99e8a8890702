package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/audit"
	"vsslab/camera/record"
	"vsslab/camera/users"
	"vsslab/sim/card"
	simclock "vsslab/sim/clock"
	"vsslab/sim/network"
	"vsslab/sim/sensor"
)

// factoryPassword is the admin password the camera ships with (docs/api.md).
const factoryPassword = "meinsm"

// Passwords that pass the policy for their accounts.
const (
	adminPassword    = "Blue#Heron42kite"
	operatorPassword = "Quiet-River-88"
	viewerPassword   = "lantern-moss-31"
)

// rig is a camera behind the API handler, served by an httptest server (plain HTTP: the handler
// does not care, and server_test.go covers TLS).
type rig struct {
	dir string
	clk *simclock.Virtual
	cam *camera.Camera
	srv *httptest.Server
}

func newCamera(t *testing.T, dir string, clk *simclock.Virtual) *camera.Camera {
	t.Helper()
	chart, err := sensor.NewTestChart(clk, 64, 48, 3)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := card.New(filepath.Join(t.TempDir(), "card"), 64<<20, clk)
	if err != nil {
		t.Fatal(err)
	}
	cam, err := camera.New(camera.Config{
		StateDir: dir,
		Model:    camera.ModelIoT,
		Serial:   "VSS-API-0001",
		Clock:    clk,
		Sensor:   chart,
		Dialer:   network.NewObserver(clk),
		Hosts:    []string{"127.0.0.1", "localhost"},
		Card:     card.Medium{Card: sd},
		KDF:      record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
	})
	if err != nil {
		t.Fatalf("camera.New: %v", err)
	}
	t.Cleanup(func() { _ = cam.Close() })
	return cam
}

func newRig(t *testing.T) *rig {
	t.Helper()
	clk := simclock.New(simclock.Epoch())
	dir := filepath.Join(t.TempDir(), "state")
	cam := newCamera(t, dir, clk)
	h, err := NewHandler(cam, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{dir: dir, clk: clk, cam: cam, srv: srv}
}

// addUser creates an account directly on the camera.
func (r *rig) addUser(t *testing.T, name, password string, level users.Level) {
	t.Helper()
	if _, err := r.cam.AddUser(camera.Actor{Name: "admin", Level: users.Admin, Source: "local"}, name, password, level); err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
}

// opt shapes a request.
type opt func(*http.Request)

func basic(name, password string) opt {
	return func(r *http.Request) { r.SetBasicAuth(name, password) }
}

func asAdmin() opt { return basic("admin", factoryPassword) }

func header(k, v string) opt { return func(r *http.Request) { r.Header.Set(k, v) } }

func cookie(token string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token}) }
}

func jsonBody(s string) opt { return body("application/json", s) }

func body(contentType, s string) opt {
	return func(r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(s))
		r.ContentLength = int64(len(s))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
	}
}

// reply is a read response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r *rig) call(t *testing.T, method, path string, opts ...opt) reply {
	t.Helper()
	req, err := http.NewRequest(method, r.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// errorBody decodes an error answer strictly: exactly {"error","message"} and maybe "key".
func (rp reply) errorBody(t *testing.T) apiError {
	t.Helper()
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(rp.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", rp.body, err)
	}
	if e.Error == "" || e.Message == "" {
		t.Fatalf("error body %q lacks error or message", rp.body)
	}
	if rp.header.Get("Content-Type") != "application/json" {
		t.Fatalf("error body has Content-Type %q", rp.header.Get("Content-Type"))
	}
	return e
}

// decode reads a JSON answer into v.
func (rp reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(rp.body, v); err != nil {
		t.Fatalf("body %q: %v", rp.body, err)
	}
}

// expectError checks the status and the error code of an answer.
func expectError(t *testing.T, rp reply, status int, code string) apiError {
	t.Helper()
	if rp.status != status {
		t.Fatalf("status %d, want %d; body %s", rp.status, status, rp.body)
	}
	e := rp.errorBody(t)
	if e.Error != code {
		t.Fatalf("error %q, want %q; body %s", e.Error, code, rp.body)
	}
	return e
}

// settingsJSON is GET /api/v1/settings as the admin sees it.
func (r *rig) settingsJSON(t *testing.T) string {
	t.Helper()
	rp := r.call(t, http.MethodGet, "/api/v1/settings", asAdmin())
	if rp.status != http.StatusOK {
		t.Fatalf("GET settings: %d %s", rp.status, rp.body)
	}
	return string(rp.body)
}

// usersJSON is GET /api/v1/users as the admin sees it.
func (r *rig) usersJSON(t *testing.T) string {
	t.Helper()
	rp := r.call(t, http.MethodGet, "/api/v1/users", asAdmin())
	if rp.status != http.StatusOK {
		t.Fatalf("GET users: %d %s", rp.status, rp.body)
	}
	return string(rp.body)
}

func auditEntries(t *testing.T, cam *camera.Camera, action string) []audit.Entry {
	t.Helper()
	all, err := cam.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func expectSecurityHeaders(g Gomega, h http.Header) {
	g.Expect(h.Get("Strict-Transport-Security")).To(Equal(HSTS))
	g.Expect(h.Get("X-Content-Type-Options")).To(Equal("nosniff"))
	g.Expect(h.Get("Cache-Control")).To(Equal("no-store"))
	g.Expect(h.Get("X-Frame-Options")).To(Equal("DENY"))
}

func TestNewHandlerNeedsACamera(t *testing.T) {
	g := NewWithT(t)
	h, err := NewHandler(nil, nil)
	g.Expect(err).To(MatchError(ContainSubstring("no camera")))
	g.Expect(h).To(BeNil())
}

func TestUnknownPathIs404(t *testing.T) {
	r := newRig(t)
	for _, path := range []string{"/", "/api/v1/nope", "/api/v1/device/", "/api/v1/users/", "/api/v1/users//password", "/API/V1/DEVICE", "/api/v2/device"} {
		t.Run(path, func(t *testing.T) {
			g := NewWithT(t)
			rp := r.call(t, http.MethodGet, path, asAdmin())
			e := expectError(t, rp, http.StatusNotFound, "not_found")
			g.Expect(e.Message).To(ContainSubstring(path))
			g.Expect(rp.header.Get("Allow")).To(BeEmpty())
			expectSecurityHeaders(g, rp.header)
		})
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/api/v1/device", "GET, HEAD"},
		{http.MethodPost, "/api/v1/live.jpg", "GET, HEAD"},
		{http.MethodPut, "/api/v1/privacy", "GET, HEAD, POST, DELETE"},
		{http.MethodPut, "/api/v1/settings", "GET, HEAD, PATCH"},
		{http.MethodGet, "/api/v1/users/admin", "DELETE"},
		{http.MethodPost, "/api/v1/users/admin/password", "PUT"},
		{http.MethodPatch, "/api/v1/session", "POST, GET, HEAD, DELETE"},
		{http.MethodGet, "/api/v1/system/reboot", "POST"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			g := NewWithT(t)
			// Without credentials: the method is judged before anybody is asked to log in.
			rp := r.call(t, tc.method, tc.path)
			e := expectError(t, rp, http.StatusMethodNotAllowed, "method_not_allowed")
			g.Expect(rp.header.Get("Allow")).To(Equal(tc.allow))
			g.Expect(e.Message).To(ContainSubstring(tc.method))
			expectSecurityHeaders(g, rp.header)
		})
	}
}

func TestHeadIsGetWithoutABody(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodHead, "/api/v1/device")
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(rp.body).To(BeEmpty())
	g.Expect(rp.header.Get("Content-Type")).To(Equal("application/json"))
	expectSecurityHeaders(g, rp.header)
	// HEAD passes the same gate as GET.
	rp = r.call(t, http.MethodHead, "/api/v1/settings")
	g.Expect(rp.status).To(Equal(http.StatusUnauthorized))
	g.Expect(rp.header.Get("WWW-Authenticate")).To(HavePrefix("Basic "))
	rp = r.call(t, http.MethodHead, "/api/v1/settings", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK))
	rp = r.call(t, http.MethodHead, "/api/v1/system/reboot", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusMethodNotAllowed), "HEAD is no way into a POST route")
	g.Expect(rp.header.Get("Allow")).To(Equal("POST"))
}

func TestSecurityHeadersOnSuccess(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodGet, "/api/v1/device")
	g.Expect(rp.status).To(Equal(http.StatusOK))
	expectSecurityHeaders(g, rp.header)
	g.Expect(rp.header.Get("Content-Security-Policy")).To(ContainSubstring("frame-ancestors 'none'"))
	var d camera.Device
	rp.decode(t, &d)
	g.Expect(d.FactoryState).To(BeTrue())
	g.Expect(d.Serial).To(Equal("VSS-API-0001"))
}

func TestBasicAuthWithWrongCredentials(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	wrong := r.call(t, http.MethodGet, "/api/v1/settings", basic("admin", "not-it"))
	e := expectError(t, wrong, http.StatusUnauthorized, "unauthorized")
	g.Expect(wrong.header.Get("WWW-Authenticate")).To(Equal(`Basic realm="vsslab camera", charset="UTF-8"`))
	expectSecurityHeaders(g, wrong.header)

	unknown := r.call(t, http.MethodGet, "/api/v1/settings", basic("nobody", "not-it"))
	e2 := expectError(t, unknown, http.StatusUnauthorized, "unauthorized")
	g.Expect(e2).To(Equal(e), "an unknown name is answered like a wrong password")

	// Wrong credentials are refused even on a guest route that anonymous clients may use.
	rp := r.call(t, http.MethodGet, "/api/v1/device", basic("admin", "not-it"))
	expectError(t, rp, http.StatusUnauthorized, "unauthorized")

	bearer := r.call(t, http.MethodGet, "/api/v1/device", header("Authorization", "Bearer abc"))
	expectError(t, bearer, http.StatusUnauthorized, "unauthorized")
	g.Expect(bearer.header.Get("WWW-Authenticate")).To(HavePrefix("Basic "))

	g.Expect(auditEntries(t, r.cam, "auth.failure")).To(HaveLen(3))
}

func TestAnonymousAccessFollowsAccessPublic(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	for _, path := range []string{"/api/v1/device", "/api/v1/privacy", "/api/v1/live.jpg"} {
		rp := r.call(t, http.MethodGet, path)
		g.Expect(rp.status).To(Equal(http.StatusOK), "anonymous GET %s while public: %s", path, rp.body)
	}
	live := r.call(t, http.MethodGet, "/api/v1/live.jpg")
	g.Expect(live.header.Get("Content-Type")).To(Equal("image/jpeg"))
	g.Expect(live.body[:2]).To(Equal([]byte{0xff, 0xd8}), "a JPEG")

	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/settings"},
		{http.MethodPatch, "/api/v1/settings"},
		{http.MethodGet, "/api/v1/recordings"},
		{http.MethodPost, "/api/v1/privacy"},
		{http.MethodGet, "/api/v1/users"},
		{http.MethodPut, "/api/v1/users/admin/password"},
		{http.MethodGet, "/api/v1/session"},
		{http.MethodPost, "/api/v1/system/factory-reset"},
	} {
		rp := r.call(t, c.method, c.path, jsonBody(`{"access":{"public":false},"password":"Taken#Over99z"}`))
		expectError(t, rp, http.StatusUnauthorized, "unauthorized")
		g.Expect(rp.header.Get("WWW-Authenticate")).To(HavePrefix("Basic "), c.path)
	}
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeTrue(), "anonymous requests changed nothing")

	rp := r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), body("application/merge-patch+json", `{"access":{"public":false}}`))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	for _, path := range []string{"/api/v1/device", "/api/v1/privacy", "/api/v1/live.jpg"} {
		rp := r.call(t, http.MethodGet, path)
		e := expectError(t, rp, http.StatusUnauthorized, "unauthorized")
		g.Expect(e.Message).To(ContainSubstring("Public access is off"))
		g.Expect(rp.header.Get("WWW-Authenticate")).To(HavePrefix("Basic "))
	}
	rp = r.call(t, http.MethodGet, "/api/v1/device", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK), "accounts still get in")
}

func TestGuestAccountIsForbiddenOnUserRoutes(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	r.addUser(t, "viewer", viewerPassword, users.Guest)
	guest := basic("viewer", viewerPassword)
	g.Expect(r.call(t, http.MethodGet, "/api/v1/device", guest).status).To(Equal(http.StatusOK))
	g.Expect(r.call(t, http.MethodGet, "/api/v1/session", guest).status).To(Equal(http.StatusOK), "a guest account is an account")

	before := r.settingsJSON(t)
	rp := r.call(t, http.MethodGet, "/api/v1/settings", guest)
	e := expectError(t, rp, http.StatusForbidden, "forbidden")
	g.Expect(e.Message).To(ContainSubstring("user level"))
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", guest, jsonBody(`{"image":{"brightness":1}}`))
	expectError(t, rp, http.StatusForbidden, "forbidden")
	rp = r.call(t, http.MethodPost, "/api/v1/privacy", guest)
	expectError(t, rp, http.StatusForbidden, "forbidden")
	g.Expect(r.settingsJSON(t)).To(Equal(before))
	st, err := r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(st.Active).To(BeFalse())

	denied := auditEntries(t, r.cam, "access.denied")
	g.Expect(denied).To(HaveLen(3))
	g.Expect(denied[0].Actor).To(Equal("viewer"))
	g.Expect(denied[0].Source).To(Equal("127.0.0.1"))
	g.Expect(denied[0].Target).To(Equal("GET /api/v1/settings"))
	g.Expect(denied[0].Outcome).To(Equal("denied"))
}

func TestUserMayNotTouchSecuritySettingsOverTheAPI(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	r.addUser(t, "operator", operatorPassword, users.User)
	asUser := basic("operator", operatorPassword)
	before := r.settingsJSON(t)
	rp := r.call(t, http.MethodPatch, "/api/v1/settings", asUser, jsonBody(`{"image":{"brightness":1},"microphone":{"enabled":true}}`))
	e := expectError(t, rp, http.StatusForbidden, "forbidden")
	g.Expect(e.Message).To(ContainSubstring("microphone.enabled"))
	g.Expect(r.settingsJSON(t)).To(Equal(before))

	rp = r.call(t, http.MethodPatch, "/api/v1/settings", asUser, jsonBody(`{"image":{"brightness":1}}`))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	var res camera.SettingsResult
	rp.decode(t, &res)
	g.Expect(res.Changed).To(Equal([]string{"image.brightness"}))
	g.Expect(res.Persisted).To(BeFalse())
	g.Expect(res.Reason).To(ContainSubstring("factory default"))

	rp = r.call(t, http.MethodPut, "/api/v1/users/admin/password", asUser, jsonBody(`{"password":"Taken#Over99z"}`))
	expectError(t, rp, http.StatusForbidden, "forbidden")
	g.Expect(r.call(t, http.MethodGet, "/api/v1/device", asAdmin()).status).To(Equal(http.StatusOK), "the admin password is unchanged")
}

func TestBadSettingIs400NamingTheKey(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	before := r.settingsJSON(t)
	rp := r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), jsonBody(`{"image":{"brightness":1000}}`))
	e := expectError(t, rp, http.StatusBadRequest, "invalid_value")
	g.Expect(e.Key).To(Equal("image.brightness"))
	g.Expect(e.Message).To(HavePrefix("Setting image.brightness "))
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), jsonBody(`{"telnet":true}`))
	e = expectError(t, rp, http.StatusBadRequest, "unknown_key")
	g.Expect(e.Key).To(Equal("telnet"))
	g.Expect(r.settingsJSON(t)).To(Equal(before))
}

func TestPasswordChangeRequiredHeader(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodGet, "/api/v1/device", asAdmin())
	g.Expect(rp.header.Get("X-Password-Change-Required")).To(Equal("true"))
	rp = r.call(t, http.MethodGet, "/api/v1/device")
	g.Expect(rp.header.Get("X-Password-Change-Required")).To(BeEmpty(), "not told to anonymous clients")

	rp = r.call(t, http.MethodPut, "/api/v1/users/admin/password", asAdmin(), jsonBody(`{"password":"`+adminPassword+`"}`))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	var p camera.Persistence
	rp.decode(t, &p)
	g.Expect(p).To(Equal(camera.Persistence{Persisted: true}))

	rp = r.call(t, http.MethodGet, "/api/v1/device", basic("admin", adminPassword))
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(rp.header.Values("X-Password-Change-Required")).To(BeEmpty())
	expectError(t, r.call(t, http.MethodGet, "/api/v1/device", asAdmin()), http.StatusUnauthorized, "unauthorized")
}

func TestLockedAccount(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	for i := 1; i <= 4; i++ {
		expectError(t, r.call(t, http.MethodGet, "/api/v1/settings", basic("admin", "guess")), http.StatusUnauthorized, "unauthorized")
	}
	fifth := r.call(t, http.MethodGet, "/api/v1/settings", basic("admin", "guess"))
	e := expectError(t, fifth, http.StatusUnauthorized, "account_locked")
	g.Expect(e.Message).To(ContainSubstring("locked until " + r.clk.Now().Add(15*time.Minute).Format(time.RFC3339)))

	right := r.call(t, http.MethodGet, "/api/v1/settings", asAdmin())
	expectError(t, right, http.StatusUnauthorized, "account_locked")
	login := r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"admin","password":"`+factoryPassword+`"}`))
	expectError(t, login, http.StatusUnauthorized, "account_locked")
	g.Expect(login.header.Values("Set-Cookie")).To(BeEmpty())
	g.Expect(auditEntries(t, r.cam, "auth.lockout")).To(HaveLen(1))

	g.Expect(r.clk.Advance(15*time.Minute + time.Second)).To(Succeed())
	g.Expect(r.call(t, http.MethodGet, "/api/v1/settings", asAdmin()).status).To(Equal(http.StatusOK))
}

// sessionCookie finds the session cookie set by a response.
func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == SessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %q", SessionCookie, h.Values("Set-Cookie"))
	return nil
}

func TestSessionCookieFlow(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"admin","password":"`+factoryPassword+`"}`))
	g.Expect(rp.status).To(Equal(http.StatusCreated), string(rp.body))
	ck := sessionCookie(t, rp.header)
	g.Expect(ck.Value).NotTo(BeEmpty())
	g.Expect(ck.Secure).To(BeTrue())
	g.Expect(ck.HttpOnly).To(BeTrue())
	g.Expect(ck.SameSite).To(Equal(http.SameSiteStrictMode))
	g.Expect(ck.Path).To(Equal("/"))
	var login struct {
		Name                   string    `json:"name"`
		Level                  string    `json:"level"`
		CSRF                   string    `json:"csrf_token"`
		Expires                time.Time `json:"expires"`
		PasswordChangeRequired bool      `json:"password_change_required"`
	}
	rp.decode(t, &login)
	g.Expect(login.Name).To(Equal("admin"))
	g.Expect(login.Level).To(Equal("admin"))
	g.Expect(login.CSRF).NotTo(BeEmpty())
	g.Expect(login.CSRF).NotTo(Equal(ck.Value))
	g.Expect(login.PasswordChangeRequired).To(BeTrue())
	g.Expect(login.Expires).To(Equal(r.clk.Now().Add(camera.IdleTimeout)))
	g.Expect(string(rp.body)).NotTo(ContainSubstring(ck.Value), "the session token is only in the HttpOnly cookie")

	who := r.call(t, http.MethodGet, "/api/v1/session", cookie(ck.Value))
	g.Expect(who.status).To(Equal(http.StatusOK))
	g.Expect(string(who.body)).To(ContainSubstring(`"name": "admin"`))
	g.Expect(who.header.Get("X-Password-Change-Required")).To(Equal("true"))
	g.Expect(r.call(t, http.MethodGet, "/api/v1/settings", cookie(ck.Value)).status).To(Equal(http.StatusOK))

	before := r.settingsJSON(t)
	patch := jsonBody(`{"image":{"contrast":33}}`)
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", cookie(ck.Value), patch)
	e := expectError(t, rp, http.StatusForbidden, "csrf")
	g.Expect(e.Message).To(ContainSubstring("X-CSRF-Token"))
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", cookie(ck.Value), patch, header("X-CSRF-Token", ck.Value))
	expectError(t, rp, http.StatusForbidden, "csrf")
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", cookie(ck.Value), patch, header("X-CSRF-Token", login.CSRF+"x"))
	expectError(t, rp, http.StatusForbidden, "csrf")
	g.Expect(r.settingsJSON(t)).To(Equal(before), "refused requests changed nothing")

	rp = r.call(t, http.MethodPatch, "/api/v1/settings", cookie(ck.Value), patch, header("X-CSRF-Token", login.CSRF))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	g.Expect(r.settingsJSON(t)).To(ContainSubstring(`"contrast": 33`))

	// A POST without a body (privacy on) needs the token just the same.
	expectError(t, r.call(t, http.MethodPost, "/api/v1/privacy", cookie(ck.Value)), http.StatusForbidden, "csrf")

	rp = r.call(t, http.MethodDelete, "/api/v1/session", cookie(ck.Value))
	expectError(t, rp, http.StatusForbidden, "csrf")
	rp = r.call(t, http.MethodDelete, "/api/v1/session", cookie(ck.Value), header("X-CSRF-Token", login.CSRF))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	cleared := sessionCookie(t, rp.header)
	g.Expect(cleared.Value).To(BeEmpty())
	g.Expect(cleared.MaxAge).To(BeNumerically("<", 0))
	g.Expect(auditEntries(t, r.cam, "auth.logout")).To(HaveLen(1))

	rp = r.call(t, http.MethodGet, "/api/v1/session", cookie(ck.Value))
	expectError(t, rp, http.StatusUnauthorized, "session_expired")
	rp = r.call(t, http.MethodGet, "/api/v1/device", cookie(ck.Value))
	expectError(t, rp, http.StatusUnauthorized, "session_expired")
}

func TestSessionIdleExpiryOverTheAPI(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"admin","password":"`+factoryPassword+`"}`))
	g.Expect(rp.status).To(Equal(http.StatusCreated))
	ck := sessionCookie(t, rp.header)
	g.Expect(r.clk.Advance(camera.IdleTimeout + time.Second)).To(Succeed())
	expectError(t, r.call(t, http.MethodGet, "/api/v1/session", cookie(ck.Value)), http.StatusUnauthorized, "session_expired")
}

func TestLoginRefusals(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"admin","password":"wrong-one"}`))
	expectError(t, rp, http.StatusUnauthorized, "unauthorized")
	g.Expect(rp.header.Values("Set-Cookie")).To(BeEmpty())
	rp = r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"admin","password":"x","remember":true}`))
	expectError(t, rp, http.StatusBadRequest, "bad_request")
	rp = r.call(t, http.MethodPost, "/api/v1/session", body("application/x-www-form-urlencoded", "name=admin&password="+factoryPassword))
	expectError(t, rp, http.StatusUnsupportedMediaType, "unsupported_media_type")
	g.Expect(rp.header.Values("Set-Cookie")).To(BeEmpty(), "a cross-site form cannot log in")
}

func TestPasswordNeverInAnswers(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	const secret = "Xylo#Phone-Mint-93"
	var bodies []reply
	keep := func(rp reply) reply { bodies = append(bodies, rp); return rp }

	rp := keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"operator","password":"`+secret+`","level":"user"}`)))
	g.Expect(rp.status).To(Equal(http.StatusCreated), string(rp.body))
	rp = keep(r.call(t, http.MethodGet, "/api/v1/users", asAdmin()))
	g.Expect(rp.status).To(Equal(http.StatusOK))
	var list struct {
		Users []map[string]any `json:"users"`
	}
	rp.decode(t, &list)
	g.Expect(list.Users).To(HaveLen(2))
	for _, u := range list.Users {
		g.Expect(u).To(HaveLen(4), "name, level, default_password, rights and nothing else: %v", u)
		g.Expect(u).To(HaveKey("name"))
		g.Expect(u).To(HaveKey("level"))
		g.Expect(u).To(HaveKey("default_password"))
	}
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"operator","password":"`+secret+`","level":"user"}`)))
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"Bad Name","password":"`+secret+`","level":"user"}`)))
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"other","password":"`+secret+`","level":"root"}`)))
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"other","password":"`+secret+`","level":"user","extra":1}`)))
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"other","password":"`+secret+`","level":"user"`)))
	keep(r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"other","password":"`+secret+`meinsm","level":"user"}`)))
	keep(r.call(t, http.MethodGet, "/api/v1/settings", basic("operator", secret+"x")))
	keep(r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"operator","password":"`+secret+`x"}`)))
	keep(r.call(t, http.MethodPost, "/api/v1/session", jsonBody(`{"name":"operator","password":"`+secret+`"}`)))
	keep(r.call(t, http.MethodPut, "/api/v1/users/operator/password", basic("operator", secret), jsonBody(`{"password":"`+secret+`"}`)))
	keep(r.call(t, http.MethodPut, "/api/v1/users/operator/password", basic("operator", secret), jsonBody(`{"password":"operator`+secret+`"}`)))
	keep(r.call(t, http.MethodGet, "/api/v1/audit", asAdmin()))
	for _, rp := range bodies {
		g.Expect(string(rp.body)).NotTo(ContainSubstring(secret))
		g.Expect(string(rp.body)).NotTo(ContainSubstring("argon2"))
		g.Expect(string(rp.body)).NotTo(ContainSubstring(factoryPassword))
		for k, vs := range rp.header {
			for _, v := range vs {
				g.Expect(v).NotTo(ContainSubstring(secret), k)
			}
		}
	}
}

func TestUserManagement(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"operator","password":"`+operatorPassword+`","level":"user"}`))
	g.Expect(rp.status).To(Equal(http.StatusCreated), string(rp.body))
	var created struct {
		User      camera.Account `json:"user"`
		Persisted bool           `json:"persisted"`
		Reason    string         `json:"reason"`
	}
	rp.decode(t, &created)
	g.Expect(created.User).To(Equal(camera.Account{Name: "operator", Level: users.User}))
	g.Expect(created.Persisted).To(BeFalse())
	g.Expect(created.Reason).NotTo(BeEmpty())

	expectError(t, r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"operator","password":"`+operatorPassword+`","level":"user"}`)),
		http.StatusConflict, "user_exists")
	e := expectError(t, r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"x2","password":"`+operatorPassword+`","level":"Admin"}`)),
		http.StatusBadRequest, "invalid_value")
	g.Expect(e.Key).To(Equal("level"))
	expectError(t, r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"x2","password":"short","level":"user"}`)),
		http.StatusBadRequest, "too_short")
	expectError(t, r.call(t, http.MethodPost, "/api/v1/users", basic("operator", operatorPassword), jsonBody(`{"name":"x3","password":"`+operatorPassword+`","level":"admin"}`)),
		http.StatusForbidden, "forbidden")
	expectError(t, r.call(t, http.MethodDelete, "/api/v1/users/nobody", asAdmin()), http.StatusNotFound, "user_not_found")

	rp = r.call(t, http.MethodDelete, "/api/v1/users/operator", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	g.Expect(r.usersJSON(t)).NotTo(ContainSubstring("operator"))
	expectError(t, r.call(t, http.MethodGet, "/api/v1/settings", basic("operator", operatorPassword)), http.StatusUnauthorized, "unauthorized")
}

func TestDeletingTheBuiltInAdminIsAConflict(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	before := r.usersJSON(t)
	rp := r.call(t, http.MethodDelete, "/api/v1/users/admin", asAdmin())
	expectError(t, rp, http.StatusConflict, "built_in_admin")
	g.Expect(r.usersJSON(t)).To(Equal(before))
	deleted := auditEntries(t, r.cam, "user.delete")
	g.Expect(deleted).To(HaveLen(1))
	g.Expect(deleted[0].Outcome).To(Equal("failed"))
}

func TestReservedNamesCannotBeAccounts(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	for _, name := range []string{"anonymous", "system"} {
		rp := r.call(t, http.MethodPost, "/api/v1/users", asAdmin(), jsonBody(`{"name":"`+name+`","password":"`+operatorPassword+`","level":"user"}`))
		g.Expect(rp.status).To(Equal(http.StatusBadRequest), string(rp.body))
		g.Expect(string(rp.body)).To(ContainSubstring("invalid_name"))
	}
}

func TestPrivacyOverTheAPI(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	r.addUser(t, "operator", operatorPassword, users.User)
	asUser := basic("operator", operatorPassword)
	rp := r.call(t, http.MethodPost, "/api/v1/privacy", asUser)
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	var st camera.PrivacyStatus
	rp.decode(t, &st)
	g.Expect(st.Active).To(BeTrue())
	g.Expect(st.Until.Equal(r.clk.Now().Add(24 * time.Hour))).To(BeTrue())

	expectError(t, r.call(t, http.MethodGet, "/api/v1/live.jpg"), http.StatusForbidden, "privacy_mode")
	expectError(t, r.call(t, http.MethodGet, "/api/v1/live.jpg", asAdmin()), http.StatusForbidden, "privacy_mode")
	expectError(t, r.call(t, http.MethodGet, "/api/v1/recordings", asUser), http.StatusForbidden, "privacy_mode")
	rp = r.call(t, http.MethodGet, "/api/v1/privacy")
	g.Expect(string(rp.body)).To(ContainSubstring(`"active": true`))

	rp = r.call(t, http.MethodDelete, "/api/v1/privacy", asUser)
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(r.call(t, http.MethodGet, "/api/v1/live.jpg").status).To(Equal(http.StatusOK))
	rp = r.call(t, http.MethodGet, "/api/v1/recordings", asUser)
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(string(rp.body)).To(MatchJSON(`{"recordings":[]}`))
}

func TestAuditOverTheAPI(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	rp := r.call(t, http.MethodGet, "/api/v1/audit?after=1", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK))
	var got struct {
		Entries []audit.Entry `json:"entries"`
	}
	rp.decode(t, &got)
	all, err := r.cam.Audit(1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Entries).To(HaveLen(len(all)))
	for _, e := range got.Entries {
		g.Expect(e.Seq).To(BeNumerically(">", 1))
	}
	for _, bad := range []string{"-1", "x", "1.5"} {
		e := expectError(t, r.call(t, http.MethodGet, "/api/v1/audit?after="+bad, asAdmin()), http.StatusBadRequest, "invalid_value")
		g.Expect(e.Key).To(Equal("after"))
	}
	rp = r.call(t, http.MethodGet, "/api/v1/audit/verify", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK))
	var v audit.Verification
	rp.decode(t, &v)
	g.Expect(v.OK).To(BeTrue(), v.Reason)
}

func TestSystemRoutes(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	e := expectError(t, r.call(t, http.MethodPost, "/api/v1/system/update-check", asAdmin()), http.StatusConflict, "disabled")
	g.Expect(e.Message).To(ContainSubstring("update_check.enabled"))
	rp := r.call(t, http.MethodGet, "/api/v1/system/update-check", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(string(rp.body)).To(MatchJSON(`{"ok":false}`))

	rp = r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), jsonBody(`{"image":{"brightness":5}}`))
	g.Expect(rp.status).To(Equal(http.StatusOK))
	rp = r.call(t, http.MethodPost, "/api/v1/system/reboot", asAdmin())
	g.Expect(rp.status).To(Equal(http.StatusOK))
	g.Expect(string(rp.body)).To(MatchJSON(`{"status":"rebooted"}`))
	g.Expect(r.settingsJSON(t)).To(ContainSubstring(`"brightness": 50`), "the unpersisted change is gone")

	oldFP := r.cam.CertificateSHA256()
	rp = r.call(t, http.MethodPut, "/api/v1/users/admin/password", asAdmin(), jsonBody(`{"password":"`+adminPassword+`"}`))
	g.Expect(rp.status).To(Equal(http.StatusOK))
	rp = r.call(t, http.MethodPost, "/api/v1/system/factory-reset", basic("admin", adminPassword))
	g.Expect(rp.status).To(Equal(http.StatusOK), string(rp.body))
	g.Expect(string(rp.body)).To(MatchJSON(`{"status":"factory_reset"}`))
	g.Expect(r.cam.CertificateSHA256()).NotTo(Equal(oldFP))
	g.Expect(r.call(t, http.MethodGet, "/api/v1/device", asAdmin()).header.Get("X-Password-Change-Required")).To(Equal("true"))
}

func TestHaltedCameraAnswers503(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	g.Expect(os.WriteFile(filepath.Join(r.dir, "settings.json"), []byte("{garbage"), 0o600)).To(Succeed())
	rp := r.call(t, http.MethodPost, "/api/v1/system/reboot", asAdmin())
	e := expectError(t, rp, http.StatusServiceUnavailable, "halted")
	g.Expect(e.Message).To(ContainSubstring("settings.json"))
	for _, c := range []struct {
		method, path string
		opts         []opt
	}{
		{http.MethodGet, "/api/v1/device", nil},
		{http.MethodGet, "/api/v1/live.jpg", nil},
		{http.MethodGet, "/api/v1/settings", []opt{asAdmin()}},
		{http.MethodPost, "/api/v1/session", []opt{jsonBody(`{"name":"admin","password":"meinsm"}`)}},
	} {
		rp := r.call(t, c.method, c.path, c.opts...)
		expectError(t, rp, http.StatusServiceUnavailable, "halted")
		expectSecurityHeaders(g, rp.header)
	}
}

func TestCrossSiteChangesAreRefused(t *testing.T) {
	g := NewWithT(t)
	h, err := NewHandler(newCamera(t, filepath.Join(t.TempDir(), "state"), simclock.New(simclock.Epoch())), nil)
	g.Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	for _, hdr := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/privacy", nil)
		req.SetBasicAuth("admin", factoryPassword)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusForbidden), "%v", hdr)
	}
	// The camera's own origin and non-browser clients pass.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/privacy", nil)
	req.SetBasicAuth("admin", factoryPassword)
	req.Header.Set("Origin", srv.URL)
	resp, err := srv.Client().Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
}
