package camera

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// UpdateStatus is the outcome of the last software-update check.
type UpdateStatus struct {
	Checked *time.Time `json:"checked,omitempty"`
	URL     string     `json:"url,omitempty"`
	OK      bool       `json:"ok"`
	Detail  string     `json:"detail,omitempty"`
}

// updateTimeout bounds one update check's network exchange.
const updateTimeout = 10 * time.Second

// CheckForUpdate runs the software-update check now, on an admin's request (WP 3.1 a: "the search
// can also be triggered manually"). It is the camera's only outbound connection of its own, so it
// is refused while the check is switched off.
func (c *Camera) CheckForUpdate(who Actor) (UpdateStatus, error) {
	s, err := c.Settings()
	if err != nil {
		return UpdateStatus{}, err
	}
	if !s.UpdateCheck.Enabled {
		return UpdateStatus{}, fmt.Errorf("%w: the update check is switched off (update_check.enabled)", ErrDisabled)
	}
	return c.checkForUpdate(who, s.UpdateCheck.URL), nil
}

func (c *Camera) checkForUpdate(who Actor, url string) UpdateStatus {
	st := UpdateStatus{URL: url}
	now := c.cfg.Clock.Now()
	st.Checked = &now
	if c.cfg.Dialer == nil {
		st.Detail = "the camera has no network"
	} else {
		client := &http.Client{
			Transport: &http.Transport{DialContext: c.cfg.Dialer.DialContext, Proxy: nil},
			Timeout:   updateTimeout,
		}
		ctx, cancel := context.WithTimeout(context.Background(), updateTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			var resp *http.Response
			resp, err = client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				_ = resp.Body.Close()
				st.OK = resp.StatusCode == http.StatusOK
				st.Detail = resp.Status
			}
		}
		if err != nil {
			st.Detail = err.Error()
		}
	}
	outcome := "ok"
	if !st.OK {
		outcome = "failed"
	}
	c.record(who, "update_check.run", url, outcome, map[string]string{"detail": st.Detail})
	c.mu.Lock()
	c.update = st
	c.mu.Unlock()
	return st
}

// UpdateStatus returns the last update check's outcome.
func (c *Camera) UpdateStatus() UpdateStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.update
}
