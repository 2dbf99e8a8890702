package rtsp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on what a client may send in one request. A camera is probed by certifiers and attacked by
// strangers, so the parser refuses anything larger than a real player ever sends instead of buffering it.
const (
	maxHeaderBytes = 8 << 10  // request line + header lines, including line ends and leading blank lines
	maxHeaders     = 64       // header fields per request
	maxBodyBytes   = 64 << 10 // Content-Length
)

// errMalformed marks a request that breaks the protocol: the server answers 400 and closes the
// connection. Errors that do not wrap it are I/O errors (the client went away).
var errMalformed = errors.New("malformed request")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// field is one header line. Headers are kept in order and with their original spelling so that a
// parsed request serialises back to an equivalent one (FuzzParseRequest checks that).
type field struct {
	Name  string
	Value string
}

// request is one parsed RTSP request.
type request struct {
	Method string
	URI    string
	Proto  string
	Header []field
	Body   []byte
}

// get returns the first value of the named header (case-insensitive).
func (r *request) get(name string) (string, bool) {
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// all returns every value of the named header, in order.
func (r *request) all(name string) []string {
	var out []string
	for _, f := range r.Header {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// readRequest reads one request from br. Malformed input gives an error wrapping errMalformed; the
// reader is then in an unknown position and the caller must close the connection.
func readRequest(br *bufio.Reader) (*request, error) {
	budget := maxHeaderBytes
	var line string
	for {
		l, err := readLine(br, &budget)
		if err != nil {
			return nil, err
		}
		if l != "" { // RFC 7230 3.5: ignore blank lines before the request line
			line = l
			break
		}
	}
	req, err := parseRequestLine(line)
	if err != nil {
		return nil, err
	}
	for {
		l, err := readLine(br, &budget)
		if err != nil {
			return nil, noEOF(err)
		}
		if l == "" {
			break
		}
		if len(req.Header) == maxHeaders {
			return nil, malformed("more than %d header fields", maxHeaders)
		}
		f, err := parseField(l)
		if err != nil {
			return nil, err
		}
		req.Header = append(req.Header, f)
	}
	n, err := contentLength(req)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		req.Body = make([]byte, n)
		if _, err := io.ReadFull(br, req.Body); err != nil {
			return nil, noEOF(err)
		}
	}
	return req, nil
}

// noEOF turns a clean EOF in the middle of a request into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine reads up to and excluding "\n" (and a "\r" before it), charging the bytes to budget.
func readLine(br *bufio.Reader, budget *int) (string, error) {
	var b strings.Builder
	for {
		c, err := br.ReadByte()
		if err != nil {
			if b.Len() > 0 {
				return "", noEOF(err)
			}
			return "", err
		}
		*budget--
		if *budget < 0 {
			return "", malformed("request line and headers longer than %d bytes", maxHeaderBytes)
		}
		if c == '\n' {
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		b.WriteByte(c)
	}
}

func parseRequestLine(line string) (*request, error) {
	parts := strings.Split(line, " ")
	if len(parts) != 3 {
		return nil, malformed("request line is not METHOD URI RTSP/1.0")
	}
	method, uri, proto := parts[0], parts[1], parts[2]
	if !isToken(method) {
		return nil, malformed("method is not a token")
	}
	if uri == "" {
		return nil, malformed("empty request URI")
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c >= 0x7f {
			return nil, malformed("request URI has a control, space or non-ASCII byte")
		}
	}
	if !validProto(proto) {
		return nil, malformed("protocol is not RTSP/x.y")
	}
	return &request{Method: method, URI: uri, Proto: proto}, nil
}

func validProto(p string) bool {
	rest, ok := strings.CutPrefix(p, "RTSP/")
	if !ok {
		return false
	}
	major, minor, ok := strings.Cut(rest, ".")
	return ok && isDigits(major) && isDigits(minor) && len(major) <= 3 && len(minor) <= 3
}

func parseField(line string) (field, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return field{}, malformed("header line without a colon")
	}
	if !isToken(name) { // also refuses obsolete line folding (a line starting with white space)
		return field{}, malformed("header name is not a token")
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return field{}, malformed("header %s has a control character", name)
		}
	}
	return field{Name: name, Value: value}, nil
}

// contentLength validates every Content-Length header: one value, a decimal number within limits.
func contentLength(req *request) (int, error) {
	vals := req.all("Content-Length")
	if len(vals) == 0 {
		return 0, nil
	}
	if len(vals) > 1 {
		return 0, malformed("more than one Content-Length")
	}
	v := vals[0]
	if !isDigits(v) || len(v) > 6 {
		return 0, malformed("Content-Length is not a small decimal number")
	}
	n, _ := strconv.Atoi(v)
	if n > maxBodyBytes {
		return 0, malformed("Content-Length over %d bytes", maxBodyBytes)
	}
	return n, nil
}

// marshal writes the request back in wire form (used by the fuzz test and the test client).
func (r *request) marshal() []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.URI + " " + r.Proto + "\r\n")
	for _, f := range r.Header {
		b.WriteString(f.Name + ": " + f.Value + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// response is what the server answers. Every value in it is either a constant, a number, or text
// that passed the request parser's control-character check, so no client can inject header lines.
type response struct {
	Status int
	Header []field
	Body   []byte
}

func (r *response) set(name, value string) { r.Header = append(r.Header, field{name, value}) }

// reasons are the RFC 2326 reason phrases the server uses.
var reasons = map[int]string{
	200: "OK",
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	453: "Not Enough Bandwidth",
	454: "Session Not Found",
	455: "Method Not Valid in This State",
	459: "Aggregate Operation Not Allowed",
	461: "Unsupported Transport",
	500: "Internal Server Error",
	501: "Not Implemented",
	503: "Service Unavailable",
	505: "RTSP Version Not Supported",
	551: "Option not supported",
}

func (r *response) marshal() []byte {
	var b bytes.Buffer
	reason := reasons[r.Status]
	if reason == "" {
		reason = "Status"
	}
	b.WriteString("RTSP/1.0 " + strconv.Itoa(r.Status) + " " + reason + "\r\n")
	for _, f := range r.Header {
		b.WriteString(f.Name + ": " + sanitize(f.Value) + "\r\n")
	}
	if len(r.Body) > 0 {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// sanitize replaces control characters, a last line of defence against header injection.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
