package camera_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/settings"
	"vsslab/camera/users"
)

func TestPatchWithFactoryPasswordIsAppliedButNotPersisted(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	res, err := r.cam.PatchSettings(adminActor(), []byte(`{"image":{"brightness":70}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Persisted).To(BeFalse())
	g.Expect(res.Reason).To(ContainSubstring("factory default"))
	g.Expect(res.Reason).To(ContainSubstring("/api/v1/users/admin/password"))
	g.Expect(res.Changed).To(Equal([]string{"image.brightness"}))
	g.Expect(res.Settings.Image.Brightness).To(Equal(70))

	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Image.Brightness).To(Equal(70), "the change is applied at once")
	_, err = os.Stat(r.path("settings.json"))
	g.Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue(), "nothing is written while the password is the factory one")

	changes := withAction(entries(t, r.cam), "settings.change")
	g.Expect(changes).To(HaveLen(1))
	g.Expect(changes[0].Target).To(Equal("image.brightness"))
	g.Expect(changes[0].Outcome).To(Equal("ok"))
	g.Expect(changes[0].Detail).To(Equal(map[string]string{"old": "50", "new": "70", "persisted": "false"}))

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	s, err = r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(settings.Defaults()), "a reboot loses the unpersisted change")
}

func TestChangesPersistOnceTheAdminPasswordIsChanged(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"image":{"brightness":70},"access":{"public":false}}`))
	g.Expect(err).NotTo(HaveOccurred())

	changeAdminPassword(t, r.cam) // saves what was applied before it

	res, err := r.cam.PatchSettings(adminActor(), []byte(`{"image":{"contrast":20}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Persisted).To(BeTrue())
	g.Expect(res.Reason).To(BeEmpty())

	want := settings.Defaults()
	want.Image.Brightness, want.Image.Contrast, want.Access.Public = 70, 20, false

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(want), "changes before and after the password change survive a reboot")

	r.restart(t)
	s, err = r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(want), "and a new start on the same directory")
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.AdminPasswordDefault).To(BeFalse())
	_, err = r.cam.Authenticate("admin", newAdminPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred(), "the new admin password is stored")

	stored, err := os.ReadFile(r.path("users.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(stored)).NotTo(ContainSubstring(newAdminPassword), "passwords are never stored in clear")
}

func TestNonAdminCannotChangeSecuritySettings(t *testing.T) {
	for name, patch := range map[string]string{
		"public access to its current value": `{"access":{"public":true}}`,
		"microphone":                         `{"microphone":{"enabled":true}}`,
		"lockout":                            `{"auth":{"lockout":{"max_failures":100}}}`,
		"update check":                       `{"update_check":{"url":"https://updates.example.com/"}}`,
		"apps beside an image setting":       `{"image":{"brightness":10},"apps":{"armed":true}}`,
		"a whole security object reset":      `{"access":null}`,
		"a security leaf reset":              `{"microphone":{"enabled":null}}`,
	} {
		t.Run(name, func(t *testing.T) {
			for _, who := range []camera.Actor{userActor(), guestActor()} {
				g := NewWithT(t)
				r := newRig(t)
				before, err := r.cam.Settings()
				g.Expect(err).NotTo(HaveOccurred())

				_, err = r.cam.PatchSettings(who, []byte(patch))
				var fe *camera.ForbiddenError
				g.Expect(errors.As(err, &fe)).To(BeTrue(), "%s: got %v", who.Name, err)
				g.Expect(err).To(MatchError(camera.ErrForbidden))
				g.Expect(fe.Need).To(Equal(users.Admin))

				after, err := r.cam.Settings()
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(after).To(Equal(before), "a refused patch changes nothing, not even its other keys")

				changes := withAction(entries(t, r.cam), "settings.change")
				g.Expect(changes).To(HaveLen(1), "only the refusal is audited")
				g.Expect(changes[0].Outcome).To(Equal("denied"))
				g.Expect(changes[0].Actor).To(Equal(who.Name))
				g.Expect(changes[0].Source).To(Equal(who.Source))
				g.Expect(settings.IsSecurity(changes[0].Target) || settings.IsSecurity(changes[0].Target+".")).To(BeTrue())
				g.Expect(fe.What).To(Equal("changing " + changes[0].Target))
			}
		})
	}
}

func TestUserMayChangeNonSecuritySettings(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	res, err := r.cam.PatchSettings(userActor(), []byte(`{"image":{"saturation":80},"arming":{"general":true,"storage":true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Changed).To(Equal([]string{"arming.general", "arming.storage", "image.saturation"}))
	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Image.Saturation).To(Equal(80))
	g.Expect(s.Arming.General && s.Arming.Storage).To(BeTrue())
	for _, e := range withAction(entries(t, r.cam), "settings.change") {
		g.Expect(e.Outcome).To(Equal("ok"))
		g.Expect(e.Actor).To(Equal("operator"))
	}
}

func TestAdminMayChangeSecuritySettings(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	res, err := r.cam.PatchSettings(adminActor(), []byte(`{"microphone":{"enabled":true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Changed).To(Equal([]string{"microphone.enabled"}))
	public, err := r.cam.PublicAccess()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(public).To(BeTrue())
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"access":{"public":false}}`))
	g.Expect(err).NotTo(HaveOccurred())
	public, err = r.cam.PublicAccess()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(public).To(BeFalse())
}

func TestBadPatchChangesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		patch, code, key string
	}{
		"unknown key":        {`{"image":{"brightness":60},"telnet":{"enabled":true}}`, "unknown_key", "telnet"},
		"unknown nested key": {`{"image":{"gamma":2}}`, "unknown_key", "image.gamma"},
		"out of range":       {`{"image":{"brightness":60,"contrast":101}}`, "invalid_value", "image.contrast"},
		"wrong type":         {`{"image":{"brightness":"bright"}}`, "invalid_value", "image.brightness"},
		"bad duration":       {`{"auth":{"lockout":{"window":"soon"}}}`, "invalid_value", "auth.lockout.window"},
		"not an object":      {`[1,2]`, "invalid_patch", ""},
		"trailing data":      {`{"image":{"brightness":60}} {}`, "invalid_patch", ""},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			r := newRig(t)
			_, err := r.cam.PatchSettings(adminActor(), []byte(tc.patch))
			var fe *settings.FieldError
			g.Expect(errors.As(err, &fe)).To(BeTrue(), "got %v", err)
			g.Expect(fe.Code).To(Equal(tc.code))
			g.Expect(fe.Key).To(Equal(tc.key))
			s, err := r.cam.Settings()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s).To(Equal(settings.Defaults()))
			g.Expect(withAction(entries(t, r.cam), "settings.change")).To(BeEmpty())
		})
	}
}

// A JSON object may name a key twice. Whatever the decoders make of it, a user must not reach a
// security setting that way.
func TestDuplicateKeysDoNotBypassThePermissionCheck(t *testing.T) {
	for _, patch := range []string{
		`{"microphone":{"enabled":true},"microphone":{}}`,
		`{"microphone":{},"microphone":{"enabled":true}}`,
		`{"microphone":{"enabled":true},"image":{"brightness":10},"microphone":{}}`,
	} {
		g := NewWithT(t)
		r := newRig(t)
		_, _ = r.cam.PatchSettings(userActor(), []byte(patch))
		s, err := r.cam.Settings()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(s.Microphone.Enabled).To(BeFalse(), patch)
	}
}

func TestLockoutSettingsReachTheAccounts(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"auth":{"lockout":{"max_failures":2,"duration":"1m"}}}`))
	g.Expect(err).NotTo(HaveOccurred())

	_, err = r.cam.Authenticate("admin", "wrong-1", "198.51.100.7")
	g.Expect(err).To(MatchError(users.ErrBadCredentials))
	_, err = r.cam.Authenticate("admin", "wrong-2", "198.51.100.7")
	var locked *users.LockedError
	g.Expect(errors.As(err, &locked)).To(BeTrue(), "the second failure locks with max_failures 2, got %v", err)
	g.Expect(locked.JustLocked).To(BeTrue())
	g.Expect(locked.Until).To(Equal(r.clk.Now().Add(time.Minute)), "the lock lasts auth.lockout.duration")
	g.Expect(withAction(entries(t, r.cam), "auth.lockout")).To(HaveLen(1))

	g.Expect(r.clk.Advance(time.Minute + time.Second)).To(Succeed())
	_, err = r.cam.Authenticate("admin", factoryPassword, "198.51.100.7")
	g.Expect(err).NotTo(HaveOccurred(), "the lock ends after its duration")
}

// blockStateFile makes the next save of a state file fail: a non-empty directory cannot be renamed
// over.
func blockStateFile(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(path, "blocker"), []byte("x"))
}

func TestPatchThatCannotBeSavedChangesNothing(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	blockStateFile(t, r.path("settings.json"))

	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"access":{"public":false}}`))
	g.Expect(err).To(MatchError(ContainSubstring("save settings")))
	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Access.Public).To(BeTrue(), "a change the camera could not save is not in effect either")
}
