# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each sets up what it needs in .venv (no root): the demo only its own packages (the
# `demo` extra); the tests the whole toolchain (`dev`) plus the Debian packages and npm
# modules the suite drives (`make system`, which uses sudo when not root).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: demo tools test setup system clean

$(BIN)/python:
	@echo "make: creating $(VENV) with $(PYTHON)"
	$(PYTHON) tools/make_venv.py $(VENV)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	@echo "make: installing the demo's packages into $(VENV) (first run: about a minute)"
	$(PIP) install --progress-bar on -e '.[demo]'
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "make: installing the development toolchain into $(VENV) (first run: a few minutes)"
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(DEMO_STAMP)

setup: $(STAMP)

system:
	@for s in tools/setup-system.sh tools/sandbox/setup-browser.sh tools/typecheck/install.sh tools/sandbox/setup-node.sh; do \
		if [ -f $$s ]; then bash $$s || exit 1; fi; done

# KEEP=1 leaves the sandbox, the agent and the board running (Ctrl-C stops them)
demo: $(DEMO_STAMP)
	$(BIN)/python tools/demo.py $(if $(KEEP),--keep)

# mpremote, the deploy tool and the virtual board, for your own board (no demo run)
tools: $(DEMO_STAMP)

test: $(STAMP) system
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
