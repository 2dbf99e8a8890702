package reports

import (
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"vsslab/fixtures"
)

// catalogueIDs is every row of REQUIREMENTS.md, in its order, counted from that file; a row
// dropped from fixtures/requirements.yaml fails TestEmbeddedCatalogue.
var catalogueIDs = []string{
	"PBD-1", "PBD-2", "PBD-3", "PBD-4", "PBD-5",
	"AUTH-1", "AUTH-2", "AUTH-3", "AUTH-4", "AUTH-5", "AUTH-6", "AUTH-7",
	"PRIV-1", "PRIV-2",
	"TLS-1", "TLS-2", "TLS-3",
	"MASK-1", "MASK-2", "MASK-3", "MASK-4", "MASK-5",
	"ANA-1", "ANA-2", "ANA-3",
	"ENC-1", "ENC-2", "ENC-3",
	"DEL-1", "DEL-2", "DEL-3", "DEL-4",
	"DSR-1", "DSR-2",
	"MON-1", "MON-2", "MON-3",
	"AUD-1", "AUD-2",
	"ACC-1", "ACC-2",
	"FLEET-1", "FLEET-2",
	"NET-1", "NET-2", "NET-3",
}

func TestEmbeddedCatalogue(t *testing.T) {
	g := NewWithT(t)
	c, err := ParseCatalogue(fixtures.Requirements())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(catalogueIDs).To(HaveLen(46))
	var ids []string
	beyond := map[string]bool{}
	for _, r := range c.Requirements {
		ids = append(ids, r.ID)
		if r.Beyond {
			beyond[r.ID] = true
		}
		g.Expect(r.Refs).NotTo(BeEmpty(), r.ID)
		g.Expect(strings.Contains(r.Behaviour, "**")).To(BeFalse(), "markdown markup left in %s", r.ID)
	}
	g.Expect(ids).To(Equal(catalogueIDs))
	g.Expect(beyond).To(Equal(map[string]bool{"AUTH-5": true, "ENC-3": true, "DEL-4": true, "DSR-1": true, "DSR-2": true,
		"MON-3": true, "AUD-2": true, "NET-2": true, "NET-3": true}))
	g.Expect(c.Areas).To(HaveLen(14))

	mask4, ok := c.Lookup("MASK-4")
	g.Expect(ok).To(BeTrue())
	g.Expect(mask4.Models).To(Equal([]string{ModelMove}))
	g.Expect(mask4.AppliesTo(ModelIoT)).To(BeFalse())
	auth1, _ := c.Lookup("AUTH-1")
	g.Expect(auth1.Models).To(Equal([]string{ModelIoT, ModelMove}))
	g.Expect(auth1.Area).To(Equal("AUTH"))
	g.Expect(auth1.Refs).To(ContainElements("GDPR Art. 32", "EN 303 645 5.1", "IEC 62443-4-2 CR 1.1", "WP 2.1.3 b"))
	g.Expect(auth1.Evidence).To(HavePrefix("an admin change made before the password change is gone after reboot"))
	del4, _ := c.Lookup("DEL-4")
	g.Expect(del4.Refs).To(ContainElement("EDPB Guidelines 3/2019 §8"))
}

func TestLookup(t *testing.T) {
	g := NewWithT(t)
	c := testCatalogue(t)
	r, ok := c.Lookup("AUTH-2")
	g.Expect(ok).To(BeTrue())
	g.Expect(r.Title).To(Equal("Password rules"))
	_, ok = c.Lookup("AUTH-9")
	g.Expect(ok).To(BeFalse())
	_, ok = c.Lookup("auth-2")
	g.Expect(ok).To(BeFalse(), "catalogue IDs are exact")
}

// row is a valid requirement row; the rejection tests change one field.
const row = `{id: AUTH-1, area: AUTH, title: T, behaviour: B, evidence: E, refs: [R], models: [iot]}`

func catalogueWith(rows ...string) string {
	return "areas:\n  - {id: AUTH, name: access, refs: [x]}\nrequirements:\n  - " + strings.Join(rows, "\n  - ") + "\n"
}

func TestParseCatalogueRejects(t *testing.T) {
	long := strings.Repeat("x", 81)
	cases := map[string]struct{ yaml, want string }{
		"empty":                {"", "empty document"},
		"not a mapping":        {"[1, 2]", "cannot unmarshal"},
		"unknown top field":    {catalogueWith(row) + "version: 2\n", "field version not found"},
		"unknown row field":    {catalogueWith(strings.Replace(row, "title: T", "title: T, owner: me", 1)), "field owner not found"},
		"two documents":        {catalogueWith(row) + "---\nareas: []\n", "more than one YAML document"},
		"no areas":             {"requirements:\n  - " + row + "\n", "no areas"},
		"no requirements":      {"areas:\n  - {id: AUTH, name: access}\n", "no requirements"},
		"bad area id":          {strings.Replace(catalogueWith(row), "id: AUTH, name", "id: auth, name", 1), `area 1 ("auth"): id must be upper-case letters`},
		"duplicate area":       {strings.Replace(catalogueWith(row), "requirements:", "  - {id: AUTH, name: again}\nrequirements:", 1), "area 2 (AUTH): duplicate id"},
		"area without name":    {strings.Replace(catalogueWith(row), "name: access", "name: ''", 1), "area 1 (AUTH): empty name"},
		"bad id":               {catalogueWith(strings.Replace(row, "AUTH-1", "AUTH1", 1)), `requirement 1 ("AUTH1"): id must have the form AREA-N`},
		"lower-case id":        {catalogueWith(strings.Replace(row, "AUTH-1", "auth-1", 1)), `requirement 1 ("auth-1"): id must have the form`},
		"zero id":              {catalogueWith(strings.Replace(row, "AUTH-1", "AUTH-0", 1)), "id must have the form"},
		"duplicate id":         {catalogueWith(row, row), `requirement 2 ("AUTH-1"): duplicate id`},
		"unknown area":         {catalogueWith(strings.Replace(strings.Replace(row, "area: AUTH", "area: FOO", 1), "AUTH-1", "FOO-1", 1)), `requirement 1 ("FOO-1"): unknown area "FOO"`},
		"missing area":         {catalogueWith(strings.Replace(row, "area: AUTH, ", "", 1)), "no area"},
		"id outside its area":  {catalogueWith(strings.Replace(row, "AUTH-1", "NET-1", 1)), `requirement 1 ("NET-1"): id is not in its area "AUTH"`},
		"empty title":          {catalogueWith(strings.Replace(row, "title: T", "title: ''", 1)), "empty title"},
		"long title":           {catalogueWith(strings.Replace(row, "title: T", "title: "+long, 1)), "title longer than 80 characters"},
		"empty behaviour":      {catalogueWith(strings.Replace(row, "behaviour: B, ", "", 1)), "empty behaviour"},
		"empty evidence":       {catalogueWith(strings.Replace(row, "evidence: E", "evidence: ''", 1)), "empty evidence"},
		"empty reference":      {catalogueWith(strings.Replace(row, "refs: [R]", "refs: ['']", 1)), "empty reference"},
		"no models":            {catalogueWith(strings.Replace(row, "models: [iot]", "models: []", 1)), "no models"},
		"unknown model":        {catalogueWith(strings.Replace(row, "models: [iot]", "models: [iot, dome]", 1)), `unknown model "dome"`},
		"model twice":          {catalogueWith(strings.Replace(row, "models: [iot]", "models: [iot, iot]", 1)), `model "iot" listed twice`},
		"models not a list":    {catalogueWith(strings.Replace(row, "models: [iot]", "models: iot", 1)), "cannot unmarshal"},
		"beyond not a boolean": {catalogueWith(strings.Replace(row, "models:", "beyond: maybe, models:", 1)), "cannot unmarshal"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c, err := ParseCatalogue([]byte(tc.yaml))
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(errors.Is(err, ErrInvalidCatalogue)).To(BeTrue())
			g.Expect(c).To(BeZero(), "bad input returns nothing")
		})
	}
	// and the unchanged row is fine
	_, err := ParseCatalogue([]byte(catalogueWith(row)))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// quotedRow uses YAML quoting and non-ASCII text, as the real catalogue does.
const quotedRow = `{id: AUTH-7, area: AUTH, title: "T ≤ 80 \"q\"", behaviour: "a: b", evidence: 'x × y; §8', refs: ["EDPB 3/2019 §8"], beyond: true, models: [iot, move]}`

func TestParseCatalogueQuotedText(t *testing.T) {
	g := NewWithT(t)
	c, err := ParseCatalogue([]byte(catalogueWith(quotedRow)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Requirements).To(Equal([]Requirement{{ID: "AUTH-7", Area: "AUTH", Title: `T ≤ 80 "q"`, Behaviour: "a: b",
		Evidence: "x × y; §8", Refs: []string{"EDPB 3/2019 §8"}, Beyond: true, Models: []string{"iot", "move"}}}))
	g.Expect(c.Areas).To(Equal([]Area{{ID: "AUTH", Name: "access", Refs: []string{"x"}}}))
}

func FuzzParseCatalogue(f *testing.F) {
	// The full fixture is left out of the seeds: at 20 kB its minimisation stalls the fuzzer.
	f.Add([]byte(testCatalogueYAML))
	f.Add([]byte(catalogueWith(quotedRow)))
	f.Add([]byte(catalogueWith(row)))
	f.Add([]byte(catalogueWith(row, row)))
	f.Add([]byte(catalogueWith(strings.Replace(row, "AUTH-1", "AUTH-2", 1), row)))
	f.Add([]byte("areas: &a [{id: A, name: n}]\nrequirements: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalogue(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidCatalogue) {
				t.Fatalf("error does not wrap ErrInvalidCatalogue: %v", err)
			}
			return
		}
		if len(c.Requirements) == 0 || len(c.Areas) == 0 {
			t.Fatal("accepted a catalogue without areas or requirements")
		}
		areas := map[string]bool{}
		for _, a := range c.Areas {
			areas[a.ID] = true
		}
		seen := map[string]bool{}
		for _, r := range c.Requirements {
			m := idPattern.FindStringSubmatch(r.ID)
			if m == nil || m[1] != r.Area || !areas[r.Area] {
				t.Fatalf("accepted malformed id %q in area %q", r.ID, r.Area)
			}
			if seen[r.ID] {
				t.Fatalf("accepted duplicate id %q", r.ID)
			}
			seen[r.ID] = true
			if r.Title == "" || r.Behaviour == "" || r.Evidence == "" || len(r.Models) == 0 {
				t.Fatalf("accepted incomplete row %q", r.ID)
			}
			for _, m := range r.Models {
				if m != ModelIoT && m != ModelMove {
					t.Fatalf("accepted model %q", m)
				}
			}
			if got, ok := c.Lookup(r.ID); !ok || got.ID != r.ID {
				t.Fatalf("Lookup(%q) does not find an accepted row", r.ID)
			}
		}
	})
}
