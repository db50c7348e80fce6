# rengo — two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= rengo-data

.PHONY: install demo serve test lint typecheck pytest clean browser-deps focus-validator nats serve-nats

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@$(MAKE) --no-print-directory browser-deps
	@$(MAKE) --no-print-directory focus-validator
	touch $(STAMP)

# The FinOps Foundation's focus-validator pins old numpy/pandas: it gets a virtual
# environment of its own for tests/finops/test_focus_validator.py (which skips without it).
FOCUS_VENV := .venv-focus
FOCUS12_VENV := .venv-focus-1.2
focus-validator: $(FOCUS_VENV)/bin/focus-validator $(FOCUS12_VENV)/bin/focus-validator
$(FOCUS_VENV)/bin/focus-validator:
	test -x $(FOCUS_VENV)/bin/python || $(PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/python -m pip install --quiet focus-validator "multimethod<1.11" "pyarrow>=14,<18" \
	  || echo "focus-validator could not be installed: its test will skip"

# focus-validator 2.2.1 checks FOCUS 1.2 (tests/finops/test_focus_conformance.py); it needs
# Python 3.12 or newer (pyenv's is found too) and the pyarrow that its numpy 1.26 takes.
FOCUS12_PYTHON ?= $(firstword $(shell for p in python3.13 python3.12 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3); do $$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && echo $$p; done))
$(FOCUS12_VENV)/bin/focus-validator:
	@if [ -z "$(FOCUS12_PYTHON)" ]; then echo "no Python 3.12+: the FOCUS 1.2 conformance test will skip"; else \
	  (test -x $(FOCUS12_VENV)/bin/python || $(FOCUS12_PYTHON) -m venv $(FOCUS12_VENV)) && \
	  $(FOCUS12_VENV)/bin/python -m pip install --quiet "focus-validator==2.2.1" "pyarrow>=14,<18" \
	  || echo "focus-validator 2.2.1 could not be installed: the FOCUS 1.2 conformance test will skip"; fi

# Playwright cannot download its own browser offline: use Debian's chromium.
# Installed with apt where we run as root; browser tests skip with a reason otherwise.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian chromium and Japanese fonts for browser tests and PDF reports"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipaexfont >/dev/null) \
	    || echo "chromium could not be installed: browser tests will skip"; \
	else echo "no chromium and not root: browser tests will skip"; fi

demo: install
	$(BIN)/rengo demo --data-dir $(DATA)
	$(BIN)/rengo serve --data-dir $(DATA)

serve: install
	$(BIN)/rengo serve --data-dir $(DATA)

# A local NATS-backed setup (docs/deployment.md): Debian's nats-server with JetStream on
# 127.0.0.1:4222 (installed with apt when root), then the web server publishing to it and
# two lake writers storing from it. The NATS tests skip when no server answers there.
NATS_URL ?= nats://127.0.0.1:4222

nats:
	@if python3 -c "import socket; socket.create_connection(('127.0.0.1', 4222), 1)" 2>/dev/null; \
	then echo "nats-server already on 4222"; \
	else command -v nats-server >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null); \
	  mkdir -p $(DATA)/nats && (nats-server -a 127.0.0.1 -p 4222 -js -sd $(DATA)/nats \
	    -l $(DATA)/nats/nats-server.log &) && sleep 1; fi

serve-nats: install nats
	RENGO_NATS_URL=$(NATS_URL) $(BIN)/rengo soc writer --data-dir $(DATA) & \
	RENGO_NATS_URL=$(NATS_URL) $(BIN)/rengo soc writer --data-dir $(DATA) & \
	RENGO_NATS_URL=$(NATS_URL) $(BIN)/rengo serve --data-dir $(DATA)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/vulture  # dead code; settings and whitelist in pyproject.toml, vulture_whitelist.py

typecheck: install
	$(BIN)/mypy src/rengo

# Two workers: CI and the reference machine have two cores.
pytest: install
	$(BIN)/pytest -n 2

test: lint typecheck pytest

clean:
	rm -rf $(VENV) $(FOCUS_VENV) $(FOCUS12_VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
