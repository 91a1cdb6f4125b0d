# iotsim — common tasks. `make test` is the test command CI runs.
GO      ?= go
PKGS    := ./...
BIN     := bin/iotsim

.PHONY: build test bench bench-kernel bench-fleet bench-sweep run lint fuzz clean slurm-test

build:
	$(GO) build -o $(BIN) ./cmd/iotsim

# The default test run: unit, statistical, golden and end-to-end tests.
test:
	$(GO) test -count=1 $(PKGS)

# Every benchmark whose figure BENCHMARKS.md records (takes several minutes).
bench: bench-kernel bench-fleet bench-sweep
	$(GO) test -run XXX -bench . -benchmem ./models/... ./metrics/... ./experiments/output/... ./protocols/...

bench-kernel:
	$(GO) test -run XXX -bench . -benchtime 10000000x ./sim

# Sweep parallelism and memory (issue 5).
bench-sweep:
	$(GO) test -run XXX -bench 'SweepWorkers|SweepMemory' -benchtime 3x ./experiments

# One process per benchmark: peak RSS is a per-process figure.
bench-fleet:
	for b in Fleet100k CoAPFleet100k MQTTFleet100k CoAPFleet100kSimulationOnly IdleDeviceMemory IdleCoAPDeviceMemory ConnectedMQTTDeviceMemory; do \
		$(GO) test -run XXX -bench "^Benchmark$$b$$" -benchtime 1x -timeout 30m ./experiments || exit 1; \
	done

# A sweep as a Slurm job array on a single-node cluster started on this
# machine (Debian, root: installs slurm-wlm and munge), checked against an
# unsharded run. Not part of `make test`. See experiments/cluster/README.md.
slurm-test:
	bash experiments/cluster/slurm/slurm-test.sh

# Runs the shipped quick-start experiment.
run:
	$(GO) run ./cmd/iotsim run experiments/quickstart.toml

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Short fuzzing of every parser (FUZZTIME per target).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run XXX -fuzz FuzzParseHeader -fuzztime $(FUZZTIME) ./protocols/udp
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./protocols/coap

clean:
	rm -rf bin out
