package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrSchema is wrapped by ReadJSON's error when the document is not a vsslab.report/v1 report,
// so that a tool merging shards can tell a foreign file from a damaged one.
var ErrSchema = errors.New("not a " + Schema + " report")

// WriteJSON writes the report as indented JSON with a trailing newline. The encoding is
// deterministic (struct fields in order, map keys sorted), so a signature over it is stable.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report JSON: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON, strictly: unknown fields, trailing data, another
// schema, unknown verdicts and a summary that does not match the requirements are errors, since
// a report read back is about to be merged, verified or signed.
func ReadJSON(r io.Reader) (Report, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rep Report
	if err := dec.Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("read report JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Report{}, errors.New("read report JSON: trailing data after the report")
	}
	if rep.Schema != Schema {
		return Report{}, fmt.Errorf("read report JSON: schema %q: %w", rep.Schema, ErrSchema)
	}
	if err := rep.check(); err != nil {
		return Report{}, fmt.Errorf("read report JSON: %w", err)
	}
	return rep, nil
}

// check verifies what Build guarantees: one result per requirement with a known verdict and a
// unique, well-formed ID, specs with known states, and a summary that counts the results.
func (rep Report) check() error {
	count := map[Verdict]int{}
	seen := map[string]bool{}
	for i, req := range rep.Requirements {
		if !idPattern.MatchString(req.ID) {
			return fmt.Errorf("requirement %d: malformed id %q", i+1, req.ID)
		}
		if seen[req.ID] {
			return fmt.Errorf("requirement %d: duplicate id %s", i+1, req.ID)
		}
		seen[req.ID] = true
		if !req.Verdict.Valid() {
			return fmt.Errorf("requirement %s: unknown verdict %q", req.ID, req.Verdict)
		}
		count[req.Verdict]++
		for _, s := range req.Specs {
			if !s.State.Valid() {
				return fmt.Errorf("requirement %s: spec %q: unknown state %q", req.ID, s.Name, s.State)
			}
		}
	}
	for _, s := range rep.Unmapped {
		if !s.State.Valid() {
			return fmt.Errorf("unmapped spec %q: unknown state %q", s.Name, s.State)
		}
	}
	if len(rep.Summary) != len(Verdicts()) {
		return fmt.Errorf("summary has %d verdicts, want all %d", len(rep.Summary), len(Verdicts()))
	}
	for _, v := range Verdicts() {
		n, ok := rep.Summary[v]
		if !ok {
			return fmt.Errorf("summary lacks %s", v)
		}
		if n != count[v] {
			return fmt.Errorf("summary counts %d %s, the requirements %d", n, v, count[v])
		}
	}
	return nil
}
