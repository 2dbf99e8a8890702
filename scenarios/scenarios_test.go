package scenarios

import (
	"errors"
	"os"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"vsslab/scenarios/target"
)

// TestScenarios runs every suite against the in-process simulated camera, exactly as `vsslab run`
// does. Ginkgo's flags work as usual (-ginkgo.label-filter, -ginkgo.v); VSSLAB_MODEL picks the model,
// VSSLAB_SEED the seed, VSSLAB_TARGET the target (sim; hil-sim, the same camera on the virtual board;
// container, the camera built from this source and run in a container, skipped where no Docker
// engine answers) and VSSLAB_BOARD the hil-sim board's profile.
func TestScenarios(t *testing.T) {
	model := os.Getenv("VSSLAB_MODEL")
	if model == "" {
		model = "iot"
	}
	seed := int64(1)
	if v := os.Getenv("VSSLAB_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("VSSLAB_SEED=%q is not a number", v)
		}
		seed = n
	}
	tgt, err := target.Open(os.Getenv("VSSLAB_TARGET"), os.Getenv("VSSLAB_BOARD"), t.TempDir(), model, seed)
	if errors.Is(err, target.ErrNoEngine) {
		t.Skipf("the container target needs a Docker engine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	suiteCfg, reporterCfg := GinkgoConfiguration()
	suiteCfg.RandomSeed = seed
	if _, err := Run(t, Env{Target: tgt, Model: model}, suiteCfg, reporterCfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
}
