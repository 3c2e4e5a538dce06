# The two commands README.md opens with: `make demo` and `make test`.
# Both install what they need first, so they work on a fresh machine.

GO        ?= go
BIN       := bin/lockstep
GOFLAGS_TEST ?= -count=1 -timeout 45m

.PHONY: demo test setup system-deps frontend e2e-deps build generate vet go-test frontend-test e2e clean

demo: setup build
	./$(BIN) demo

test: setup build vet go-test frontend-test e2e

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
	$(GO) build -o $(BIN) ./cmd/lockstep

generate:
	$(GO) generate ./...
	git diff --exit-code -- graph resolvers

vet:
	$(GO) vet ./...

go-test:
	$(GO) test $(GOFLAGS_TEST) ./...

frontend-test:
	cd frontend && npm test

e2e:
	bash scripts/e2e.sh

clean:
	rm -rf bin frontend/dist/assets

# Every fuzz target for a few seconds each (FUZZTIME, default 5s), one
# `go test -fuzz` per target: scripts/fuzz-short.sh.
.PHONY: fuzz-short
fuzz-short:
	GO=$(GO) bash scripts/fuzz-short.sh
