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
	g.Expect(d.Storage.DeletionPeriod).To(Equal(Duration(72*time.Hour)), "EDPB Guidelines 3/2019 (DEL-4)")
	g.Expect(d.Storage.Cipher).To(Equal("aes-256-gcm"))
	g.Expect(d.Playback.ApprovalsRequired).To(BeZero())
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
		"auth.lockout.max_failures":    func(s *Settings) { s.Auth.Lockout.MaxFailures = 0 },
		"auth.lockout.window":          func(s *Settings) { s.Auth.Lockout.Window = Duration(0) },
		"auth.lockout.duration":        func(s *Settings) { s.Auth.Lockout.Duration = Duration(48 * time.Hour) },
		"image.contrast":               func(s *Settings) { s.Image.Contrast = 101 },
		"update_check.url":             func(s *Settings) { s.UpdateCheck.URL = "ftp://example.invalid/x" },
		"update_check.enabled":         func(s *Settings) { s.UpdateCheck.Enabled = true },
		"storage.cipher":               func(s *Settings) { s.Storage.Cipher = "rot13" },
		"storage.deletion_period":      func(s *Settings) { s.Storage.DeletionPeriod = Duration(30 * time.Minute) },
		"storage.pre_event":            func(s *Settings) { s.Storage.PreEvent = Duration(time.Minute) },
		"storage.post_event":           func(s *Settings) { s.Storage.PostEvent = Duration(-time.Second) },
		"storage.fps":                  func(s *Settings) { s.Storage.FPS = 0 },
		"storage.nas":                  func(s *Settings) { s.Storage.NAS = "smb://nas/share" },
		"storage.nas_host_key":         func(s *Settings) { s.Storage.NAS = "sftp://cam@127.0.0.1:22/rec" },
		"playback.approvals_required":  func(s *Settings) { s.Playback.ApprovalsRequired = 3 },
		"playback.limits.user.max_age": func(s *Settings) { s.Playback.Limits.User.MaxAge = Duration(-time.Hour) },
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
