package reports

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlTemplate string

// WriteHTML writes the report as one self-contained HTML page for the auditor who signs it:
// inline CSS, no scripts, no external links, pictures inlined as data: URIs, and every verdict
// spelled out in words so that it reads the same printed in black and white. The page is
// rendered in full before anything is written, so a rendering error writes nothing.
func WriteHTML(w io.Writer, rep Report) error {
	t, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("parse report template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, newHTMLView(rep)); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// htmlView is the report prepared for the template, which then needs no logic of its own.
type htmlView struct {
	Report       Report
	Started      string
	Finished     string
	Duration     string
	Environment  []keyValue
	Summary      []verdictCount
	Total        int
	Legend       []legendEntry
	Requirements []requirementView
	Unmapped     []specView
}

type keyValue struct{ Key, Value string }

type verdictCount struct {
	Verdict verdictView
	Count   int
}

type verdictView struct {
	Class string // CSS class: the verdict's value
	Text  string // the verdict in words
}

type legendEntry struct {
	Verdict verdictView
	Meaning string
}

type requirementView struct {
	RequirementResult
	Anchor  string
	Verdict verdictView
	Refs    string
	Models  string
	Specs   []specView
}

type specView struct {
	SpecResult
	State    verdictView
	Labels   string
	RunTime  string
	Evidence []evidenceView
}

type evidenceView struct {
	Name     string
	Location string
	// Image is set when the value is a picture; otherwise Pretty holds the value as indented JSON.
	Image  template.URL
	Pretty string
}

func newHTMLView(rep Report) htmlView {
	v := htmlView{
		Report:   rep,
		Started:  formatTime(rep.Started),
		Finished: formatTime(rep.Finished),
		Total:    len(rep.Requirements),
	}
	if !rep.Started.IsZero() && !rep.Finished.IsZero() {
		v.Duration = rep.Finished.Sub(rep.Started).Round(time.Millisecond).String()
	}
	keys := make([]string, 0, len(rep.Environment))
	for k := range rep.Environment {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.Environment = append(v.Environment, keyValue{k, rep.Environment[k]})
	}
	for _, verdict := range Verdicts() {
		v.Summary = append(v.Summary, verdictCount{viewOf(verdict), rep.Summary[verdict]})
		v.Legend = append(v.Legend, legendEntry{viewOf(verdict), verdictMeaning[verdict]})
	}
	for _, req := range rep.Requirements {
		rv := requirementView{
			RequirementResult: req,
			Anchor:            "req-" + req.ID,
			Verdict:           viewOf(req.Verdict),
			Refs:              strings.Join(req.Refs, "; "),
			Models:            strings.Join(req.Models, ", "),
		}
		for _, s := range req.Specs {
			rv.Specs = append(rv.Specs, newSpecView(s))
		}
		v.Requirements = append(v.Requirements, rv)
	}
	for _, s := range rep.Unmapped {
		v.Unmapped = append(v.Unmapped, newSpecView(s))
	}
	return v
}

func newSpecView(s SpecResult) specView {
	sv := specView{
		SpecResult: s,
		State:      viewOf(s.State),
		Labels:     strings.Join(s.Labels, ", "),
		RunTime:    time.Duration(s.RunTime * float64(time.Second)).Round(time.Millisecond).String(),
	}
	for _, e := range s.Evidence {
		ev := evidenceView{Name: e.Name, Location: e.Location}
		if img, ok := imageURL(e.Value); ok {
			ev.Image = img
		} else {
			ev.Pretty = prettyJSON(e.Value)
		}
		sv.Evidence = append(sv.Evidence, ev)
	}
	return sv
}

// verdictMeaning is the legend: what each verdict tells the auditor.
var verdictMeaning = map[Verdict]string{
	Passed:        "Every spec verifying the requirement ran and passed (not applicable ones aside), and at least one did.",
	Failed:        "At least one spec observed the camera breaking the requirement.",
	Error:         "A spec panicked, was interrupted, aborted or timed out, or the suite's setup failed: the evidence cannot be trusted either way.",
	NotApplicable: "The target lacks what the requirement is about (for example another camera model); the recorded justification says why.",
	NotRun:        "No spec verifies the requirement yet, or some of its specs did not run. Incomplete evidence is never a pass.",
}

func viewOf(v Verdict) verdictView {
	if !v.Valid() {
		return verdictView{Class: "unknown", Text: string(v)}
	}
	return verdictView{Class: string(v), Text: v.Text()}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Format("2006-01-02 15:04:05.000 -07:00")
}

// imageMIME lists the picture types shown inline. SVG is left out: it can carry scripts.
var imageMIME = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// imageURL recognises an evidence value of the form {"kind":"image","mime":"image/png",
// "data":"<base64>"} and returns it as a data: URI. The data is decoded and re-encoded, so only
// well-formed base64 of a known picture type ever reaches the page.
func imageURL(v json.RawMessage) (template.URL, bool) {
	var img struct {
		Kind string `json:"kind"`
		MIME string `json:"mime"`
		Data string `json:"data"`
	}
	if json.Unmarshal(v, &img) != nil || img.Kind != "image" || !imageMIME[img.MIME] {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(img.Data)
	if err != nil || len(raw) == 0 {
		return "", false
	}
	return template.URL("data:" + img.MIME + ";base64," + base64.StdEncoding.EncodeToString(raw)), true
}

// prettyJSON indents a value for people, undoing encoding/json's \u003c, \u003e and \u0026
// escapes so that a message reads as it was written; the template escapes it for HTML.
func prettyJSON(v json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, v, "", "  "); err != nil {
		return string(v)
	}
	return unescapeHTMLInJSON(buf.String())
}

func unescapeHTMLInJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i:min(i+6, len(s))] {
		case `\u003c`:
			b.WriteByte('<')
			i += 5
			continue
		case `\u003e`:
			b.WriteByte('>')
			i += 5
			continue
		case `\u0026`:
			b.WriteByte('&')
			i += 5
			continue
		}
		b.WriteString(s[i : i+2]) // any other escape, such as \\ or \", stays as it is
		i++
	}
	return b.String()
}
