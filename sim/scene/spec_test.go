package scene

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	. "github.com/onsi/gomega"

	"vsslab/fixtures"
)

// goodYAML is a valid scene that the rejection tests break one field at a time.
const goodYAML = `width: 640
height: 360
seed: -7
texture: noise
people:
  - id: 4
    points: [[0.1, 0.9], [0.9, 0.8]]
    speed: 0.2
    start: 1.5s
    loop: true
    size: [0.05, 0.4]
  - id: 9
    points: [[0.5, 0.7]]
    size: [0.1, 0.3]
`

func loadText(text string) (Spec, error) {
	return Load(fstest.MapFS{"s.yaml": {Data: []byte(text)}}, "s")
}

func TestLoadReadsEveryField(t *testing.T) {
	g := NewWithT(t)
	spec, err := loadText(goodYAML)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(spec).To(Equal(Spec{
		Name: "s", Width: 640, Height: 360, Seed: -7, Texture: TextureNoise,
		People: []Path{
			{ID: 4, Points: []Point{{0.1, 0.9}, {0.9, 0.8}}, Speed: 0.2, Start: 1500 * time.Millisecond, Loop: true, Size: Point{0.05, 0.4}},
			{ID: 9, Points: []Point{{0.5, 0.7}}, Size: Point{0.1, 0.3}},
		},
	}))
}

// fieldErr loads text and returns the FieldError it must fail with.
func fieldErr(g Gomega, text string) *FieldError {
	_, err := loadText(text)
	g.ExpectWithOffset(1, err).To(HaveOccurred())
	g.ExpectWithOffset(1, err.Error()).To(HavePrefix(`load scene "s": `))
	var fe *FieldError
	g.ExpectWithOffset(1, errors.As(err, &fe)).To(BeTrue(), "not a FieldError: %v", err)
	return fe
}

func TestLoadRefusesBadFieldsNamingThem(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(goodYAML, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(goodYAML, old, new, 1)
	}
	cases := []struct {
		name, text, field, problem string
		line                       int
	}{
		{"unknown top-level field", edit("seed: -7", "seed: -7\ncolour: red"), "colour", "unknown field", 4},
		{"unknown person field", edit("    loop: true", "    loop: true\n    hat: yes"), "people[0].hat", "unknown field", 11},
		{"repeated field", edit("seed: -7", "seed: -7\nseed: 3"), "seed", "appears twice", 4},
		{"missing width", edit("width: 640\n", ""), "width", "is missing", 1},
		{"missing size", edit("    size: [0.1, 0.3]\n", ""), "people[1].size", "is missing", 12},
		{"odd width", edit("width: 640", "width: 641"), "width", "even", 1},
		{"zero width", edit("width: 640", "width: 0"), "width", "between 16 and 8192", 1},
		{"negative height", edit("height: 360", "height: -360"), "height", "between 16 and 8192", 2},
		{"odd height", edit("height: 360", "height: 361"), "height", "even", 2},
		{"height too large", edit("height: 360", "height: 8194"), "height", "between 16 and 8192", 2},
		{"width too large", edit("width: 640", "width: 8194"), "width", "between 16 and 8192", 1},
		{"width not a number", edit("width: 640", "width: wide"), "width", "must be an integer", 1},
		{"bad texture", edit("texture: noise", "texture: marble"), "texture", "must be office, corridor or noise", 4},
		{"empty path", edit("points: [[0.5, 0.7]]", "points: []"), "people[1].points", "must not be empty", 13},
		{"negative speed", edit("speed: 0.2", "speed: -0.2"), "people[0].speed", "must not be negative", 8},
		{"too fast", edit("speed: 0.2", "speed: 11"), "people[0].speed", "at most 10", 8},
		{"standing still on a walk", edit("speed: 0.2", "speed: 0"), "people[0].speed", "at least 0.001", 8},
		{"zero-length walk", edit("[[0.1, 0.9], [0.9, 0.8]]", "[[0.4, 0.9], [0.4, 0.9]]"), "people[0].points", "long", 7},
		{"point off the map", edit("[0.9, 0.8]", "[1.6, 0.8]"), "people[0].points[1]", "within -0.5..1.5", 7},
		{"point not a pair", edit("[0.9, 0.8]", "[0.9]"), "people[0].points[1]", "pair", 7},
		{"point not numbers", edit("[0.9, 0.8]", "[0.9, up]"), "people[0].points[1]", "must be a number", 7},
		{"infinite coordinate", edit("[0.9, 0.8]", "[.inf, 0.8]"), "people[0].points[1]", "finite", 7},
		{"size zero", edit("size: [0.1, 0.3]", "size: [0, 0.3]"), "people[1].size", "within (0, 1]", 14},
		{"size too big", edit("size: [0.1, 0.3]", "size: [0.1, 1.3]"), "people[1].size", "within (0, 1]", 14},
		{"bad duration", edit("start: 1.5s", "start: soon"), "people[0].start", "duration", 9},
		{"duration without unit", edit("start: 1.5s", "start: 5"), "people[0].start", "duration", 9},
		{"start too late", edit("start: 1.5s", "start: 25h"), "people[0].start", "within", 9},
		{"loop not boolean", edit("loop: true", "loop: often"), "people[0].loop", "true or false", 10},
		{"repeated id", edit("id: 9", "id: 4"), "people[1].id", "already the id of people[0]", 12},
		{"id zero", edit("id: 9", "id: 0"), "people[1].id", "between 1 and", 12},
		{"people not a list", "width: 640\nheight: 360\ntexture: noise\npeople: 4\n", "people", "must be a list", 4},
		{"person not a mapping", "width: 640\nheight: 360\ntexture: noise\npeople: [3]\n", "people[0]", "mapping", 4},
		{"document not a mapping", "- 1\n- 2\n", "document", "mapping", 1},
		{"alias", "width: &w 640\nheight: *w\ntexture: noise\npeople: []\n", "height", "aliases", 2},
		{"second document", goodYAML + "---\nwidth: 2\n", "document", "single YAML document", 15},
		{"empty file", "", "document", "empty", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			fe := fieldErr(g, c.text)
			g.Expect(fe.Field).To(Equal(c.field))
			g.Expect(fe.Problem).To(ContainSubstring(c.problem))
			g.Expect(fe.Line).To(Equal(c.line))
			g.Expect(fe.Error()).To(ContainSubstring(c.field + ": "))
		})
	}
}

func TestLoadRefusesSyntaxErrors(t *testing.T) {
	g := NewWithT(t)
	_, err := loadText("width: [1280\n")
	g.Expect(err).To(MatchError(HavePrefix(`load scene "s": parse YAML: `)))
}

func TestLoadRefusesBadNamesAndMissingFiles(t *testing.T) {
	g := NewWithT(t)
	fsys := fstest.MapFS{"a.yaml": {Data: []byte(goodYAML)}, "big.yaml": {Data: make([]byte, maxFileSize+1)}}
	for _, name := range []string{"", "../a", "A", "a.yaml", "a/b", strings.Repeat("a", 65)} {
		_, err := Load(fsys, name)
		var fe *FieldError
		g.Expect(errors.As(err, &fe)).To(BeTrue(), name)
		g.Expect(fe.Field).To(Equal("name"))
	}
	_, err := Load(fsys, "missing")
	g.Expect(errors.Is(err, fs.ErrNotExist)).To(BeTrue(), "callers tell a missing scene by fs.ErrNotExist: %v", err)
	_, err = Load(fsys, "big")
	g.Expect(err).To(MatchError(ContainSubstring("larger than")))
	_, err = Load(fsys, "a")
	g.Expect(err).NotTo(HaveOccurred())
}

func TestNames(t *testing.T) {
	g := NewWithT(t)
	names, err := Names(fstest.MapFS{"b.yaml": {}, "a.yaml": {}, "README.md": {}, "sub/c.yaml": {}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(Equal([]string{"a", "b"}))
	_, err = Names(fstest.MapFS{"Bad Name.yaml": {}})
	g.Expect(err).To(MatchError(ContainSubstring(`"Bad Name.yaml" is not a valid scene file name`)))
}

func TestEveryFixtureLoads(t *testing.T) {
	g := NewWithT(t)
	names, err := Names(fixtures.Scenes())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names).To(Equal([]string{"corridor", "lobby", "panorama", "still"}))
	specs := map[string]Spec{}
	for _, n := range names {
		spec, err := Load(fixtures.Scenes(), n)
		g.Expect(err).NotTo(HaveOccurred(), n)
		g.Expect(spec.Name).To(Equal(n))
		_, err = New(spec, 1)
		g.Expect(err).NotTo(HaveOccurred(), n)
		specs[n] = spec
	}
	lobby, corridor, panorama := specs["lobby"], specs["corridor"], specs["panorama"]
	g.Expect([]int{lobby.Width, lobby.Height, corridor.Width, corridor.Height}).To(Equal([]int{1280, 720, 1280, 720}))
	g.Expect([]int{panorama.Width, panorama.Height}).To(Equal([]int{3840, 1080}))
	g.Expect(lobby.People).To(HaveLen(3))
	for _, p := range lobby.People {
		g.Expect(p.Loop).To(BeTrue(), "lobby people loop")
	}
	for _, p := range corridor.People {
		g.Expect(p.Loop).To(BeFalse(), "corridor counts must be finite")
	}
}

func TestNewValidatesLikeLoad(t *testing.T) {
	g := NewWithT(t)
	_, err := New(Spec{Name: "x", Width: 64, Height: 64, Texture: TextureNoise, People: []Path{{ID: 1, Size: Point{0.1, 0.1}}}}, 0)
	var fe *FieldError
	g.Expect(errors.As(err, &fe)).To(BeTrue())
	g.Expect(fe.Field).To(Equal("people[0].points"))
	g.Expect(err.Error()).To(Equal(`new scene "x": people[0].points: must not be empty`))
}

func TestNewCopiesTheSpec(t *testing.T) {
	g := NewWithT(t)
	spec := Spec{Width: 64, Height: 64, Texture: TextureNoise, People: []Path{{ID: 1, Points: []Point{{0.5, 0.9}}, Size: Point{0.2, 0.5}}}}
	s, err := New(spec, 0)
	g.Expect(err).NotTo(HaveOccurred())
	spec.People[0].Points[0] = Point{0.1, 0.1}
	g.Expect(s.People(0)[0].Box.X).To(BeNumerically("~", 0.4, 1e-12), "editing the caller's spec must not move the person")
}

// FuzzLoad feeds arbitrary bytes to Load. Invariants: no panic; the same bytes give the same answer;
// an error names the scene and, as a FieldError, a field or the document; an accepted spec is valid,
// builds a Scene, and renders small frames whose truth is sane.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(goodYAML))
	for _, n := range []string{"lobby", "corridor", "panorama"} {
		data, err := fs.ReadFile(fixtures.Scenes(), n+".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("width: 16\nheight: 16\ntexture: office\npeople: []\n"))
	f.Add([]byte("width: &a 16\nheight: *a\n"))
	f.Add([]byte("{width: 16, height: 16, texture: corridor, people: [{id: 1, points: [[-0.5, 1.5], [1.5, -0.5]], speed: 10, start: -24h, loop: true, size: [1, 1]}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"fuzz.yaml": {Data: data}}
		spec, err := Load(fsys, "fuzz")
		spec2, err2 := Load(fsys, "fuzz")
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !reflect.DeepEqual(spec, spec2) {
			t.Fatalf("Load is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), `load scene "fuzz": `) {
				t.Fatalf("error does not name the scene: %v", err)
			}
			var fe *FieldError
			if errors.As(err, &fe) && fe.Problem == "" {
				t.Fatalf("field error without a problem: %#v", fe)
			}
			return
		}
		if err := spec.validate(); err != nil {
			t.Fatalf("Load accepted an invalid spec: %v", err)
		}
		if spec.Width%2 != 0 || spec.Width < minSize || spec.Width > maxSize || len(spec.People) > maxPeople {
			t.Fatalf("out-of-range spec accepted: %+v", spec)
		}
		// The background costs time per scene pixel; shrink big scenes (the paths stay valid).
		spec.Width, spec.Height = min(spec.Width, 64), min(spec.Height, 64)
		s, err := New(spec, 1)
		if err != nil {
			t.Fatalf("New refused a loaded spec: %v", err)
		}
		ids := map[int]bool{}
		for _, p := range spec.People {
			ids[p.ID] = true
		}
		for _, v := range []View{{}, {Pan: 0.3, Tilt: 0.7, Zoom: 3}} {
			for _, at := range []time.Duration{0, 2500 * time.Millisecond, time.Hour} {
				img, truth := s.Render(nil, at, v, 16, 16)
				if img.Rect.Dx() != 16 || img.Rect.Dy() != 16 {
					t.Fatalf("frame is %v", img.Rect)
				}
				last := 0
				for _, p := range truth.People {
					b := p.Box
					if !ids[p.ID] || p.ID <= last || b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > 1 || b.Y+b.H > 1 {
						t.Fatalf("bad truth at %v through %+v: %+v", at, v, truth.People)
					}
					last = p.ID
				}
			}
		}
	})
}
