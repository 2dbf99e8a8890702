// The camera's tests live in package camera_test: the simulated sensor (sim/sensor) that drives them
// imports package camera, so an in-package test could not use it.
package camera_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/camera"
	"vsslab/camera/audit"
	"vsslab/camera/record"
	"vsslab/camera/settings"
	"vsslab/camera/state"
	"vsslab/camera/tlscert"
	"vsslab/camera/users"
	"vsslab/sim/card"
	simclock "vsslab/sim/clock"
	"vsslab/sim/network"
	"vsslab/sim/sensor"
)

// factoryPassword is the admin password the camera ships with (docs/api.md).
const factoryPassword = "meinsm"

// newAdminPassword passes the policy for a management account.
const newAdminPassword = "Blue#Heron42kite"

// rig is one camera on a state directory of its own, with a virtual clock, a test chart and an
// observing network. open builds another camera on the same directory, as a power cycle would.
type rig struct {
	dir   string
	clk   *simclock.Virtual
	chart *sensor.TestChart
	obs   *network.Observer
	card  *card.Card
	cam   *camera.Camera
}

func newRig(t *testing.T) *rig {
	t.Helper()
	clk := simclock.New(simclock.Epoch())
	chart, err := sensor.NewTestChart(clk, 64, 48, 7)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := card.New(filepath.Join(t.TempDir(), "card"), 64<<20, clk)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{dir: filepath.Join(t.TempDir(), "state"), clk: clk, chart: chart, obs: network.NewObserver(clk), card: sd}
	r.cam = r.open(t)
	return r
}

func (r *rig) config() camera.Config {
	return camera.Config{
		StateDir: r.dir,
		Model:    camera.ModelIoT,
		Serial:   "VSS-TEST-0001",
		Clock:    r.clk,
		Sensor:   r.chart,
		Dialer:   r.obs,
		Hosts:    []string{"127.0.0.1", "localhost"},
		Card:     card.Medium{Card: r.card},
		KDF:      record.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
	}
}

// open starts a new camera on the rig's directory; it is closed when the test ends.
func (r *rig) open(t *testing.T) *camera.Camera {
	t.Helper()
	cam, err := camera.New(r.config())
	if err != nil {
		t.Fatalf("camera.New: %v", err)
	}
	t.Cleanup(func() { _ = cam.Close() })
	return cam
}

// restart closes the rig's camera and opens a brand-new one on the same directory.
func (r *rig) restart(t *testing.T) {
	t.Helper()
	if err := r.cam.Close(); err != nil {
		t.Fatal(err)
	}
	r.cam = r.open(t)
}

func (r *rig) path(name string) string { return filepath.Join(r.dir, name) }

func adminActor() camera.Actor {
	return camera.Actor{Name: "admin", Level: users.Admin, Source: "192.0.2.1"}
}

func userActor() camera.Actor {
	return camera.Actor{Name: "operator", Level: users.User, Source: "192.0.2.2"}
}

func guestActor() camera.Actor {
	return camera.Actor{Name: "viewer", Level: users.Guest, Source: "192.0.2.3"}
}

// entries returns the whole audit log.
func entries(t *testing.T, cam *camera.Camera) []audit.Entry {
	t.Helper()
	list, err := cam.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// withAction keeps the entries of one action.
func withAction(list []audit.Entry, action string) []audit.Entry {
	var out []audit.Entry
	for _, e := range list {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// changeAdminPassword leaves the factory password, which makes every change persist.
func changeAdminPassword(t *testing.T, cam *camera.Camera) {
	t.Helper()
	p, err := cam.SetPassword(adminActor(), "admin", newAdminPassword)
	if err != nil {
		t.Fatalf("set admin password: %v", err)
	}
	if !p.Persisted {
		t.Fatalf("the admin password change was not persisted: %+v", p)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	clk := simclock.New(simclock.Epoch())
	chart, err := sensor.NewTestChart(clk, 64, 48, 1)
	if err != nil {
		t.Fatal(err)
	}
	valid := func(t *testing.T) camera.Config {
		return camera.Config{StateDir: t.TempDir(), Model: camera.ModelMove, Serial: "S1", Clock: clk, Sensor: chart}
	}
	for name, tc := range map[string]struct {
		edit func(*camera.Config)
		want string
	}{
		"empty model":   {func(c *camera.Config) { c.Model = "" }, `model "" is not "iot" or "move"`},
		"unknown model": {func(c *camera.Config) { c.Model = "ptz" }, `model "ptz"`},
		"no serial":     {func(c *camera.Config) { c.Serial = "" }, "no serial number"},
		"no clock":      {func(c *camera.Config) { c.Clock = nil }, "a clock and a sensor are required"},
		"no sensor":     {func(c *camera.Config) { c.Sensor = nil }, "a clock and a sensor are required"},
		"no state dir":  {func(c *camera.Config) { c.StateDir = "" }, "no path given"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			cfg := valid(t)
			tc.edit(&cfg)
			cam, err := camera.New(cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(err.Error()).To(HavePrefix("new camera: "))
			g.Expect(cam).To(BeNil())
		})
	}
	t.Run("valid", func(t *testing.T) {
		g := NewWithT(t)
		cam, err := camera.New(valid(t))
		g.Expect(err).NotTo(HaveOccurred())
		defer cam.Close()
		g.Expect(cam.Model()).To(Equal(camera.ModelMove))
	})
}

func TestBootRefusesCorruptState(t *testing.T) {
	validSettings, err := json.Marshal(settings.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	badLockout := strings.Replace(string(validSettings), `"max_failures":5`, `"max_failures":0`, 1)
	if badLockout == string(validSettings) {
		t.Fatal("test setup: max_failures not found in the settings JSON")
	}
	for name, tc := range map[string]struct {
		file    string
		content string
		corrupt bool // the error is a *state.CorruptError
	}{
		"settings garbage":         {"settings.json", "{not json", true},
		"settings trailing data":   {"settings.json", string(validSettings) + ` {"x":1}`, true},
		"settings unknown key":     {"settings.json", `{"access":{"public":false},"telnet":true}`, true},
		"settings fails Validate":  {"settings.json", badLockout, true},
		"users garbage":            {"users.json", "\x00\x01garbage", true},
		"users without the admin":  {"users.json", `{"accounts":[]}`, true},
		"users with a broken hash": {"users.json", `{"accounts":[{"name":"admin","level":"admin","hash":"plain"}]}`, true},
		"privacy garbage":          {"privacy.json", `{"until":"tomorrow"}`, true},
		"TLS key garbage":          {tlscert.KeyFile, "-----BEGIN EC PRIVATE KEY-----\nbroken\n", false},
		"TLS cert garbage":         {tlscert.CertFile, "not a certificate", false},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			r := newRig(t) // a first boot creates the TLS identity
			g.Expect(r.cam.Close()).To(Succeed())
			path := r.path(tc.file)
			writeFile(t, path, []byte(tc.content))

			cam, err := camera.New(r.config())
			g.Expect(err).To(HaveOccurred())
			g.Expect(cam).To(BeNil())
			g.Expect(err.Error()).To(ContainSubstring(filepath.Base(tc.file)), "the error names the file")
			if tc.corrupt {
				var ce *state.CorruptError
				g.Expect(errors.As(err, &ce)).To(BeTrue(), "error %v is a CorruptError", err)
				g.Expect(ce.Path).To(Equal(path))
			}
			got, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(got)).To(Equal(tc.content), "the corrupt file is left as it was")
		})
	}
}

func TestBootKeepsTLSIdentity(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	fp := r.cam.CertificateSHA256()
	g.Expect(fp).To(HaveLen(64))
	cert := r.cam.Certificate()
	g.Expect(cert).NotTo(BeNil())
	g.Expect(tlscert.Fingerprint(cert.Certificate[0])).To(Equal(fp))

	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	g.Expect(r.cam.CertificateSHA256()).To(Equal(fp), "a reboot keeps the key, even with the factory password")
	r.restart(t)
	g.Expect(r.cam.CertificateSHA256()).To(Equal(fp), "a new start on the same directory keeps the key")
}

func TestDeviceFactoryState(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d).To(Equal(camera.Device{
		Model: camera.ModelIoT, Firmware: camera.FirmwareVersion, Serial: "VSS-TEST-0001",
		FactoryState: true, AdminPasswordDefault: true,
	}))

	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"image":{"brightness":60}}`))
	g.Expect(err).NotTo(HaveOccurred())
	d, err = r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeFalse(), "a changed setting leaves factory state")
	g.Expect(d.AdminPasswordDefault).To(BeTrue())

	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"image":{"brightness":50}}`))
	g.Expect(err).NotTo(HaveOccurred())
	d, err = r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeTrue(), "settings back at their defaults are factory state again")

	changeAdminPassword(t, r.cam)
	d, err = r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.AdminPasswordDefault).To(BeFalse())
	g.Expect(d.FactoryState).To(BeFalse(), "a new admin password is not factory state")
}

func TestSnapshot(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	jpg, err := r.cam.Snapshot(guestActor())
	g.Expect(err).NotTo(HaveOccurred())
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(img.Bounds().Dx()).To(Equal(64))
	g.Expect(img.Bounds().Dy()).To(Equal(48))

	fault := errors.New("sensor unplugged")
	r.chart.Fail(fault)
	_, err = r.cam.Snapshot(guestActor())
	g.Expect(err).To(MatchError(fault))
	g.Expect(err.Error()).To(HavePrefix("capture: "))
}

func TestRebootIsAudited(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
	list := entries(t, r.cam)
	reboots := withAction(list, "system.reboot")
	g.Expect(reboots).To(HaveLen(1))
	g.Expect(reboots[0].Actor).To(Equal("admin"))
	g.Expect(reboots[0].Source).To(Equal("192.0.2.1"))
	g.Expect(withAction(list, "system.start")).To(HaveLen(2), "one start at New, one at the reboot")
	v, err := r.cam.VerifyAudit()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.OK).To(BeTrue(), v.Reason)
}

func TestFactoryReset(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	_, err := r.cam.PatchSettings(adminActor(), []byte(`{"access":{"public":false},"image":{"contrast":10}}`))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = r.cam.SetPrivacy(adminActor(), true)
	g.Expect(err).NotTo(HaveOccurred())
	sess, err := r.cam.Login("admin", newAdminPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred())
	oldFP := r.cam.CertificateSHA256()
	before := entries(t, r.cam)
	g.Expect(withAction(before, "user.password")).To(HaveLen(1))

	g.Expect(r.cam.FactoryReset(adminActor())).To(Succeed())

	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(settings.Defaults()))
	p, err := r.cam.Privacy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Active).To(BeFalse(), "privacy mode is part of the state a reset clears")
	d, err := r.cam.Device()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.FactoryState).To(BeTrue())
	g.Expect(d.AdminPasswordDefault).To(BeTrue())
	_, err = r.cam.Authenticate("admin", newAdminPassword, "192.0.2.1")
	g.Expect(err).To(MatchError(users.ErrBadCredentials), "the old password is gone")
	who, err := r.cam.Authenticate("admin", factoryPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(who.DefaultPassword).To(BeTrue())

	g.Expect(r.cam.CertificateSHA256()).NotTo(Equal(oldFP), "the reset destroys the TLS key")
	g.Expect(tlscert.Fingerprint(r.cam.Certificate().Certificate[0])).To(Equal(r.cam.CertificateSHA256()))
	_, _, ok := r.cam.SessionActor(sess.Token, "192.0.2.1")
	g.Expect(ok).To(BeFalse(), "sessions end at a reset")

	after := entries(t, r.cam)
	g.Expect(len(after)).To(BeNumerically(">", len(before)))
	g.Expect(after[:len(before)]).To(Equal(before), "the audit log is kept as it was")
	resets := withAction(after[len(before):], "system.factory_reset")
	g.Expect(resets).To(HaveLen(1))
	g.Expect(resets[0].Actor).To(Equal("admin"))
	v, err := r.cam.VerifyAudit()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.OK).To(BeTrue(), v.Reason)

	// The reset is stored: a new start on the directory is in factory state with the new key.
	fp := r.cam.CertificateSHA256()
	r.restart(t)
	s, err = r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(settings.Defaults()))
	g.Expect(r.cam.CertificateSHA256()).To(Equal(fp))
	g.Expect(entries(t, r.cam)[:len(before)]).To(Equal(before))
}

func TestHaltedCameraRefusesEverythingUntilReset(t *testing.T) {
	g := NewWithT(t)
	r := newRig(t)
	changeAdminPassword(t, r.cam)
	writeFile(t, r.path("settings.json"), []byte("{corrupt"))

	err := r.cam.Reboot(adminActor())
	g.Expect(err).To(HaveOccurred())
	var ce *state.CorruptError
	g.Expect(errors.As(err, &ce)).To(BeTrue())
	g.Expect(ce.Path).To(Equal(r.path("settings.json")))

	halted := func(name string, err error) {
		t.Helper()
		g.Expect(err).To(MatchError(camera.ErrHalted), name)
		g.Expect(err.Error()).To(ContainSubstring("settings.json"), name+" says why")
	}
	_, err = r.cam.Settings()
	halted("Settings", err)
	_, err = r.cam.PatchSettings(adminActor(), []byte(`{"image":{"brightness":1}}`))
	halted("PatchSettings", err)
	_, err = r.cam.Users()
	halted("Users", err)
	_, err = r.cam.AddUser(adminActor(), "operator", "Quiet-River-88", users.User)
	halted("AddUser", err)
	_, err = r.cam.DeleteUser(adminActor(), "operator")
	halted("DeleteUser", err)
	_, err = r.cam.SetPassword(adminActor(), "admin", "Other#Heron42kite")
	halted("SetPassword", err)
	_, err = r.cam.Privacy()
	halted("Privacy", err)
	_, err = r.cam.SetPrivacy(adminActor(), true)
	halted("SetPrivacy", err)
	_, err = r.cam.Snapshot(adminActor())
	halted("Snapshot", err)
	_, err = r.cam.SearchRecordings(adminActor(), time.Time{}, time.Time{})
	halted("SearchRecordings", err)
	_, err = r.cam.Authenticate("admin", newAdminPassword, "192.0.2.1")
	halted("Authenticate", err)
	_, err = r.cam.Login("admin", newAdminPassword, "192.0.2.1")
	halted("Login", err)
	_, err = r.cam.Device()
	halted("Device", err)
	_, err = r.cam.PublicAccess()
	halted("PublicAccess", err)
	_, err = r.cam.CheckForUpdate(adminActor())
	halted("CheckForUpdate", err)
	halted("Reboot", r.cam.Reboot(adminActor()))
	_, _, ok := r.cam.SessionActor("anything", "192.0.2.1")
	g.Expect(ok).To(BeFalse())
	g.Expect(r.obs.Attempts()).To(BeEmpty())

	got, err := os.ReadFile(r.path("settings.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("{corrupt"), "the halted camera does not overwrite the corrupt file")

	g.Expect(r.cam.FactoryReset(adminActor())).To(Succeed())
	s, err := r.cam.Settings()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s).To(Equal(settings.Defaults()))
	_, err = r.cam.Authenticate("admin", factoryPassword, "192.0.2.1")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.cam.Reboot(adminActor())).To(Succeed())
}
