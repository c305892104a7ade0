# The front door. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON_BASE ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3"; [ -x "$$p" ] && echo "$$p" || (command -v python3.13 || command -v python3))
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup setup-sam demo up test test-fast lint format validate build bench openapi clean

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt
	$(PYTHON_BASE) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON_BASE) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q -r requirements-sam.txt
	touch $@

setup: $(VENV)/.installed            ## runtime + test virtualenv

setup-sam: $(SAM_VENV)/.installed    ## aws-sam-cli in its own virtualenv (it pins old boto3/pydantic)

demo: setup                          ## start a fresh local stack, run the scripted scenario, stop
	$(PY) -m local demo

up: setup                            ## run the local stack in the foreground (Ctrl-C stops it)
	$(PY) -m local up

test: setup validate build lint      ## everything: validate, build, lint, unit, integration, contract, e2e
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: setup                     ## unit tests only
	$(PY) -m pytest tests/unit -q

lint: setup                          ## ruff (lint + format check) and mypy --strict on the layer
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

validate: setup-sam                  ## sam validate --lint
	$(SAM) validate --lint

build: setup-sam                     ## sam build (python3.13 from the sam venv first on PATH)
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" $(SAM) build

bench: setup                         ## measure cold imports and request/workflow costs into bench/results.json
	$(PY) -m bench

openapi: setup                       ## regenerate the committed OpenAPI document
	$(PY) -m local.openapi > openapi.json

clean:
	rm -rf .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
