package settings

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera/mask"
)

func TestFactoryDefaultsArePrivacyByDefault(t *testing.T) {
	g := NewWithT(t)
	d := Defaults()
	g.Expect(d.Microphone.Enabled).To(BeFalse())
	g.Expect(d.Arming).To(Equal(Arming{}))
	g.Expect(d.Analytics.Enabled).To(BeFalse())
	g.Expect(d.Apps.Armed).To(BeFalse())
	g.Expect(d.UpdateCheck.Enabled).To(BeFalse())
	g.Expect(d.Access.Public).To(BeTrue())
	g.Expect(d.Auth.Lockout).To(Equal(Lockout{MaxFailures: 5, Window: Duration(15 * time.Minute), Duration: Duration(15 * time.Minute)}))
	g.Expect(d.Validate()).To(Succeed())
}

func TestJSONFormIsReadable(t *testing.T) {
	g := NewWithT(t)
	b, err := json.Marshal(Defaults())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(b)).To(ContainSubstring(`"microphone":{"enabled":false}`))
	g.Expect(string(b)).To(ContainSubstring(`"window":"15m0s"`))
	g.Expect(string(b)).To(ContainSubstring(`"access":{"public":true,"guest_max_fps":1}`))
}

func TestValidateNamesTheKey(t *testing.T) {
	cases := map[string]func(*Settings){
		"auth.lockout.max_failures": func(s *Settings) { s.Auth.Lockout.MaxFailures = 0 },
		"auth.lockout.window":       func(s *Settings) { s.Auth.Lockout.Window = Duration(0) },
		"auth.lockout.duration":     func(s *Settings) { s.Auth.Lockout.Duration = Duration(48 * time.Hour) },
		"image.contrast":            func(s *Settings) { s.Image.Contrast = 101 },
		"update_check.url":          func(s *Settings) { s.UpdateCheck.URL = "ftp://example.invalid/x" },
		"update_check.enabled":      func(s *Settings) { s.UpdateCheck.Enabled = true },
	}
	for key, mutate := range cases {
		t.Run(key, func(t *testing.T) {
			g := NewWithT(t)
			s := Defaults()
			mutate(&s)
			var fe *FieldError
			g.Expect(s.Validate()).To(BeAssignableToTypeOf(fe))
			g.Expect(s.Validate().(*FieldError).Key).To(Equal(key))
		})
	}
}

func TestMasksInSettings(t *testing.T) {
	g := NewWithT(t)
	next, changes, err := Apply(Defaults(), []byte(`{"masks": [{"id": "door", "rect": [0.1, 0.1, 0.2, 0.3], "style": "pixelate", "tile": 32}]}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(next.Masks).To(HaveLen(1))
	g.Expect(changes).To(HaveLen(1))
	g.Expect(changes[0].Key).To(Equal("masks"))
	g.Expect(IsSecurity("masks")).To(BeFalse(), "masks are image setup, a user's task")

	_, _, err = Apply(Defaults(), []byte(`{"masks": [{"id": "door", "rect": [0.1, 0.1, 0.2, 0.3], "style": "pixelate", "tile": 30}]}`))
	g.Expect(err).To(MatchError(ContainSubstring("masks[0].tile")))
	g.Expect(err.(*FieldError).Key).To(Equal("masks[0].tile"))
	_, _, err = Apply(Defaults(), []byte(`{"masks": [{"id": "door", "rect": [0.1, 0.1], "style": "color", "color": "#000000"}]}`))
	g.Expect(err).To(HaveOccurred(), "a short rect is refused")
	_, _, err = Apply(Defaults(), []byte(`{"masks": null}`))
	g.Expect(err).NotTo(HaveOccurred(), "null restores the factory list")
	g.Expect(Defaults().Equal(Defaults())).To(BeTrue())
	withMask := Defaults()
	withMask.Masks = []mask.Mask{{ID: "a"}}
	g.Expect(withMask.Equal(Defaults())).To(BeFalse())
}
