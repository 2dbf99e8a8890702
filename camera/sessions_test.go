package camera_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/users"
)

// login starts a session or fails the test.
func login(t *testing.T, cam *camera.Camera, name, password string) camera.Session {
	t.Helper()
	sess, err := cam.Login(name, password, "192.0.2.10")
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return sess
}

func live(cam *camera.Camera, sess camera.Session) bool {
	_, _, ok := cam.SessionActor(sess.Token, "192.0.2.10")
	return ok
}

func TestLoginStartsASession(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sess := login(t, r.cam, "admin", factoryPassword)
	g.Expect(sess.Token).To(HaveLen(43), "32 random bytes, base64url")
	g.Expect(sess.CSRF).To(HaveLen(43))
	g.Expect(sess.CSRF).NotTo(Equal(sess.Token))
	g.Expect(sess.Expires).To(Equal(r.clk.Now().Add(camera.IdleTimeout)))
	g.Expect(sess.Actor.Name).To(Equal("admin"))

	who, csrf, ok := r.cam.SessionActor(sess.Token, "203.0.113.5")
	g.Expect(ok).To(BeTrue())
	g.Expect(csrf).To(Equal(sess.CSRF))
	g.Expect(who).To(Equal(camera.Actor{Name: "admin", Level: users.Admin, Source: "203.0.113.5", DefaultPassword: true}),
		"the actor carries the request's source")

	other := login(t, r.cam, "admin", factoryPassword)
	g.Expect(other.Token).NotTo(Equal(sess.Token), "every login gets its own token")

	for _, bad := range []string{"", "x", sess.Token[:42], sess.Token + "A", sess.CSRF} {
		_, _, ok := r.cam.SessionActor(bad, "203.0.113.5")
		g.Expect(ok).To(BeFalse(), "token %q", bad)
	}
	g.Expect(withAction(entries(t, r.cam), "auth.login")).To(HaveLen(2))
}

func TestLoginWithWrongPasswordStartsNothing(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sess, err := r.cam.Login("admin", "not-the-password", "192.0.2.10")
	g.Expect(err).To(MatchError(users.ErrBadCredentials))
	g.Expect(sess).To(Equal(camera.Session{}))
	g.Expect(withAction(entries(t, r.cam), "auth.login")).To(BeEmpty())
	g.Expect(withAction(entries(t, r.cam), "auth.failure")).To(HaveLen(1))
}

func TestSessionIdleTimeout(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	idle := login(t, r.cam, "admin", factoryPassword)
	used := login(t, r.cam, "admin", factoryPassword)

	for range 3 {
		g.Expect(r.clk.Advance(camera.IdleTimeout - time.Minute)).To(Succeed())
		g.Expect(live(r.cam, used)).To(BeTrue(), "each use restarts the idle time")
	}
	g.Expect(live(r.cam, idle)).To(BeFalse(), "unused for longer than IdleTimeout")

	g.Expect(r.clk.Advance(camera.IdleTimeout + time.Second)).To(Succeed())
	g.Expect(live(r.cam, used)).To(BeFalse())
}

func TestSessionEndsAtMaxSessionAge(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sess := login(t, r.cam, "admin", factoryPassword)
	step := 10 * time.Minute
	for elapsed := step; elapsed <= camera.MaxSessionAge-step; elapsed += step {
		g.Expect(r.clk.Advance(step)).To(Succeed())
		g.Expect(live(r.cam, sess)).To(BeTrue(), "after %v of regular use", elapsed)
	}
	g.Expect(r.clk.Advance(step + time.Second)).To(Succeed())
	g.Expect(live(r.cam, sess)).To(BeFalse(), "a session ends at MaxSessionAge however much it is used")
}

func TestLogoutEndsTheSession(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	a := login(t, r.cam, "admin", factoryPassword)
	b := login(t, r.cam, "admin", factoryPassword)
	r.cam.Logout(a.Actor, a.Token)
	g.Expect(live(r.cam, a)).To(BeFalse())
	g.Expect(live(r.cam, b)).To(BeTrue(), "only that session ends")
	g.Expect(withAction(entries(t, r.cam), "auth.logout")).To(HaveLen(1))
}

func TestSessionsEndWithTheirAccount(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	admin := login(t, r.cam, "admin", factoryPassword)
	operator := login(t, r.cam, "operator", operatorPassword)

	changeAdminPassword(t, r.cam)
	g.Expect(live(r.cam, admin)).To(BeFalse(), "a password change ends the account's sessions")
	g.Expect(live(r.cam, operator)).To(BeTrue(), "but not other accounts' sessions")

	admin = login(t, r.cam, "admin", newAdminPassword)
	_, err = r.cam.DeleteUser(adminActor(), "operator")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(live(r.cam, operator)).To(BeFalse(), "deleting an account ends its sessions")
	g.Expect(live(r.cam, admin)).To(BeTrue())

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	g.Expect(live(r.cam, admin)).To(BeFalse(), "a reboot ends every session")
}

func TestSessionFollowsTheAccountsLevel(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sess := login(t, r.cam, "admin", factoryPassword)
	who, _, ok := r.cam.SessionActor(sess.Token, "192.0.2.10")
	g.Expect(ok).To(BeTrue())
	g.Expect(who.DefaultPassword).To(BeTrue())

	// Another admin changes the built-in admin's password: its sessions end, so a session can never
	// keep a stale DefaultPassword flag.
	_, err := r.cam.SetPassword(camera.Actor{Name: "root2", Level: users.Admin}, "admin", newAdminPassword)
	g.Expect(err).NotTo(HaveOccurred())
	_, _, ok = r.cam.SessionActor(sess.Token, "192.0.2.10")
	g.Expect(ok).To(BeFalse())
}

func TestAuthenticateAuditsFailuresAndOneLockout(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	const source = "198.51.100.9"
	var err error
	for i := 1; i <= 4; i++ {
		_, err = r.cam.Authenticate("admin", "guess-number-"+string(rune('0'+i)), source)
		g.Expect(err).To(MatchError(users.ErrBadCredentials), "failure %d", i)
	}
	_, err = r.cam.Authenticate("admin", "guess-number-5", source)
	var locked *users.LockedError
	g.Expect(errors.As(err, &locked)).To(BeTrue(), "the fifth failure locks, got %v", err)
	g.Expect(locked.JustLocked).To(BeTrue())
	g.Expect(locked.Until).To(Equal(r.clk.Now().Add(15 * time.Minute)))

	_, err = r.cam.Authenticate("admin", factoryPassword, source)
	g.Expect(errors.As(err, &locked)).To(BeTrue(), "the right password is refused while locked")
	g.Expect(locked.JustLocked).To(BeFalse())

	list := entries(t, r.cam)
	failures := withAction(list, "auth.failure")
	g.Expect(failures).To(HaveLen(6))
	for _, e := range failures[:5] {
		g.Expect(e.Outcome).To(Equal("failed"))
		g.Expect(e.Actor).To(Equal("admin"))
		g.Expect(e.Source).To(Equal(source))
	}
	g.Expect(failures[5].Outcome).To(Equal("denied"))
	lockouts := withAction(list, "auth.lockout")
	g.Expect(lockouts).To(HaveLen(1), "exactly one lockout entry")
	g.Expect(lockouts[0].Target).To(Equal("admin"))
	g.Expect(lockouts[0].Detail).To(HaveKeyWithValue("until", locked.Until.UTC().Format(time.RFC3339)))
	g.Expect(lockouts[0].Seq).To(Equal(failures[4].Seq+1), "logged right after the fifth failure")
	for _, e := range list {
		line, _ := json.Marshal(e)
		g.Expect(string(line)).NotTo(ContainSubstring("guess-number"), "tried passwords are never logged")
		g.Expect(string(line)).NotTo(ContainSubstring(factoryPassword))
	}

	g.Expect(r.clk.Advance(15*time.Minute + time.Second)).To(Succeed())
	who, err := r.cam.Authenticate("admin", factoryPassword, source)
	g.Expect(err).NotTo(HaveOccurred(), "the lock ends after auth.lockout.duration")
	g.Expect(who.Source).To(Equal(source))
	g.Expect(who.DefaultPassword).To(BeTrue())
}
