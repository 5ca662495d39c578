# Customer Portal — `make run` serves the demo, `make test` runs every test, `make bench` measures.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := portal

.PHONY: run test test-fast test-postgres bench install install-test browser clean

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(BIN)/flask

$(VENV)/.test-installed: pyproject.toml $(BIN)/flask
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/flask

install-test: $(VENV)/.test-installed

# Debian's Chromium: Playwright's own browser download cannot reach its host here.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

run: install
	PORTAL_ENV=development $(BIN)/flask db upgrade
	@PORTAL_ENV=development $(BIN)/flask seed-demo --customers 200
	@echo "Serving on http://127.0.0.1:5000 — sign in with a demo login above."
	PORTAL_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install-test browser
	$(BIN)/pytest -q

test-fast: install-test
	$(BIN)/pytest -q -m "not browser"

bench: install-test
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
