# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each sets up what it needs: a .venv with the pinned packages, and (test) the
# Debian packages and npm modules the suite drives.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup system clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(STAMP)

system:
	@for s in tools/setup-system.sh tools/sandbox/setup-browser.sh tools/typecheck/install.sh tools/sandbox/setup-node.sh; do \
		if [ -f $$s ]; then bash $$s || exit 1; fi; done

demo: $(STAMP)
	$(BIN)/python tools/demo.py

test: $(STAMP) system
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
