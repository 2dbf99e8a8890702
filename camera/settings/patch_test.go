package settings

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestApplyChangesOnlyWhatThePatchNames(t *testing.T) {
	g := NewWithT(t)
	next, changes, err := Apply(Defaults(), []byte(`{"arming": {"general": true, "storage": true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(next.Arming).To(Equal(Arming{General: true, Storage: true}))
	g.Expect(next.Access.Public).To(BeTrue())
	g.Expect(changes).To(Equal([]Change{
		{Key: "arming.general", Old: "false", New: "true"},
		{Key: "arming.storage", Old: "false", New: "true"},
	}))
}

func TestApplyNullRestoresTheFactoryValue(t *testing.T) {
	g := NewWithT(t)
	cur := Defaults()
	cur.Auth.Lockout.MaxFailures = 3
	cur.Access.Public = false
	next, changes, err := Apply(cur, []byte(`{"auth": {"lockout": {"max_failures": null}}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(next.Auth.Lockout.MaxFailures).To(Equal(5))
	g.Expect(next.Access.Public).To(BeFalse(), "other settings stay")
	g.Expect(changes).To(HaveLen(1))
}

func TestApplyIsAllOrNothing(t *testing.T) {
	cases := []struct {
		name, patch, code, key string
	}{
		{"unknown top-level key", `{"arming": {"general": true}, "telnet": {"enabled": true}}`, "unknown_key", "telnet"},
		{"unknown nested key", `{"arming": {"general": true, "everything": true}}`, "unknown_key", "arming.everything"},
		{"wrong type", `{"arming": {"general": true}, "microphone": {"enabled": "yes"}}`, "invalid_value", "microphone.enabled"},
		{"object replaced by scalar", `{"microphone": true}`, "invalid_value", "microphone"},
		{"out of range", `{"arming": {"general": true}, "image": {"brightness": 300}}`, "invalid_value", "image.brightness"},
		{"fractional count", `{"auth": {"lockout": {"max_failures": 2.5}}}`, "invalid_value", "auth.lockout.max_failures"},
		{"bad duration", `{"arming": {"general": true}, "auth": {"lockout": {"window": "soon"}}}`, "invalid_value", "auth.lockout.window"},
		{"duration as number", `{"auth": {"lockout": {"duration": 60}}}`, "invalid_value", "auth.lockout.duration"},
		{"not an object", `[1,2]`, "invalid_patch", ""},
		{"null body", `null`, "invalid_patch", ""},
		{"malformed", `{"arming":`, "invalid_patch", ""},
		{"trailing", `{} {}`, "invalid_patch", ""},
		{"trailing closer", `{"arming": {"general": true}}}`, "invalid_patch", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			cur := Defaults()
			next, changes, err := Apply(cur, []byte(c.patch))
			var fe *FieldError
			g.Expect(errors.As(err, &fe)).To(BeTrue(), "got %v", err)
			g.Expect(fe.Code).To(Equal(c.code))
			g.Expect(fe.Key).To(Equal(c.key))
			g.Expect(fe.Message).NotTo(BeEmpty())
			g.Expect(next).To(Equal(cur))
			g.Expect(changes).To(BeEmpty())
		})
	}
}

func TestDurationsAcceptText(t *testing.T) {
	g := NewWithT(t)
	next, _, err := Apply(Defaults(), []byte(`{"auth": {"lockout": {"window": "90s", "duration": "1h"}}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(time.Duration(next.Auth.Lockout.Window)).To(Equal(90 * time.Second))
	g.Expect(time.Duration(next.Auth.Lockout.Duration)).To(Equal(time.Hour))
}

func TestSecurityKeys(t *testing.T) {
	g := NewWithT(t)
	flat, err := Flatten(Defaults())
	g.Expect(err).NotTo(HaveOccurred())
	for _, k := range []string{"access.public", "microphone.enabled", "update_check.enabled", "update_check.url", "apps.armed", "auth.lockout.max_failures"} {
		g.Expect(flat).To(HaveKey(k))
		g.Expect(IsSecurity(k)).To(BeTrue(), k)
	}
	for _, k := range []string{"arming.general", "arming.storage", "analytics.enabled", "image.brightness"} {
		g.Expect(flat).To(HaveKey(k))
		g.Expect(IsSecurity(k)).To(BeFalse(), k)
	}
}

// FuzzApply checks the all-or-nothing rule on arbitrary input: either the patch is refused and the
// settings are unchanged, or the result validates, and its changes are exactly the differences.
func FuzzApply(f *testing.F) {
	for _, s := range []string{
		`{"arming": {"general": true}}`, `{"access": {"public": false}}`, `{"auth": {"lockout": {"window": "1m"}}}`,
		`{"microphone": null}`, `{"image": {"brightness": 101}}`, `[]`, `{"update_check": {"enabled": true, "url": "https://u.invalid/"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		cur := Defaults()
		cur.Arming.General = true
		next, changes, err := Apply(cur, patch)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Message == "" {
				t.Fatalf("error is not a named field error: %v", err)
			}
			if !reflect.DeepEqual(next, cur) || len(changes) != 0 {
				t.Fatalf("a refused patch changed something")
			}
			return
		}
		if verr := next.Validate(); verr != nil {
			t.Fatalf("accepted settings do not validate: %v", verr)
		}
		diff, _ := Diff(cur, next)
		if len(diff) != len(changes) {
			t.Fatalf("changes %v differ from the diff %v", changes, diff)
		}
		if _, err := json.Marshal(next); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTouchedListsEveryLeafEvenUnchanged(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Touched([]byte(`{"access": {"public": true}, "arming": {"general": null, "storage": false}}`))).
		To(Equal([]string{"access.public", "arming.general", "arming.storage"}))
	g.Expect(Touched([]byte(`{"microphone": null}`))).To(Equal([]string{"microphone"}))
	g.Expect(Touched([]byte(`nope`))).To(BeEmpty())
}
