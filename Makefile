# The two commands that matter: `make run` and `make test`. Both install what
# they need: Go tools through `go tool` (pinned in go.mod), Debian packages
# through apt when they are missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
PORTAL := bin/portal
# apt needs root; on a developer's own account, sudo asks for the password.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test cluster cluster-bench soak fuzz build generate lint fmt bench postgres-binaries test-packages check-generated clean-localdb help

help:
	@echo "make run     start the portal with demo content (a local PostgreSQL when DATABASE_URL is unset)"
	@echo "make test    run every test against a real PostgreSQL"
	@echo "make lint    go vet, gofmt and templ fmt checks, staticcheck, gosec, go.mod tidy, no file over 1 MB"
	@echo "make fmt     format Go and templ files"
	@echo "make bench   load benchmark on 100 000 synthetic projects (plans, req/s, p50/p99)"
	@echo "make cluster  the portal at scale on 127.0.0.1: primary + replica, S3 store, two instances behind nginx"
	@echo "make fuzz    fuzz the inquiry form (FUZZTIME=60s)"
	@echo "make soak    kill -9, a PostgreSQL restart and pool exhaustion under load: nothing acknowledged is lost"

run: build postgres-binaries
	$(PORTAL) serve -demo

# Tests use TEST_DATABASE_URL or DATABASE_URL when given; otherwise the
# project-local cluster runs for the length of the test run. Each test run
# creates its own databases and drops them. The stack test (cmd/cluster)
# runs after the rest, not beside it: its load on two instances, nginx and
# two PostgreSQL servers would starve the other packages' tests of the
# CPU that some of them time (a listener noticing its cut connection).
STACK := ./cmd/cluster
test: generate postgres-binaries test-packages bin/weed
	@run() { if [ -n "$${TEST_DATABASE_URL:-}$${DATABASE_URL:-}" ]; then "$$@"; else $(PORTAL) localdb run -- "$$@"; fi; }; \
		$(GO) build -o $(PORTAL) ./cmd/portal && \
		run $(GO) test -count=1 $$($(GO) list ./... | grep -v '/cmd/cluster$$') && \
		run $(GO) test -count=1 $(STACK)

# The portal as it runs at scale, on 127.0.0.1 only: a PostgreSQL primary
# and its streaming replica, SeaweedFS, two instances and nginx in front
# (http://127.0.0.1:8090/). Ctrl-C stops it all. See cmd/cluster.
cluster: build bin/weed postgres-binaries test-packages
	$(GO) build -o bin/cluster ./cmd/cluster
	bin/cluster -portal $(PORTAL)

# Faults under load, on a PostgreSQL cluster of the harness's own (it stops
# and restarts it) and the real binary (it kills it): see cmd/soak. About
# two and a half minutes; loopback only.
soak: build postgres-binaries
	$(GO) build -o bin/soak ./cmd/soak
	bin/soak -portal $(PORTAL)

# Fuzz the inquiry form's decoding and validation (FUZZTIME=5m for longer).
# The package's tests need a database, like make test.
FUZZTIME ?= 60s
fuzz: postgres-binaries
	@if [ -n "$${TEST_DATABASE_URL:-}$${DATABASE_URL:-}" ]; then \
		$(GO) test -run '^$$' -fuzz FuzzInquiryForm -fuzztime $(FUZZTIME) ./handlers; \
	else \
		$(GO) build -o $(PORTAL) ./cmd/portal && \
		$(PORTAL) localdb run -- $(GO) test -run '^$$' -fuzz FuzzInquiryForm -fuzztime $(FUZZTIME) ./handlers; \
	fi

# SeaweedFS, the S3-compatible store the tests (and make cluster) run on
# 127.0.0.1, built from the Go module proxy; its own module keeps its
# dependencies out of go.mod. Rebuilt only when its go.mod changes.
WEEDTOOL := models/storage/seaweed/weedtool
bin/weed: $(WEEDTOOL)/go.mod $(WEEDTOOL)/go.sum
	mkdir -p bin && cd $(WEEDTOOL) && $(GO) build -o $(CURDIR)/bin/weed github.com/seaweedfs/seaweedfs/weed

build: generate
	$(GO) build -o $(PORTAL) ./cmd/portal

generate:
	$(GO) tool templ generate

# Fails when the committed *_templ.go files differ from what templ generates.
check-generated: generate
	@git diff --exit-code -- '*_templ.go' || { echo "generated templ files are stale: run make generate and commit them"; exit 1; }

# Lint also keeps the repository honest: no build output committed (nothing
# tracked over 1 MB), go.mod tidy, and Go and templ files formatted.
lint: generate
	@big=$$(git ls-files -z | xargs -0 -r stat -c '%s %n' | awk '$$1 > 1048576 {print $$2}'); \
		if [ -n "$$big" ]; then echo "tracked files over 1 MB (build output?): $$big"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	@for f in $$(git ls-files '*.templ'); do \
		$(GO) tool templ fmt -stdout "$$f" 2>/dev/null | cmp -s "$$f" - || { echo "templ fmt needed: $$f (run make fmt)"; exit 1; }; \
	done
	$(GO) tool staticcheck ./...
	$(GO) tool gosec -quiet ./...

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '_templ.go$$')
	$(GO) tool templ fmt views

# Load benchmark: every public page against the same bytes served from
# memory, with and without the page cache, on the demo content and on a
# large synthetic dataset (with its query plans). Uses DATABASE_URL's
# server when given. About 15 minutes; loopback only.
bench: generate postgres-binaries
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(GO) build -o bin/bench ./cmd/bench
	$(GO) build -o $(PORTAL) ./cmd/portal
	@if [ -n "$${DATABASE_URL:-}" ]; then bin/bench -portal $(PORTAL); else \
		$(PORTAL) localdb run -- bin/bench -portal $(PORTAL); fi
	$(MAKE) --no-print-directory cluster-bench

# Pages through nginx with two instances and with one (see Running at
# scale in the README): about three minutes.
cluster-bench: build bin/weed postgres-binaries test-packages
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(GO) build -o bin/cluster ./cmd/cluster
	bin/cluster -bench -dir .cluster-bench -port 0 -portal $(PORTAL)

# Debian's PostgreSQL server binaries, for the project-local cluster (and
# its own test). Installing the package also creates the unprivileged
# postgres account that the cluster runs as when make runs as root.
postgres-binaries:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! id postgres >/dev/null 2>&1; then \
		echo "Installing Debian's PostgreSQL server (apt-get install postgresql)..."; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; \
	fi

# Debian packages the tests run for real: Chromium for the browser tests,
# CJK fonts so that Chinese text in their screenshots is not boxes, nginx for
# the reverse-proxy tests. A service the package would start at install
# (nginx on port 80) is held back with policy-rc.d: the tests start their
# own, on 127.0.0.1.
TEST_PACKAGES := chromium fonts-noto-cjk nginx
test-packages:
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing $$missing with apt..."; \
		$(SUDO) apt-get update -qq; \
		if [ -e /usr/sbin/policy-rc.d ]; then held=; else held=1; printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; $(SUDO) chmod +x /usr/sbin/policy-rc.d; fi; \
		status=0; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null || status=$$?; \
		[ -z "$$held" ] || $(SUDO) rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi

# Removes the project-local cluster and all its data.
clean-localdb:
	-$(PORTAL) localdb stop 2>/dev/null
	rm -rf .localdb
