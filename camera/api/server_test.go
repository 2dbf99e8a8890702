package api

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/tlscert"
	"vsslab/camera/users"
	simclock "vsslab/sim/clock"
)

// listen starts a camera and its two listeners on loopback; both stop when the test ends.
func listen(t *testing.T) (*camera.Camera, *Server) {
	t.Helper()
	clk := simclock.New(simclock.Epoch())
	cam := newCamera(t, filepath.Join(t.TempDir(), "state"), clk)
	srv, err := Listen(cam, "127.0.0.1:0", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return cam, srv
}

// pinned is a TLS configuration that trusts only the camera's own certificate.
func pinned(t *testing.T, cam *camera.Camera) *tls.Config {
	t.Helper()
	leaf, err := x509.ParseCertificate(cam.Certificate().Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func hostPort(t *testing.T, raw string) (string, string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), u.Port()
}

func TestListenValidates(t *testing.T) {
	g := NewWithT(t)
	_, err := Listen(nil, "127.0.0.1:0", "", nil)
	g.Expect(err).To(MatchError(ContainSubstring("no camera")))

	cam := newCamera(t, filepath.Join(t.TempDir(), "state"), simclock.New(simclock.Epoch()))
	_, err = Listen(cam, "127.0.0.1:not-a-port", "", nil)
	g.Expect(err).To(MatchError(ContainSubstring("listen for HTTPS on 127.0.0.1:not-a-port")))

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer busy.Close()
	_, err = Listen(cam, "127.0.0.1:0", busy.Addr().String(), nil)
	g.Expect(err).To(MatchError(ContainSubstring("listen for HTTP on " + busy.Addr().String())))
}

func TestListenWithoutHTTPPort(t *testing.T) {
	g := NewWithT(t)
	cam := newCamera(t, filepath.Join(t.TempDir(), "state"), simclock.New(simclock.Epoch()))
	srv, err := Listen(cam, "127.0.0.1:0", "", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(srv.HTTPURL()).To(BeEmpty())
	g.Expect(srv.HTTPSURL()).To(HavePrefix("https://127.0.0.1:"))
	g.Expect(srv.Shutdown(context.Background())).To(Succeed())
}

func TestTLSVersions(t *testing.T) {
	g := NewWithT(t)
	cam, srv := listen(t)
	_, port := hostPort(t, srv.HTTPSURL())
	addr := net.JoinHostPort("127.0.0.1", port)
	dialer := &net.Dialer{Timeout: 5 * time.Second}

	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := pinned(t, cam)
		cfg.MinVersion, cfg.MaxVersion = v, v
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, cfg)
		if err == nil {
			conn.Close()
		}
		g.Expect(err).To(HaveOccurred(), "%s must be refused", tls.VersionName(v))
		g.Expect(err.Error()).To(ContainSubstring("protocol version"), "refused by the camera for its version, not by the client")
	}

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := pinned(t, cam)
		cfg.MinVersion, cfg.MaxVersion = v, v
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, cfg)
		g.Expect(err).NotTo(HaveOccurred(), tls.VersionName(v))
		st := conn.ConnectionState()
		g.Expect(st.Version).To(Equal(v))
		g.Expect(tlscert.Fingerprint(st.PeerCertificates[0].Raw)).To(Equal(cam.CertificateSHA256()))
		conn.Close()
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: pinned(t, cam)}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.HTTPSURL() + "/api/v1/device")
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Header.Get("Strict-Transport-Security")).To(Equal(HSTS))
}

func TestNewIdentityIsServedAfterFactoryReset(t *testing.T) {
	g := NewWithT(t)
	cam, srv := listen(t)
	_, port := hostPort(t, srv.HTTPSURL())
	addr := net.JoinHostPort("127.0.0.1", port)
	old := cam.CertificateSHA256()
	g.Expect(cam.FactoryReset(camera.Actor{Name: "admin", Level: users.Admin, Source: "local"})).To(Succeed())
	g.Expect(cam.CertificateSHA256()).NotTo(Equal(old))
	conn, err := tls.Dial("tcp", addr, pinned(t, cam))
	g.Expect(err).NotTo(HaveOccurred(), "the listener serves the new certificate without a restart")
	defer conn.Close()
	g.Expect(tlscert.Fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)).To(Equal(cam.CertificateSHA256()))
}

func TestPlainHTTPRedirectsToHTTPS(t *testing.T) {
	cam, srv := listen(t)
	_, httpsPort := hostPort(t, srv.HTTPSURL())
	noFollow := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/device"},
		{http.MethodGet, "/api/v1/audit?after=3&x=%2F%20y"},
		{http.MethodPost, "/api/v1/session"},
		{http.MethodPatch, "/api/v1/settings?dry=1"},
		{http.MethodGet, "/"},
		{http.MethodGet, "/no/such/path"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			g := NewWithT(t)
			req, err := http.NewRequest(c.method, srv.HTTPURL()+c.path, strings.NewReader(`{"name":"admin","password":"meinsm"}`))
			g.Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Content-Type", "application/json")
			resp, err := noFollow.Do(req)
			g.Expect(err).NotTo(HaveOccurred())
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			g.Expect(resp.StatusCode).To(Equal(http.StatusPermanentRedirect))
			g.Expect(resp.Header.Get("Location")).To(Equal("https://127.0.0.1:" + httpsPort + c.path))
			g.Expect(string(b)).To(ContainSubstring("only HTTPS"))
			g.Expect(string(b)).NotTo(ContainSubstring("vsslab-ref"), "the plain port serves nothing of the API")
		})
	}
	// The plain port did not pass the login on: no session was started.
	g := NewWithT(t)
	g.Expect(auditEntries(t, cam, "auth.login")).To(BeEmpty())

	// Following the redirect reaches the API over TLS, with the method kept.
	follow := &http.Client{Transport: &http.Transport{TLSClientConfig: pinned(t, cam)}, Timeout: 10 * time.Second}
	defer follow.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodPost, srv.HTTPURL()+"/api/v1/session", strings.NewReader(`{"name":"admin","password":"meinsm"}`))
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	req.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(`{"name":"admin","password":"meinsm"}`)), nil
	}
	resp, err := follow.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusCreated))
	g.Expect(resp.Request.URL.Scheme).To(Equal("https"))
}

// checkLocation asserts that a redirect target is https://host:port followed by the request's own
// path and query, whatever the Host header was.
func checkLocation(g Gomega, loc, wantHost, port, requestURI string) {
	u, err := url.Parse(loc)
	g.Expect(err).NotTo(HaveOccurred(), "Location %s", loc)
	g.Expect(u.Scheme).To(Equal("https"), "Location %s", loc)
	g.Expect(u.User).To(BeNil(), "Location %s", loc)
	g.Expect(u.Hostname()).To(Equal(wantHost), "Location %s", loc)
	g.Expect(u.Port()).To(Equal(port), "Location %s", loc)
	g.Expect(u.Fragment).To(BeEmpty(), "Location %s", loc)
	g.Expect(u.RequestURI()).To(Equal(requestURI), "Location %s", loc)
	g.Expect(loc).To(Equal("https://"+net.JoinHostPort(wantHost, port)+requestURI), "Location %s", loc)
}

func TestRedirectWithHostileHostOverTheWire(t *testing.T) {
	_, srv := listen(t)
	_, httpsPort := hostPort(t, srv.HTTPSURL())
	httpAddr := strings.TrimPrefix(srv.HTTPURL(), "http://")
	for _, tc := range []struct {
		host, wantHost string
	}{
		{"evil.example", "evil.example"},
		{"evil.example:80", "evil.example"},
		{"127.0.0.1:1", "127.0.0.1"},
		{"[::1]:80", "::1"},
		{"", "localhost"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			g := NewWithT(t)
			conn, err := net.DialTimeout("tcp", httpAddr, 5*time.Second)
			g.Expect(err).NotTo(HaveOccurred())
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			_, err = fmt.Fprintf(conn, "GET /api/v1/device?a=1 HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tc.host)
			g.Expect(err).NotTo(HaveOccurred())
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			g.Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			g.Expect(resp.StatusCode).To(Equal(http.StatusPermanentRedirect))
			checkLocation(g, resp.Header.Get("Location"), tc.wantHost, httpsPort, "/api/v1/device?a=1")
		})
	}
	// Hosts that net/http itself refuses never reach the redirect.
	for _, host := range []string{"evil.example/x", "user@evil.example", "evil.example\\x"} {
		g := NewWithT(t)
		conn, err := net.DialTimeout("tcp", httpAddr, 5*time.Second)
		g.Expect(err).NotTo(HaveOccurred())
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
		g.Expect(err).NotTo(HaveOccurred())
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		conn.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), host)
		g.Expect(resp.Header.Get("Location")).To(BeEmpty(), host)
	}
}

func TestRedirectWithHostileHost(t *testing.T) {
	h := Redirect("8443")
	for _, tc := range []struct {
		host, wantHost string
	}{
		{"camera.local", "camera.local"},
		{"camera.local:8080", "camera.local"},
		{"[fe80::1]:80", "fe80::1"},
		{"", "localhost"},
		{"evil.example/path", "localhost"},
		{"user:pass@evil.example", "user"}, // split at the last colon: "pass@evil.example" is dropped as the port
		{"evil.example\\@good", "localhost"},
		{"a b", "localhost"},
		{"//evil.example", "localhost"},
		{"evil.example:8443/x", "evil.example"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			g := NewWithT(t)
			req := httptest.NewRequest(http.MethodGet, "http://x/api/v1/device?q=%2F", nil)
			req.Host = tc.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			g.Expect(w.Code).To(Equal(http.StatusPermanentRedirect))
			checkLocation(g, w.Header().Get("Location"), tc.wantHost, "8443", "/api/v1/device?q=%2F")
		})
	}
}

func TestRedirectWithFragmentOrQueryInHost(t *testing.T) {
	h := Redirect("8443")
	for _, host := range []string{"evil.example#", "evil.example?", "evil.example#x:1"} {
		g := NewWithT(t)
		req := httptest.NewRequest(http.MethodGet, "http://x/api/v1/device", nil)
		req.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		u, err := url.Parse(w.Header().Get("Location"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(u.Port()).To(Equal("8443"), host)
		g.Expect(u.Path).To(Equal("/api/v1/device"), host)
	}
}

func TestShutdown(t *testing.T) {
	g := NewWithT(t)
	cam := newCamera(t, filepath.Join(t.TempDir(), "state"), simclock.New(simclock.Epoch()))
	srv, err := Listen(cam, "127.0.0.1:0", "127.0.0.1:0", nil)
	g.Expect(err).NotTo(HaveOccurred())
	httpsAddr := strings.TrimPrefix(srv.HTTPSURL(), "https://")
	httpAddr := strings.TrimPrefix(srv.HTTPURL(), "http://")
	for _, a := range []string{httpsAddr, httpAddr} {
		conn, err := net.DialTimeout("tcp", a, 5*time.Second)
		g.Expect(err).NotTo(HaveOccurred())
		conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g.Expect(srv.Shutdown(ctx)).To(Succeed())
	for _, a := range []string{httpsAddr, httpAddr} {
		_, err := net.DialTimeout("tcp", a, 5*time.Second)
		g.Expect(err).To(HaveOccurred(), "%s is closed", a)
		var op *net.OpError
		g.Expect(errors.As(err, &op)).To(BeTrue())
	}
}

func TestOpenSSLClient(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH: the real-client TLS check is skipped (the Go-client checks in TestTLSVersions still run)")
	}
	_, srv := listen(t)
	_, port := hostPort(t, srv.HTTPSURL())
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"s_client", "-connect", "127.0.0.1:" + port}, args...)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	g := NewWithT(t)
	// SECLEVEL=0 lets OpenSSL 3 offer TLS 1.1 at all, so that a failure is the camera's refusal.
	out, err := run("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
	g.Expect(err).To(HaveOccurred(), "TLS 1.1 must fail:\n%s", out)
	g.Expect(strings.ToLower(out)).To(ContainSubstring("protocol version"), out)

	out, err = run("-tls1_2")
	g.Expect(err).NotTo(HaveOccurred(), "TLS 1.2 must work:\n%s", out)
	g.Expect(out).To(ContainSubstring("TLSv1.2"))
	g.Expect(out).To(ContainSubstring("ECDHE-ECDSA"))
}
