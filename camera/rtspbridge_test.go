package camera_test

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera/rtsp"
	"vsslab/camera/users"
)

func TestRTSPViewersAndLogins(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	stream, auth := r.cam.RTSP()
	g.Expect(stream.FrameRate()).To(BeNumerically(">", 0))
	w, h := stream.Size()
	g.Expect([]int{w, h}).To(Equal([]int{64, 48}))
	g.Expect(stream.Audio()).To(BeFalse(), "microphone off in factory state")

	anon, err := auth.Anonymous("192.0.2.9")
	g.Expect(err).NotTo(HaveOccurred(), "public access is on in factory state")
	g.Expect(anon.MaxFPS).To(Equal(1.0), "anonymous viewers get the guest frame rate")

	admin, err := auth.Basic("admin", factoryPassword, "192.0.2.9")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(admin.MaxFPS).To(BeZero(), "an admin is not limited")

	right := users.DigestHA1("admin", factoryPassword)
	v, err := auth.Digest("admin", "192.0.2.9", func(ha1 string) bool { return ha1 == right })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Name).To(Equal("admin"))

	changeAdminPassword(t, r.cam)
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"access":{"public":false}}`))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = auth.Anonymous("192.0.2.9")
	g.Expect(err).To(HaveOccurred(), "public access is off")

	wrong := func(string) bool { return false }
	for range 4 {
		_, err = auth.Digest("admin", "192.0.2.9", wrong)
		g.Expect(err).To(HaveOccurred())
	}
	_, err = auth.Digest("admin", "192.0.2.9", wrong)
	g.Expect(errors.Is(err, rtsp.ErrLocked)).To(BeTrue(), "the fifth failure locks, as on the API")
	_, err = auth.Basic("admin", newAdminPassword, "192.0.2.9")
	g.Expect(errors.Is(err, rtsp.ErrLocked)).To(BeTrue(), "the lock is the account's")
	g.Expect(withAction(entries(t, r.cam), "auth.lockout")).To(HaveLen(1))
}
