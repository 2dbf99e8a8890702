// Package runner is `vsslab run`: it starts a target, runs the scenario suites against it with
// Ginkgo, and writes the certification report. It lives apart from cmd/vsslab so that the command
// stays a thin layer of flags, and so that the whole run is testable in-process.
package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"vsslab/fixtures"
	"vsslab/reports"
	"vsslab/scenarios"
	"vsslab/scenarios/target"
)

// HarnessVersion is vsslab's version, recorded in every report.
const HarnessVersion = "0.1.0"

// Options of one run.
type Options struct {
	// Target is the kind of target: "sim" (the in-process reference camera), "hil-sim" (the same camera
	// on the virtual board, opened as a bench opens a real one) or "hil:FILE" (a camera on a bench
	// board, FILE the bench's profile, a file or an embedded name).
	Target string
	// Board is the hil-sim target's board profile, a file or an embedded name; target.DefaultSimBoard
	// when empty.
	Board string
	// Camera and Pin are a bench camera's HTTPS base URL and certificate SHA-256, as the ready line of
	// `vsslab camera serve --board FILE` prints them; required for hil:FILE, refused otherwise.
	Camera, Pin string
	// CameraHTTP and RTSP are the bench camera's plain-HTTP base and live stream URL; optional.
	CameraHTTP, RTSP string
	// Model is the camera model, "iot" or "move"; "iot" when empty, except on a bench, where empty
	// takes the camera's own.
	Model string
	// LabelFilter selects specs by requirement ID or area (Ginkgo label-filter syntax).
	LabelFilter string
	// OutDir receives report.json, junit.xml, report.html and run.log.
	OutDir string
	// Seed fixes the simulated world and the spec order; the same seed gives the same verdicts and
	// evidence.
	Seed int64
	// Progress receives progress lines (stderr); Terminal draws a bar there instead.
	Progress io.Writer
	Terminal bool
	// WorkDir holds the target's state; a temporary directory when empty.
	WorkDir string
}

// UsageError is a mistake in the options: exit code 2 with a message that says what to do.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Result is what a run produced.
type Result struct {
	Report reports.Report
	// ExitCode is 0 when nothing failed, 1 when a requirement failed, 2 when the run itself broke.
	ExitCode int
}

// Run runs the suites once. Ginkgo allows one run per process, which is how the command uses it.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.check(); err != nil {
		return Result{}, err
	}
	cat, err := reports.ParseCatalogue(fixtures.Requirements())
	if err != nil {
		return Result{}, fmt.Errorf("read the requirements catalogue: %w", err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create report directory: %w", err)
	}
	work := o.WorkDir
	if work == "" {
		work, err = os.MkdirTemp("", "vsslab-run-")
		if err != nil {
			return Result{}, fmt.Errorf("create work directory: %w", err)
		}
		defer os.RemoveAll(work)
	}
	tgt, err := o.open(ctx, work)
	if errors.Is(err, target.ErrUnknownKind) {
		return Result{}, &UsageError{Msg: err.Error()}
	}
	if err != nil {
		return Result{}, fmt.Errorf("start the %s target: %w", o.Target, err)
	}
	defer tgt.Close()
	info, err := tgt.Info(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("identify the target: %w", err)
	}
	if o.Model == "" {
		o.Model = info.Model // a bench camera says what it is
	}

	suiteCfg, reporterCfg := GinkgoConfiguration()
	suiteCfg.RandomSeed = o.Seed
	suiteCfg.LabelFilter = o.LabelFilter
	suiteCfg.Timeout = time.Hour
	reporterCfg.NoColor = true
	reporterCfg.Succinct = true

	logPath := o.OutDir + string(os.PathSeparator) + "run.log"
	restore, err := redirectStdout(logPath)
	if err != nil {
		return Result{}, err
	}
	bar := newProgress(o.Progress, o.Terminal)
	started := time.Now().UTC()
	t := &failRecorder{}
	gr, runErr := scenarios.Run(t, scenarios.Env{Target: tgt, Model: o.Model}, suiteCfg, reporterCfg, scenarios.Hooks{
		Starting: bar.start,
		Finished: bar.finished,
	})
	finished := time.Now().UTC()
	bar.done()
	if err := restore(); err != nil {
		return Result{}, err
	}
	if runErr != nil {
		return Result{}, fmt.Errorf("run the suites (transcript in %s): %w", logPath, runErr)
	}

	rep := reports.Build(reports.Run{
		HarnessVersion: HarnessVersion,
		Target: reports.Target{
			Kind: info.Kind, Model: info.Model, Firmware: info.Firmware, Serial: info.Serial,
			FirmwareHash: o.firmwareHash(),
		},
		Seed:        o.Seed,
		LabelFilter: o.LabelFilter,
		Started:     started,
		Finished:    finished,
		Environment: environment(),
	}, cat, gr)
	if err := reports.WriteAll(o.OutDir, rep, gr); err != nil {
		return Result{}, fmt.Errorf("write the report: %w", err)
	}
	return Result{Report: rep, ExitCode: exitCode(rep)}, nil
}

// open starts or reaches the target the options name.
func (o *Options) open(ctx context.Context, work string) (target.Target, error) {
	if o.Target == target.KindContainer {
		// The camera in the container is this very program: vsslab carries the camera's firmware,
		// so the image holds the binary whose hash the report names.
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("container target: find this program: %w", err)
		}
		return target.NewContainer(ctx, target.ContainerOptions{Model: o.Model, Seed: o.Seed, Dir: work, Binary: exe})
	}
	if !o.bench() {
		return target.Open(o.Target, o.Board, work, o.Model, o.Seed)
	}
	return target.OpenHIL(ctx, o.Target, target.HILOptions{
		BaseURL: o.Camera, Pin: o.Pin, HTTPURL: o.CameraHTTP, RTSPURL: o.RTSP, Model: o.Model,
	})
}

func (o *Options) bench() bool { return strings.HasPrefix(o.Target, target.HILPrefix) }

func (o *Options) check() error {
	if o.Target == "" {
		o.Target = "sim"
	}
	if o.bench() && (o.Camera == "" || o.Pin == "") {
		return &UsageError{Msg: fmt.Sprintf("--target %s needs the camera on the bench: --camera https://HOST:PORT and --pin HEX "+
			"(the \"https\" and \"cert_sha256\" of the ready line `vsslab camera serve --board FILE` prints on the board); see docs/bench.md", o.Target)}
	}
	if !o.bench() && o.Camera+o.Pin+o.CameraHTTP+o.RTSP != "" {
		return &UsageError{Msg: fmt.Sprintf("--camera, --pin, --camera-http and --rtsp name a bench camera: they need --target %sFILE, not %s", target.HILPrefix, o.Target)}
	}
	switch {
	case o.Target != target.KindSim && o.Target != target.KindHILSim && o.Target != target.KindBenchSim && o.Target != target.KindContainer && !strings.HasPrefix(o.Target, target.HILPrefix):
		return &UsageError{Msg: fmt.Sprintf("unknown target %q: use %s (the in-process reference camera), %s (the same camera on the virtual board), %s (the bench target on the virtual board), %s (the camera in a container) or %sFILE (a bench)",
			o.Target, target.KindSim, target.KindHILSim, target.KindBenchSim, target.KindContainer, target.HILPrefix)}
	case o.Board != "" && o.Target != target.KindHILSim && o.Target != target.KindBenchSim:
		return &UsageError{Msg: fmt.Sprintf("--board %s needs --target %s or %s (a bench's profile goes in --target %sFILE)", o.Board, target.KindHILSim, target.KindBenchSim, target.HILPrefix)}
	}
	if o.Model == "" && !o.bench() {
		o.Model = "iot"
	}
	if o.Model != "" && o.Model != "iot" && o.Model != "move" {
		return &UsageError{Msg: fmt.Sprintf("unknown model %q: use --model iot or --model move", o.Model)}
	}
	if o.OutDir == "" {
		return &UsageError{Msg: "no report directory: use --out DIR"}
	}
	if o.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(o.LabelFilter); err != nil {
			return &UsageError{Msg: fmt.Sprintf("bad --label-filter %q: %v", o.LabelFilter, err)}
		}
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

func exitCode(rep reports.Report) int {
	switch {
	case rep.Summary[reports.Failed] > 0:
		return 1
	case rep.Summary[reports.Error] > 0 || len(rep.Problems) > 0:
		return 2
	}
	return 0
}

// failRecorder is the GinkgoTestingT of a run outside `go test`.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// firmwareHash identifies the firmware under test when it is the reference camera built into this
// very program (sim, hil-sim, and the container, whose image holds this binary). A bench camera runs
// whatever was flashed onto its board, which this program cannot vouch for, so it has none.
func (o *Options) firmwareHash() string {
	if o.bench() {
		return ""
	}
	return executableHash()
}

// executableHash is the SHA-256 of this program's executable.
func executableHash() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func environment() map[string]string {
	env := map[string]string{
		"go":   runtime.Version(),
		"os":   runtime.GOOS,
		"arch": runtime.GOARCH,
		"cpus": fmt.Sprint(runtime.NumCPU()),
	}
	if h, err := os.Hostname(); err == nil {
		env["host"] = h
	}
	return env
}

// Summary is the short text printed after a run.
func Summary(rep reports.Report, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vsslab %s: %s %s (%s), seed %d\n", rep.Harness.Version, rep.Target.Kind, rep.Target.Model, rep.Target.Firmware, rep.Seed)
	var parts []string
	for _, v := range reports.Verdicts() {
		parts = append(parts, fmt.Sprintf("%d %s", rep.Summary[v], strings.ReplaceAll(string(v), "_", " ")))
	}
	fmt.Fprintf(&b, "requirements: %s\n", strings.Join(parts, ", "))
	var failed []string
	for _, r := range rep.Requirements {
		if r.Verdict == reports.Failed || r.Verdict == reports.Error {
			failed = append(failed, fmt.Sprintf("  %s %s: %s", r.ID, r.Verdict, r.Reason))
		}
	}
	sort.Strings(failed)
	for _, f := range failed {
		b.WriteString(f + "\n")
	}
	fmt.Fprintf(&b, "report: %s/report.html (also report.json, junit.xml, run.log)\n", strings.TrimSuffix(dir, "/"))
	return b.String()
}
