package camera

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"vsslab/camera/settings"
)

func TestTakeKeywordRemovesOnlyTheKeyword(t *testing.T) {
	out, kw, ok, err := takeKeyword([]byte(`{"storage":{"keyword":"a long keyword","cipher":"xtea-128"},"image":{"brightness":3}}`))
	if err != nil || !ok || kw != "a long keyword" {
		t.Fatalf("got %q %v %v", kw, ok, err)
	}
	if strings.Contains(string(out), "keyword") || !strings.Contains(string(out), `"cipher":"xtea-128"`) || !strings.Contains(string(out), `"brightness":3`) {
		t.Fatalf("patch after taking the keyword: %s", out)
	}
	out, _, ok, _ = takeKeyword([]byte(`{"storage":{"keyword":"only the keyword"}}`))
	if !ok || string(out) != `{}` {
		t.Fatalf("an emptied storage object stays behind: %s", out)
	}
	for _, bad := range []string{`{"storage":{"keyword":"short"}}`, `{"storage":{"keyword":7}}`, `{"storage":{"keyword":" padded keyword "}}`} {
		_, _, _, err := takeKeyword([]byte(bad))
		var fe *settings.FieldError
		if !errors.As(err, &fe) || fe.Key != "storage.keyword" {
			t.Fatalf("%s: %v", bad, err)
		}
		if strings.Contains(err.Error(), "short") || strings.Contains(err.Error(), "padded") {
			t.Fatalf("the refusal repeats the keyword: %v", err)
		}
	}
}

// FuzzTakeKeyword: a settings patch is network input. Whatever arrives, takeKeyword never panics,
// never leaves a keyword in the patch it passes on, and refuses only with a FieldError.
func FuzzTakeKeyword(f *testing.F) {
	for _, s := range []string{`{"storage":{"keyword":"a long keyword"}}`, `{"storage":null}`, `{"storage":{"keyword":null}}`, `[]`, `{"storage":[1]}`, `{`, `{"storage":{"keyword":"x","keyword":"yyyyyyyyyy"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		out, kw, ok, err := takeKeyword(patch)
		if err != nil {
			var fe *settings.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("refusal is not a FieldError: %v", err)
			}
			return
		}
		if !ok {
			if string(out) != string(patch) {
				t.Fatal("a patch without a keyword was changed")
			}
			return
		}
		if n := len([]rune(kw)); n < 8 || n > 256 {
			t.Fatalf("accepted a keyword of %d characters", n)
		}
		var p map[string]json.RawMessage
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatalf("the patch passed on is not a JSON object: %v", err)
		}
		var st map[string]json.RawMessage
		if raw, has := p["storage"]; has {
			if err := json.Unmarshal(raw, &st); err == nil {
				if _, left := st["keyword"]; left {
					t.Fatal("the keyword is still in the patch")
				}
			}
		}
	})
}
