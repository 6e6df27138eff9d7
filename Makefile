# bilayer build, test and run targets. `make help` lists them.
#
# Builds use cgo (libsecp256k1 recovers a sender ~4x faster than the pure-Go
# fallback) and link statically so container images can be FROM scratch.
# Where no C compiler exists we fall back to CGO_ENABLED=0 and say so.

GO       ?= go
BIN      ?= bin
CC       ?= cc
HAVE_CC  := $(shell command -v $(CC) >/dev/null 2>&1 && echo 1 || echo 0)

ifeq ($(HAVE_CC),1)
export CGO_ENABLED := 1
STATIC_LDFLAGS := -linkmode external -extldflags "-static"
CGO_NOTICE :=
else
export CGO_ENABLED := 0
STATIC_LDFLAGS :=
CGO_NOTICE := echo "notice: no C compiler ($(CC)) found: building with CGO_ENABLED=0 (pure-Go secp256k1, about 4x slower sender recovery)";
endif

BUILD_TAGS := netgo,osusergo
LDFLAGS    := -s -w $(STATIC_LDFLAGS)
CMDS       := $(notdir $(wildcard cmd/*))
TEST_TIMEOUT ?= 25m
FUZZTIME ?= 60s
BENCHTIME ?= 1x

.PHONY: help build test test-short lint fmt bench bench-go fuzz devnet clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build every binary in cmd/ into bin/ (cgo, statically linked)
	@$(CGO_NOTICE)
	@mkdir -p $(BIN)
	@if [ -z "$(CMDS)" ]; then echo "no binaries yet (cmd/ is empty)"; fi
	@for c in $(CMDS); do \
		echo "go build -o $(BIN)/$$c ./cmd/$$c"; \
		$(GO) build -tags $(BUILD_TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./cmd/$$c || exit 1; \
	done

test: lint ## lint, then every test: unit, consensus simulation, process-cluster integration, and the Docker devnet when Docker runs
	@$(CGO_NOTICE)
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	@$(MAKE) --no-print-directory test-docker-if-available

test-short: ## unit tests only (skips the slow simulations and clusters)
	$(GO) test -short -count=1 ./...

lint: ## gofmt must list nothing; go vet must be clean
	@out="$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt: ## gofmt every Go file in place
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

BENCH_ARGS ?=

bench: build ## both layers (~10 min): devnet start and memory, L1 throughput vs its ceiling, L2 throughput and latency, rollup costs, deposit/withdrawal latency: one table and bench/results/latest.json (BENCH_ARGS="--skip-l1" ...)
	@$(CGO_NOTICE)
	$(BIN)/bench --bin $(BIN) $(BENCH_ARGS)

bench-go: ## run every Go micro-benchmark once and print a table
	@bash scripts/bench.sh

fuzz: ## run every fuzz target for FUZZTIME (default 60s) each
	@bash scripts/fuzz.sh $(FUZZTIME)

DEVNET_ARGS ?=
DOCKER ?= docker
DOCKER_IMAGE ?= bilayer:dev
DOCKER_CTX := $(BIN)/docker
DOCKER_CMDS := validator sequencer challenger devnet wallet

devnet: build ## build, then run the 4-validator devnet (DEVNET_ARGS="--port-offset 100 --quiet" ...)
	$(BIN)/devnet up $(DEVNET_ARGS)

.PHONY: docker test-docker test-docker-if-available

docker: ## build static binaries into $(DOCKER_CTX) and the FROM scratch image $(DOCKER_IMAGE)
	@$(CGO_NOTICE)
	@mkdir -p $(DOCKER_CTX)
	$(GO) build -tags $(BUILD_TAGS) -ldflags '$(LDFLAGS)' -o $(DOCKER_CTX)/ $(addprefix ./cmd/,$(DOCKER_CMDS))
	cp Dockerfile $(DOCKER_CTX)/Dockerfile
	$(DOCKER) build --pull=false -t $(DOCKER_IMAGE) $(DOCKER_CTX)
	$(DOCKER) run --rm --network none $(DOCKER_IMAGE) validator --version

test-docker: docker ## the docker-compose devnet: finality, a killed validator, a cut-off validator catching up, a killed sequencer (no receipt lost), a cut-off challenger (catches up, agrees)
	DOCKER_IMAGE=$(DOCKER_IMAGE) bash scripts/docker-test.sh

test-docker-if-available: ## test-docker when a Docker daemon answers, else say it was skipped
	@if $(DOCKER) info >/dev/null 2>&1; then $(MAKE) --no-print-directory test-docker; \
	else echo "SKIPPED: docker test (no Docker daemon)"; fi

clean: ## remove build outputs
	rm -rf $(BIN)
