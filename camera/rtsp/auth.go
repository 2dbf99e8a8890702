package rtsp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrLocked is what an Authenticator wraps when the account is locked after too many failures. The
// server answers it exactly like a wrong password (401 and a fresh challenge), so that a prober cannot
// tell a locked account from a wrong guess; the Authenticator has already counted and audited it.
var ErrLocked = errors.New("rtsp: account locked")

// ErrForbidden is what an Authenticator wraps when the credentials are right but the account may not
// watch the stream. It is the only authentication error answered with 403 instead of 401.
var ErrForbidden = errors.New("rtsp: forbidden")

// nonceLifetime is how long a Digest nonce is accepted. An older one gets "401 stale=true", which
// players answer by retrying with the new nonce without asking the user again.
const nonceLifetime = 5 * time.Minute

// maxNonceCounts bounds the replay table of Digest nonce counts.
const maxNonceCounts = 4096

// nonce layout: 8 bytes issue time (Clock, Unix ns), 8 random bytes, 16 bytes HMAC-SHA256 over both
// with a key drawn when the Server was made. A nonce from another Server instance (a restarted
// camera) or a made-up one fails the MAC and is never handed to the Authenticator.
const nonceLen = 8 + 8 + 16

func (s *Server) newNonce() (string, error) {
	var raw [nonceLen]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(s.clock.Now().UnixNano()))
	if err := s.random(raw[8:16]); err != nil {
		return "", err
	}
	copy(raw[16:], s.nonceMAC(raw[:16]))
	return hex.EncodeToString(raw[:]), nil
}

func (s *Server) nonceMAC(b []byte) []byte {
	m := hmac.New(sha256.New, s.nonceKey[:])
	m.Write(b)
	return m.Sum(nil)[:16]
}

// checkNonce reports whether n was issued by this server and whether it is still fresh.
func (s *Server) checkNonce(n string) (ours, fresh bool) {
	raw, err := hex.DecodeString(n)
	if err != nil || len(raw) != nonceLen {
		return false, false
	}
	if !hmac.Equal(raw[16:], s.nonceMAC(raw[:16])) {
		return false, false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	age := s.clock.Now().Sub(issued)
	return true, age >= 0 && age <= nonceLifetime
}

// nonceCountOK reports whether nc is above every count already accepted for nonce (replay check).
func (s *Server) nonceCountOK(nonce string, nc uint32) bool {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	last, seen := s.nonceCounts[nonce]
	return !seen || nc > last.count
}

// recordNonceCount remembers an accepted nc; false if a concurrent request used it first.
func (s *Server) recordNonceCount(nonce string, nc uint32) bool {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if last, seen := s.nonceCounts[nonce]; seen && nc <= last.count {
		return false
	}
	now := s.clock.Now()
	if len(s.nonceCounts) >= maxNonceCounts {
		for k, v := range s.nonceCounts {
			if now.Sub(v.at) > nonceLifetime {
				delete(s.nonceCounts, k)
			}
		}
	}
	if len(s.nonceCounts) >= maxNonceCounts {
		// Still full of fresh nonces: forget the oldest rather than grow without bound. A forgotten
		// nonce can be replayed only within its remaining lifetime.
		oldest := ""
		for k, v := range s.nonceCounts {
			if oldest == "" || v.at.Before(s.nonceCounts[oldest].at) {
				oldest = k
			}
		}
		delete(s.nonceCounts, oldest)
	}
	s.nonceCounts[nonce] = nonceCount{count: nc, at: now}
	return true
}

type nonceCount struct {
	count uint32
	at    time.Time
}

// authOutcome is what authenticate decided: a viewer, or the response refusing the request.
type authOutcome struct {
	viewer Viewer
	refuse *response
}

// authenticate finds the viewer for a request: Basic, Digest, or anonymous when there is no
// Authorization header. Every failure is 401 with both challenges, except ErrForbidden (403).
func (c *conn) authenticate(req *request) authOutcome {
	s := c.srv
	source := c.remoteIP.String()
	hs := req.all("Authorization")
	if len(hs) == 0 {
		v, err := s.auth.Anonymous(source)
		if err != nil {
			return c.authFailure("", "anonymous", err)
		}
		return authOutcome{viewer: v}
	}
	if len(hs) > 1 {
		return authOutcome{refuse: c.challenge(false)}
	}
	scheme, rest, _ := strings.Cut(hs[0], " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "basic":
		name, pass, ok := decodeBasic(rest)
		if !ok {
			return authOutcome{refuse: c.challenge(false)}
		}
		v, err := s.auth.Basic(name, pass, source)
		if err != nil {
			return c.authFailure(name, "basic", err)
		}
		return authOutcome{viewer: v}
	case "digest":
		return c.digest(req, rest)
	default:
		return authOutcome{refuse: c.challenge(false)}
	}
}

func (c *conn) digest(req *request, params string) authOutcome {
	s := c.srv
	p, err := parseDigestParams(params)
	if err != nil {
		return authOutcome{refuse: c.challenge(false)}
	}
	name, nonce, uri, resp := p["username"], p["nonce"], p["uri"], strings.ToLower(p["response"])
	if name == "" || nonce == "" || uri == "" || len(resp) != 32 || p["realm"] != s.realm {
		return authOutcome{refuse: c.challenge(false)}
	}
	if alg, ok := p["algorithm"]; ok && !strings.EqualFold(alg, "MD5") {
		return authOutcome{refuse: c.challenge(false)}
	}
	if !sameURI(uri, req.URI) {
		// RFC 2617 3.2.2.5: a digest for another URI is a bad request, not a wrong password.
		return authOutcome{refuse: &response{Status: 400}}
	}
	ours, fresh := s.checkNonce(nonce)
	if !ours {
		return authOutcome{refuse: c.challenge(false)}
	}
	if !fresh {
		return authOutcome{refuse: c.challenge(true)}
	}
	qop, nc := p["qop"], uint32(0)
	switch qop {
	case "":
	case "auth":
		n, err := strconv.ParseUint(p["nc"], 16, 32)
		if err != nil || len(p["nc"]) != 8 || p["cnonce"] == "" {
			return authOutcome{refuse: c.challenge(false)}
		}
		nc = uint32(n)
		if !s.nonceCountOK(nonce, nc) {
			return authOutcome{refuse: c.challenge(true)} // replayed count: make the client take a new nonce
		}
	default:
		return authOutcome{refuse: c.challenge(false)}
	}
	ha2 := md5hex(req.Method + ":" + uri)
	check := func(ha1 string) bool {
		var want string
		if qop == "" {
			want = md5hex(ha1 + ":" + nonce + ":" + ha2)
		} else {
			want = md5hex(ha1 + ":" + nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":" + qop + ":" + ha2)
		}
		return subtle.ConstantTimeCompare([]byte(want), []byte(resp)) == 1
	}
	v, err := s.auth.Digest(name, c.remoteIP.String(), check)
	if err != nil {
		return c.authFailure(name, "digest", err)
	}
	if qop != "" && !s.recordNonceCount(nonce, nc) {
		return authOutcome{refuse: c.challenge(true)}
	}
	return authOutcome{viewer: v}
}

// sameURI accepts the digest uri when it is the request URI, or names the same path (some players
// put only the path there).
func sameURI(digestURI, requestURI string) bool {
	if digestURI == requestURI {
		return true
	}
	d, err1 := url.Parse(digestURI)
	r, err2 := url.Parse(requestURI)
	return err1 == nil && err2 == nil && d.Path != "" && d.Path == r.Path && (d.Host == "" || d.Host == r.Host)
}

func (c *conn) authFailure(name, scheme string, err error) authOutcome {
	reason := "refused"
	if errors.Is(err, ErrLocked) {
		reason = "locked"
	}
	if errors.Is(err, ErrForbidden) {
		c.srv.log.Info("rtsp access forbidden", "user", name, "scheme", scheme, "source", c.remoteIP.String())
		return authOutcome{refuse: &response{Status: 403}}
	}
	c.srv.log.Info("rtsp authentication failed", "user", name, "scheme", scheme, "source", c.remoteIP.String(), "reason", reason)
	return authOutcome{refuse: c.challenge(false)}
}

// challenge is the 401 answer. Digest comes first: ffmpeg and VLC take the first scheme they support,
// and Digest does not send the password in clear.
func (c *conn) challenge(stale bool) *response {
	nonce, err := c.srv.newNonce()
	if err != nil {
		c.srv.log.Error("rtsp nonce", "err", err)
		return &response{Status: 500}
	}
	d := `Digest realm="` + c.srv.realm + `", nonce="` + nonce + `", algorithm=MD5, qop="auth"`
	if stale {
		d += ", stale=true"
	}
	r := &response{Status: 401}
	r.set("WWW-Authenticate", d)
	r.set("WWW-Authenticate", `Basic realm="`+c.srv.realm+`"`)
	return r
}

func decodeBasic(s string) (name, pass string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", "", false
	}
	name, pass, ok = strings.Cut(string(raw), ":")
	return name, pass, ok
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// parseDigestParams parses the comma-separated key=value list of a Digest Authorization header
// (values are tokens or quoted strings with backslash escapes). Keys are lower-cased; a repeated key,
// an empty key or an unterminated quote is an error.
func parseDigestParams(s string) (map[string]string, error) {
	out := map[string]string{}
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipSpace()
		for i < len(s) && s[i] == ',' { // tolerate empty list elements
			i++
			skipSpace()
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		key := strings.ToLower(s[start:i])
		if !isToken(key) {
			return nil, errors.New("digest parameter name is not a token")
		}
		skipSpace()
		if i == len(s) || s[i] != '=' {
			return nil, errors.New("digest parameter without value")
		}
		i++
		skipSpace()
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				i++
				if ch == '\\' && i < len(s) {
					val.WriteByte(s[i])
					i++
					continue
				}
				if ch == '"' {
					closed = true
					break
				}
				val.WriteByte(ch)
			}
			if !closed {
				return nil, errors.New("unterminated quoted string")
			}
		} else {
			start := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			if !isToken(s[start:i]) {
				return nil, errors.New("digest parameter value is not a token")
			}
			val.WriteString(s[start:i])
		}
		if _, dup := out[key]; dup {
			return nil, errors.New("digest parameter repeated")
		}
		out[key] = val.String()
		skipSpace()
		if i < len(s) && s[i] != ',' {
			return nil, errors.New("digest parameters not separated by commas")
		}
	}
	return out, nil
}
