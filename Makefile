# vsslab: the two commands that do everything on a fresh machine are `make run` and `make test`.
GO       ?= go
BIN      := bin/vsslab
OUT      ?= report
SEED     ?= 1
MODEL    ?= iot
FUZZTIME ?= 15s

.PHONY: all build run test vet fmt-check fuzz bench serve clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/vsslab

# The main job: every suite against the embedded simulated camera, the fixed model in ./report/ and
# the PTZ model in ./report/move/, then the fixed model on the virtual board (hil-sim, with the bench
# specs) in ./report/hil-sim/. A failed requirement in any fails the target (after all ran).
run: build
	@status=0; \
	$(BIN) run --target sim --model iot --seed $(SEED) --out $(OUT) || status=$$?; \
	$(BIN) run --target sim --model move --seed $(SEED) --out $(OUT)/move || status=$$?; \
	$(BIN) run --target hil-sim --model iot --seed $(SEED) --out $(OUT)/hil-sim || status=$$?; \
	exit $$status

# Every test: formatting, vet, unit tests beside the code, the scenario suites on both models, and the
# parity run on the virtual board (hil-sim, iot) without the slow-labelled spec, to keep CI time down.
test: fmt-check vet
	$(GO) test -count=1 ./...
	VSSLAB_MODEL=move $(GO) test -count=1 ./scenarios/
	VSSLAB_TARGET=hil-sim $(GO) test -count=1 ./scenarios/ -ginkgo.label-filter='!slow'

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# A short run of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; \
	    TMPDIR=$${TMPDIR:-/dev/shm} $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 20x $$pkg; \
	  done; \
	done

# Benchmarks print ratios against a reference run in the same process (ffmpeg on the same frames).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./camera/ ./camera/mask/
	$(GO) test -run '^$$' -bench 'Ratio|Stdlib' -benchtime 3s ./camera/jpeg/
	$(GO) test -run '^$$' -bench . ./sim/scene/
	$(GO) test -run '^$$' -bench 'Seal|Open|DestroyBucket' ./camera/record/
	$(GO) test -run '^$$' -bench . ./camera/motion/
	$(GO) test -run '^$$' -bench . ./scenarios/portscan/

serve: build
	$(BIN) camera serve --state ./camera-state

clean:
	rm -rf bin $(OUT)
