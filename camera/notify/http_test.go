package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	auth   []string
	status int
}

func startHook(t *testing.T, status int) (*hookServer, string, string) {
	h := &hookServer{status: status}
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.auth = append(h.auth, r.Header.Get("Authorization"))
		h.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	der := h.Certificate().Raw
	sum := sha256.Sum256(der)
	return h, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), hex.EncodeToString(sum[:])
}

func TestHTTPPostsJSONWithTokenAndImage(t *testing.T) {
	h, ca, _ := startHook(t, http.StatusNoContent)
	ch, err := NewHTTP(HTTPConfig{URL: h.URL + "/hook", Token: "tok-123", IncludeImage: true, TrustConfig: TrustConfig{CAPEM: ca}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), storageMessage()); err != nil {
		t.Fatal(err)
	}
	if len(h.bodies) != 1 || h.auth[0] != "Bearer tok-123" {
		t.Fatalf("server saw %d posts, auth %q", len(h.bodies), h.auth)
	}
	var got map[string]any
	if err := json.Unmarshal(h.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"camera": "cam-7 SN0042", "kind": "storage_failure", "time": "2026-03-04T05:06:07Z",
		"detail": "card removed", "image": "/9j/4AAQSkZJRgABAgP/2Q=="}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("body has fields %v", got)
	}
}

func TestHTTPPinAndFailures(t *testing.T) {
	h, _, pin := startHook(t, http.StatusOK)
	ch, err := NewHTTP(HTTPConfig{URL: h.URL, TrustConfig: TrustConfig{PinSHA256: pin}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), storageMessage()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(h.bodies[0], []byte(`"image"`)) || h.auth[0] != "" {
		t.Fatalf("image or token sent unasked: %s %q", h.bodies[0], h.auth[0])
	}
	for name, trust := range map[string]TrustConfig{"system roots": {}, "wrong pin": {PinSHA256: strings.Repeat("00", 32)}} {
		bad, _ := NewHTTP(HTTPConfig{URL: h.URL, Token: "tok-123", TrustConfig: trust})
		if err := bad.Send(context.Background(), storageMessage()); err == nil {
			t.Errorf("%s: posted to an untrusted server", name)
		}
	}
	if len(h.bodies) != 1 {
		t.Fatalf("untrusted posts reached the server")
	}
	h500, ca, _ := startHook(t, http.StatusInternalServerError)
	ch500, _ := NewHTTP(HTTPConfig{URL: h500.URL, Token: "tok-123", TrustConfig: TrustConfig{CAPEM: ca}})
	err = ch500.Send(context.Background(), storageMessage())
	if err == nil || !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), "tok-123") {
		t.Fatalf("500 answer gave %v", err)
	}
}

func TestNewHTTPValidates(t *testing.T) {
	for _, u := range []string{"http://example.org/hook", "ftp://x", "https://", "https://u:p@example.org/", "::"} {
		if _, err := NewHTTP(HTTPConfig{URL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
