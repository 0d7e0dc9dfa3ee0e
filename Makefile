# benchtrail — one command to a running demo, one command to a green test run.
# Needs Python >= 3.11 (with venv), make and git; uv is bootstrapped into .tools/ if missing.
# `make test` also needs Chromium and curl: installed with apt-get when run as root, else named.

SHELL := /bin/bash
PYTHON ?= python3
HTTP_PORT ?= 8000
NATS_PORT ?= 4222
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: demo test test-tools lint bench bench-workflows sync schema clean

# What the suite runs beyond Python, as <command to find>:<Debian package>: Chromium for
# the dashboard's browser tests (Playwright drives /usr/bin/chromium), curl for the
# README's curl lines (tests/docs/), git for the commit a session records.
TEST_TOOLS := /usr/bin/chromium:chromium curl:curl git:git

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv

sync: $(if $(findstring .tools,$(UV)),$(UV))
	$(UV) sync --frozen

demo: sync  ## start the hub with simulated stations: API on :$(HTTP_PORT), NATS on :$(NATS_PORT)
	$(UV) run benchtrail up --demo --http-port $(HTTP_PORT) --nats-port $(NATS_PORT)

test: sync test-tools  ## the whole test suite (real nats-server, real chDB, real HTTP)
	$(UV) run pytest -n 2 -m "not serial"
	$(UV) run pytest -m serial

test-tools:  ## install what the suite needs beyond Python (as root), or say what is missing
	@missing=""; \
	for tool in $(TEST_TOOLS); do \
	  command -v "$${tool%%:*}" >/dev/null 2>&1 || missing="$$missing $${tool##*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make test: installing$$missing with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "make test: the suite needs$$missing, which is not installed. Install it with:" >&2; \
	  echo "    sudo apt-get install -y$$missing" >&2; \
	  echo "then run make test again." >&2; \
	  exit 1; \
	fi

lint: sync
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

bench: sync  ## ingest benchmark: prints rates, latency percentiles and memory
	$(UV) run python benchmarks/ingest.py

bench-workflows: sync  ## per-point cost of recording a sweep, and reading 1M points back
	$(UV) run python benchmarks/workflows.py

schema: sync  ## regenerate schemas/event-schema.json after changing events
	$(UV) run python -m benchtrail.schemas.schema_export

clean:
	rm -rf .benchtrail .pytest_cache .mypy_cache .ruff_cache
