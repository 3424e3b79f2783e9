# Goalpost developer commands. `make run` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
export PYTHONPATH := $(CURDIR)/layers/common:$(CURDIR)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: install run test lint typecheck template-check pytest build bench clean

$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

$(SAM_VENV)/.installed: requirements-sam.lock
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.lock
	touch $@

install: $(VENV)/.installed

## run: the whole stack on http://127.0.0.1:3000 with an embedded DynamoDB
run: install
	$(BIN)/python -m goalpost_local

## test: lint, type-check, template checks, then unit, integration and e2e tests
test: install lint typecheck template-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	for f in functions/*/app.py; do $(BIN)/mypy "$$f" || exit 1; done

template-check: install $(SAM_VENV)/.installed
	$(BIN)/cfn-lint template.yaml
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	$(SAM) validate --lint --template template.yaml

pytest: install
	$(BIN)/pytest

## build: sam build (no Docker needed: the layer and functions are pure Python)
build: $(SAM_VENV)/.installed
	PATH="$(dir $(shell pyenv which python3.13 2>/dev/null || command -v python3.13)):$$PATH" $(SAM) build --template template.yaml

## bench: cold start, round trips, capacity and cost (asserts nothing about time)
bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
