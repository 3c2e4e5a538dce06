# The two commands README.md opens with: `make demo` and `make test`.
# Both install what they need first, so they work on a fresh machine.

GO        ?= go
BIN       := bin/lockstep
GOFLAGS_TEST ?= -count=1 -timeout 45m
# Where `make demo` serves the UI and API: `make demo ADDR=0.0.0.0:9090`.
ADDR      ?= 127.0.0.1:8080

# staticcheck 2026.2.2, the first release that reads Go 1.26; installed from
# the Go module proxy into GOPATH/bin once, kept there for later runs.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: demo test setup system-deps frontend e2e-deps build generate generate-check vet staticcheck go-test frontend-test e2e screenshots clean

demo: setup build
	./$(BIN) demo --addr $(ADDR)

# Checks first (cheap, and they say what is wrong fastest), then the tests.
test: setup generate-check build vet staticcheck go-test frontend-test e2e

setup: system-deps frontend e2e-deps

# Chromium (Debian's package, never a browser download) for the browser tests;
# Maven and Java come with the machine and fetch Neo4j on first start.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v mvn >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null; }

frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

e2e-deps:
	@if [ -f e2e/package.json ]; then cd e2e && npm ci --no-audit --no-fund; fi

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/lockstep

generate:
	$(GO) generate ./...

# Generated code is never edited by hand: regenerating changes nothing.
generate-check: generate
	@git diff --exit-code || { echo "go generate ./... changed the files above: commit what it generates"; exit 1; }

vet:
	$(GO) vet ./...

staticcheck:
	@$(STATICCHECK) -version 2>/dev/null | grep -q '($(STATICCHECK_VERSION:v%=%))' || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...

go-test:
	$(GO) test $(GOFLAGS_TEST) ./...

# The UI's GraphQL types are generated from graph/schema: stale generated
# code, or a schema change the UI's operations no longer fit, fails here
# (codegen:check validates the operations, typecheck their use), as does a
# first load over its budget.
frontend-test:
	cd frontend && npm run codegen:check && npm run typecheck && npm test && npm run size

e2e:
	bash scripts/e2e.sh

# The pictures in docs/screenshots come from here only; `make e2e` keeps its
# own in e2e/out/screenshots.
screenshots: setup build
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots bash scripts/e2e.sh

clean:
	rm -rf bin frontend/dist/assets

# Every fuzz target for a few seconds each (FUZZTIME, default 5s), one
# `go test -fuzz` per target: scripts/fuzz-short.sh. .ci/run runs it after
# `make test`.
.PHONY: fuzz-short
fuzz-short:
	GO=$(GO) bash scripts/fuzz-short.sh
