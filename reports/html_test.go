package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"vsslab/fixtures"
)

// onePixelPNG is a 1×1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

func renderHTML(t testing.TB, rep Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHTMLContainsEveryRequirement(t *testing.T) {
	g := NewWithT(t)
	cat, err := ParseCatalogue(fixtures.Requirements())
	g.Expect(err).NotTo(HaveOccurred())
	rep := Build(testRun, cat, ginkgoReport(it("a", types.SpecStatePassed, "AUTH-1")))
	page := renderHTML(t, rep)
	for _, id := range catalogueIDs {
		g.Expect(page).To(ContainSubstring(`<a href="#req-`+id+`">`+id+`</a>`), id)
		g.Expect(page).To(ContainSubstring(`id="req-`+id+`"`), id)
	}
	g.Expect(page).To(ContainSubstring("<title>vsslab certification report: move 1.0.0</title>"))
	g.Expect(page).To(ContainSubstring("<h1>vsslab certification report</h1>"))
	req, _ := cat.Lookup("PBD-4")
	g.Expect(page).To(ContainSubstring(req.Title))
	g.Expect(page).To(ContainSubstring("a network observer sees zero connection attempts"), "the expected evidence is shown")
}

func TestHTMLHeaderAndSummary(t *testing.T) {
	g := NewWithT(t)
	rep := sampleReport(t)
	page := renderHTML(t, rep)
	for _, s := range []string{"in-process", "move", "1.0.0", "sha256:00ff", "SIM-1", "0.1.0", "<code>42</code>", "AUTH || MASK",
		"2026-03-01 09:00:00.123 &#43;01:00", "linux/amd64", "How to read this report"} {
		g.Expect(page).To(ContainSubstring(s), s)
	}
	// every verdict is spelled out, in the summary and the legend, so the page prints in black and white
	for _, v := range Verdicts() {
		g.Expect(strings.Count(page, `<span class="badge `+string(v)+`">`+v.Text()+`</span>`)).To(BeNumerically(">=", 2), string(v))
	}
	g.Expect(page).To(MatchRegexp(`<span class="count">1</span><span class="badge failed">failed</span>`))
	g.Expect(page).To(ContainSubstring("Problems to review before signing"))
	g.Expect(page).To(ContainSubstring(`spec &#34;Cam orphan&#34; labels unknown requirement XYZ-1`))
	g.Expect(page).To(ContainSubstring("Specs that verify no known requirement"))
	g.Expect(page).To(ContainSubstring("not applicable: the target cannot zoom"))
	g.Expect(page).To(ContainSubstring("<strong>Skipped</strong> at"), "a skip is not called a failure")
	g.Expect(page).To(ContainSubstring("<strong>Failure</strong> at"))
}

func TestHTMLIsSelfContained(t *testing.T) {
	g := NewWithT(t)
	page := renderHTML(t, sampleReport(t))
	g.Expect(strings.ToLower(page)).NotTo(ContainSubstring("<script"))
	g.Expect(page).NotTo(MatchRegexp(`(?i)(src|href)="(https?:)?//`))
	g.Expect(page).NotTo(ContainSubstring("<link"))
	g.Expect(page).To(ContainSubstring("@media print"))
	for _, href := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		g.Expect(href[1]).To(HavePrefix("#"), "only links inside the page")
	}
}

func TestHTMLEscapesSpecText(t *testing.T) {
	g := NewWithT(t)
	evil := `<script>alert("x")</script>`
	sr := withFailure(it(evil, types.SpecStateFailed, "AUTH-1"), "got "+evil)
	sr = withEntry(sr, evil, types.WrapEntryValue(map[string]string{"body": evil}))
	rep := Build(testRun, testCatalogue(t), ginkgoReport(sr))
	page := renderHTML(t, rep)
	g.Expect(page).NotTo(ContainSubstring("<script"))
	g.Expect(page).To(ContainSubstring(`got &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`))
	g.Expect(page).To(ContainSubstring(`&#34;body&#34;: &#34;&lt;script&gt;alert(\&#34;x\&#34;)&lt;/script&gt;&#34;`),
		"the evidence reads as written, not as \\u003c escapes, and is escaped for HTML")
}

func imageEvidence(mime, data string) types.ReportEntryValue {
	return types.WrapEntryValue(map[string]string{"kind": "image", "mime": mime, "data": data})
}

func TestHTMLImageEvidence(t *testing.T) {
	g := NewWithT(t)
	png := base64.StdEncoding.EncodeToString(onePixelPNG)
	sr := it("masked frame", types.SpecStatePassed, "AUTH-1")
	sr = withEntry(sr, "frame after mask change", imageEvidence("image/png", png))
	sr = withEntry(sr, "svg is not inlined", imageEvidence("image/svg+xml", png))
	sr = withEntry(sr, "bad base64", imageEvidence("image/png", "%%%"))
	sr = withEntry(sr, "not an image kind", types.WrapEntryValue(map[string]string{"kind": "frame", "mime": "image/png", "data": png}))
	page := renderHTML(t, Build(testRun, testCatalogue(t), ginkgoReport(sr)))
	g.Expect(page).To(ContainSubstring(`<img src="data:image/png;base64,` + png + `" alt="frame after mask change">`))
	g.Expect(strings.Count(page, "<img ")).To(Equal(1))
	g.Expect(page).To(ContainSubstring(`&#34;mime&#34;: &#34;image/svg&#43;xml&#34;`), "shown as JSON instead")
	g.Expect(page).To(ContainSubstring(`&#34;data&#34;: &#34;%%%&#34;`))
}

func TestImageURL(t *testing.T) {
	g := NewWithT(t)
	png := base64.StdEncoding.EncodeToString(onePixelPNG)
	for _, mime := range []string{"image/png", "image/jpeg", "image/gif", "image/webp"} {
		v, _ := json.Marshal(map[string]string{"kind": "image", "mime": mime, "data": png})
		u, ok := imageURL(v)
		g.Expect(ok).To(BeTrue(), mime)
		g.Expect(string(u)).To(Equal("data:" + mime + ";base64," + png))
	}
	for _, bad := range []string{`{"kind":"image","mime":"image/png","data":""}`, `{"kind":"image","mime":"text/html","data":"PGI+"}`,
		`"image"`, `{"kind":"image","mime":"image/png","data":"PGI+\"onerror=\"x"}`, `{"kind":"image","mime":"image/png;x","data":"PGI+"}`} {
		_, ok := imageURL(json.RawMessage(bad))
		g.Expect(ok).To(BeFalse(), bad)
	}
}

func TestPrettyJSON(t *testing.T) {
	g := NewWithT(t)
	g.Expect(prettyJSON(json.RawMessage(`{"a":[1,2],"b":"\u003cx\u003e \u0026 \\u003c \"q\""}`))).To(Equal(
		"{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"<x> & \\\\u003c \\\"q\\\"\"\n}"))
	g.Expect(prettyJSON(json.RawMessage(`"\\"`))).To(Equal(`"\\"`))
	g.Expect(prettyJSON(json.RawMessage(`oops`))).To(Equal("oops"))
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteHTMLReportsWriteErrors(t *testing.T) {
	g := NewWithT(t)
	g.Expect(WriteHTML(failingWriter{}, sampleReport(t))).To(MatchError(ContainSubstring("disk full")))
}
