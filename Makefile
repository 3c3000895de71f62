# vaultctl: `make demo` and `make test` work on a machine with only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

test: $(STAMP)
	bash tools/install-browser.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	$(BIN)/ruff check vaultctl tests bench tools
	$(BIN)/mypy

# NOTE: under 10 min once bench/.cache holds the vaults (the first run makes them);
# the 1M-entry memory figure is bench/rss.py, run apart (see its docstring)
bench: $(STAMP)
	$(BIN)/python bench/bench.py

docs: $(STAMP)
	$(BIN)/python -m tools.docs docs

i18n: $(STAMP)
	$(BIN)/python -m tools.catalog

clean:
	rm -rf $(VENV) build demo-vault
