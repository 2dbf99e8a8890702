package target

import (
	"context"
	"errors"
	"fmt"
	"strings"

	hilboard "vsslab/hil/board"
)

// The kinds of target `vsslab run --target` and `go test ./scenarios/` (VSSLAB_TARGET) name.
const (
	KindSim    = "sim"
	KindHILSim = "hil-sim"
	// HILPrefix starts a real bench target: "hil:FILE", FILE the bench's board profile.
	HILPrefix = "hil:"
	// DefaultSimBoard is the virtual board's profile when hil-sim is given none.
	DefaultSimBoard = "sim-ov5640"
)

// ErrUnknownKind matches (errors.Is) Open's error for a kind it does not know, a usage mistake.
var ErrUnknownKind = errors.New("unknown target")

// ErrNotImplemented matches Open's error for a kind this build cannot drive yet.
var ErrNotImplemented = errors.New("not implemented on this build")

// ErrNeedsCamera matches Open's error for a bench target, which needs the camera's address and
// certificate pin: OpenHIL takes them.
var ErrNeedsCamera = errors.New("a bench target needs the camera's address and certificate pin")

// Open starts the target of a kind in dir: "sim", "hil-sim" and "bench-sim" (on the virtual board of
// profile board, a file or an embedded fixtures/boards name; DefaultSimBoard when empty), "container" (the camera
// built from this module's source and run in a container; OpenContainer takes a binary) or
// "hil:FILE". A board with a kind that has none is an error, so that a run never silently ignores
// the bench it was given.
func Open(kind, board, dir, model string, seed int64) (Target, error) {
	switch {
	case kind == KindContainer:
		if board != "" {
			return nil, fmt.Errorf("%w: a board (%q) needs --target %s or %s", ErrUnknownKind, board, KindHILSim, KindBenchSim)
		}
		return NewContainer(context.Background(), ContainerOptions{Model: model, Seed: seed, Dir: dir})
	case kind == KindSim || kind == "":
		if board != "" {
			return nil, fmt.Errorf("%w: a board (%q) needs --target %s or %s", ErrUnknownKind, board, KindHILSim, KindBenchSim)
		}
		return NewSim(dir, model, seed)
	case kind == KindHILSim || kind == KindBenchSim:
		if board == "" {
			board = DefaultSimBoard
		}
		p, err := hilboard.LoadFile(board)
		if err != nil {
			return nil, fmt.Errorf("%s target: board profile: %w", kind, err)
		}
		if kind == KindBenchSim {
			return NewBenchSim(dir, model, seed, p)
		}
		return NewHILSim(dir, model, seed, p)
	case strings.HasPrefix(kind, HILPrefix):
		return nil, fmt.Errorf("target %s: %w: open it with OpenHIL (vsslab run --camera URL --pin HEX); see docs/bench.md", kind, ErrNeedsCamera)
	}
	return nil, fmt.Errorf("%w %q: use %s (the in-process reference camera), %s (the same camera on the virtual board), %s (the bench target on the virtual board), %s (the camera in a container) or %sFILE (a bench)",
		ErrUnknownKind, kind, KindSim, KindHILSim, KindBenchSim, KindContainer, HILPrefix)
}

// OpenHIL opens the bench target kind "hil:FILE" (FILE a profile file or an embedded fixtures/boards
// name) for the camera o names. It loads periph's host drivers (hilboard.HostInit) unless o.Init is
// set, because the probes are the harness host's own GPIO.
func OpenHIL(ctx context.Context, kind string, o HILOptions) (*HIL, error) {
	file, ok := strings.CutPrefix(kind, HILPrefix)
	if !ok || file == "" {
		return nil, fmt.Errorf("%w %q: a bench is %sFILE, FILE its board profile", ErrUnknownKind, kind, HILPrefix)
	}
	p, err := hilboard.LoadFile(file)
	if err != nil {
		return nil, fmt.Errorf("hil target: board profile: %w", err)
	}
	o.Profile = p
	if o.Init == nil {
		o.Init = hilboard.HostInit
	}
	return NewHIL(ctx, o)
}
