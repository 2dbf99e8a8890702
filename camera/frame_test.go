package camera_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/ptz"
	"vsslab/camera/settings"
)

func decodeSnapshot(t *testing.T, cam *camera.Camera) *image.YCbCr {
	t.Helper()
	jpg, err := cam.Snapshot(guestActor())
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	return img.(*image.YCbCr)
}

func TestMasksApplyToTheNextSnapshot(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	before := decodeSnapshot(t, r.cam)
	_, err := r.cam.PatchSettings(userActor(), []byte(`{"masks":[{"id":"all","rect":[0,0,1,1],"style":"color","color":"#000000"}]}`))
	g.Expect(err).NotTo(HaveOccurred())
	after := decodeSnapshot(t, r.cam)
	g.Expect(after.Y).NotTo(Equal(before.Y))
	for _, v := range after.Y {
		g.Expect(v).To(BeNumerically("<=", 2), "the whole frame is black")
	}
	// After a restart the very first snapshot is masked too.
	changeAdminPassword(t, r.cam)
	_, err = r.cam.PatchSettings(userActor(), []byte(`{"masks":[{"id":"all","rect":[0,0,1,1],"style":"color","color":"#000000"}]}`))
	g.Expect(err).NotTo(HaveOccurred())
	r.restart(t)
	for _, v := range decodeSnapshot(t, r.cam).Y {
		g.Expect(v).To(BeNumerically("<=", 2))
	}
}

func TestPTZOnlyOnTheMoveModel(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	_, err := r.cam.View()
	g.Expect(errors.Is(err, camera.ErrUnsupported)).To(BeTrue())
	_, err = r.cam.SetView(userActor(), ptz.Home())
	g.Expect(errors.Is(err, camera.ErrUnsupported)).To(BeTrue())

	g.Expect(r.cam.Close()).To(Succeed())
	cfg := r.config()
	cfg.Model = camera.ModelMove
	move, err := camera.New(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	defer move.Close()
	v, err := move.View()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(ptz.Home()), "power-on view")
	_, err = move.SetView(userActor(), ptz.View{Pan: 0.5, Tilt: 0.5, Zoom: 99})
	var fe *settings.FieldError
	g.Expect(errors.As(err, &fe)).To(BeTrue())
	g.Expect(fe.Key).To(Equal("zoom"))
	got, err := move.SetView(userActor(), ptz.View{Pan: 0.7, Tilt: 0.4, Zoom: 2})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Zoom).To(Equal(2.0))
	g.Expect(withAction(entries(t, move), "ptz.move")).To(HaveLen(1))
	geo, err := move.Geometry()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(geo.FrameW).To(Equal(64))

	// The move model's zones are colour areas only.
	_, err = move.PatchSettings(userActor(), []byte(`{"masks":[{"id":"p","rect":[0,0,0.5,0.5],"style":"pixelate","tile":16}]}`))
	g.Expect(errors.As(err, &fe)).To(BeTrue())
	g.Expect(fe.Key).To(Equal("masks[0].style"))
}
