// Package reports turns the results of a scenario run (Ginkgo's types.Report) into the
// certification report that certifiers sign: one verdict per catalogue requirement with the
// evidence behind it, written as JSON, JUnit XML and a self-contained HTML page.
package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Models the reference camera comes as: iot is the fixed, decentralised model and move the PTZ
// model. A requirement lists the models it applies to.
const (
	ModelIoT  = "iot"
	ModelMove = "move"
)

// maxTitleLen bounds a requirement's title so that it fits one line of the report's table.
const maxTitleLen = 80

var (
	idPattern   = regexp.MustCompile(`^([A-Z]+)-([1-9][0-9]*)$`)
	areaPattern = regexp.MustCompile(`^[A-Z]+$`)
)

// Area is a group of requirements that share a subject and legal references (a heading of
// REQUIREMENTS.md).
type Area struct {
	ID   string   `yaml:"id" json:"id"`
	Name string   `yaml:"name" json:"name"`
	Refs []string `yaml:"refs" json:"refs"`
}

// Requirement is one row of the catalogue: what the camera must do (Behaviour) and what a
// scenario must observe from outside (Evidence). Beyond marks a row that the white paper does not
// ask for but a careful certifier expects. Models lists the camera models the row applies to.
type Requirement struct {
	ID        string   `yaml:"id" json:"id"`
	Area      string   `yaml:"area" json:"area"`
	Title     string   `yaml:"title" json:"title"`
	Behaviour string   `yaml:"behaviour" json:"behaviour"`
	Evidence  string   `yaml:"evidence" json:"evidence"`
	Refs      []string `yaml:"refs" json:"refs"`
	Beyond    bool     `yaml:"beyond" json:"beyond"`
	Models    []string `yaml:"models" json:"models"`
}

// AppliesTo reports whether the requirement applies to the given camera model.
func (r Requirement) AppliesTo(model string) bool {
	for _, m := range r.Models {
		if m == model {
			return true
		}
	}
	return false
}

// Catalogue is the machine-readable requirements catalogue (fixtures/requirements.yaml), in the
// order of REQUIREMENTS.md; a report has one verdict per requirement, in this order.
type Catalogue struct {
	Areas        []Area        `yaml:"areas" json:"areas"`
	Requirements []Requirement `yaml:"requirements" json:"requirements"`
}

// ErrInvalidCatalogue is wrapped by every error of ParseCatalogue, so that a caller can tell a bad
// catalogue from an I/O failure.
var ErrInvalidCatalogue = errors.New("invalid requirements catalogue")

// ParseCatalogue reads a catalogue in YAML and checks it strictly, because a report built on a
// wrong catalogue would certify the wrong thing: unknown fields are rejected, and every area and
// requirement must be complete and well formed. Errors name the offending row.
func ParseCatalogue(data []byte) (Catalogue, error) {
	var c Catalogue
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return Catalogue{}, fmt.Errorf("%w: empty document", ErrInvalidCatalogue)
		}
		return Catalogue{}, fmt.Errorf("%w: %w", ErrInvalidCatalogue, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Catalogue{}, fmt.Errorf("%w: more than one YAML document", ErrInvalidCatalogue)
	}
	if err := c.validate(); err != nil {
		return Catalogue{}, fmt.Errorf("%w: %w", ErrInvalidCatalogue, err)
	}
	return c, nil
}

func (c Catalogue) validate() error {
	if len(c.Areas) == 0 {
		return errors.New("no areas")
	}
	if len(c.Requirements) == 0 {
		return errors.New("no requirements")
	}
	areas := make(map[string]bool, len(c.Areas))
	for i, a := range c.Areas {
		if !areaPattern.MatchString(a.ID) {
			return fmt.Errorf("area %d (%q): id must be upper-case letters", i+1, a.ID)
		}
		if areas[a.ID] {
			return fmt.Errorf("area %d (%s): duplicate id", i+1, a.ID)
		}
		areas[a.ID] = true
		if a.Name == "" {
			return fmt.Errorf("area %d (%s): empty name", i+1, a.ID)
		}
		if err := checkRefs(a.Refs); err != nil {
			return fmt.Errorf("area %d (%s): %w", i+1, a.ID, err)
		}
	}
	ids := make(map[string]bool, len(c.Requirements))
	for i, r := range c.Requirements {
		if err := r.validate(areas); err != nil {
			return fmt.Errorf("requirement %d (%q): %w", i+1, r.ID, err)
		}
		if ids[r.ID] {
			return fmt.Errorf("requirement %d (%q): duplicate id", i+1, r.ID)
		}
		ids[r.ID] = true
	}
	return nil
}

func (r Requirement) validate(areas map[string]bool) error {
	m := idPattern.FindStringSubmatch(r.ID)
	if m == nil {
		return errors.New("id must have the form AREA-N, such as AUTH-1")
	}
	if r.Area == "" {
		return errors.New("no area")
	}
	if !areas[r.Area] {
		return fmt.Errorf("unknown area %q", r.Area)
	}
	if m[1] != r.Area {
		return fmt.Errorf("id is not in its area %q", r.Area)
	}
	if r.Title == "" {
		return errors.New("empty title")
	}
	if !utf8.ValidString(r.Title) || utf8.RuneCountInString(r.Title) > maxTitleLen {
		return fmt.Errorf("title longer than %d characters", maxTitleLen)
	}
	if r.Behaviour == "" {
		return errors.New("empty behaviour")
	}
	if r.Evidence == "" {
		return errors.New("empty evidence")
	}
	if err := checkRefs(r.Refs); err != nil {
		return err
	}
	if len(r.Models) == 0 {
		return errors.New("no models")
	}
	seen := map[string]bool{}
	for _, model := range r.Models {
		if model != ModelIoT && model != ModelMove {
			return fmt.Errorf("unknown model %q (want %s or %s)", model, ModelIoT, ModelMove)
		}
		if seen[model] {
			return fmt.Errorf("model %q listed twice", model)
		}
		seen[model] = true
	}
	return nil
}

func checkRefs(refs []string) error {
	for _, ref := range refs {
		if ref == "" {
			return errors.New("empty reference")
		}
	}
	return nil
}

// Lookup finds a requirement by its ID, such as "AUTH-1".
func (c Catalogue) Lookup(id string) (Requirement, bool) {
	for _, r := range c.Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}
