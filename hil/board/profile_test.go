package board

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/fixtures"
)

const goodYAML = `name: bench-1
i2c: I2C1
sensor:
  model: ov5640
  address: 0x3c
video: /dev/video0
lines:
  led: GPIO17
  mic_enable: GPIO27
  debug_enable: GPIO22
  motion_in: GPIO23
probes:
  probe_mic: GPIO5
`

func TestParseGoodProfile(t *testing.T) {
	g := NewWithT(t)
	p, err := Parse([]byte(goodYAML))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(Equal(Profile{
		Name: "bench-1", I2C: "I2C1", Sensor: Sensor{Model: "ov5640", Addr: 0x3C}, Video: "/dev/video0",
		Lines:  map[string]string{"led": "GPIO17", "mic_enable": "GPIO27", "debug_enable": "GPIO22", "motion_in": "GPIO23"},
		Probes: map[string]string{"probe_mic": "GPIO5"},
	}))
	g.Expect(p.GPIOs()).To(Equal([]string{"GPIO17", "GPIO27", "GPIO22", "GPIO23", "GPIO5"}))
	p, err = Parse([]byte(strings.Replace(goodYAML, "i2c: I2C1", "i2c: 1", 1)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.I2C).To(Equal("1"), "a bus number, as i2creg.Open takes it")
}

func TestProfileMayNameAResetButton(t *testing.T) {
	g := NewWithT(t)
	p, err := Parse([]byte(goodYAML))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Roles()).To(Equal(LineRoles()), "a board without a button")
	p, err = Parse([]byte(strings.Replace(goodYAML, "  motion_in: GPIO23\n", "  motion_in: GPIO23\n  reset_in: GPIO4\n", 1)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Roles()).To(Equal(append(LineRoles(), LineResetIn)))
	g.Expect(p.GPIOs()).To(Equal([]string{"GPIO17", "GPIO27", "GPIO22", "GPIO23", "GPIO4", "GPIO5"}))
	_, err = Parse([]byte(strings.Replace(goodYAML, "  motion_in: GPIO23\n", "  motion_in: GPIO23\n  reset_in: GPIO5\n", 1)))
	g.Expect(err).To(MatchError(ContainSubstring("GPIO5 is already used by reset_in")), "a button on a probe's wire")
	bad := p
	bad.Lines = map[string]string{"led": "GPIO17", "mic_enable": "GPIO27", "debug_enable": "GPIO22", "motion_in": "GPIO23", "reset": "GPIO4"}
	g.Expect(bad.Validate()).To(MatchError(ContainSubstring("unknown line; the lines are led, mic_enable, debug_enable, motion_in, reset_in")))
}

func TestProfileNamesTheCardsMountPoint(t *testing.T) {
	g := NewWithT(t)
	withCard := func(card string) string {
		return strings.Replace(goodYAML, "video: /dev/video0\n", "video: /dev/video0\ncard: "+card+"\n", 1)
	}
	p, err := Parse([]byte(withCard("/mnt/vsslab-card")))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Card).To(Equal("/mnt/vsslab-card"))
	for _, bad := range []string{"mnt/card", "/", "/mnt/../etc", "/mnt/card/", "'/mnt/a card'"} {
		_, err := Parse([]byte(withCard(bad)))
		var fe *FieldError
		g.Expect(errors.As(err, &fe)).To(BeTrue(), "%q: %v", bad, err)
		g.Expect(fe.Field).To(Equal("card"), "%q", bad)
		g.Expect(fe.Line).To(Equal(7), "%q", bad)
	}
}

func TestEmbeddedProfiles(t *testing.T) {
	g := NewWithT(t)
	names, err := fs.Glob(fixtures.Boards(), "*.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(ConsistOf("sim-ov5640.yaml", "rpi-ov5640.yaml"))
	sim, err := Load(fixtures.Boards(), "sim-ov5640")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sim.Name).To(Equal("sim-ov5640"))
	g.Expect(sim.Probes).To(HaveKey("card_power"))
	rpi, err := LoadFile("rpi-ov5640") // no such file here: the embedded profile
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rpi.I2C).To(Equal("I2C1"))
	g.Expect(rpi.Lines[LineLED]).To(Equal("GPIO17"))
	g.Expect(rpi.Lines[LineResetIn]).To(Equal("GPIO4"), "the bench presses the camera's own button line")
	g.Expect(sim.Roles()).To(ContainElement(LineResetIn))
	g.Expect(rpi.Video).To(Equal("/dev/video0"))
	g.Expect(rpi.Card).To(Equal("/mnt/vsslab-card"))

	path := filepath.Join(t.TempDir(), "mine.yaml")
	g.Expect(os.WriteFile(path, []byte(goodYAML), 0o644)).To(Succeed())
	p, err := LoadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Name).To(Equal("bench-1"))
	_, err = LoadFile(filepath.Join(t.TempDir(), "none.yaml"))
	g.Expect(errors.Is(err, fs.ErrNotExist)).To(BeTrue())
}

func TestParseNamesFieldAndLine(t *testing.T) {
	for _, c := range []struct {
		from, to, field string
		line            int
	}{
		{"video: /dev/video0\n", "video: /dev/video0\nvidoe: x\n", "vidoe", 7},
		{"  led: GPIO17\n", "  led: GPIO17\n  leds: GPIO18\n", "lines.leds", 9},
		{"  led: GPIO17\n", "", "lines.led", 7},
		{"  address: 0x3c", "  address: 0x3c0", "sensor.address", 5},
		{"  address: 0x3c", "  address: sixty", "sensor.address", 5},
		{"  model: ov5640", "  model: imx219", "sensor.model", 4},
		{"  mic_enable: GPIO27", "  mic_enable: GPIO17", "lines.mic_enable", 9},
		{"  probe_mic: GPIO5", "  probe_mic: GPIO 5", "probes.probe_mic", 13},
		{"  probe_mic: GPIO5", "  Probe: GPIO5", "probes.Probe", 13},
		{"  probe_mic: GPIO5", "  probe_mic: GPIO23", "probes.probe_mic", 13},
		{"i2c: I2C1", "i2c: 'bus:1'", "i2c", 2},
		{"name: bench-1", "name: Bench 1", "name", 1},
		{"video: /dev/video0", "video: video0", "video", 6},
		{"name: bench-1", "name: [a]", "name", 1},
		{"name: bench-1", "name: bench-1\nname: x", "name", 2},
	} {
		data := strings.Replace(goodYAML, c.from, c.to, 1)
		_, err := Parse([]byte(data))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Line != c.line || fe.Problem == "" {
			t.Errorf("%q -> %q: got %v, want field %s at line %d", c.from, c.to, err, c.field, c.line)
		}
	}
	for _, data := range []string{"", "a: 1\n---\nb: 2\n", "[1]", "name: &a x\ni2c: *a\n"} {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("Parse(%q) succeeded", data)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodYAML))
	for _, n := range []string{"sim-ov5640", "rpi-ov5640"} {
		data, err := fs.ReadFile(fixtures.Boards(), n+".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("{name: x, i2c: 1, sensor: {model: ov5640, address: 8}, lines: {led: a, mic_enable: b, debug_enable: c, motion_in: d}, probes: {}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		p2, err2 := Parse(data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(p, p2) {
			t.Fatalf("Parse is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) && (fe.Problem == "" || fe.Field == "") {
				t.Fatalf("field error without a field or problem: %#v", fe)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid profile: %v", err)
		}
		if len(p.GPIOs()) != len(p.Lines)+len(p.Probes) || len(p.Roles()) != len(p.Lines) {
			t.Fatalf("GPIOs %v do not cover the lines and probes", p.GPIOs())
		}
	})
}
