# smartprov — see README.md. Everything runs from this folder; state lives in var/ (git-ignored).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
UV_VERSION := 0.9.30
PROVINCE ?= 32
BUILD_POOL := smartprov_build
LINT_VENV := .venv-lint
# dbt Labs' dbt-project-evaluator, kept offline beside the project (shared/tools).
EVALUATOR ?= $(abspath $(CURDIR)/../shared/tools/dbt-project-evaluator/run)

export AIRFLOW_HOME := $(CURDIR)/var/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DEFAULT_TIMEZONE := Asia/Jakarta
export AIRFLOW__CORE__PARALLELISM := 4
export AIRFLOW__API__HOST := 127.0.0.1
export AIRFLOW__API__PORT := 8080
# The task and triggerer log servers `make airflow` starts too. Airflow binds them on every
# interface (it has no host option) and signs each request with the API's secret key; set
# them explicitly so two checkouts on one host can differ (make airflow AIRFLOW_LOG_PORT=…).
AIRFLOW_LOG_PORT ?= 8793
AIRFLOW_TRIGGER_LOG_PORT ?= 8794
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT := $(AIRFLOW_LOG_PORT)
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT := $(AIRFLOW_TRIGGER_LOG_PORT)
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export PATH := $(BIN):$(PATH)

.PHONY: run test airflow build-pool bench fuzz lint venv clean smoke compose-check

# The product (requirements.txt) plus the test and tooling pins (requirements-dev.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip >/dev/null
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	UV_COMPILE_BYTECODE=1 $(BIN)/uv pip install -q -p $(BIN)/python -r requirements.txt -r requirements-dev.txt
	$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e .
	@touch $@

venv: $(VENV)/.installed

## make run: sample landing zone for West Java, then one nightly DAG run on the embedded DuckDB warehouse
run: venv
	@mkdir -p var
	smartprov sample --out var/landing --province $(PROVINCE)
	@airflow db migrate > var/airflow-migrate.log 2>&1 || { cat var/airflow-migrate.log; exit 1; }
	@$(MAKE) --no-print-directory build-pool
	SMARTPROV_LANDING_URL=$(CURDIR)/var/landing SMARTPROV_ALERTS_EMAIL_ENABLED=$${SMARTPROV_ALERTS_EMAIL_ENABLED:-false} \
	  airflow dags test smartprov_nightly > var/last-dag-test.log 2>&1 \
	  || { tail -n 60 var/last-dag-test.log; echo "DAG run failed: full log in var/last-dag-test.log"; exit 1; }
	@smartprov summary --province $(PROVINCE)

## make test: the whole suite (unit, contract, dbt on DuckDB and PostgreSQL, S3, SMTP, DAG)
## on PYTEST_WORKERS pytest-xdist workers (default 3; PYTEST_WORKERS=0 runs it in one process).
## Three on two cores: the slowest modules mostly wait (on a scheduler, a subprocess, a server),
## and a third worker runs other tests meanwhile.
PYTEST_WORKERS ?= 3
test: venv
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make airflow: Airflow standalone on http://127.0.0.1:8080 with the project's DAGs
## (e-mail alerts stay off unless SMARTPROV_ALERTS_EMAIL_ENABLED=true and a sender and recipients are set: docs/alerts.md)
airflow: venv
	@mkdir -p var
	@airflow db migrate > var/airflow-migrate.log 2>&1 || { cat var/airflow-migrate.log; exit 1; }
	@$(MAKE) --no-print-directory build-pool
	SMARTPROV_ALERTS_EMAIL_ENABLED=$${SMARTPROV_ALERTS_EMAIL_ENABLED:-false} \
	  AIRFLOW__API__BASE_URL=$${AIRFLOW__API__BASE_URL:-http://127.0.0.1:8080} airflow standalone

# The one-slot pool every dbt-building task runs in (smartprov.warehouse.dbt_runner.BUILD_POOL).
build-pool:
	@airflow pools set $(BUILD_POOL) 1 "smartprov: one dbt build at a time" > /dev/null

## make bench: national-scale benchmark, results in bench/results.json and BENCHMARKS.md
bench: venv
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make fuzz: time-boxed mutation fuzzing of the workbook reader (FUZZ_SECONDS, default 120; FUZZ_ARGS)
FUZZ_SECONDS ?= 120
fuzz: venv
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

## make smoke: against the running compose stack, upload a generated workbook as a test regency,
## trigger smartprov_nightly through the REST API, wait, and print where the report is
## (first `smartprov doctor`; then the report fetched from `reports`, the digest looked up at the catcher
## when SMARTPROV_SMOKE_MAIL_API is set). COMPOSE: the compose command (make compose-check sets its own)
COMPOSE ?= docker compose
smoke:
	$(COMPOSE) --profile cli run --rm -T --entrypoint smartprov smartprov-cli doctor
	$(COMPOSE) --profile cli run --rm -T -e SMARTPROV_SMOKE_REGION -e SMARTPROV_SMOKE_ACCESS_KEY \
	  -e SMARTPROV_SMOKE_SECRET_KEY -e SMARTPROV_SMOKE_API_URL -e SMARTPROV_SMOKE_TIMEOUT \
	  -e SMARTPROV_SMOKE_MAIL_API --entrypoint python smartprov-cli /opt/smartprov/docker/smoke.py

## make compose-check: the compose stack for real on this (Debian) machine: engine and Compose v2 when
## missing, stand-in images, build, up --wait, smoke, down/up with data kept, restore drill, down -v
## (root or sudo; about 12 minutes here; docker/compose-check.sh; not part of `make test`)
compose-check:
	bash docker/compose-check.sh

## make lint: ruff (check, format), sqlfluff over the dbt project (.sqlfluff), and dbt Labs'
## dbt-project-evaluator (deliberate deviations in dbt/evaluator_exceptions.csv)
lint: venv $(LINT_VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p var/lint
	@$(DEADLINE_SEED)
	$(SQLFLUFF) lint dbt
	@test -x "$(EVALUATOR)" || { echo "dbt-project-evaluator not found at $(EVALUATOR): set EVALUATOR=path/to/run"; exit 1; }
	$(EVALUATOR) dbt $(BIN)/dbt

## make sql-fix: let sqlfluff fix the dbt project's layout (SQL_FILES, default all of dbt/)
SQL_FILES ?= dbt
.PHONY: sql-fix
sql-fix: venv $(LINT_VENV)/.installed
	@mkdir -p var/lint
	@$(DEADLINE_SEED)
	$(SQLFLUFF) fix $(SQL_FILES)

# dbt compiles only with the deadline seed, which a run generates (git-ignored) from
# config/deadlines.yml: a fresh checkout has none until it is written here.
DEADLINE_SEED = $(BIN)/python -c "from smartprov.contract.deadlines import sync_seed; sync_seed()"

# The dbt templater compiles the project against a throw-away DuckDB file, outside dbt/.
SQLFLUFF = SMARTPROV_DBT_TARGET=duckdb SMARTPROV_DUCKDB_PATH=$(CURDIR)/var/lint/sqlfluff.duckdb \
	  DBT_TARGET_PATH=$(CURDIR)/var/lint/dbt-target DBT_LOG_PATH=$(CURDIR)/var/lint/dbt-logs \
	  $(LINT_VENV)/bin/sqlfluff

# sqlfluff 4.4 and its dbt templater need click<8.5 (the product pins 8.5.1): their own venv.
$(LINT_VENV)/.installed: requirements-lint.txt | $(VENV)/.installed
	@test -x $(LINT_VENV)/bin/python || $(BIN)/uv venv -q -p $(BIN)/python $(LINT_VENV)
	UV_COMPILE_BYTECODE=1 $(BIN)/uv pip sync -q -p $(LINT_VENV)/bin/python requirements-lint.txt
	@touch $@

clean:
	rm -rf var
