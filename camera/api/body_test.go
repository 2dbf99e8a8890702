package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestBodyRefusalsChangeNothing(t *testing.T) {
	r := newRig(t)
	big := `{"image":{"brightness":60}}` + strings.Repeat(" ", MaxBody)
	bigUser := `{"name":"operator","password":"` + operatorPassword + `","level":"user"}` + strings.Repeat(" ", MaxBody)
	newUser := func(extra string) string {
		return `{"name":"operator","password":"` + operatorPassword + `","level":"user"` + extra + `}`
	}
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code, message                   string
	}{
		{"settings as text", http.MethodPatch, "/api/v1/settings", "text/plain", `{"image":{"brightness":60}}`, 415, "unsupported_media_type", "application/merge-patch+json"},
		{"settings without a type", http.MethodPatch, "/api/v1/settings", "", `{"image":{"brightness":60}}`, 415, "unsupported_media_type", ""},
		{"settings with a broken type", http.MethodPatch, "/api/v1/settings", "application/json; =", `{"image":{"brightness":60}}`, 415, "unsupported_media_type", ""},
		{"settings too large", http.MethodPatch, "/api/v1/settings", "application/merge-patch+json", big, 413, "body_too_large", "1048576"},
		{"settings malformed", http.MethodPatch, "/api/v1/settings", "application/json", `{"image":{"brightness":60}`, 400, "invalid_patch", ""},
		{"settings trailing data", http.MethodPatch, "/api/v1/settings", "application/json", `{"image":{"brightness":60}} {}`, 400, "invalid_patch", ""},
		{"settings trailing brace", http.MethodPatch, "/api/v1/settings", "application/json", `{"image":{"brightness":60}}}`, 400, "invalid_patch", ""},
		{"user as a merge patch", http.MethodPost, "/api/v1/users", "application/merge-patch+json", newUser(""), 415, "unsupported_media_type", "application/json"},
		{"user as a form", http.MethodPost, "/api/v1/users", "application/x-www-form-urlencoded", "name=operator&level=admin", 415, "unsupported_media_type", ""},
		{"user too large", http.MethodPost, "/api/v1/users", "application/json", bigUser, 413, "body_too_large", ""},
		{"user malformed", http.MethodPost, "/api/v1/users", "application/json", newUser("")[:20], 400, "bad_request", "not well-formed"},
		{"user empty", http.MethodPost, "/api/v1/users", "application/json", "", 400, "bad_request", "not well-formed"},
		{"user unknown field", http.MethodPost, "/api/v1/users", "application/json", newUser(`,"admin":true`), 400, "bad_request", `"admin"`},
		{"user wrong type", http.MethodPost, "/api/v1/users", "application/json", `{"name":"operator","password":"` + operatorPassword + `","level":3}`, 400, "bad_request", `"level" must be a JSON string`},
		{"user not an object", http.MethodPost, "/api/v1/users", "application/json", `["operator"]`, 400, "bad_request", ""},
		{"user trailing data", http.MethodPost, "/api/v1/users", "application/json", newUser("") + `{"name":"x"}`, 400, "bad_request", "after the JSON object"},
		{"password unknown field", http.MethodPut, "/api/v1/users/admin/password", "application/json", `{"password":"` + adminPassword + `","old":"meinsm"}`, 400, "bad_request", `"old"`},
		{"password wrong type", http.MethodPut, "/api/v1/users/admin/password", "application/json", `{"password":12345678}`, 400, "bad_request", `"password"`},
		{"password trailing data", http.MethodPut, "/api/v1/users/admin/password", "application/json", `{"password":"` + adminPassword + `"} 1`, 400, "bad_request", ""},
		{"password as text", http.MethodPut, "/api/v1/users/admin/password", "text/plain", adminPassword, 415, "unsupported_media_type", ""},
	}
	settingsBefore := r.settingsJSON(t)
	usersBefore := r.usersJSON(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rp := r.call(t, tc.method, tc.path, asAdmin(), body(tc.ctype, tc.body))
			e := expectError(t, rp, tc.status, tc.code)
			g.Expect(e.Message).To(ContainSubstring(tc.message))
			expectSecurityHeaders(g, rp.header)
			g.Expect(r.settingsJSON(t)).To(Equal(settingsBefore))
			g.Expect(r.usersJSON(t)).To(Equal(usersBefore))
			g.Expect(r.call(t, http.MethodGet, "/api/v1/device", asAdmin()).header.Get("X-Password-Change-Required")).To(Equal("true"),
				"the admin password is unchanged")
		})
	}
}

func TestBodyLimitAndMediaTypeParameters(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	patch := `{"image":{"brightness":61}}`
	exact := patch + strings.Repeat(" ", MaxBody-len(patch))
	rp := r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), body("application/merge-patch+json", exact))
	g.Expect(rp.status).To(Equal(http.StatusOK), "a body of exactly MaxBody bytes is read: %s", rp.body)
	rp = r.call(t, http.MethodPatch, "/api/v1/settings", asAdmin(), body("Application/JSON; charset=utf-8", `{"image":{"brightness":62}}`))
	g.Expect(rp.status).To(Equal(http.StatusOK), "media types are case-insensitive and may carry parameters: %s", rp.body)
	g.Expect(r.settingsJSON(t)).To(ContainSubstring(`"brightness": 62`))
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       newUser
		err        string
	}{
		{"valid", `{"name":"a","password":"b","level":"user"}`, newUser{Name: "a", Password: "b", Level: "user"}, ""},
		{"whitespace around", " \n{\"name\":\"a\"}\t\r\n ", newUser{Name: "a"}, ""},
		{"missing fields stay empty", `{}`, newUser{}, ""},
		{"empty", ``, newUser{}, "The body is not well-formed JSON."},
		{"only spaces", `   `, newUser{}, "The body is not well-formed JSON."},
		{"truncated", `{"name":"a"`, newUser{}, "The body is not well-formed JSON."},
		{"syntax error", `{"name" "a"}`, newUser{}, "The body is not well-formed JSON."},
		{"unknown field", `{"name":"a","root":true}`, newUser{}, `The body was not understood: json: unknown field "root".`},
		{"wrong type", `{"name":["a"]}`, newUser{}, `The field "name" must be a JSON string.`},
		{"second document", `{"name":"a"}{"name":"b"}`, newUser{}, "The body has data after the JSON object."},
		{"trailing number", `{"name":"a"} 7`, newUser{}, "The body has data after the JSON object."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var got newUser
			err := decodeStrict([]byte(tc.body), &got)
			if tc.err != "" {
				g.Expect(err).To(MatchError(tc.err))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestDecodeStrictRefusesTrailingClosers(t *testing.T) {
	for _, b := range []string{`{"name":"a"}}`, `{"name":"a"}]`, `{"name":"a"} ]]]`, `{}}0`, `{"name":"a"}}{"name":"b"}`, `{"name":"a"}] trailing garbage`} {
		g := NewWithT(t)
		var v newUser
		g.Expect(decodeStrict([]byte(b), &v)).To(MatchError("The body has data after the JSON object."), b)
	}
}

// FuzzDecodeStrict feeds the API's request bodies to decodeStrict. It never panics; what it accepts
// is exactly one JSON document that matches the struct, and decoding it again from its re-encoding
// gives the same value; what it refuses leaves a sentence for the client.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"name":"operator","password":"Quiet-River-88","level":"user"}`,
		`{"password":"x"}`,
		`{"name":"admin","password":"meinsm"}`,
		`{}`, `null`, ``, `[]`, `"x"`, `{"name":1}`, `{"NAME":"a","name":"b"}`,
		`{"name":"a\u0000\ud800"}`, "{\"name\":\"\xff\"}", `{"name":"a"} {}`, `{"name":"a"}}`, `{}}0`,
		`{"level":{"x":[1,2,{"y":null}]}}`, `{"password":"a","password":"b"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(fresh func() any) {
			v := fresh()
			err := decodeStrict(data, v)
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "The ") || !strings.HasSuffix(msg, ".") {
					t.Fatalf("refusal %q is not a sentence for the client", msg)
				}
				return
			}
			if !json.Valid(data) {
				t.Fatalf("accepted %q, which is not one JSON document", data)
			}
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encode %#v: %v", v, err)
			}
			again := fresh()
			if err := decodeStrict(enc, again); err != nil {
				t.Fatalf("the re-encoding %s of accepted %q is refused: %v", enc, data, err)
			}
			if !reflect.DeepEqual(v, again) {
				t.Fatalf("accepted %q as %#v, but its re-encoding %s decodes to %#v", data, v, enc, again)
			}
		}
		check(func() any { return new(newUser) })
		check(func() any { return new(passwordChange) })
		check(func() any { return new(credentials) })
	})
}
