package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// readBody reads a request body of one of the accepted media types, at most MaxBody bytes. It writes
// the refusal (413, 415, 400) itself and returns false when the body is not acceptable.
func readBody(w http.ResponseWriter, r *http.Request, types ...string) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !contains(types, mt) {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", fmt.Sprintf("The body must be sent as %s.", types[0]))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("The body is larger than %d bytes.", MaxBody))
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "bad_request", "The body could not be read.")
		return nil, false
	}
	return body, true
}

// decodeBody reads a JSON body strictly into v: unknown fields, wrong types and trailing data are a
// 400 naming the problem.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := readBody(w, r, "application/json")
	if !ok {
		return false
	}
	if err := decodeStrict(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return false
	}
	return true
}

// decodeStrict is the one JSON body parser of the API (fuzzed in body_test.go).
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return errors.New("The body is not well-formed JSON.")
		case errors.As(err, &typ):
			return fmt.Errorf("The field %q must be a JSON %s.", typ.Field, typ.Type.Kind())
		default:
			return fmt.Errorf("The body was not understood: %s.", err.Error())
		}
	}
	// dec.More reports false before a stray '}' or ']', so look at the bytes themselves.
	if len(bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")) > 0 {
		return errors.New("The body has data after the JSON object.")
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
