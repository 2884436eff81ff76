# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7007

.PHONY: demo test install install-test lint typecheck unit docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# An editable install leaves the project's own modules uncompiled; compiled once here, a server start does not
# compile them again (it would on every start where bytecode is not written: PYTHONDONTWRITEBYTECODE, a
# read-only checkout).
install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q src > /dev/null

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]' -e tests/fixtures/greenroom-test-plugins
	$(BIN)/python -m compileall -q src > /dev/null

## Install and start the portal with the demo catalog on SQLite at http://127.0.0.1:7007
demo: install
	$(BIN)/greenroom serve --config app-config.yaml --host $(HOST) --port $(PORT)

## Install everything the tests need (Python packages, Chromium, PostgreSQL) and run the whole suite
test: install-test
	bash scripts/ensure-system.sh
	$(MAKE) lint typecheck unit

lint:
	$(BIN)/ruff check src tests scripts bench

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/python -m pytest -q -p no:cacheprovider

docs: install-test
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) site greenroom.db greenroom.db-wal greenroom.db-shm .pytest_cache .mypy_cache .ruff_cache
