package users

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestCheckRightsSortsAndRefusesUnknown(t *testing.T) {
	g := NewWithT(t)
	got, err := CheckRights([]string{RightUnmask, RightSupervisor, RightUnmask})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal([]string{RightSupervisor, RightUnmask}))
	_, err = CheckRights([]string{"root"})
	g.Expect(err).To(MatchError(ErrBadRight))
}

func TestSetRightsIsExplicitAndPersisted(t *testing.T) {
	g := NewWithT(t)
	s := factoryStore(t, newFakeClock())
	g.Expect(s.Add("carol", "Sup3rvisor!pass-42", User)).To(Succeed())
	a, _ := s.Get("carol")
	g.Expect(a.Has(RightSupervisor)).To(BeFalse(), "no right unless given")
	admin, _ := s.Get("admin")
	g.Expect(admin.Has(RightUnmask)).To(BeFalse(), "admins included")

	g.Expect(s.SetRights("carol", []string{RightSupervisor})).To(Succeed())
	a, _ = s.Get("carol")
	g.Expect(a.Has(RightSupervisor)).To(BeTrue())
	g.Expect(s.SetRights("carol", []string{"god"})).To(MatchError(ErrBadRight))
	a, _ = s.Get("carol")
	g.Expect(a.Rights).To(Equal([]string{RightSupervisor}), "a refused change changes nothing")
	g.Expect(s.SetRights("nobody", nil)).To(MatchError(ErrNotFound))

	again, err := NewStore(s.clk, DefaultLockout(), s.Records(), &seqRandom{})
	g.Expect(err).NotTo(HaveOccurred())
	a, _ = again.Get("carol")
	g.Expect(a.Has(RightSupervisor)).To(BeTrue(), "rights survive persistence")
}
