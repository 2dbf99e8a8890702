package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows how far a run is: a bar on a terminal, or one line per finished spec otherwise
// (CI logs, pipes), so a long run is never silent.
type progress struct {
	w        io.Writer
	terminal bool

	mu    sync.Mutex
	total int
	n     int
	p     *mpb.Progress
	bar   *mpb.Bar
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

func (p *progress) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	if p.terminal && total > 0 {
		p.p = mpb.New(mpb.WithOutput(p.w), mpb.WithWidth(40))
		p.bar = p.p.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name("scenarios "), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Percentage()),
		)
		return
	}
	fmt.Fprintf(p.w, "running %d specs\n", total)
}

func (p *progress) finished(r types.SpecReport) {
	if r.LeafNodeType != types.NodeTypeIt {
		return
	}
	if r.State == types.SpecStateSkipped && r.Failure.Message == "" {
		// Left out by the label filter: it never ran, and was not counted in the total.
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.bar != nil {
		p.bar.Increment()
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %-14s %s %s\n", p.n, p.total, stateWord(r), strings.Join(r.Labels(), ","), r.FullText())
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p != nil {
		p.p.Wait()
	}
}

// stateWord names a spec's outcome as the report does.
func stateWord(r types.SpecReport) string {
	switch r.State {
	case types.SpecStatePassed:
		return "passed"
	case types.SpecStateFailed:
		return "failed"
	case types.SpecStateSkipped:
		if strings.HasPrefix(strings.ToLower(r.Failure.Message), "not applicable:") {
			return "not applicable"
		}
		return "not run"
	case types.SpecStatePending:
		return "not run"
	}
	return "error"
}
