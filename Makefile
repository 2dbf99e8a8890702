# vsslab: the two commands that do everything on a fresh machine are `make run` and `make test`.
GO       ?= go
BIN      := bin/vsslab
OUT      ?= report
SEED     ?= 1
MODEL    ?= iot
FUZZTIME ?= 15s

.PHONY: all build run test race vet fmt-check fuzz bench serve image clean

all: build

# Static (no cgo), so the same binary runs on a board, on this machine and in a FROM scratch image.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/vsslab

# The main job: every suite against the embedded simulated camera, the fixed model in ./report/ and
# the PTZ model in ./report/move/, then the fixed model on the virtual board (hil-sim, with the bench
# specs) in ./report/hil-sim/, and in a container (./report/container/) where a Docker engine answers.
# A failed requirement in any fails the target (after all ran).
run: build
	@status=0; \
	$(BIN) run --target sim --model iot --seed $(SEED) --out $(OUT) || status=$$?; \
	$(BIN) run --target sim --model move --seed $(SEED) --out $(OUT)/move || status=$$?; \
	$(BIN) run --target hil-sim --model iot --seed $(SEED) --out $(OUT)/hil-sim || status=$$?; \
	if docker info >/dev/null 2>&1; then \
	  $(BIN) run --target container --model iot --seed $(SEED) --out $(OUT)/container || status=$$?; \
	else echo "container target skipped: no Docker engine answers (docker info failed)"; fi; \
	exit $$status

# Every test: formatting, vet, unit tests beside the code, the scenario suites on both models, and the
# parity runs on the virtual board (hil-sim, iot), through the bench target on the virtual board
# (bench-sim, in real time) and in a container (skipped without a Docker engine), without the
# slow-labelled spec, to keep CI time down.
test: fmt-check vet
	$(GO) test -count=1 ./...
	$(MAKE) race
	VSSLAB_MODEL=move $(GO) test -count=1 ./scenarios/
	VSSLAB_TARGET=hil-sim $(GO) test -count=1 ./scenarios/ -ginkgo.label-filter='!slow'
	VSSLAB_TARGET=bench-sim $(GO) test -count=1 ./scenarios/ -ginkgo.label-filter='!slow'
	VSSLAB_TARGET=container $(GO) test -count=1 ./scenarios/ -ginkgo.label-filter='!slow'

# The unit tests of the camera, the simulated world, the board drivers and the targets under the race
# detector: the camera is a set of goroutines sharing state, and a data race there is a bug a test
# that happens to pass would hide.
race:
	$(GO) test -race -count=1 ./camera/... ./sim/... ./hil/... ./reports/... ./scenarios/target/ ./scenarios/runner/ ./scenarios/portscan/

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

# The camera as a container image, vsslab-camera:latest: the static binary and nothing else.
image: build
	@ctx=$$(mktemp -d) && mkdir $$ctx/state && cp $(BIN) $$ctx/vsslab && \
	cp scenarios/target/camera.Dockerfile $$ctx/Dockerfile && \
	docker build -q -t vsslab-camera:latest $$ctx; status=$$?; rm -rf $$ctx; exit $$status

serve: build
	$(BIN) camera serve --state ./camera-state

clean:
	rm -rf bin $(OUT)
