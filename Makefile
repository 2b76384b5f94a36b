# bindgate — the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
LDFLAGS  := -X main.version=$(VERSION)
BIN      := bin/bindgate
NAMED    := $(shell command -v named 2>/dev/null || ls /usr/sbin/named 2>/dev/null)
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build bench bind9 fuzz chaos clean

## run: start a private named on loopback and the API in front of it (prints URL, token, curl example)
run: bind9 build
	./$(BIN) dev $(ARGS)

## test: vet, then every test with the race detector, including the integration suite against real named
test: bind9
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## build: the static binary in bin/, version stamped from git
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/bindgate

## chaos: the crash and fault suite at length: CHAOS_KILLS SIGKILLs of bindgate (default 300) within
## CHAOS_TIME (default 20m), then named killed and named's NZD lost; SEED=<n> replays a run's choices,
## CRASH_KEEP=<dir> keeps a failing run's files
CHAOS_KILLS   ?= 300
CHAOS_TIME    ?= 20m
CHAOS_TIMEOUT ?= 60m
chaos: bind9
	CI=true CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_TIME=$(CHAOS_TIME) $(GO) test -race -count=1 -v -timeout $(CHAOS_TIMEOUT) \
	  -run '^(TestCrash|TestFullDisk|TestNamedStopped)$$' ./test/integration

## bench: API vs raw control channel, measured in the same run (needs named)
bench: bind9
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./bench/

## fuzz: run each fuzz target for FUZZTIME (default 20s); `make test` already runs their seed corpora
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

## bind9: install Debian's BIND 9 packages when named is missing (tests and `make run` need a real named)
bind9:
ifeq ($(NAMED),)
	@echo "named not found: installing Debian's bind9 packages"
	$(SUDO) apt-get update -qq
	$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bind9 bind9-utils bind9-dnsutils
endif

clean:
	rm -rf bin
