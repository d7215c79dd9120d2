# Fangpin: two commands matter. `make demo` runs the whole pipeline on a generated province;
# `make test` runs the tests. Both create or update .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= out/demo-landing
DEMO_HOUSEHOLDS ?= 3000
DEMO_MONTHS ?= 2021-01..2021-03
DEMO_SCORECARD_ROWS ?= 10
SIZES ?= 10000 100000 1000000

BI_VENV := .venv-bi
BI_STAMP := $(BI_VENV)/.installed
BI := PYTHONPATH=bi $(BIN)/python -m fangpin_bi

.PHONY: help install demo test test-faults test-deploy test-unit test-fast lint lint-sql bench bench-small clean warehouse-stop docs \
	bi bi-stop bi-install bi-lock test-bi

help:
	@echo "make demo   - warehouse up, generate a province, run every month, print the scorecard"
	@echo "make test   - the test suite (real PostgreSQL, dbt, Great Expectations, Airflow)"
	@echo "make lint-sql - SQLFluff on the dbt project (also part of make test)"
	@echo "make test-unit - the pure-Python tests (under a minute); make test-fast adds quick db ones"
	@echo "make test-deploy - real Airflow deployments: LocalExecutor, Celery, backfill (~12 min)"
	@echo "make bench  - province-scale benchmark (SIZES='10000 100000 1000000')"
	@echo "make bi     - Apache Superset on the published marts (make bi-stop stops it)"
	@echo "make test-bi - Superset's dashboards checked in headless Chromium"

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@test -x $(BIN)/python || uv venv --quiet --python $(PYTHON) $(VENV)
	uv sync --quiet --frozen --extra dev --extra celery --compile-bytecode
	@touch $(STAMP)

install: $(STAMP)

# The GX suites under expectations/ from fangpin.audit.suites (commit the result; a test checks it).
.PHONY: suites macros
# The dbt macros generated from the domain and the feed contracts (tests fail when stale).
macros: $(STAMP)
	$(BIN)/python -m fangpin.transform.generated_macros --write

suites: $(STAMP)
	$(BIN)/python -m fangpin.audit.suites

demo: $(STAMP)
	$(BIN)/fangpin warehouse start
	rm -rf $(DEMO_DIR)
	$(BIN)/fangpin synth --households $(DEMO_HOUSEHOLDS) --months $(DEMO_MONTHS) --seed 2021 --messy 0.05 --out $(DEMO_DIR)
	$(BIN)/fangpin run --landing $(DEMO_DIR)
	$(BIN)/fangpin scorecard --limit $(DEMO_SCORECARD_ROWS)
	@echo "(the first $(DEMO_SCORECARD_ROWS) key counties; all of them: $(BIN)/fangpin scorecard --limit 100)"
	@echo
	@echo "Next:"
	@echo "  SQL, as the evaluator login demo_evaluator (its password is in a 0600 file, never printed):"
	@echo "              $$($(BIN)/fangpin login evaluator demo_evaluator --psql)"
	@echo "              (then: select * from marts.mart_county_scorecard;)"
	@echo "  Airflow UI: $(BIN)/fangpin airflow standalone   (http://localhost:8080)"
	@echo "  Status:     $(BIN)/fangpin status"

test: $(STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check include dags tests bi benchmarks
	$(BIN)/mypy
	$(MAKE) --no-print-directory lint-sql
	$(BIN)/pytest -ra -p no:cacheprovider -m "not deploy and not faults and not bi"

# The fault suite: kill -9 at every stage, a killed postmaster, concurrent runs, reruns.
test-faults: $(STAMP)
	$(BIN)/pytest -ra -p no:cacheprovider -m faults tests/faults

# Real Airflow deployments (LocalExecutor, CeleryExecutor on Redis db 7, a backfill): ~12 min.
test-deploy: $(STAMP)
	$(BIN)/pytest -ra -p no:cacheprovider -m deploy tests/deploy

# Pure Python only (no PostgreSQL, dbt or Airflow run): well under a minute.
test-unit: $(STAMP)
	$(BIN)/pytest -ra -p no:cacheprovider -m "unit and not slow" tests/unit

# The unit tests, the database tests that run neither dbt nor Great Expectations, and the DAG's.
test-fast: $(STAMP)
	$(BIN)/pytest -ra -p no:cacheprovider -m "(unit or db or dag) and not slow" \
		tests/unit tests/db tests/dag tests/faults

lint: $(STAMP)
	$(BIN)/ruff check include dags tests bi benchmarks
	$(BIN)/mypy

# SQLFluff on the dbt project (dbt_project/.sqlfluff: the jinja templater, no database needed).
lint-sql: $(STAMP)
	cd dbt_project && ../$(BIN)/sqlfluff lint models macros tests

bench: $(STAMP)
	$(BIN)/python -m benchmarks --sizes $(SIZES) $(BENCH_ARGS)

bench-small: $(STAMP)
	$(BIN)/pytest -ra -p no:cacheprovider tests/bench

warehouse-stop: $(STAMP)
	$(BIN)/fangpin warehouse stop

docs: $(STAMP)
	$(BIN)/dbt docs generate --project-dir dbt_project --profiles-dir dbt_project

clean:
	rm -rf out .pytest_cache dbt_project/target dbt_project/logs

# Apache Superset in its own environment, from its own lock (bi/requirements.lock), apart from
# the pipeline's dependencies. `make bi-lock` re-resolves bi/requirements.in.
$(BI_STAMP): bi/requirements.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@start=$$(date +%s); \
	test -x $(BI_VENV)/bin/python || uv venv --quiet --python 3.11 $(BI_VENV); \
	VIRTUAL_ENV=$(BI_VENV) uv pip sync --quiet --compile-bytecode bi/requirements.lock; \
	echo "Superset environment installed in $$(( $$(date +%s) - start )) s"
	@touch $(BI_STAMP)

bi-install: $(BI_STAMP)

bi-lock:
	uv pip compile --quiet --python 3.11 bi/requirements.in -o bi/requirements.lock

bi: $(STAMP) $(BI_STAMP)
	$(BI) start

bi-stop: $(STAMP)
	$(BI) stop

test-bi: $(STAMP) $(BI_STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -ra -p no:cacheprovider -m bi -s tests/bi
