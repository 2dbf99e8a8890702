package scenarios

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// privacyMode: PRIV-1, the privacy soft button (WP 2.1.1).
func privacyMode(s *suite) {
	Describe("Privacy mode", func() {
		It("blocks live images and image search for 24 hours or until cancelled", Label("PRIV-1"), func(ctx SpecContext) {
			clk := s.clock()
			admin := s.takeOwnership(ctx)
			operator := s.addAccount(ctx, admin, "operator", "user")
			viewer := s.addAccount(ctx, admin, "viewer", "guest")

			blocked := func(when string) {
				GinkgoHelper()
				for _, c := range []Cred{{}, viewer, operator, admin} {
					live := s.expectStatus(ctx, 403, c, "GET", "/api/v1/live.jpg", nil)
					Expect(live.ErrorCode()).To(Equal("privacy_mode"), "%s: live image for %q", when, c.Name)
					Expect(live.Header.Get("Content-Type")).NotTo(Equal("image/jpeg"))
				}
				for _, c := range []Cred{operator, admin} {
					search := s.expectStatus(ctx, 403, c, "GET", "/api/v1/recordings", nil)
					Expect(search.ErrorCode()).To(Equal("privacy_mode"), "%s: image search for %q", when, c.Name)
				}
			}
			allowed := func(when string) {
				GinkgoHelper()
				live := s.expectStatus(ctx, 200, operator, "GET", "/api/v1/live.jpg", nil)
				Expect(live.Body[:2]).To(Equal([]byte{0xFF, 0xD8}), when)
				s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/live.jpg", nil)
				s.expectStatus(ctx, 200, operator, "GET", "/api/v1/recordings", nil)
			}

			allowed("before")
			s.expectStatus(ctx, 403, viewer, "POST", "/api/v1/privacy", nil)
			switchedAt := clk.Now()
			on := s.expectStatus(ctx, 200, operator, "POST", "/api/v1/privacy", nil).Map()
			Expect(on).To(HaveKeyWithValue("active", true))
			until, err := time.Parse(time.RFC3339Nano, on["until"].(string))
			Expect(err).NotTo(HaveOccurred())
			Expect(until.Sub(switchedAt)).To(Equal(24 * time.Hour))
			blocked("just switched on")

			Expect(s.env.Target.PowerCycle(ctx)).To(Succeed())
			blocked("after a power cycle")
			Expect(clk.Advance(24*time.Hour - time.Second)).To(Succeed())
			blocked("at 24 h − 1 s")
			Expect(clk.Advance(2 * time.Second)).To(Succeed())
			allowed("at 24 h + 1 s")
			Expect(s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/privacy", nil).Map()).To(HaveKeyWithValue("active", false))

			s.expectStatus(ctx, 200, operator, "POST", "/api/v1/privacy", nil)
			blocked("switched on again")
			Expect(clk.Advance(time.Hour)).To(Succeed())
			s.expectStatus(ctx, 200, operator, "DELETE", "/api/v1/privacy", nil)
			allowed("after cancel")

			evidence("privacy mode duration", until.Sub(switchedAt).String())
			evidence("blocked", []string{"just switched on", "after a power cycle", "at 24 h − 1 s", "switched on again"})
			evidence("allowed", []string{"before", "at 24 h + 1 s", "after cancel"})
		})
	})
}
