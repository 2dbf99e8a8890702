package scene

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Point is a place in the scene, in fractions of the scene's width (X) and height (Y), so that a path
// means the same walk whatever size the scene is rendered at.
type Point struct{ X, Y float64 }

// Box is a rectangle in fractions: of the scene (a Path's people, Scene.People, a PTZ privacy zone)
// or of the frame (Truth), as each use documents. Fractions rather than pixels let a scenario state a
// mask or a counting line once for every resolution.
type Box struct{ X, Y, W, H float64 }

// Person is one person at one moment: the id given in the scene file, so that analytics can be checked
// person by person, and the box around them (frame fractions in a Truth, scene fractions from
// Scene.People).
type Person struct {
	ID  int
	Box Box
}

// Path is one person's walk. Points are where their feet are (the bottom centre of their box); points
// outside 0..1 lie beyond the scene's edge, so that people can walk in and out of view.
type Path struct {
	// ID names the person in the ground truth; unique within a scene, at least 1.
	ID int
	// Points are visited in order at Speed; a single point is a person standing still.
	Points []Point
	// Speed is in scene widths per second (vertical distances are converted with the scene's aspect
	// ratio, so a person walks as fast up the picture as across it).
	Speed float64
	// Start is the scene time the person sets off from the first point; before it they are absent.
	// A negative Start puts a looping person mid-walk at time zero.
	Start time.Duration
	// Loop starts the walk again from the first point when the last is reached; without it the person
	// leaves the scene at the last point (what counting needs). Repeat the first point at the end for a
	// closed circuit.
	Loop bool
	// Size is the person's box width and height in scene fractions.
	Size Point
}

// Spec is a named scene as written in fixtures/scenes/NAME.yaml (see the README.md there). It is plain
// data so that scenarios can also build scenes in code; New validates it as Load does.
type Spec struct {
	// Name is the file's name without ".yaml"; Load sets it.
	Name string
	// Width and Height are the scene (panorama) size in pixels: even, 16..8192.
	Width, Height int
	// Seed picks the texture; the world's seed is mixed in by New, so one file gives a different but
	// reproducible picture per world.
	Seed int64
	// Texture is the procedural background: TextureOffice, TextureCorridor or TextureNoise.
	Texture string
	// People are the walks, drawn over the background.
	People []Path
}

// The background kinds. Each has fine texture everywhere (so a pixelation mask's loss of detail is
// measurable), larger structure, and varied colours (so a colour mask's replacement is measurable).
const (
	// TextureOffice is a wall with panels, doors, windows and posters over a tiled floor.
	TextureOffice = "office"
	// TextureCorridor is a corridor seen from the side: ceiling lights, coloured doors, a handrail and
	// a plank floor.
	TextureCorridor = "corridor"
	// TextureNoise is coloured multi-scale noise without objects, for tests that want no structure.
	TextureNoise = "noise"
)

// Limits on a specification. They keep a fixture's slip (a stray zero, a lost minus) from becoming a
// scene nobody can render in time, and they bound what a fuzzed file can make New allocate.
const (
	minSize     = 16
	maxSize     = 8192
	maxPeople   = 64
	maxPoints   = 256
	maxSpeed    = 10.0
	minSpeed    = 0.001 // scene widths per second, for a path that moves
	minLength   = 0.001 // scene widths, for a path that moves
	minCoord    = -0.5
	maxCoord    = 1.5
	maxStart    = 24 * time.Hour
	maxID       = 1_000_000
	maxFileSize = 1 << 20
)

// FieldError is a scene specification's field that is missing, malformed or out of range. Field is the
// path as written in the YAML ("people[2].speed") so that the fixture's author finds it; Line is the
// line in the file (0 for a Spec built in code). Callers and tests branch on Field.
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

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Load reads NAME.yaml from fsys (fixtures.Scenes() in the harness) strictly: unknown or repeated
// fields, aliases, several documents and out-of-range values are refused with a *FieldError naming the
// field, because a silently ignored typo in a scene would make a scenario's ground truth wrong. A
// missing file wraps fs.ErrNotExist.
func Load(fsys fs.FS, name string) (Spec, error) {
	if !nameRE.MatchString(name) {
		return Spec{}, fmt.Errorf("load scene %q: %w", name, &FieldError{Field: "name",
			Problem: "must be 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit"})
	}
	data, err := readLimited(fsys, name+".yaml")
	if err != nil {
		return Spec{}, fmt.Errorf("load scene %q: %w", name, err)
	}
	spec, err := parse(data)
	if err != nil {
		return Spec{}, fmt.Errorf("load scene %q: %w", name, err)
	}
	spec.Name = name
	return spec, nil
}

// Names lists the scenes in fsys (every NAME.yaml at its root), sorted, so that a command can offer them
// and a test can load each. A file whose name is not a valid scene name is an error, not skipped.
func Names(fsys fs.FS) ([]string, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list scenes: %w", err)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		n := strings.TrimSuffix(f, ".yaml")
		if !nameRE.MatchString(n) {
			return nil, fmt.Errorf("list scenes: %q is not a valid scene file name", f)
		}
		names = append(names, n)
	}
	return names, nil
}

func readLimited(fsys fs.FS, file string) ([]byte, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", file, maxFileSize)
	}
	return data, nil
}

// parse decodes one YAML document into a Spec by walking the node tree, so that every error can name
// its field and line; then it validates the values.
func parse(data []byte) (Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Spec{}, &FieldError{Field: "document", Problem: "is empty"}
		}
		return Spec{}, fmt.Errorf("parse YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Spec{}, &FieldError{Field: "document", Line: extra.Line, Problem: "must be a single YAML document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return Spec{}, &FieldError{Field: "document", Problem: "is empty"}
	}
	w := walker{lines: map[string]int{}}
	spec, err := w.spec(doc.Content[0])
	if err != nil {
		return Spec{}, err
	}
	if err := spec.validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Line = w.lines[fe.Field]
		}
		return Spec{}, err
	}
	return spec, nil
}

// walker turns YAML nodes into a Spec, remembering each field's line for validation errors.
type walker struct{ lines map[string]int }

func (w walker) fail(n *yaml.Node, field, problem string) error {
	return &FieldError{Field: field, Line: n.Line, Problem: problem}
}

// mapping returns the values of a mapping node by key, refusing keys not in allowed, repeated keys and
// missing required keys (those in allowed marked with a leading '!').
func (w walker) mapping(n *yaml.Node, field string, allowed ...string) (map[string]*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return nil, w.fail(n, field, "aliases are not allowed")
	}
	if n.Kind != yaml.MappingNode {
		if field == "" {
			field = "document"
		}
		return nil, w.fail(n, field, "must be a mapping of fields")
	}
	known := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		known[strings.TrimPrefix(a, "!")] = true
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(field, k.Value)
		if k.Kind != yaml.ScalarNode {
			return nil, w.fail(k, field, "keys must be plain names")
		}
		if !known[k.Value] {
			return nil, w.fail(k, sub, "unknown field")
		}
		if _, dup := out[k.Value]; dup {
			return nil, w.fail(k, sub, "appears twice")
		}
		if v.Kind == yaml.AliasNode {
			return nil, w.fail(v, sub, "aliases are not allowed")
		}
		out[k.Value] = v
		w.lines[sub] = k.Line
	}
	for _, a := range allowed {
		if name, ok := strings.CutPrefix(a, "!"); ok && out[name] == nil {
			return nil, w.fail(n, join(field, name), "is missing")
		}
	}
	return out, nil
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// scalar decodes a scalar node into out (a *int, *int64, *float64, *bool or *string).
func (w walker) scalar(n *yaml.Node, field string, out any) error {
	what := "a single value"
	switch out.(type) {
	case *int, *int64:
		what = "an integer"
	case *float64:
		what = "a number"
	case *bool:
		what = "true or false"
	case *string:
		what = "text"
	}
	if n.Kind != yaml.ScalarNode {
		return w.fail(n, field, "must be "+what)
	}
	if err := n.Decode(out); err != nil {
		return w.fail(n, field, fmt.Sprintf("must be %s, not %q", what, n.Value))
	}
	if f, ok := out.(*float64); ok && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
		return w.fail(n, field, fmt.Sprintf("must be a finite number, not %q", n.Value))
	}
	return nil
}

func (w walker) spec(n *yaml.Node) (Spec, error) {
	m, err := w.mapping(n, "", "!width", "!height", "seed", "!texture", "!people")
	if err != nil {
		return Spec{}, err
	}
	var s Spec
	if err := w.scalar(m["width"], "width", &s.Width); err != nil {
		return Spec{}, err
	}
	if err := w.scalar(m["height"], "height", &s.Height); err != nil {
		return Spec{}, err
	}
	if v := m["seed"]; v != nil {
		if err := w.scalar(v, "seed", &s.Seed); err != nil {
			return Spec{}, err
		}
	}
	if err := w.scalar(m["texture"], "texture", &s.Texture); err != nil {
		return Spec{}, err
	}
	people := m["people"]
	if people.Kind != yaml.SequenceNode {
		return Spec{}, w.fail(people, "people", "must be a list (write [] for an empty scene)")
	}
	if len(people.Content) > maxPeople {
		return Spec{}, w.fail(people, "people", fmt.Sprintf("must list at most %d people, not %d", maxPeople, len(people.Content)))
	}
	for i, pn := range people.Content {
		p, err := w.path(pn, fmt.Sprintf("people[%d]", i))
		if err != nil {
			return Spec{}, err
		}
		s.People = append(s.People, p)
	}
	return s, nil
}

func (w walker) path(n *yaml.Node, field string) (Path, error) {
	m, err := w.mapping(n, field, "!id", "!points", "speed", "start", "loop", "!size")
	if err != nil {
		return Path{}, err
	}
	var p Path
	if err := w.scalar(m["id"], field+".id", &p.ID); err != nil {
		return Path{}, err
	}
	pts := m["points"]
	if pts.Kind != yaml.SequenceNode {
		return Path{}, w.fail(pts, field+".points", "must be a list of [x, y] points")
	}
	if len(pts.Content) > maxPoints {
		return Path{}, w.fail(pts, field+".points", fmt.Sprintf("must have at most %d points, not %d", maxPoints, len(pts.Content)))
	}
	for j, pn := range pts.Content {
		pt, err := w.pair(pn, fmt.Sprintf("%s.points[%d]", field, j))
		if err != nil {
			return Path{}, err
		}
		p.Points = append(p.Points, pt)
	}
	if v := m["speed"]; v != nil {
		if err := w.scalar(v, field+".speed", &p.Speed); err != nil {
			return Path{}, err
		}
	}
	if v := m["start"]; v != nil {
		var text string
		if err := w.scalar(v, field+".start", &text); err != nil {
			return Path{}, err
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return Path{}, w.fail(v, field+".start", fmt.Sprintf("must be a duration such as 1.5s, not %q", text))
		}
		p.Start = d
	}
	if v := m["loop"]; v != nil {
		if err := w.scalar(v, field+".loop", &p.Loop); err != nil {
			return Path{}, err
		}
	}
	if p.Size, err = w.pair(m["size"], field+".size"); err != nil {
		return Path{}, err
	}
	return p, nil
}

// pair decodes "[a, b]" into a Point.
func (w walker) pair(n *yaml.Node, field string) (Point, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return Point{}, w.fail(n, field, "must be a pair of numbers [x, y]")
	}
	w.lines[field] = n.Line
	var pt Point
	if err := w.scalar(n.Content[0], field, &pt.X); err != nil {
		return Point{}, err
	}
	if err := w.scalar(n.Content[1], field, &pt.Y); err != nil {
		return Point{}, err
	}
	return pt, nil
}

// validate checks a Spec's values; the errors name the field as the YAML does.
func (s Spec) validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if s.Width%2 != 0 || s.Width < minSize || s.Width > maxSize {
		return bad("width", "must be even and between %d and %d pixels, not %d", minSize, maxSize, s.Width)
	}
	if s.Height%2 != 0 || s.Height < minSize || s.Height > maxSize {
		return bad("height", "must be even and between %d and %d pixels, not %d", minSize, maxSize, s.Height)
	}
	switch s.Texture {
	case TextureOffice, TextureCorridor, TextureNoise:
	default:
		return bad("texture", "must be %s, %s or %s, not %q", TextureOffice, TextureCorridor, TextureNoise, s.Texture)
	}
	if len(s.People) > maxPeople {
		return bad("people", "must list at most %d people, not %d", maxPeople, len(s.People))
	}
	seen := make(map[int]int, len(s.People))
	for i, p := range s.People {
		f := fmt.Sprintf("people[%d]", i)
		if p.ID < 1 || p.ID > maxID {
			return bad(f+".id", "must be between 1 and %d, not %d", maxID, p.ID)
		}
		if j, dup := seen[p.ID]; dup {
			return bad(f+".id", "%d is already the id of people[%d]", p.ID, j)
		}
		seen[p.ID] = i
		if len(p.Points) == 0 {
			return bad(f+".points", "must not be empty")
		}
		if len(p.Points) > maxPoints {
			return bad(f+".points", "must have at most %d points, not %d", maxPoints, len(p.Points))
		}
		for j, pt := range p.Points {
			if !inRange(pt.X, minCoord, maxCoord) || !inRange(pt.Y, minCoord, maxCoord) {
				return bad(fmt.Sprintf("%s.points[%d]", f, j), "must lie within %g..%g, not [%g, %g]", minCoord, maxCoord, pt.X, pt.Y)
			}
		}
		if !(p.Speed >= 0) {
			return bad(f+".speed", "must not be negative, not %g", p.Speed)
		}
		if p.Speed > maxSpeed {
			return bad(f+".speed", "must be at most %g scene widths per second, not %g", maxSpeed, p.Speed)
		}
		if p.Start < -maxStart || p.Start > maxStart {
			return bad(f+".start", "must be within ±%s, not %s", maxStart, p.Start)
		}
		if !(p.Size.X > 0 && p.Size.X <= 1 && p.Size.Y > 0 && p.Size.Y <= 1) {
			return bad(f+".size", "must be a width and height within (0, 1], not [%g, %g]", p.Size.X, p.Size.Y)
		}
		if len(p.Points) > 1 {
			if p.Speed < minSpeed {
				return bad(f+".speed", "must be at least %g scene widths per second for a path of more than one point, not %g", minSpeed, p.Speed)
			}
			if l := pathLength(p.Points, s.Width, s.Height); l < minLength {
				return bad(f+".points", "the path is %g scene widths long; a walk must be at least %g", l, minLength)
			}
		}
	}
	return nil
}

func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi }
