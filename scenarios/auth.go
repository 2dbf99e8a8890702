package scenarios

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// accessProtection: AUTH-1..5 (GDPR Art. 32; EN 303 645 5.1; IEC 62443-4-2 CR 1.x).
func accessProtection(s *suite) {
	Describe("Access protection", func() {
		It("accepts admin/meinsm in factory state but persists nothing until that password is changed", Label("AUTH-1"), func(ctx SpecContext) {
			var dev map[string]any
			Expect(s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/device", nil).JSON(&dev)).To(Succeed())
			Expect(dev).To(HaveKeyWithValue("admin_password_default", true))

			resp := s.expectStatus(ctx, 200, factoryAdmin(), "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"general": true}})
			Expect(resp.Header.Get("X-Password-Change-Required")).To(Equal("true"), "the admin area demands a new password")
			body := resp.Map()
			Expect(body).To(HaveKeyWithValue("persisted", false))
			Expect(body["reason"]).To(ContainSubstring("factory default"))
			Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("arming", HaveKeyWithValue("general", true)), "applied at once")

			s.expectStatus(ctx, 200, factoryAdmin(), "POST", "/api/v1/system/reboot", nil)
			Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("arming", HaveKeyWithValue("general", false)), "gone after the reboot")

			admin := s.takeOwnership(ctx)
			old := factoryAdmin()
			s.expectStatus(ctx, 401, old, "GET", "/api/v1/device", nil)
			s.expectStatus(ctx, 401, old, "GET", "/api/v1/settings", nil)
			login := s.do(ctx, Cred{}, "POST", "/api/v1/session", map[string]string{"name": old.Name, "password": old.Password})
			Expect(login.Status).To(Equal(401), "the old password is refused for browser logins too")
			rtspOld, rtspNew := 0, 0
			if url := s.env.Target.RTSPURL(); url != "" {
				rtspOld, rtspNew = rtspDescribe(url, old), rtspDescribe(url, admin)
				Expect(rtspOld).To(Equal(401), "the old password is refused for the RTSP stream too")
				Expect(rtspNew).To(Equal(200))
			}

			after := s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"general": true}})
			Expect(after.Map()).To(HaveKeyWithValue("persisted", true))
			Expect(after.Header.Get("X-Password-Change-Required")).To(BeEmpty())
			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			Expect(s.settings(ctx, admin)).To(HaveKeyWithValue("arming", HaveKeyWithValue("general", true)), "kept across a power cycle")
			s.expectStatus(ctx, 401, old, "GET", "/api/v1/settings", nil)

			evidence("change before the password change", map[string]any{"persisted": body["persisted"], "after reboot arming.general": false})
			evidence("old password after the change", map[string]int{"api": 401, "browser login": login.Status, "rtsp": rtspOld})
			evidence("change after the password change survives a power cycle", true)
		})

		It("refuses weak passwords with a reason, and passwords are case-sensitive", Label("AUTH-2"), func(ctx SpecContext) {
			type attempt struct{ password, code string }
			bad := []attempt{
				{"Ab1!xyz", "too_short"},
				{"meinsm", "default_password"},
				{"MeinSM#2026x", "default_password"},
				{"Password1!", "weak_password"},
				{"12345678", "weak_password"},
				{"My-admin-2026!", "contains_name"},
				{"lowercaseonly-long", "missing_class"},
				{"NoDigitsHere!", "missing_class"},
				{"NoSpecial2026x", "missing_class"},
			}
			refusals := map[string]string{}
			for _, a := range bad {
				resp := s.expectStatus(ctx, 400, factoryAdmin(), "PUT", "/api/v1/users/admin/password", map[string]string{"password": a.password})
				Expect(resp.ErrorCode()).To(Equal(a.code), "password %q", a.password)
				msg, _ := resp.Map()["message"].(string)
				Expect(msg).NotTo(BeEmpty())
				Expect(msg).NotTo(ContainSubstring(a.password), "a refusal never echoes the password")
				refusals[a.code] = msg
			}
			// Still the factory password after all refusals.
			s.expectStatus(ctx, 200, factoryAdmin(), "GET", "/api/v1/users", nil)

			admin := s.takeOwnership(ctx)
			for _, variant := range caseVariants(admin.Password) {
				s.expectStatus(ctx, 401, Cred{admin.Name, variant}, "GET", "/api/v1/device", nil)
			}
			s.expectStatus(ctx, 200, admin, "GET", "/api/v1/device", nil)

			// Management accounts need all four classes; a guest account only the base rules.
			resp := s.expectStatus(ctx, 400, admin, "POST", "/api/v1/users", map[string]string{"name": "operator", "password": "onlylowercase-and-long", "level": "user"})
			Expect(resp.ErrorCode()).To(Equal("missing_class"))
			s.expectStatus(ctx, 201, admin, "POST", "/api/v1/users", map[string]string{"name": "viewer", "password": "onlylowercase-and-long", "level": "guest"})

			evidence("refusal reasons", refusals)
			evidence("case variants refused at login", len(caseVariants(admin.Password)))
		})

		It("enforces the three levels on every endpoint", Label("AUTH-3"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			viewer := s.addAccount(ctx, admin, "viewer", "guest")
			s.addAccount(ctx, admin, "spare", "guest")

			type row struct {
				method, path string
				body         any
				min          string // guest, account, user, admin
			}
			rows := []row{
				{"GET", "/api/v1/device", nil, "guest"},
				{"GET", "/api/v1/live.jpg", nil, "guest"},
				{"GET", "/api/v1/privacy", nil, "guest"},
				{"GET", "/api/v1/session", nil, "account"},
				{"GET", "/api/v1/settings", nil, "user"},
				{"PATCH", "/api/v1/settings", map[string]any{"image": map[string]any{"brightness": 55}}, "user"},
				{"PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"general": false}}, "user"},
				{"PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": true}}, "admin"},
				{"PATCH", "/api/v1/settings", map[string]any{"auth": map[string]any{"lockout": map[string]any{"max_failures": 5}}}, "admin"},
				{"POST", "/api/v1/privacy", nil, "user"},
				{"DELETE", "/api/v1/privacy", nil, "user"},
				{"GET", "/api/v1/recordings", nil, "user"},
				{"GET", "/api/v1/users", nil, "admin"},
				{"POST", "/api/v1/users", map[string]string{"name": "x", "password": "short", "level": "guest"}, "admin"},
				{"DELETE", "/api/v1/users/nobody", nil, "admin"},
				{"PUT", "/api/v1/users/spare/password", map[string]string{"password": "another-guest-pass-77"}, "admin"},
				{"GET", "/api/v1/audit", nil, "admin"},
				{"GET", "/api/v1/audit/verify", nil, "admin"},
				{"GET", "/api/v1/system/update-check", nil, "admin"},
				{"POST", "/api/v1/system/update-check", nil, "admin"},
				{"POST", "/api/v1/system/reboot", nil, "admin"},
			}
			rank := map[string]int{"anonymous": 0, "guest": 1, "user": 2, "admin": 3}
			need := map[string]int{"guest": 0, "account": 1, "user": 2, "admin": 3}
			callers := []struct {
				name string
				cred Cred
			}{{"anonymous", Cred{}}, {"guest", viewer}, {"user", operator}, {"admin", admin}}

			matrix := map[string]map[string]int{}
			check := func(r row, who string, cred Cred) {
				resp := s.do(ctx, cred, r.method, r.path, r.body)
				key := fmt.Sprintf("%s %s %v", r.method, r.path, r.body)
				if matrix[key] == nil {
					matrix[key] = map[string]int{}
				}
				matrix[key][who] = resp.Status
				if rank[who] >= need[r.min] {
					Expect(resp.Status).NotTo(BeElementOf(401, 403), "%s may %s: %s", who, key, resp)
				} else if who == "anonymous" {
					Expect(resp.Status).To(BeElementOf(401, 403), "anonymous must not %s: %s", key, resp)
				} else {
					Expect(resp.Status).To(Equal(403), "%s must not %s: %s", who, key, resp)
				}
			}
			for _, r := range rows {
				for _, c := range callers {
					check(r, c.name, c.cred)
				}
			}
			// Each account may change its own password; only an admin another's.
			s.expectStatus(ctx, 200, viewer, "PUT", "/api/v1/users/viewer/password", map[string]string{"password": "watch-only-pass-43"})
			viewer.Password = "watch-only-pass-43"
			s.expectStatus(ctx, 403, operator, "PUT", "/api/v1/users/viewer/password", map[string]string{"password": "watch-only-pass-44"})
			s.expectStatus(ctx, 401, Cred{}, "PUT", "/api/v1/users/viewer/password", map[string]string{"password": "watch-only-pass-45"})

			// With public access off, anonymous gets nothing at all.
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": false}})
			for _, r := range rows {
				resp := s.do(ctx, Cred{}, r.method, r.path, r.body)
				Expect(resp.Status).To(Equal(401), "anonymous %s %s with public access off: %s", r.method, r.path, resp)
			}
			// The factory reset is the last admin-only row: it ends the spec's camera.
			s.expectStatus(ctx, 403, operator, "POST", "/api/v1/system/factory-reset", nil)
			s.expectStatus(ctx, 403, viewer, "POST", "/api/v1/system/factory-reset", nil)
			s.expectStatus(ctx, 401, Cred{}, "POST", "/api/v1/system/factory-reset", nil)
			s.resetThroughAPI(ctx, admin)
			evidence("status by endpoint and caller", matrix)
		})

		It("gives anonymous clients live images in factory state and refuses them once public access is off", Label("AUTH-4"), func(ctx SpecContext) {
			live := s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/live.jpg", nil)
			Expect(live.Header.Get("Content-Type")).To(Equal("image/jpeg"))
			Expect(live.Body[:2]).To(Equal([]byte{0xFF, 0xD8}), "a JPEG image")
			Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("access", HaveKeyWithValue("public", true)))

			admin := s.takeOwnership(ctx)
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": false}})
			refused := s.expectStatus(ctx, 401, Cred{}, "GET", "/api/v1/live.jpg", nil)
			Expect(refused.Header.Get("WWW-Authenticate")).To(HavePrefix("Basic "))
			s.expectStatus(ctx, 401, Cred{}, "GET", "/api/v1/device", nil)
			viewer := s.addAccount(ctx, admin, "viewer", "guest")
			s.expectStatus(ctx, 200, viewer, "GET", "/api/v1/live.jpg", nil)
			evidence("anonymous live image", map[string]int{"factory state": live.Status, "public access off": refused.Status})
			evidence("factory live image size (bytes)", len(live.Body))
		})

		It("locks an account after repeated failed logins, and audits it", Label("AUTH-5"), func(ctx SpecContext) {
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			head := s.auditHead(ctx, admin)
			wrong := Cred{"operator", "Wrong-Pass!123"}

			var statuses []string
			for i := 1; i <= 4; i++ {
				resp := s.expectStatus(ctx, 401, wrong, "GET", "/api/v1/settings", nil)
				Expect(resp.ErrorCode()).To(Equal("unauthorized"), "failure %d", i)
				statuses = append(statuses, resp.ErrorCode())
				Expect(clk.Advance(time.Minute)).To(Succeed())
			}
			fifth := s.expectStatus(ctx, 401, wrong, "GET", "/api/v1/settings", nil)
			Expect(fifth.ErrorCode()).To(Equal("account_locked"))
			statuses = append(statuses, fifth.ErrorCode())
			right := s.expectStatus(ctx, 401, operator, "GET", "/api/v1/settings", nil)
			Expect(right.ErrorCode()).To(Equal("account_locked"), "the right password is refused while locked")
			s.expectStatus(ctx, 200, admin, "GET", "/api/v1/settings", nil)

			lockouts := find(s.audit(ctx, admin, head), "auth.lockout", "operator")
			Expect(lockouts).To(HaveLen(1))
			Expect(lockouts[0].Source).NotTo(BeEmpty())
			failures := find(s.audit(ctx, admin, head), "auth.failure", "operator")
			Expect(len(failures)).To(BeNumerically(">=", 5))

			Expect(clk.Advance(15*time.Minute - time.Second)).To(Succeed())
			Expect(s.expectStatus(ctx, 401, operator, "GET", "/api/v1/settings", nil).ErrorCode()).To(Equal("account_locked"), "still locked at 15 min − 1 s")
			Expect(clk.Advance(2 * time.Second)).To(Succeed())
			s.expectStatus(ctx, 200, operator, "GET", "/api/v1/settings", nil)

			evidence("answers to five wrong passwords", statuses)
			evidence("right password while locked", right.ErrorCode())
			evidence("lockout audit entry", map[string]string{"action": lockouts[0].Action, "target": lockouts[0].Target, "until": lockouts[0].Detail["until"]})
			evidence("unlocked after (virtual)", "15m0s")
		})
	})
}

// caseVariants returns the password with its letter case changed in three ways.
func caseVariants(p string) []string {
	flip := func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 32
		case r >= 'A' && r <= 'Z':
			return r + 32
		}
		return r
	}
	return []string{strings.ToUpper(p), strings.ToLower(p), strings.Map(flip, p)}
}

// rtspDescribe asks for the stream's description with Basic credentials and returns the status.
func rtspDescribe(url string, cred Cred) int {
	GinkgoHelper()
	c, err := dialRTSP(url, cred)
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	r, err := c.do("DESCRIBE", url, map[string]string{"Accept": "application/sdp"})
	Expect(err).NotTo(HaveOccurred())
	return r.Status
}
