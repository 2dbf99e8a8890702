package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Change is one setting that a patch changed, with its values before and after as JSON text.
type Change struct {
	Key string `json:"key"`
	Old string `json:"old"`
	New string `json:"new"`
}

// securityPrefixes are the settings only an admin may change (WP 2.1.3 a: "all security-related
// settings"). Storage (keyword, cipher, deletion period, NAS) and playback rights decide who can see
// recordings and for how long, so they are security settings too. Everything else is image and event
// setup, which a user may change.
var securityPrefixes = [...]string{"access.", "auth.", "microphone.", "update_check.", "apps.", "storage.", "playback.", "debug.", "monitor.", "notify."}

// IsSecurity tells whether key is a security setting, which only an admin may change.
func IsSecurity(key string) bool {
	for _, p := range securityPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Apply applies a JSON merge patch (RFC 7396) to cur and returns the new settings and what changed.
// A member set to null returns that setting to its factory default. The patch is all or nothing: on
// any error cur is untouched and the error is a *FieldError naming the key (or, for a patch that is
// not a JSON object, an error with Key "").
func Apply(cur Settings, patch []byte) (Settings, []Change, error) {
	var p map[string]any
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p == nil {
		return cur, nil, &FieldError{Code: "invalid_patch", Message: "the body must be a JSON object (a JSON merge patch)"}
	}
	if len(bytes.TrimLeft(patch[dec.InputOffset():], " \t\r\n")) > 0 {
		return cur, nil, &FieldError{Code: "invalid_patch", Message: "the body has data after the JSON object"}
	}
	shape, err := toMap(Defaults())
	if err != nil {
		return cur, nil, err
	}
	if err := checkKeys(p, shape, ""); err != nil {
		return cur, nil, err
	}
	curJSON, err := json.Marshal(cur)
	if err != nil {
		return cur, nil, fmt.Errorf("encode current settings: %w", err)
	}
	merged, err := jsonpatch.MergePatch(curJSON, patch)
	if err != nil {
		return cur, nil, &FieldError{Code: "invalid_patch", Message: "the body is not a valid JSON merge patch"}
	}
	next := Defaults()
	mdec := json.NewDecoder(bytes.NewReader(merged))
	mdec.DisallowUnknownFields()
	if err := mdec.Decode(&next); err != nil {
		return cur, nil, decodeError(err, curJSON, p)
	}
	if err := next.Validate(); err != nil {
		return cur, nil, err
	}
	changes, err := Diff(cur, next)
	if err != nil {
		return cur, nil, err
	}
	return next, changes, nil
}

// checkKeys walks the patch against the settings' shape so that an unknown key is named with its full
// path, which encoding/json's own error does not do.
func checkKeys(patch, shape map[string]any, prefix string) error {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := patch[k]
		path := prefix + k
		sv, ok := shape[k]
		if !ok {
			return &FieldError{Code: "unknown_key", Key: path, Message: "is unknown to this camera"}
		}
		sub, isObj := sv.(map[string]any)
		if !isObj || v == nil {
			continue
		}
		pv, ok := v.(map[string]any)
		if !ok {
			return &FieldError{Code: "invalid_value", Key: path, Message: "must be an object"}
		}
		if err := checkKeys(pv, sub, path+"."); err != nil {
			return err
		}
	}
	return nil
}

func decodeError(err error, curJSON []byte, patch map[string]any) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Code: "invalid_value", Key: te.Field, Message: fmt.Sprintf("must be a JSON %s", jsonKind(te.Type))}
	}
	// Errors from a value's own UnmarshalJSON (durations) do not carry the key: find the leaf by
	// applying each one alone.
	for _, leaf := range leaves(patch, nil) {
		one, _ := json.Marshal(nest(leaf.path, leaf.value))
		merged, merr := jsonpatch.MergePatch(curJSON, one)
		if merr != nil {
			continue
		}
		probe := Defaults()
		if derr := json.Unmarshal(merged, &probe); derr != nil {
			return &FieldError{Code: "invalid_value", Key: strings.Join(leaf.path, "."), Message: derr.Error()}
		}
	}
	return &FieldError{Code: "invalid_value", Message: err.Error()}
}

type leaf struct {
	path  []string
	value any
}

// leaves lists a patch's leaf members in key order.
func leaves(m map[string]any, prefix []string) []leaf {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []leaf
	for _, k := range keys {
		path := append(append([]string(nil), prefix...), k)
		if sub, ok := m[k].(map[string]any); ok {
			out = append(out, leaves(sub, path)...)
			continue
		}
		out = append(out, leaf{path: path, value: m[k]})
	}
	return out
}

func nest(path []string, v any) any {
	for i := len(path) - 1; i >= 0; i-- {
		v = map[string]any{path[i]: v}
	}
	return v
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.String:
		return "string"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.String()
}

// Diff lists the settings whose values differ between a and b, sorted by key.
func Diff(a, b Settings) ([]Change, error) {
	fa, err := Flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := Flatten(b)
	if err != nil {
		return nil, err
	}
	var out []Change
	for k, nv := range fb {
		if ov := fa[k]; ov != nv {
			out = append(out, Change{Key: k, Old: ov, New: nv})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Flatten maps every leaf setting's dotted key to its value as JSON text.
func Flatten(s Settings) (map[string]string, error) {
	m, err := toMap(s)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				if err := walk(prefix+k+".", sub); err != nil {
					return err
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("encode setting %s: %w", prefix+k, err)
			}
			out[prefix+k] = string(b)
		}
		return nil
	}
	return out, walk("", m)
}

func toMap(s Settings) (map[string]any, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode settings: %w", err)
	}
	return m, nil
}

// Touched lists the dotted keys of every leaf a patch names, whether or not it changes the value, so
// that permission checks look at what a client asked for, not only at what happened to differ. A
// patch that does not parse touches nothing (Apply refuses it anyway).
func Touched(patch []byte) []string {
	var p map[string]any
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil
	}
	var out []string
	for _, l := range leaves(p, nil) {
		out = append(out, strings.Join(l.path, "."))
	}
	return out
}
