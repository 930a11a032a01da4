# Trellis: `make run` serves runtime/trellis.json on 127.0.0.1:8080; `make test` runs every test.
# Both install what is missing first, so they work on a fresh Debian 12 machine.

SWIFT ?= swift
PYTHON ?= python3
CONFIG ?= runtime/trellis.json
# Debian packages the build needs: the C libraries wrapped in Sources/C* and pkg-config to find them.
DEBIAN_PACKAGES := libuv1-dev libjansson-dev libssl-dev libsqlite3-dev pkg-config
# Run apt-get through sudo unless we are root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Release builds link the Swift runtime and Foundation statically: the binary then loads no Swift
# shared libraries at start (cold start about 12 ms instead of 21 ms here) and calls the runtime
# without PLT stubs. The binary grows from about 6 MB to about 75 MB.
RELEASE := -c release --static-swift-stdlib

.PHONY: deps test-deps build release run test crash-test bench-events bench bench-deps profile demo clean

deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# PyPI packages the tests run as independent references: httptools wraps llhttp for the parser's
# differential test, and prometheus-client parses GET /metrics.
PYTHON_PACKAGES := httptools prometheus-client
test-deps: deps
	@$(PYTHON) -c 'import httptools, prometheus_client' 2>/dev/null || { \
		echo "make test-deps: installing $(PYTHON_PACKAGES) from PyPI"; \
		$(PYTHON) -m pip install --quiet $(PYTHON_PACKAGES) \
			|| $(PYTHON) -m pip install --quiet --break-system-packages $(PYTHON_PACKAGES); }

build: deps
	$(SWIFT) build

# The production binary: .build/release/trellis.
release: deps
	$(SWIFT) build $(RELEASE) --product trellis

run: build
	$(SWIFT) run --skip-build trellis serve --config $(CONFIG)

test: test-deps
	$(SWIFT) build
	$(SWIFT) build --build-tests
	$(PYTHON) Tests/crash/crash_test.py --binary .build/debug/trellis --kills 3
	$(SWIFT) test --skip-build

# SIGKILLs a real server several times while webhook events arrive and checks that every accepted
# event is delivered (see Tests/crash/crash_test.py). `make test` runs a shorter version.
crash-test: build
	$(PYTHON) Tests/crash/crash_test.py --binary .build/debug/trellis --kills 8

# Events per second accepted durably over HTTP and drained by batch invocations, release build.
bench-events: deps
	$(SWIFT) build $(RELEASE) --product trellis
	$(PYTHON) bench/event_throughput.py --binary .build/release/trellis

# Peers and tools `make bench` compares against, from Debian; nodejs only when no node is on PATH.
BENCH_DEBIAN_PACKAGES := nginx-light wrk valgrind
bench-deps: deps
	@missing=""; \
	for package in $(BENCH_DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
		echo "make bench-deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@$(PYTHON) -c 'import matplotlib' 2>/dev/null || { \
		echo "make bench-deps: installing matplotlib from PyPI"; \
		$(PYTHON) -m pip install --quiet matplotlib || $(PYTHON) -m pip install --quiet --break-system-packages matplotlib; }

# nginx, Node and Trellis under wrk, server CPU and context switches per request, callgrind costs per
# request, 1 against 2 event loops, microbenchmarks, cold start and memory; release build, about 5
# minutes; writes BENCHMARKS.md and bench/chart.png. Not part of `make test`. BENCH_ARGS passes
# options to bench/bench.py (see its --help), for example BENCH_ARGS="--rounds 5".
bench: bench-deps
	$(SWIFT) build $(RELEASE) --product trellis
	$(SWIFT) build $(RELEASE) --product trellis-bench
	$(PYTHON) bench/bench.py $(BENCH_ARGS)

# Instructions and malloc/swift_allocObject calls per request for bare and decorated `hello`, counted by
# callgrind on a release build (about a minute; `make bench` runs it too). PROFILE_REQUESTS sets the
# requests per run. Valgrind comes from bench-deps;
# bench/profile/sigsuspend_shim.c explains the LD_PRELOAD shim that Valgrind 3.19 needs for `trellis serve`.
PROFILE_REQUESTS ?= 10000
profile: bench-deps
	$(SWIFT) build $(RELEASE) --product trellis
	$(PYTHON) bench/profile/profile.py --binary .build/release/trellis --requests $(PROFILE_REQUESTS)

# Fetches vega-datasets from PyPI (once) and drops its seattle-weather.csv into the weather trigger's
# inbox; with `make run` going, `curl -s localhost:8080/function/weather-report` shows the statistics.
DEMO := runtime/data/demo
INBOX := runtime/data/inbox/weather
demo:
	@mkdir -p $(DEMO) $(INBOX)
	@test -f $(DEMO)/seattle-weather.csv || { \
		$(PYTHON) -m pip download --quiet --no-deps --dest $(DEMO) vega-datasets && \
		$(PYTHON) -c "import glob, zipfile; wheel = zipfile.ZipFile(sorted(glob.glob('$(DEMO)/vega_datasets-*.whl'))[-1]); \
			open('$(DEMO)/seattle-weather.csv', 'wb').write(wheel.read('vega_datasets/_data/seattle-weather.csv'))"; }
	@name=seattle-weather-$$(date +%s).csv; \
		cp $(DEMO)/seattle-weather.csv $(INBOX)/$$name.part && mv $(INBOX)/$$name.part $(INBOX)/$$name && \
		echo "dropped $(INBOX)/$$name (1461 rows); with make run going: curl -s localhost:8080/function/weather-report"

clean:
	rm -rf .build runtime/data
