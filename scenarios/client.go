package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"vsslab/scenarios/target"
)

// Factory credentials of the reference camera and of the whitepaper's cameras (AUTH-1).
const (
	FactoryAdmin    = "admin"
	FactoryPassword = "meinsm"
)

// Cred is a name and password; the zero Cred is anonymous.
type Cred struct{ Name, Password string }

// IsAnonymous tells whether c carries no credentials.
func (c Cred) IsAnonymous() bool { return c == Cred{} }

// Response is what the camera answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the spec if it is not JSON.
func (r Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("response %d is not JSON (%w): %.200s", r.Status, err, r.Body)
	}
	return nil
}

// Map decodes the body as a JSON object.
func (r Response) Map() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// ErrorCode is the "error" member of an error body.
func (r Response) ErrorCode() string {
	if s, ok := r.Map()["error"].(string); ok {
		return s
	}
	return ""
}

func (r Response) String() string {
	return fmt.Sprintf("%d %.300s", r.Status, bytes.TrimSpace(r.Body))
}

// API talks to a target's HTTPS API the way any outside client does.
type API struct {
	t target.Target

	mu     sync.Mutex
	client *http.Client
}

// NewAPI returns a client for t that trusts only t's pinned certificate.
func NewAPI(t target.Target) *API {
	return &API{t: t, client: target.PinnedClient(t.CertificateSHA256)}
}

// Reset drops kept-alive connections, e.g. after the camera's identity changed.
func (a *API) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.client.CloseIdleConnections()
}

// Do sends one request. body is nil, []byte (sent as is with contentType), or a value sent as JSON.
func (a *API) Do(ctx context.Context, cred Cred, method, path string, body any) (Response, error) {
	return a.DoType(ctx, cred, method, path, "application/json", body)
}

// DoType is Do with an explicit content type.
func (a *API) DoType(ctx context.Context, cred Cred, method, path, contentType string, body any) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.t.BaseURL()+path, rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if !cred.IsAnonymous() {
		req.SetBasicAuth(cred.Name, cred.Password)
	}
	return a.send(req)
}

// Send sends a prepared request (for specs that set their own headers or cookies).
func (a *API) Send(req *http.Request) (Response, error) { return a.send(req) }

func (a *API) send(req *http.Request) (Response, error) {
	a.mu.Lock()
	c := a.client
	a.mu.Unlock()
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}
