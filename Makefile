# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean sysdeps

# Debian packages the tests need: libzbar0 (pyzbar), libdmtx0b (pylibdmtx renders the Data
# Matrix test labels), chromium (the web page tests). Installed when missing and we may.
SYSDEPS := libzbar0 libdmtx0b chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,llrp]"
	touch $@ $(VENV)/.installed

## run: install and start the demo (SQLite, in-process broker, demo data) on :8000
run: $(VENV)/.installed
	$(BIN)/jxc demo

sysdeps:
	@dpkg -s $(SYSDEPS) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(SYSDEPS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSDEPS) >/dev/null; \
	  else echo "the tests need the Debian packages: $(SYSDEPS) (apt-get install them)"; fi; }

## test: install the dev extras, check style and types, run the whole suite
test: sysdeps $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/decode.py

clean:
	rm -rf $(VENV) jxc-demo.db* .pytest_cache .mypy_cache .ruff_cache
