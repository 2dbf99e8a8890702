package rtsp

import (
	"encoding/base64"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// formatDigestParams is the inverse of parseDigestParams.
func formatDigestParams(p map[string]string) string {
	keys := slices.Collect(maps.Keys(p))
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := strings.ReplaceAll(p[k], `\`, `\\`)
		v = strings.ReplaceAll(v, `"`, `\"`)
		parts[i] = k + `="` + v + `"`
	}
	return strings.Join(parts, ", ")
}

func TestChallengeOffersDigestThenBasic(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.dial()
	r := c.raw("DESCRIBE", h.url("/live"))
	g.Expect(r.status).To(Equal(401))
	w := r.all("WWW-Authenticate")
	g.Expect(w).To(HaveLen(2))
	g.Expect(w[0]).To(MatchRegexp(`^Digest realm="vsslab camera", nonce="[0-9a-f]{64}", algorithm=MD5, qop="auth"$`))
	g.Expect(w[1]).To(Equal(`Basic realm="vsslab camera"`))
	g.Expect(r.body).To(BeEmpty(), "no detail about why")
	g.Expect(h.auth.callLog()).To(Equal([]string{"anonymous@127.0.0.1"}))
}

func TestDigestLogin(t *testing.T) {
	t.Run("qop=auth", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200))
		g.Expect(c.do("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200), "same nonce, next count")
		g.Expect(h.auth.callLog()).To(Equal([]string{"anonymous@127.0.0.1", "digest:operator@127.0.0.1", "digest:operator@127.0.0.1"}))
		g.Expect(h.auth.failureCount()).To(BeZero())
	})
	t.Run("without qop", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		c.qopNone = true
		g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200))
		g.Expect(c.raw("DESCRIBE", h.url("/live")).status).To(Equal(200))
	})
	t.Run("wrong password", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "wrong", false)
		r := c.do("DESCRIBE", h.url("/live"))
		g.Expect(r.status).To(Equal(401))
		g.Expect(r.all("WWW-Authenticate")).To(HaveLen(2))
		g.Expect(h.auth.failureCount()).To(Equal(1))
	})
	t.Run("locked account looks like a wrong password", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		h.auth.locked["operator"] = true
		locked := h.login("operator", "Quiet-River-88", false).do("DESCRIBE", h.url("/live"))
		wrong := h.login("viewer", "nope", false).do("DESCRIBE", h.url("/live"))
		g.Expect(locked.status).To(Equal(401))
		g.Expect(wrong.status).To(Equal(401))
		g.Expect(locked.body).To(Equal(wrong.body))
		g.Expect(len(locked.header)).To(Equal(len(wrong.header)))
	})
	t.Run("forbidden account gets 403", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		h.auth.forbidden["viewer"] = true
		r := h.login("viewer", "Green-Lamp-42", false).do("DESCRIBE", h.url("/live"))
		g.Expect(r.status).To(Equal(403))
		g.Expect(r.all("WWW-Authenticate")).To(BeEmpty())
	})
	t.Run("replayed nonce count", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200))
		c.nc8 = 0 // the next request reuses nc=00000001, as a replay would
		r := c.raw("DESCRIBE", h.url("/live"))
		g.Expect(r.status).To(Equal(401))
		g.Expect(r.all("WWW-Authenticate")[0]).To(HaveSuffix(", stale=true"))
	})
	t.Run("stale nonce", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200))
		h.clock.Advance(nonceLifetime + time.Second)
		calls := len(h.auth.callLog())
		r := c.raw("DESCRIBE", h.url("/live"))
		g.Expect(r.status).To(Equal(401))
		g.Expect(r.all("WWW-Authenticate")[0]).To(HaveSuffix(", stale=true"))
		g.Expect(h.auth.callLog()).To(HaveLen(calls), "a stale nonce is refused before the account store")
		g.Expect(c.do("DESCRIBE", h.url("/live")).status).To(Equal(200), "the player retries with the new nonce")
	})
	t.Run("nonce from another server instance", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		other := startServer(t, func(c *Config) { c.Random = rand.NewChaCha8([32]byte{9}) })
		c := other.login("operator", "Quiet-River-88", false)
		c.takeChallenge(c.raw("DESCRIBE", other.url("/live")))
		moved := h.login("operator", "Quiet-River-88", false)
		moved.chal = c.chal
		r := moved.raw("DESCRIBE", h.url("/live"))
		g.Expect(r.status).To(Equal(401))
		g.Expect(r.all("WWW-Authenticate")[0]).NotTo(ContainSubstring("stale"))
		g.Expect(h.auth.callLog()).To(BeEmpty())
	})
	t.Run("other realm, algorithm or qop", func(t *testing.T) {
		g := NewWithT(t)
		h := startServer(t)
		c := h.login("operator", "Quiet-River-88", false)
		c.takeChallenge(c.raw("DESCRIBE", h.url("/live")))
		good := c.authorization("DESCRIBE", h.url("/live"))
		for _, bad := range []string{
			strings.Replace(good, `realm="vsslab camera"`, `realm="other"`, 1),
			strings.Replace(good, `algorithm=MD5`, `algorithm=MD5-sess`, 1),
			strings.Replace(good, `qop=auth`, `qop=auth-int`, 1),
			strings.Replace(good, `nc=00000001`, `nc=1`, 1),
			strings.Replace(good, `username="operator", `, ``, 1),
			good + `, username="viewer"`,
			`Digest ` + strings.Repeat("x", 100),
		} {
			c.cseq++
			c.send("DESCRIBE " + h.url("/live") + " RTSP/1.0\r\nCSeq: 1\r\nAuthorization: " + bad + "\r\n\r\n")
			g.Expect(c.response().status).To(Equal(401), bad)
		}
		g.Expect(h.auth.callLog()).To(Equal([]string{"anonymous@127.0.0.1"}), "none of them reached the account store")
	})
}

func TestBasicLogin(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.login("operator", "Quiet-River-88", true)
	g.Expect(c.raw("DESCRIBE", h.url("/live")).status).To(Equal(200))
	g.Expect(h.auth.callLog()).To(Equal([]string{"basic:operator@127.0.0.1"}))
	bad := h.login("operator", "guess", true)
	g.Expect(bad.raw("DESCRIBE", h.url("/live")).status).To(Equal(401))
	g.Expect(h.auth.failureCount()).To(Equal(1))

	d := h.dial()
	for _, a := range []string{"Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "Bearer abc", "Basic"} {
		d.cseq++
		d.send("DESCRIBE " + h.url("/live") + " RTSP/1.0\r\nCSeq: 1\r\nAuthorization: " + a + "\r\n\r\n")
		g.Expect(d.response().status).To(Equal(401), a)
	}
	g.Expect(h.auth.callLog()).To(HaveLen(2))
}

func TestAnonymousAccess(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	c := h.dial()
	g.Expect(c.raw("DESCRIBE", h.url("/live")).status).To(Equal(401), "public access off")
	h.auth.public = true
	g.Expect(c.raw("DESCRIBE", h.url("/live")).status).To(Equal(200), "public access on")
	g.Expect(c.raw("SETUP", h.url("/live/trackID=0"), "Transport: RTP/AVP/TCP;unicast").status).To(Equal(200))
}

func TestNonces(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	n1, err := h.srv.newNonce()
	g.Expect(err).NotTo(HaveOccurred())
	n2, err := h.srv.newNonce()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n1).NotTo(Equal(n2))
	ours, fresh := h.srv.checkNonce(n1)
	g.Expect([]bool{ours, fresh}).To(Equal([]bool{true, true}))
	flipped := []byte(n1)
	flipped[3] ^= 1 // the issue time: a client cannot make an old nonce young
	ours, _ = h.srv.checkNonce(string(flipped))
	g.Expect(ours).To(BeFalse())
	for _, n := range []string{"", "zz", strings.Repeat("0", 64), n1 + "00"} {
		ours, _ = h.srv.checkNonce(n)
		g.Expect(ours).To(BeFalse(), n)
	}
	h.clock.Advance(nonceLifetime + time.Nanosecond)
	ours, fresh = h.srv.checkNonce(n1)
	g.Expect([]bool{ours, fresh}).To(Equal([]bool{true, false}))
}

func TestNonceCountTableStaysBounded(t *testing.T) {
	g := NewWithT(t)
	h := startServer(t)
	for i := range maxNonceCounts + 10 {
		g.Expect(h.srv.recordNonceCount(strings.Repeat("n", 8)+string(rune('a'+i%26))+strings.Repeat("x", i/26), 1)).To(BeTrue())
	}
	g.Expect(len(h.srv.nonceCounts)).To(BeNumerically("<=", maxNonceCounts))
	g.Expect(h.srv.recordNonceCount("k", 5)).To(BeTrue())
	g.Expect(h.srv.nonceCountOK("k", 5)).To(BeFalse())
	g.Expect(h.srv.recordNonceCount("k", 5)).To(BeFalse())
	g.Expect(h.srv.nonceCountOK("k", 6)).To(BeTrue())
}

func TestParseDigestParams(t *testing.T) {
	g := NewWithT(t)
	p, err := parseDigestParams(`username="a\"b", realm="vsslab camera", nc=00000001,qop=auth , uri="rtsp://h/live"`)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(Equal(map[string]string{"username": `a"b`, "realm": "vsslab camera", "nc": "00000001", "qop": "auth", "uri": "rtsp://h/live"}))
	for _, bad := range []string{`a="x`, `a=b c=d`, `a`, `=b`, `a="1", A="2"`, `a=b"c`, `a=`} {
		_, err := parseDigestParams(bad)
		g.Expect(err).To(HaveOccurred(), bad)
	}
}

// FuzzParseDigestParams checks that accepted parameter lists survive a format/parse round trip and
// that keys are lower-case tokens.
func FuzzParseDigestParams(f *testing.F) {
	for _, seed := range []string{
		`username="operator", realm="vsslab camera", nonce="abc", uri="rtsp://127.0.0.1/live", response="0123", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"`,
		`a="\\\"", b=c`,
		`,,a=b,,`,
		`a="unterminated`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseDigestParams(s)
		if err != nil {
			return
		}
		for k := range p {
			if !isToken(k) || strings.ToLower(k) != k {
				t.Fatalf("key %q from %q", k, s)
			}
		}
		again, err := parseDigestParams(formatDigestParams(p))
		if err != nil || !maps.Equal(p, again) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
