# Homeward: `make run` to try it, `make test` to check it. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help run serve migrate demo test lint format bench css clean docker audit

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Homeward needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run ## install, migrate and serve on http://127.0.0.1:8000 with SQLite and demo data
	$(BIN)/python -m app migrate
	$(BIN)/python -m app demo
	$(BIN)/python -m app serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed-run ## apply database migrations (DATABASE_URL picks the database)
	$(BIN)/python -m app migrate

# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE): the
# suite starts dozens of Python processes (servers, the command line), each of which would
# compile the app again, and each worker would rewrite every test module's assertions.
test: $(VENV)/.installed-test lint tests/oidc/node_modules ## install test dependencies, lint, and run the whole test suite
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope \
		--no-loadscope-reorder $(PYTEST_ARGS)

# The identity provider the sign-in tests start, when Node.js is installed (they skip without).
tests/oidc/node_modules: tests/oidc/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "Node.js is not installed: the identity provider tests will skip."; fi

lint: $(VENV)/.installed-test ## ruff (lint and format check) and mypy
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

format: $(VENV)/.installed-test ## rewrite code in the house style
	$(BIN)/ruff check --fix app tests bench
	$(BIN)/ruff format app tests bench

audit: $(VENV)/.installed-test ## check the pinned dependencies for known vulnerabilities (pip-audit; needs the internet)
	.ci/audit

bench: $(VENV)/.installed-test ## run the benchmarks and print their figures
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

css: ## rebuild app/static/css/homeward.css from frontend/scss (needs Node.js and npm)
	cd frontend && npm ci && npm run build

docker: ## build the production container image
	docker build -t homeward .

clean: ## remove the virtual environment, caches and the local SQLite data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache .hypothesis
