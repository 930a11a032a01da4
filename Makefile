# Trellis: `make run` serves runtime/trellis.json on 127.0.0.1:8080; `make test` runs every test.
# Both install what is missing first, so they work on a fresh Debian 12 machine.

SWIFT ?= swift
PYTHON ?= python3
CONFIG ?= runtime/trellis.json
# Debian packages the build needs: the C libraries wrapped in Sources/C* and pkg-config to find them.
DEBIAN_PACKAGES := libuv1-dev libjansson-dev libssl-dev pkg-config
# Run apt-get through sudo unless we are root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps build run test clean

deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# httptools (PyPI) wraps llhttp; the parser's differential test runs it as the reference.
test-deps: deps
	@$(PYTHON) -c 'import httptools' 2>/dev/null || { \
		echo "make test-deps: installing httptools from PyPI"; \
		$(PYTHON) -m pip install --quiet httptools || $(PYTHON) -m pip install --quiet --break-system-packages httptools; }

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run --skip-build trellis serve --config $(CONFIG)

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build runtime/data
