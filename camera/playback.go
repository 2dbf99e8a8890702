package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"time"

	"vsslab/camera/mask"
	"vsslab/camera/record"
	"vsslab/camera/settings"
	"vsslab/camera/store"
	"vsslab/camera/users"
)

// approvalLifetime is how long a playback approval holds (ACC-2).
const approvalLifetime = time.Hour

type approvalKey struct{ requester, record string }

type approval struct {
	by string
	at time.Time
}

// ApprovalError is a playback that waits for approvals (ACC-2).
type ApprovalError struct {
	Required, Given int
}

func (e *ApprovalError) Error() string {
	return fmt.Sprintf("this playback needs %d approval(s) by other supervisors; %d given", e.Required, e.Given)
}

// LimitError is a playback beyond the account's limits (DEL-3).
type LimitError struct{ Reason string }

func (e *LimitError) Error() string { return e.Reason }

// Recording is one entry of the image search.
type Recording = store.Entry

// Errors of the playback functions, for errors.Is.
var (
	ErrRecordNotFound = store.ErrNotFound
	ErrRecordExpired  = store.ErrExpired
)

// limitFor is the playback limit of a level; guests never reach playback (the route needs user).
func limitFor(s settings.Settings, l users.Level) settings.Limit {
	if l.Allows(users.Admin) {
		return s.Playback.Limits.Admin
	}
	return s.Playback.Limits.User
}

// SearchRecordings is the image search over [from, to].
func (c *Camera) SearchRecordings(who Actor, from, to time.Time) ([]Recording, error) {
	if err := c.checkPrivacy(); err != nil {
		return nil, err
	}
	st, err := c.storeOrErr()
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, &settings.FieldError{Code: "invalid_value", Key: "to", Message: "must not be before from"}
	}
	s, err := c.Settings()
	if err != nil {
		return nil, err
	}
	now := c.cfg.Clock.Now()
	lim := limitFor(s, who.Level)
	if d := time.Duration(lim.MaxAge); d > 0 && from.Before(now.Add(-d)) {
		c.record(who, "recordings.search", window(from, to), "denied", map[string]string{"reason": "beyond max_age " + d.String()})
		return nil, &LimitError{Reason: fmt.Sprintf("your playback may reach back %s, and this search starts earlier", d)}
	}
	if d := time.Duration(lim.MaxLength); d > 0 && to.Sub(from) > d {
		c.record(who, "recordings.search", window(from, to), "denied", map[string]string{"reason": "longer than max_length " + d.String()})
		return nil, &LimitError{Reason: fmt.Sprintf("your playback may cover at most %s, and this search covers %s", d, to.Sub(from))}
	}
	list := st.Search(from, to, now, time.Duration(s.Storage.DeletionPeriod))
	if list == nil {
		list = []Recording{}
	}
	c.record(who, "recordings.search", window(from, to), "ok", map[string]string{"found": fmt.Sprint(len(list))})
	return list, nil
}

func window(from, to time.Time) string {
	return from.UTC().Format(time.RFC3339) + "/" + to.UTC().Format(time.RFC3339)
}

// PlaybackFrame is one frame of a playback; JPEG is base64 in JSON.
type PlaybackFrame struct {
	Captured time.Time `json:"captured"`
	JPEG     []byte    `json:"jpeg"`
}

// Playback is a record as a viewer receives it, decrypted in the camera.
type Playback struct {
	ID             string          `json:"id"`
	Start          time.Time       `json:"start"`
	End            time.Time       `json:"end"`
	Kind           string          `json:"kind"`
	Encrypted      bool            `json:"encrypted"`
	PlaybackMasked bool            `json:"playback_masked"`
	Frames         []PlaybackFrame `json:"frames"`
}

// PlayRecording decrypts a record for who, after the deletion period, limit and approval checks.
// Playback masks are pixelated unless who holds the unmask right (MASK-5).
func (c *Camera) PlayRecording(who Actor, id string) (Playback, error) {
	if err := c.checkPrivacy(); err != nil {
		return Playback{}, err
	}
	st, err := c.storeOrErr()
	if err != nil {
		return Playback{}, err
	}
	s, err := c.Settings()
	if err != nil {
		return Playback{}, err
	}
	now := c.cfg.Clock.Now()
	period := time.Duration(s.Storage.DeletionPeriod)
	e, err := st.Lookup(id, now, period)
	if err != nil {
		c.record(who, "playback", id, "failed", map[string]string{"reason": err.Error()})
		return Playback{}, err
	}
	lim := limitFor(s, who.Level)
	if d := time.Duration(lim.MaxAge); d > 0 && e.Start.Before(now.Add(-d)) {
		c.record(who, "playback", id, "denied", map[string]string{"reason": "beyond max_age " + d.String()})
		return Playback{}, &LimitError{Reason: fmt.Sprintf("your playback may reach back %s, and this record is older", d)}
	}
	if d := time.Duration(lim.MaxLength); d > 0 && e.End.Sub(e.Start) > d {
		c.record(who, "playback", id, "denied", map[string]string{"reason": "longer than max_length " + d.String()})
		return Playback{}, &LimitError{Reason: fmt.Sprintf("your playback may cover at most %s, and this record is longer", d)}
	}
	if need := s.Playback.ApprovalsRequired; need > 0 {
		given := c.approvalsFor(who.Name, id, now)
		if len(given) < need {
			c.record(who, "playback.request", id, "denied", map[string]string{"reason": "waiting for approvals", "required": fmt.Sprint(need), "given": fmt.Sprint(len(given))})
			return Playback{}, &ApprovalError{Required: need, Given: len(given)}
		}
	}
	meta, frames, err := st.Read(id, now, period)
	if err != nil {
		c.record(who, "playback", id, "failed", map[string]string{"reason": err.Error()})
		return Playback{}, err
	}
	out := Playback{ID: id, Start: meta.Start, End: meta.End, Kind: meta.Kind, Encrypted: meta.Encrypted}
	unmask := c.hasRight(who, users.RightUnmask)
	out.PlaybackMasked = len(meta.PlaybackMasks) > 0 && !unmask
	for i, f := range frames {
		at := meta.Start
		if i < len(meta.FrameTimes) {
			at = meta.FrameTimes[i]
		}
		if out.PlaybackMasked {
			if f, err = c.pixelateRegions(f, meta.PlaybackMasks); err != nil {
				return Playback{}, fmt.Errorf("playback masks: %w", err)
			}
		}
		out.Frames = append(out.Frames, PlaybackFrame{Captured: at, JPEG: f})
	}
	c.record(who, "playback", id, "ok", map[string]string{"frames": fmt.Sprint(len(frames)), "playback_masked": fmt.Sprint(out.PlaybackMasked)})
	return out, nil
}

// pixelateRegions puts the playback masks back onto a recorded frame.
func (c *Camera) pixelateRegions(frame []byte, regions []record.Region) ([]byte, error) {
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		return nil, err
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return nil, errors.New("recorded frame is not 4:2:0 YCbCr")
	}
	for _, r := range regions {
		if err := mask.PixelateArea(ycc, image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H), r.Tile); err != nil {
			return nil, err
		}
	}
	c.snapEnc.Lock()
	defer c.snapEnc.Unlock()
	out, err := c.snapEnc.enc.Encode(nil, ycc)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), out...), nil
}

// hasRight looks up who's account rights.
func (c *Camera) hasRight(who Actor, right string) bool {
	if who.Anonymous {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.users.Get(who.Name)
	return ok && a.Has(right)
}

// approvalsFor returns the approvals still valid for requester's playback of a record.
func (c *Camera) approvalsFor(requester, id string, now time.Time) []approval {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []approval
	for _, a := range c.approvals[approvalKey{requester, id}] {
		if now.Sub(a.at) < approvalLifetime {
			out = append(out, a)
		}
	}
	return out
}

// ApproveRecording records who's approval of requester's playback of a record (ACC-2). Only an
// account with the supervisor right may approve, never its own playback, and once per playback.
func (c *Camera) ApproveRecording(who Actor, id, requester string) (int, error) {
	st, err := c.storeOrErr()
	if err != nil {
		return 0, err
	}
	if !c.hasRight(who, users.RightSupervisor) {
		c.record(who, "playback.approve", id, "denied", map[string]string{"requester": requester, "reason": "no supervisor right"})
		return 0, &ForbiddenError{What: "approving a playback", Need: users.User, Right: users.RightSupervisor}
	}
	if requester == who.Name {
		c.record(who, "playback.approve", id, "denied", map[string]string{"requester": requester, "reason": "own playback"})
		return 0, &ForbiddenError{What: "approving your own playback", Need: users.User, Right: "another supervisor"}
	}
	c.mu.Lock()
	_, known := c.users.Get(requester)
	c.mu.Unlock()
	if !known {
		return 0, &settings.FieldError{Code: "invalid_value", Key: "requester", Message: "must be an existing account"}
	}
	s, err := c.Settings()
	if err != nil {
		return 0, err
	}
	now := c.cfg.Clock.Now()
	if _, err := st.Lookup(id, now, time.Duration(s.Storage.DeletionPeriod)); err != nil {
		return 0, err
	}
	c.mu.Lock()
	k := approvalKey{requester, id}
	var kept []approval
	for _, a := range c.approvals[k] {
		if now.Sub(a.at) < approvalLifetime && a.by != who.Name {
			kept = append(kept, a)
		}
	}
	kept = append(kept, approval{by: who.Name, at: now})
	c.approvals[k] = kept
	n := len(kept)
	c.mu.Unlock()
	c.record(who, "playback.approve", id, "ok", map[string]string{"requester": requester, "approvals": fmt.Sprint(n)})
	return n, nil
}

// EraseRecordings erases every record overlapping [from, to] on card and NAS (DSR-2) and writes the
// confirmation into the audit log.
func (c *Camera) EraseRecordings(who Actor, from, to time.Time) (int, error) {
	st, err := c.storeOrErr()
	if err != nil {
		return 0, err
	}
	if to.Before(from) {
		return 0, &settings.FieldError{Code: "invalid_value", Key: "to", Message: "must not be before from"}
	}
	n, err := st.Erase(from, to)
	outcome := "ok"
	detail := map[string]string{"erased": fmt.Sprint(n), "from": from.UTC().Format(time.RFC3339Nano), "to": to.UTC().Format(time.RFC3339Nano)}
	if err != nil {
		outcome, detail["reason"] = "failed", err.Error()
	}
	c.record(who, "recordings.erase", window(from, to), outcome, detail)
	return n, err
}
