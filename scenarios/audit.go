package scenarios

import (
	"bytes"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// auditFile is where the reference camera keeps its audit log inside its storage (docs/api.md).
const auditFile = "audit/audit.log"

// auditTrail: AUD-1 and AUD-2 (GDPR Art. 5(2), 30; IEC 62443-4-2 CR 2.8, 3.9).
func auditTrail(s *suite) {
	Describe("Audit trail", func() {
		It("logs every data-protection relevant action once, with who, what, when and from where", Label("AUD-1"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			head := s.auditHead(ctx, admin)
			operator := s.addAccount(ctx, admin, "operator", "user")
			s.expectStatus(ctx, 200, operator, "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"general": true}})
			s.expectStatus(ctx, 403, operator, "PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": false}})
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"access": map[string]any{"public": false}})
			s.expectStatus(ctx, 200, operator, "POST", "/api/v1/privacy", nil)
			s.expectStatus(ctx, 200, operator, "DELETE", "/api/v1/privacy", nil)
			s.expectStatus(ctx, 401, Cred{"operator", "Not-The-Pass!1"}, "GET", "/api/v1/settings", nil)
			s.expectStatus(ctx, 200, operator, "PUT", "/api/v1/users/operator/password", map[string]string{"password": "N3w-Pass!for-ops"})
			s.expectStatus(ctx, 200, admin, "DELETE", "/api/v1/users/operator", nil)
			s.expectStatus(ctx, 200, admin, "POST", "/api/v1/system/reboot", nil)

			entries := s.audit(ctx, admin, head)
			expected := []struct{ actor, action, target, outcome string }{
				{"admin", "user.create", "operator", "ok"},
				{"operator", "settings.change", "arming.general", "ok"},
				{"operator", "settings.change", "access.public", "denied"},
				{"admin", "settings.change", "access.public", "ok"},
				{"operator", "privacy.on", "", "ok"},
				{"operator", "privacy.off", "", "ok"},
				{"operator", "auth.failure", "operator", "failed"},
				{"operator", "user.password", "operator", "ok"},
				{"admin", "user.delete", "operator", "ok"},
				{"admin", "system.reboot", "", "ok"},
			}
			var seen []map[string]string
			for _, want := range expected {
				var match []auditEntry
				for _, e := range entries {
					if e.Actor == want.actor && e.Action == want.action && e.Target == want.target && e.Outcome == want.outcome {
						match = append(match, e)
					}
				}
				Expect(match).To(HaveLen(1), "exactly one entry for %+v in %+v", want, entries)
				e := match[0]
				expectSource(e, s.env.Target)
				Expect(e.Time.IsZero()).To(BeFalse(), "when")
				if c, ok := s.env.Target.(target.Clocked); ok {
					Expect(e.Time.Equal(c.Clock().Now())).To(BeTrue(), "stamped with the camera's clock")
				}
				seen = append(seen, map[string]string{"seq": itoa(e.Seq), "actor": e.Actor, "action": e.Action, "target": e.Target, "outcome": e.Outcome, "source": e.Source, "time": e.Time.UTC().Format("2006-01-02T15:04:05Z")})
			}
			// Changes record old and new values; no entry carries a password.
			change := find(entries, "settings.change", "arming.general")[0]
			Expect(change.Detail).To(HaveKeyWithValue("old", "false"))
			Expect(change.Detail).To(HaveKeyWithValue("new", "true"))
			raw := s.expectStatus(ctx, 200, admin, "GET", "/api/v1/audit", nil).Body
			for _, secret := range []string{adminPassword, operatorPassword, "N3w-Pass!for-ops", "Not-The-Pass!1"} {
				Expect(string(raw)).NotTo(ContainSubstring(secret))
			}
			evidence("audited actions", seen)
		})

		It("is tamper-evident and survives reboot", Label("AUD-2"), func(ctx SpecContext) {
			admin := s.takeOwnership(ctx)
			s.addAccount(ctx, admin, "operator", "user")
			s.expectStatus(ctx, 200, admin, "PATCH", "/api/v1/settings", map[string]any{"arming": map[string]any{"general": true}})
			before := s.audit(ctx, admin, 0)
			verify := func() map[string]any {
				GinkgoHelper()
				return s.expectStatus(ctx, 200, admin, "GET", "/api/v1/audit/verify", nil).Map()
			}
			Expect(verify()).To(HaveKeyWithValue("ok", true))

			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			after := s.audit(ctx, admin, 0)
			Expect(len(after)).To(BeNumerically(">", len(before)), "the log survives and the boot is logged")
			for i := range before {
				Expect(after[i]).To(Equal(before[i]), "entry %d unchanged across the power cycle", before[i].Seq)
			}
			ok := verify()
			Expect(ok).To(HaveKeyWithValue("ok", true))
			evidence("entries after power cycle", ok["entries"])

			st, hasStorage := s.env.Target.(target.Storage)
			if !hasStorage {
				Skip("not applicable: the target's storage cannot be reached to tamper with the log")
			}
			path := filepath.Join(st.StateDir(), auditFile)
			original, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			lines := bytes.SplitAfter(original, []byte("\n"))
			Expect(len(lines)).To(BeNumerically(">", 4))
			restore := func() {
				GinkgoHelper()
				Expect(os.WriteFile(path, original, 0o600)).To(Succeed())
				Expect(verify()).To(HaveKeyWithValue("ok", true))
			}
			results := map[string]any{}

			// Edit one field of entry 3.
			edited := bytes.Replace(lines[2], []byte(`"outcome":"ok"`), []byte(`"outcome":"denied"`), 1)
			if bytes.Equal(edited, lines[2]) {
				edited = bytes.Replace(lines[2], []byte(`"actor":"`), []byte(`"actor":"x`), 1)
			}
			Expect(edited).NotTo(Equal(lines[2]))
			Expect(os.WriteFile(path, join(lines[:2], [][]byte{edited}, lines[3:]), 0o600)).To(Succeed())
			v := verify()
			Expect(v).To(HaveKeyWithValue("ok", false))
			Expect(v).To(HaveKeyWithValue("broken_at", BeNumerically("==", 3)))
			results["edit entry 3"] = v
			restore()

			// Delete entry 4.
			Expect(os.WriteFile(path, join(lines[:3], lines[4:]), 0o600)).To(Succeed())
			v = verify()
			Expect(v).To(HaveKeyWithValue("ok", false))
			Expect(v).To(HaveKeyWithValue("broken_at", BeNumerically("==", 4)))
			results["delete entry 4"] = v
			restore()

			// Delete the newest entry.
			last := len(lines) - 1
			if len(bytes.TrimSpace(lines[last])) == 0 {
				last--
			}
			Expect(os.WriteFile(path, join(lines[:last], lines[last+1:]), 0o600)).To(Succeed())
			v = verify()
			Expect(v).To(HaveKeyWithValue("ok", false))
			results["delete the newest entry"] = v
			restore()

			evidence("verification after tampering", results)
		})
	})
}

func join(parts ...[][]byte) []byte {
	var out []byte
	for _, p := range parts {
		for _, l := range p {
			out = append(out, l...)
		}
	}
	return out
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// expectSource checks an entry's "from where": the address this harness connects from, which on a
// loopback target is the loopback address.
func expectSource(e auditEntry, t target.Target) {
	GinkgoHelper()
	ip := net.ParseIP(e.Source)
	Expect(ip).NotTo(BeNil(), "source %q is an IP address", e.Source)
	if u, err := url.Parse(t.BaseURL()); err == nil {
		if host := net.ParseIP(u.Hostname()); host != nil && host.IsLoopback() {
			Expect(ip.IsLoopback()).To(BeTrue(), "source %s of a request over loopback", e.Source)
		}
	}
}
