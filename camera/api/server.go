package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"vsslab/camera"
	"vsslab/camera/tlscert"
)

// Server is the camera's HTTPS API listener and its plain-HTTP listener, which only redirects
// (TLS-1). These two are the only ports the camera opens in this release.
type Server struct {
	httpsLn, httpLn net.Listener
	httpsSrv        *http.Server
	httpSrv         *http.Server
	done            chan error
}

// Listen opens both listeners (":0" picks free ports) and starts serving. httpAddr may be empty: no
// plain-HTTP port at all.
func Listen(cam *camera.Camera, httpsAddr, httpAddr string, log *slog.Logger) (*Server, error) {
	h, err := NewHandler(cam, log)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rawLn, err := net.Listen("tcp", httpsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for HTTPS on %s: %w", httpsAddr, err)
	}
	s := &Server{done: make(chan error, 2)}
	s.httpsLn = tls.NewListener(rawLn, tlscert.ServerConfig(cam.Certificate))
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	s.httpsSrv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          errLog,
	}
	go func() { s.done <- serve(s.httpsSrv, s.httpsLn) }()
	if httpAddr != "" {
		ln, err := net.Listen("tcp", httpAddr)
		if err != nil {
			_ = s.httpsSrv.Close()
			return nil, fmt.Errorf("listen for HTTP on %s: %w", httpAddr, err)
		}
		s.httpLn = ln
		_, port, _ := net.SplitHostPort(rawLn.Addr().String())
		s.httpSrv = &http.Server{
			Handler:           Redirect(port),
			ReadHeaderTimeout: 10 * time.Second,
			MaxHeaderBytes:    8 << 10,
			ErrorLog:          errLog,
		}
		go func() { s.done <- serve(s.httpSrv, ln) }()
	}
	return s, nil
}

func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// HTTPSURL is the API's base URL, e.g. https://127.0.0.1:8443.
func (s *Server) HTTPSURL() string { return "https://" + s.httpsLn.Addr().String() }

// HTTPURL is the redirecting listener's URL, or "" when there is none.
func (s *Server) HTTPURL() string {
	if s.httpLn == nil {
		return ""
	}
	return "http://" + s.httpLn.Addr().String()
}

// Shutdown stops accepting connections and waits for requests in flight, up to ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	errs = append(errs, s.httpsSrv.Shutdown(ctx))
	if s.httpSrv != nil {
		errs = append(errs, s.httpSrv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Redirect answers every plain-HTTP request with a permanent redirect to the same path over HTTPS on
// httpsPort, and serves nothing else (TLS-1). 308 keeps the method, so an API client that was given
// an http:// URL by mistake still reaches the right endpoint, over TLS.
func Redirect(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !hostname(host) {
			host = "localhost"
		}
		target := "https://" + net.JoinHostPort(host, httpsPort) + r.URL.RequestURI()
		w.Header().Set("Location", target)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusPermanentRedirect)
		_, _ = fmt.Fprintln(w, "This camera serves only HTTPS:", target)
	})
}

// hostname accepts a DNS name or an IP address and nothing else, so a hostile Host header cannot
// bend the redirect to another place (a '#', '?', '@' or '/' would).
func hostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
