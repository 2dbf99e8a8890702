package target

import (
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

// Open starts the target of a kind in dir: "sim", "hil-sim" (on the virtual board of profile board, a
// file or an embedded fixtures/boards name; DefaultSimBoard when empty) or "hil:FILE". A board with a
// kind that has none is an error, so that a run never silently ignores the bench it was given.
func Open(kind, board, dir, model string, seed int64) (Target, error) {
	switch {
	case kind == KindSim || kind == "":
		if board != "" {
			return nil, fmt.Errorf("%w: a board (%q) needs --target %s", ErrUnknownKind, board, KindHILSim)
		}
		return NewSim(dir, model, seed)
	case kind == KindHILSim:
		if board == "" {
			board = DefaultSimBoard
		}
		p, err := hilboard.LoadFile(board)
		if err != nil {
			return nil, fmt.Errorf("hil-sim target: board profile: %w", err)
		}
		return NewHILSim(dir, model, seed, p)
	case strings.HasPrefix(kind, HILPrefix):
		return nil, fmt.Errorf("target %s: %w: a bench target needs the camera on the board, serving its API over the network "+
			"(vsslab camera serve --board FILE stops at V4L2 frame capture), and an adapter that reaches it there and reads the "+
			"profile's probe lines; see docs/bench.md", kind, ErrNotImplemented)
	}
	return nil, fmt.Errorf("%w %q: use %s (the in-process reference camera), %s (the same camera on the virtual board) or %sFILE (a bench)",
		ErrUnknownKind, kind, KindSim, KindHILSim, HILPrefix)
}
