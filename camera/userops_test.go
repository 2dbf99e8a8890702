package camera_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/users"
)

const operatorPassword = "Quiet-River-88"

func TestUsersListsAccountsWithoutSecrets(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	list, err := r.cam.Users()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(Equal([]camera.Account{{Name: "admin", Level: users.Admin, DefaultPassword: true, Rights: []string{}}}))

	_, err = r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	list, err = r.cam.Users()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(Equal([]camera.Account{
		{Name: "admin", Level: users.Admin, DefaultPassword: true, Rights: []string{}},
		{Name: "operator", Level: users.User, Rights: []string{}},
	}))
	b, err := json.Marshal(list)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(b)).NotTo(ContainSubstring("argon2"))
	g.Expect(string(b)).NotTo(ContainSubstring(operatorPassword))
}

func TestAddUser(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	p, err := r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Persisted).To(BeFalse(), "not persisted while the admin password is the factory one")
	who, err := r.cam.Authenticate("operator", operatorPassword, "192.0.2.2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(who).To(Equal(camera.Actor{Name: "operator", Level: users.User, Source: "192.0.2.2"}))

	_, err = r.cam.AddUser(adminActor(), "operator", operatorPassword+"x", users.Guest)
	g.Expect(err).To(MatchError(users.ErrExists))

	created := withAction(entries(t, r.cam), "user.create")
	g.Expect(created).To(HaveLen(2))
	g.Expect(created[0].Outcome).To(Equal("ok"))
	g.Expect(created[0].Target).To(Equal("operator"))
	g.Expect(created[0].Detail).To(Equal(map[string]string{"level": "user", "persisted": "false"}))
	g.Expect(created[1].Outcome).To(Equal("failed"))

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	_, err = r.cam.Authenticate("operator", operatorPassword, "192.0.2.2")
	g.Expect(err).To(MatchError(users.ErrBadCredentials), "the unpersisted account is gone after a reboot")
}

func TestAddUserRefusesBadPasswordsAndChangesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		user, password, code string
		level                users.Level
	}{
		"factory password": {"operator", "xMEINSMx-1", "default_password", users.User},
		"too short":        {"operator", "Ab1!", "too_short", users.User},
		"contains name":    {"operator", "Operator#2026", "contains_name", users.User},
		"missing a class":  {"operator", "quiet-river-88", "missing_class", users.User},
		"weak":             {"viewer", "password1", "weak_password", users.Guest},
		"bad name":         {"Bad Name", operatorPassword, "invalid_name", users.User},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			r := newRig(t)
			_, err := r.cam.AddUser(adminActor(), tc.user, tc.password, tc.level)
			var pe *users.PolicyError
			g.Expect(errors.As(err, &pe)).To(BeTrue(), "got %v", err)
			g.Expect(pe.Code).To(Equal(tc.code))
			g.Expect(err.Error()).NotTo(ContainSubstring(tc.password))
			list, err := r.cam.Users()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(list).To(HaveLen(1))
			for _, e := range entries(t, r.cam) {
				line, _ := json.Marshal(e)
				g.Expect(string(line)).NotTo(ContainSubstring(tc.password), "the audit log never holds a password")
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.DeleteUser(adminActor(), "admin")
	g.Expect(err).To(MatchError(users.ErrBuiltInAdmin))
	_, err = r.cam.DeleteUser(adminActor(), "nobody")
	g.Expect(err).To(MatchError(users.ErrNotFound))

	_, err = r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	p, err := r.cam.DeleteUser(adminActor(), "operator")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Persisted).To(BeFalse())
	list, err := r.cam.Users()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(HaveLen(1))

	deleted := withAction(entries(t, r.cam), "user.delete")
	g.Expect(deleted).To(HaveLen(3))
	g.Expect([]string{deleted[0].Outcome, deleted[1].Outcome, deleted[2].Outcome}).To(Equal([]string{"failed", "failed", "ok"}))
	g.Expect(deleted[2].Target).To(Equal("operator"))
}

func TestDeletedUserStaysDeletedAfterPersisting(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	p, err := r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Persisted).To(BeTrue())
	r.restart(t)
	list, err := r.cam.Users()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(HaveLen(2), "the account was stored")

	p, err = r.cam.DeleteUser(adminActor(), "operator")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Persisted).To(BeTrue())
	r.restart(t)
	list, err = r.cam.Users()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(Equal([]camera.Account{{Name: "admin", Level: users.Admin, Rights: []string{}}}))
}

func TestSetPasswordOfAnotherAccountNeedsAdmin(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.SetPassword(userActor(), "admin", "Taken#Over99z")
	var fe *camera.ForbiddenError
	g.Expect(errors.As(err, &fe)).To(BeTrue(), "got %v", err)
	g.Expect(fe.Need).To(Equal(users.Admin))
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.AdminPasswordDefault).To(BeTrue(), "the admin password is unchanged")
	_, err = r.cam.Authenticate("admin", factoryPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred())

	denied := withAction(entries(t, r.cam), "user.password")
	g.Expect(denied).To(HaveLen(1))
	g.Expect(denied[0].Outcome).To(Equal("denied"))
	g.Expect(denied[0].Actor).To(Equal("operator"))
	g.Expect(denied[0].Target).To(Equal("admin"))
}

func TestSetPasswordOwnAccount(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.AddUser(adminActor(), "operator", operatorPassword, users.User)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.SetPassword(userActor(), "operator", "Still#Water77b")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.Authenticate("operator", operatorPassword, "192.0.2.2")
	g.Expect(err).To(MatchError(users.ErrBadCredentials), "the old password stops working")
	_, err = r.cam.Authenticate("operator", "Still#Water77b", "192.0.2.2")
	g.Expect(err).NotTo(HaveOccurred())
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.AdminPasswordDefault).To(BeTrue(), "another account's password does not unlock persistence")
}

func TestSetPasswordRefusals(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	for password, code := range map[string]string{
		factoryPassword:        "default_password",
		"Admin#Password1":      "contains_name",
		"no-upper-case-1":      "missing_class",
		strings.Repeat("x", 7): "too_short",
	} {
		p, err := r.cam.SetPassword(adminActor(), "admin", password)
		var pe *users.PolicyError
		g.Expect(errors.As(err, &pe)).To(BeTrue(), "%q: got %v", password, err)
		g.Expect(pe.Code).To(Equal(code), password)
		g.Expect(p.Persisted).To(BeFalse())
	}
	_, err := r.cam.SetPassword(adminActor(), "nobody", newAdminPassword)
	g.Expect(err).To(MatchError(users.ErrNotFound))
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.AdminPasswordDefault).To(BeTrue())
	for _, e := range withAction(entries(t, r.cam), "user.password") {
		g.Expect(e.Outcome).To(Equal("failed"))
	}
}

func TestPasswordChangeThatCannotBeSavedChangesNothing(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	blockStateFile(t, r.path("users.json"))

	_, err := r.cam.SetPassword(adminActor(), "admin", "Other#Heron42kite")
	g.Expect(err).To(MatchError(ContainSubstring("save users")))
	_, err = r.cam.Authenticate("admin", newAdminPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred(), "the password that is stored still works")
	_, err = r.cam.Authenticate("admin", "Other#Heron42kite", "192.0.2.1")
	g.Expect(err).To(MatchError(users.ErrBadCredentials))
}
