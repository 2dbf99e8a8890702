package camera_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
)

type toneMic struct{ reads int }

func (m *toneMic) Read(from, to time.Time) ([]byte, error) {
	m.reads++
	return make([]byte, int(to.Sub(from)/time.Millisecond)*8), nil
}

func TestStreamDeliversFramesOnlyWhenTimeMovesAndSomeoneWatches(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sub, err := r.cam.Subscribe(false)
	g.Expect(err).NotTo(HaveOccurred())
	defer sub.Close()
	// The frame due at this very instant may come; after it, nothing while virtual time stands still.
	select {
	case f := <-sub.Frames():
		g.Expect(f.Captured).To(Equal(r.clk.Now()))
	case <-time.After(time.Second):
	}
	g.Consistently(sub.Frames(), "50ms").ShouldNot(Receive(), "no frame while virtual time stands still")
	g.Expect(sub.Audio()).To(BeNil(), "no audio asked for")

	var got []camera.EncodedFrame
	for range 3 {
		g.Expect(r.clk.Advance(time.Second / camera.FrameRate)).To(Succeed())
		var f camera.EncodedFrame
		g.Eventually(sub.Frames(), "5s").Should(Receive(&f))
		got = append(got, f)
	}
	g.Expect(got[1].Captured.Sub(got[0].Captured)).To(Equal(time.Second / camera.FrameRate))
	// The payloads are RFC 2435 payloads within the MTU: the first carries the main header and the
	// quantisation tables (type 1 + 64 for restart markers, Q 255).
	g.Expect(got[0].Payloads).NotTo(BeEmpty())
	for _, p := range got[0].Payloads {
		g.Expect(len(p)).To(BeNumerically("<=", camera.StreamMTU))
	}
	first := got[0].Payloads[0]
	g.Expect(first[4]).To(Equal(byte(65)), "type 1 (4:2:0) with restart markers")
	g.Expect(first[5]).To(Equal(byte(255)), "quantisation tables in-band")
}

func TestStreamIsRefusedAndEndedByPrivacyMode(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sub, err := r.cam.Subscribe(false)
	g.Expect(err).NotTo(HaveOccurred())
	ended := make(chan struct{})
	r.cam.OnPrivacy(func() { close(ended) })
	_, err = r.cam.SetPrivacy(userActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(ended).Should(BeClosed(), "the hook ran")
	// Frames already queued may still be read; then the channel must be closed.
	g.Eventually(func() bool {
		_, open := <-sub.Frames()
		return open
	}).Should(BeFalse(), "the running subscription was closed")
	_, err = r.cam.Subscribe(false)
	g.Expect(errors.Is(err, camera.ErrPrivacyMode)).To(BeTrue())
	g.Expect(r.cam.StreamAllowed()).To(MatchError(camera.ErrPrivacyMode))
}

func TestAudioOnlyWhileTheMicrophoneIsOn(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	mic := &toneMic{}
	cfg := r.config()
	cfg.Microphone = mic
	g.Expect(r.cam.Close()).To(Succeed())
	cam, err := camera.New(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	defer cam.Close()

	g.Expect(cam.AudioOn()).To(BeFalse())
	off, err := cam.Subscribe(true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(off.Audio()).To(BeNil(), "asking for audio with the microphone off gets none")
	off.Close()

	_, err = cam.PatchSettings(adminActor(), []byte(`{"microphone":{"enabled":true}}`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cam.AudioOn()).To(BeTrue())
	on, err := cam.Subscribe(true)
	g.Expect(err).NotTo(HaveOccurred())
	defer on.Close()
	g.Expect(on.Audio()).NotTo(BeNil())
	g.Expect(r.clk.Advance(time.Second / camera.FrameRate)).To(Succeed())
	var chunk camera.AudioChunk
	g.Eventually(on.Audio(), "5s").Should(Receive(&chunk))
	g.Expect(chunk.PCMU).NotTo(BeEmpty())
	g.Expect(mic.reads).To(BeNumerically(">=", 1))
}

func TestRebootEndsRunningStreams(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	sub, err := r.cam.Subscribe(false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	g.Eventually(func() bool {
		select {
		case _, open := <-sub.Frames():
			return !open
		default:
			return false
		}
	}).Should(BeTrue(), "the subscription was closed by the reboot")
}
