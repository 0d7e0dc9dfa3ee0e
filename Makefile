# benchtrail — one command to a running demo, one command to a green test run.
# Needs only Python >= 3.11 and make; uv is bootstrapped into .tools/ if missing.

SHELL := /bin/bash
PYTHON ?= python3
HTTP_PORT ?= 8000
NATS_PORT ?= 4222
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: demo test lint bench bench-workflows sync schema clean

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv

sync: $(if $(findstring .tools,$(UV)),$(UV))
	$(UV) sync --frozen

demo: sync  ## start the hub with simulated stations: API on :$(HTTP_PORT), NATS on :$(NATS_PORT)
	$(UV) run benchtrail up --demo --http-port $(HTTP_PORT) --nats-port $(NATS_PORT)

test: sync  ## the whole test suite (real nats-server, real chDB, real HTTP)
	$(UV) run pytest

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
