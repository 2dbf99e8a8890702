package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTPConfig is a network-message channel: an HTTPS POST of a JSON body (a webhook).
type HTTPConfig struct {
	// Dial opens the connection to the receiver; nil uses a net.Dialer.
	Dial DialFunc `json:"-"`
	URL  string   `json:"url"`
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token        string `json:"token,omitempty"`
	IncludeImage bool   `json:"include_image,omitempty"`
	TrustConfig
}

// Payload is the JSON body of the HTTP channel and the MQTT channel.
type Payload struct {
	Camera string    `json:"camera"`
	Kind   string    `json:"kind"`
	Time   time.Time `json:"time"`
	Detail string    `json:"detail"`
	Image  []byte    `json:"image,omitempty"` // base64 in JSON
}

// NewPayload is m as the JSON body, with the image only when asked for.
func NewPayload(m Message, withImage bool) Payload {
	p := Payload{Camera: m.Camera, Kind: m.Kind, Time: m.Time.UTC(), Detail: m.Detail}
	if withImage {
		p.Image = m.Image
	}
	return p
}

// HTTP posts each message. It only speaks HTTPS: the body names the camera and its faults, and the
// token must never travel in clear.
type HTTP struct {
	cfg    HTTPConfig
	client *http.Client
}

// NewHTTP checks cfg and returns the channel.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("http: url: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("http: url must be https://host/...")
	}
	if u.User != nil {
		return nil, errors.New("http: url must not carry credentials; use token")
	}
	tc, err := cfg.clientTLS(u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, DialContext: cfg.Dial.orDefault(), Proxy: nil}
	client := &http.Client{
		Transport: tr,
		Timeout:   30 * time.Second,
		// A redirect could take the token to another host; a webhook has no reason to redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &HTTP{cfg: cfg, client: client}, nil
}

// Kind returns "http".
func (h *HTTP) Kind() string { return "http" }

// Send posts m and succeeds on a 2xx answer.
func (h *HTTP) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(NewPayload(m, h.cfg.IncludeImage))
	if err != nil {
		return fmt.Errorf("http: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("http: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("http: post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("http: post: server answered %s", resp.Status)
	}
	return nil
}
