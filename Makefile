# sfemu — the two commands a newcomer needs are in README.md.
GO ?= go
FUZZTIME ?= 10s

.PHONY: all build test lint fuzz bench clean

all: build

## build: the sfemu binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -o bin/sfemu ./cmd/sfemu

## test: formatting, vet, and every test with the race detector
test: lint
	$(GO) test -race ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## fuzz: each fuzz target for FUZZTIME (default 10s)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzFixture$$' -fuzztime $(FUZZTIME) ./emulator/org/
	$(GO) test -run '^$$' -fuzz '^FuzzParseID$$' -fuzztime $(FUZZTIME) ./emulator/org/
	$(GO) test -run '^$$' -fuzz '^FuzzAssertion$$' -fuzztime $(FUZZTIME) ./emulator/oauth/
	$(GO) test -run '^$$' -fuzz '^FuzzTokenEndpoint$$' -fuzztime $(FUZZTIME) ./emulator/oauth/
	$(GO) test -run '^$$' -fuzz '^FuzzLoadPrivateKey$$' -fuzztime $(FUZZTIME) ./jwtbearer/

## bench: the benchmarks behind docs/PERFORMANCE.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
