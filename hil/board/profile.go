// Package board describes and opens a camera board: a profile (fixtures/boards/NAME.yaml) names the
// board's I2C bus, its sensor and its GPIO lines as periph knows them, and Open finds them through
// periph's registries (i2creg, gpioreg). A real board's drivers register there after host.Init; the
// virtual board of sim/board registers there itself; Open cannot tell which, and that is the point.
package board

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"vsslab/fixtures"
)

// The camera's line roles, as profile fields and as the names Board.Line takes.
const (
	LineLED         = "led"
	LineMicEnable   = "mic_enable"
	LineDebugEnable = "debug_enable"
	LineMotionIn    = "motion_in"
)

// The bench's control lines, by their names in a profile's probes:, outputs of the harness host:
// reset_button is wired to the camera's reset_in line beside its button (high = pressed), power
// switches the board's supply (high = powered).
const (
	ProbeResetButton = "reset_button"
	ProbePower       = "power"
)

// ProbeCardPower is the probe line that switches the camera's memory card's supply (high = powered):
// an output of the bench, so that a card that vanishes, as a dead or pulled card does, is a fault a
// bench can make on command. The virtual board's card follows it too.
const ProbeCardPower = "card_power"

// LineResetIn is the camera's factory-reset button, an input (high while pressed). It is optional:
// a board without a button has no such line. On a bench the probe reset_button drives it.
const LineResetIn = "reset_in"

// LineRoles lists the camera's line roles every profile has, in the order a profile and a probe show
// them.
func LineRoles() []string {
	return []string{LineLED, LineMicEnable, LineDebugEnable, LineMotionIn}
}

// OptionalLineRoles lists the camera's line roles a board may lack.
func OptionalLineRoles() []string {
	return []string{LineResetIn}
}

// Roles lists the camera's line roles this profile has: every one of LineRoles, then the optional
// ones it names.
func (p Profile) Roles() []string {
	roles := LineRoles()
	for _, r := range OptionalLineRoles() {
		if _, ok := p.Lines[r]; ok {
			roles = append(roles, r)
		}
	}
	return roles
}

// SensorOV5640 is the one sensor model a profile can name today.
const SensorOV5640 = "ov5640"

// Profile is one board as written in fixtures/boards/NAME.yaml. It is plain data so that tests can
// build one; Validate checks it as Parse does.
type Profile struct {
	// Name is the profile's name, lower-case letters, digits, '-' and '_'.
	Name string
	// I2C is the bus name as periph's i2creg knows it ("I2C1" on a Raspberry Pi, or its number "1").
	I2C string
	// Sensor is the model ("ov5640") and its 7-bit I2C address.
	Sensor Sensor
	// Video is the video device frames come from on a real board (/dev/video0); empty for none. The
	// virtual board takes its frames from the simulated sensor and ignores it.
	Video string
	// Card is the mount point of the memory card the camera records to on a real board
	// (/mnt/vsslab-card); empty for a board without one. The virtual board has the simulated world's
	// card and ignores it.
	Card string
	// Lines maps each camera line role (LineRoles) to a GPIO name as gpioreg knows it ("GPIO17").
	Lines map[string]string
	// Probes maps the bench's probe and fault lines (probe_mic, card_power, …) to GPIO names.
	Probes map[string]string
}

// Sensor is the image sensor on a board.
type Sensor struct {
	Model string
	Addr  uint16
}

// FieldError is a profile field that is missing, malformed or out of range. Field is the path as the
// YAML writes it ("lines.led"); Line is the line in the file (0 for a Profile built in code).
type FieldError struct {
	Field   string
	Line    int
	Problem string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Problem)
	}
	return e.Field + ": " + e.Problem
}

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	probeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	// periphRE is what a periph bus or pin name may be: no spaces, no ':' (i2creg refuses it).
	periphRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	videoRE  = regexp.MustCompile(`^/dev/[A-Za-z0-9_./-]{1,64}$`)
	cardRE   = regexp.MustCompile(`^/[A-Za-z0-9_./-]{1,128}$`)
)

const (
	maxProbes   = 32
	maxFileSize = 64 << 10
)

// Parse reads one profile strictly: unknown or repeated fields, aliases, several documents and bad
// values are refused with a *FieldError naming the field and its line, because a typo in a pin name
// would otherwise make a bench scenario watch the wrong wire.
func Parse(data []byte) (Profile, error) {
	if len(data) > maxFileSize {
		return Profile{}, fmt.Errorf("board profile: larger than %d bytes", maxFileSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Profile{}, &FieldError{Field: "document", Problem: "is empty"}
		}
		return Profile{}, fmt.Errorf("parse YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Profile{}, &FieldError{Field: "document", Line: extra.Line, Problem: "must be a single YAML document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return Profile{}, &FieldError{Field: "document", Problem: "is empty"}
	}
	w := walker{lines: map[string]int{}}
	p, err := w.profile(doc.Content[0])
	if err != nil {
		return Profile{}, err
	}
	if err := p.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			// A missing field has no line of its own: point at the mapping it is missing from.
			for f := fe.Field; fe.Line == 0 && f != ""; {
				fe.Line = w.lines[f]
				i := strings.LastIndexByte(f, '.')
				f = f[:max(i, 0)]
			}
		}
		return Profile{}, err
	}
	return p, nil
}

// LoadFile reads the profile at path; if there is no such file and path is a plain name, it reads the
// embedded fixtures/boards/NAME.yaml, so an installed vsslab knows its documented boards.
func LoadFile(path string) (Profile, error) {
	data, err := readLimited(func() (fs.File, error) { return os.Open(path) })
	if errors.Is(err, fs.ErrNotExist) && nameRE.MatchString(path) {
		return Load(fixtures.Boards(), path)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("board profile %s: %w", path, err)
	}
	p, err := Parse(data)
	if err != nil {
		return Profile{}, fmt.Errorf("board profile %s: %w", path, err)
	}
	return p, nil
}

// Load reads NAME.yaml from fsys (fixtures.Boards() in the harness).
func Load(fsys fs.FS, name string) (Profile, error) {
	if !nameRE.MatchString(name) {
		return Profile{}, fmt.Errorf("board profile %q: not a profile name", name)
	}
	data, err := readLimited(func() (fs.File, error) { return fsys.Open(name + ".yaml") })
	if err != nil {
		return Profile{}, fmt.Errorf("board profile %q: %w", name, err)
	}
	p, err := Parse(data)
	if err != nil {
		return Profile{}, fmt.Errorf("board profile %q: %w", name, err)
	}
	return p, nil
}

// readLimited reads what open opens, refusing more than maxFileSize bytes.
func readLimited(open func() (fs.File, error)) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// Validate checks a profile's values; errors name the field as the YAML writes it.
func (p Profile) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !nameRE.MatchString(p.Name) {
		return bad("name", "must be 1 to 64 lower-case letters, digits, '-' or '_', not %q", p.Name)
	}
	if !periphRE.MatchString(p.I2C) {
		return bad("i2c", "must be an I2C bus name as periph knows it (I2C1, or its number), not %q", p.I2C)
	}
	if p.Sensor.Model != SensorOV5640 {
		return bad("sensor.model", "must be %q, not %q", SensorOV5640, p.Sensor.Model)
	}
	if p.Sensor.Addr < 0x08 || p.Sensor.Addr > 0x77 {
		return bad("sensor.address", "must be a 7-bit I2C address 0x08..0x77, not 0x%X", p.Sensor.Addr)
	}
	if p.Video != "" && !videoRE.MatchString(p.Video) {
		return bad("video", "must be a device path such as /dev/video0, not %q", p.Video)
	}
	if p.Card != "" && (!cardRE.MatchString(p.Card) || filepath.Clean(p.Card) != p.Card) {
		return bad("card", "must be the card's mount point, an absolute directory such as /mnt/vsslab-card, not %q", p.Card)
	}
	used := map[string]string{}
	for _, role := range p.Roles() {
		gpio, ok := p.Lines[role]
		if !ok {
			return bad("lines."+role, "is missing")
		}
		if !periphRE.MatchString(gpio) {
			return bad("lines."+role, "must be a GPIO name as periph knows it (GPIO17), not %q", gpio)
		}
		if other, dup := used[gpio]; dup {
			return bad("lines."+role, "%s is already lines.%s", gpio, other)
		}
		used[gpio] = role
	}
	known := append(LineRoles(), OptionalLineRoles()...)
	for role := range p.Lines {
		if !slices.Contains(known, role) {
			return bad("lines."+role, "unknown line; the lines are %s", strings.Join(known, ", "))
		}
	}
	if len(p.Probes) > maxProbes {
		return bad("probes", "must list at most %d lines, not %d", maxProbes, len(p.Probes))
	}
	for _, name := range p.ProbeNames() {
		gpio := p.Probes[name]
		if !probeRE.MatchString(name) {
			return bad("probes."+name, "a probe name must be lower-case letters, digits and '_', starting with a letter")
		}
		if !periphRE.MatchString(gpio) {
			return bad("probes."+name, "must be a GPIO name as periph knows it (GPIO5), not %q", gpio)
		}
		if other, dup := used[gpio]; dup {
			return bad("probes."+name, "%s is already used by %s", gpio, other)
		}
		used[gpio] = name
	}
	return nil
}

// ProbeNames lists the probe lines' names, sorted.
func (p Profile) ProbeNames() []string {
	names := make([]string, 0, len(p.Probes))
	for n := range p.Probes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// GPIOs lists every GPIO name the profile uses: the camera's lines in Roles order, then the probes in
// name order.
func (p Profile) GPIOs() []string {
	var out []string
	for _, r := range p.Roles() {
		out = append(out, p.Lines[r])
	}
	for _, n := range p.ProbeNames() {
		out = append(out, p.Probes[n])
	}
	return out
}

// walker turns YAML nodes into a Profile, remembering each field's line for validation errors.
type walker struct{ lines map[string]int }

func (w walker) fail(n *yaml.Node, field, problem string) error {
	return &FieldError{Field: field, Line: n.Line, Problem: problem}
}

// mapping returns a mapping node's values by key, refusing keys not in allowed (when allowed is
// non-nil), repeated keys, non-scalar keys and aliases, and missing keys marked with a leading '!'.
func (w walker) mapping(n *yaml.Node, field string, allowed []string) (map[string]*yaml.Node, []string, error) {
	if n.Kind == yaml.AliasNode {
		return nil, nil, w.fail(n, orDocument(field), "aliases are not allowed")
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil, w.fail(n, orDocument(field), "must be a mapping of fields")
	}
	known := map[string]bool{}
	for _, a := range allowed {
		known[strings.TrimPrefix(a, "!")] = true
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	var order []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, nil, w.fail(k, orDocument(field), "keys must be plain, non-empty names")
		}
		sub := join(field, k.Value)
		if allowed != nil && !known[k.Value] {
			return nil, nil, w.fail(k, sub, "unknown field")
		}
		if _, dup := out[k.Value]; dup {
			return nil, nil, w.fail(k, sub, "appears twice")
		}
		if v.Kind == yaml.AliasNode {
			return nil, nil, w.fail(v, sub, "aliases are not allowed")
		}
		out[k.Value] = v
		order = append(order, k.Value)
		w.lines[sub] = k.Line
	}
	for _, a := range allowed {
		if name, ok := strings.CutPrefix(a, "!"); ok && out[name] == nil {
			return nil, nil, w.fail(n, join(field, name), "is missing")
		}
	}
	return out, order, nil
}

func orDocument(field string) string {
	if field == "" {
		return "document"
	}
	return field
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// text decodes a scalar string node.
func (w walker) text(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", w.fail(n, field, "must be text")
	}
	return n.Value, nil
}

func (w walker) profile(n *yaml.Node) (Profile, error) {
	m, _, err := w.mapping(n, "", []string{"!name", "!i2c", "!sensor", "video", "card", "!lines", "probes"})
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	if p.Name, err = w.text(m["name"], "name"); err != nil {
		return Profile{}, err
	}
	if m["i2c"].Kind == yaml.ScalarNode && m["i2c"].Tag == "!!int" {
		p.I2C = m["i2c"].Value // a bus number, as i2creg.Open takes it
	} else if p.I2C, err = w.text(m["i2c"], "i2c"); err != nil {
		return Profile{}, err
	}
	sm, _, err := w.mapping(m["sensor"], "sensor", []string{"!model", "!address"})
	if err != nil {
		return Profile{}, err
	}
	if p.Sensor.Model, err = w.text(sm["model"], "sensor.model"); err != nil {
		return Profile{}, err
	}
	an := sm["address"]
	var addr int
	if an.Kind != yaml.ScalarNode || an.Tag != "!!int" || an.Decode(&addr) != nil {
		return Profile{}, w.fail(an, "sensor.address", fmt.Sprintf("must be an integer such as 0x3c, not %q", an.Value))
	}
	if addr < 0 || addr > 0xFFFF {
		return Profile{}, w.fail(an, "sensor.address", fmt.Sprintf("must be a 7-bit I2C address 0x08..0x77, not %s", an.Value))
	}
	p.Sensor.Addr = uint16(addr)
	if v := m["video"]; v != nil {
		if p.Video, err = w.text(v, "video"); err != nil {
			return Profile{}, err
		}
	}
	if v := m["card"]; v != nil {
		if p.Card, err = w.text(v, "card"); err != nil {
			return Profile{}, err
		}
	}
	if p.Lines, err = w.names(m["lines"], "lines", append(LineRoles(), OptionalLineRoles()...)); err != nil {
		return Profile{}, err
	}
	if v := m["probes"]; v != nil {
		if p.Probes, err = w.names(v, "probes", nil); err != nil {
			return Profile{}, err
		}
	}
	return p, nil
}

// names decodes a mapping of names to GPIO names; allowed nil accepts any key (probes).
func (w walker) names(n *yaml.Node, field string, allowed []string) (map[string]string, error) {
	m, order, err := w.mapping(n, field, allowed)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for _, k := range order {
		if out[k], err = w.text(m[k], join(field, k)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
