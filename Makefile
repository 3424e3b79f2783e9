# Goalpost developer commands. `make run` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: install console screenshots run test lint format typecheck template-check deploy-check pytest pytest-shifted build bench mutate openapi analytics clean

$(VENV)/.installed: requirements-dev.lock
	@echo "Installing the Python packages into $(VENV) (first run only: about 680 MB)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

$(SAM_VENV)/.installed: requirements-sam.lock
	@echo "Installing the SAM CLI into $(SAM_VENV) (first run only: about 340 MB)..."
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.lock
	touch $@

# The console (functions/console/static): console/src plus the npm packages it imports, copied
# as they are (no bundler). npm ci installs exactly what console/package-lock.json pins.
CONSOLE_STATIC := functions/console/static

console/node_modules/.installed: console/package-lock.json
	@echo "Installing the console's npm packages into console/node_modules (first run only: about 55 MB)..."
	npm ci --prefix console --no-audit --no-fund --loglevel=error
	touch $@

console: console/node_modules/.installed
	rm -rf $(CONSOLE_STATIC)
	mkdir -p $(CONSOLE_STATIC)/vendor
	cp console/src/* $(CONSOLE_STATIC)/
	cp console/node_modules/preact/dist/preact.mjs console/node_modules/preact/hooks/dist/hooks.mjs \
	   console/node_modules/htm/dist/htm.mjs console/node_modules/@picocss/pico/css/pico.min.css \
	   console/node_modules/chart.js/dist/chart.umd.min.js $(CONSOLE_STATIC)/vendor/

# The SAM CLI's venv is part of every set-up: template checks, `make build`, and the local IAM
# checks (goalpost_local/iam.py expands SAM policy templates from SAM's own definitions).
install: $(VENV)/.installed $(SAM_VENV)/.installed console

## run: the whole stack on http://127.0.0.1:3000 with an embedded DynamoDB
run: install
	$(BIN)/python -m goalpost_local

## test: lint, type-check, template checks, the deploy check, then unit, integration and e2e tests
test: install lint typecheck template-check deploy-check pytest pytest-shifted

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd layers/common && ../../$(BIN)/lint-imports --config ../../pyproject.toml
	cd console && node_modules/.bin/prettier --check 'src/**/*.{js,css}' && node_modules/.bin/eslint src

## format: format the Python code (ruff) and the console's code (prettier, console/.prettierrc.json)
format: install
	$(BIN)/ruff format .
	cd console && node_modules/.bin/prettier --write 'src/**/*.{js,css}'

typecheck: install
	$(BIN)/mypy
	for f in functions/*/app.py; do $(BIN)/mypy "$$f" || exit 1; done

template-check: install $(SAM_VENV)/.installed
	$(BIN)/cfn-lint template.yaml
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	$(SAM) validate --lint --template template.yaml

## deploy-check: sam build, the SAM translator (default and custom-domain parameters), every JSON
## in a string, the stack created on moto's CloudFormation, and the end-to-end smoke on the
## stack's own resources (tests/deploy; about a minute)
deploy-check: install build
	GOALPOST_DEPLOY_CHECK=1 $(BIN)/pytest -q tests/deploy

pytest: install
	$(BIN)/pytest

# The suite again ~3 years and a leap day ahead of today (time-machine moves every clock in the
# test process and in the local runtime it spawns): no test may depend on today's date.
# Chromium's clock stays today's, so the browser tests run once, above.
SHIFT_DAYS ?= 1111
pytest-shifted: install
	GOALPOST_LOCAL_SHIFT_DAYS=$(SHIFT_DAYS) $(BIN)/pytest -q -m "not browser"

## build: sam build (no Docker needed: the layer and functions are pure Python)
# sam build runs the runtime's interpreter (python3.13) to install the layer; pyenv's shim
# only answers when 3.13 is the active version, so look for a working one.
PY313_DIR = $(shell for p in $$(which -a python3.13 2>/dev/null) $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$p" -c pass 2>/dev/null && { dirname "$$p"; break; }; done)

build: $(SAM_VENV)/.installed console
	@test -n "$(PY313_DIR)" || { echo "sam build needs python3.13 on PATH (pyenv install 3.13)"; exit 1; }
	PATH="$(PY313_DIR):$$PATH" $(SAM) build --template template.yaml
	# Ship bytecode: /opt and /var/task are read-only in Lambda, so without it every cold
	# start compiles our modules again (unchecked-hash: zip timestamps cannot invalidate it).
	$(PY313_DIR)/python3.13 -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build

## bench: cold start, round trips, capacity and cost (asserts nothing about time)
bench: install
	$(BIN)/python -m bench

## mutate: mutation testing of the money rules (rules/, model/money.py, model/ids.py) with the
## unit tests; a score per module (not part of make test: minutes, not seconds)
mutate: install
	$(BIN)/python -m bench.mutate

## screenshots: the README's pictures of the console, taken by its browser tests
screenshots: install
	GOALPOST_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_console_browser.py

## analytics: a report of analytics/sql with DuckDB over the Parquet files `make run` exported
## (REPORT=totals|conversions_by_day|conversion_report|partner_payouts|sub_ids|funnel;
## FROM=YYYY-MM-DD TO=YYYY-MM-DD, or MONTH=YYYY-MM; PRINT=1 prints the SQL for Athena instead)
REPORT ?= totals
analytics: install
	$(BIN)/python -m goalpost_local.analytics $(REPORT) $(if $(MONTH),--month $(MONTH),--from $(or $(FROM),$(shell date -u +%F)) --to $(or $(TO),$(or $(FROM),$(shell date -u +%F)))) $(if $(PRINT),--print)

## openapi: regenerate docs/openapi.json from the admin routes (a test keeps it in sync)
openapi: install
	$(BIN)/python -m goalpost_local.openapi

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache console/node_modules $(CONSOLE_STATIC)
