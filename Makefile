# sfemu — the two commands a newcomer needs are in README.md.
GO ?= go
FUZZTIME ?= 10s

.PHONY: all build test lint fuzz bench e2e screenshots clean

all: build

## build: sfemu and sfemu-harness (which sfemu run starts) in bin/
build:
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/sfemu ./cmd/sfemu-harness

## e2e: the scenario catalogue against the bundled Go receiver — in a container
## when a Docker engine answers, else as a process (it says which; with CI=true a
## missing engine fails) — then against the Python receiver, which shares no code
## with sfemu, as a process, a container and a running URL (docs/RECEIVERS.md).
## Each summary ends "N passed, M failed, K skipped"; JUnit XML goes to out/.
e2e: build
	@mkdir -p out
	bin/sfemu run -v --receiver auto --junit out/junit.xml scenarios
	examples/python-receiver/e2e.sh cmd container url

## test: formatting, vet, and every test with the race detector
test: lint
	$(GO) test -race ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags sfemu_nodocker ./harness/ ./cmd/sfemu-harness/

## fuzz: every fuzz target in the tree for FUZZTIME each (default 10s)
fuzz:
	@set -e; for f in $$(grep -rl '^func Fuzz' --include='*_test.go' .); do \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "== $$t ($$(dirname $$f))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./$$(dirname $$f)/; \
		done; \
	done

## bench: the benchmarks behind docs/PERFORMANCE.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## screenshots: docs/images/console-*.png (docs/CONSOLE.md) and oauth-*.png
## (docs/OAUTH.md), taken by the browser tests in headless Chromium
screenshots:
	@mkdir -p docs/images
	SFEMU_SCREENSHOTS=$(CURDIR)/docs/images $(GO) test -count=1 -run 'Chromium' ./emulator/ ./emulator/console/

clean:
	rm -rf bin out
