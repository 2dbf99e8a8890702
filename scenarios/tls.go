package scenarios

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"vsslab/scenarios/target"
)

// secureConnections: TLS-1 (WP 2.1.2; EN 303 645 5.5; CR 4.1).
func secureConnections(s *suite) {
	Describe("Secure connections", func() {
		It("serves HTTPS with HSTS, only redirects plain HTTP, and refuses TLS before 1.2", Label("TLS-1"), func(ctx SpecContext) {
			resp := s.expectStatus(ctx, 200, Cred{}, "GET", "/api/v1/device", nil)
			hsts := resp.Header.Get("Strict-Transport-Security")
			Expect(hsts).NotTo(BeEmpty())
			maxAge := hstsMaxAge(hsts)
			Expect(maxAge).To(BeNumerically(">=", 31536000), "max-age of at least one year")
			// Error answers carry it as well.
			Expect(s.do(ctx, Cred{}, "GET", "/api/v1/nothing-here", nil).Header.Get("Strict-Transport-Security")).To(Equal(hsts))

			plain := s.env.Target.HTTPURL()
			redirects := map[string]int{}
			if plain != "" {
				client := &http.Client{
					Timeout:       30 * time.Second,
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				}
				for _, m := range []string{"GET", "POST", "PATCH"} {
					req, err := http.NewRequestWithContext(ctx, m, plain+"/api/v1/settings?x=1", strings.NewReader(`{"access":{"public":false}}`))
					Expect(err).NotTo(HaveOccurred())
					req.Header.Set("Content-Type", "application/json")
					req.SetBasicAuth(FactoryAdmin, FactoryPassword)
					r, err := client.Do(req)
					Expect(err).NotTo(HaveOccurred())
					body := make([]byte, 4096)
					n, _ := r.Body.Read(body)
					r.Body.Close()
					Expect(r.StatusCode).To(BeElementOf(301, 302, 307, 308), "%s over plain HTTP", m)
					loc, err := url.Parse(r.Header.Get("Location"))
					Expect(err).NotTo(HaveOccurred())
					Expect(loc.Scheme).To(Equal("https"))
					Expect(loc.RequestURI()).To(Equal("/api/v1/settings?x=1"))
					base, _ := url.Parse(s.env.Target.BaseURL())
					Expect(loc.Port()).To(Equal(base.Port()))
					Expect(string(body[:n])).NotTo(ContainSubstring(`"access"`), "plain HTTP serves no API content")
					redirects[m] = r.StatusCode
				}
				// The redirected PATCH was not applied.
				Expect(s.settings(ctx, factoryAdmin())).To(HaveKeyWithValue("access", HaveKeyWithValue("public", true)))
			}

			host := strings.TrimPrefix(s.env.Target.BaseURL(), "https://")
			handshake := func(v uint16) error {
				d := &net.Dialer{Timeout: 10 * time.Second}
				conn, err := tls.DialWithDialer(d, "tcp", host, target.PinnedTLS(s.env.Target.CertificateSHA256, v, v))
				if err == nil {
					conn.Close()
				}
				return err
			}
			versions := map[string]string{}
			for name, v := range map[string]uint16{"TLS 1.0": tls.VersionTLS10, "TLS 1.1": tls.VersionTLS11} {
				err := handshake(v)
				Expect(err).To(MatchError(ContainSubstring("protocol version")), "%s handshake must fail for its version", name)
				versions[name] = "refused: " + err.Error()
			}
			for name, v := range map[string]uint16{"TLS 1.2": tls.VersionTLS12, "TLS 1.3": tls.VersionTLS13} {
				Expect(handshake(v)).To(Succeed(), "%s handshake", name)
				versions[name] = "accepted"
			}
			evidence("Strict-Transport-Security", hsts)
			evidence("HSTS max-age (s)", maxAge)
			evidence("plain HTTP answers", redirects)
			evidence("TLS versions", versions)
		})
	})
}

// hstsMaxAge reads max-age from a Strict-Transport-Security value (RFC 6797), or -1.
func hstsMaxAge(v string) int {
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "max-age") {
			n, err := strconv.Atoi(strings.Trim(val, `"`))
			if err == nil {
				return n
			}
		}
	}
	return -1
}
