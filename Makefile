# The front door. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON_BASE ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3"; [ -x "$$p" ] && echo "$$p" || (command -v python3.13 || command -v python3))
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup setup-sam setup-checkov setup-browser demo up test test-fast lint format validate build bench soak iam-check openapi redrive clean

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

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON_BASE) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/pip install -q -r requirements-checkov.txt
	touch $@

setup: $(VENV)/.installed            ## runtime + test virtualenv

setup-sam: $(SAM_VENV)/.installed    ## aws-sam-cli in its own virtualenv (it pins old boto3/pydantic)

setup-checkov: $(CHECKOV_VENV)/.installed  ## checkov in its own virtualenv (its pins clash with the runtime's)

setup-browser: setup                 ## a Chromium for the console's browser test: on PATH, else Debian's, else Playwright's
	@if b="$$(command -v chromium || command -v chromium-browser)"; then \
	  echo "browser: $$b (on PATH): $$($$b --version 2>/dev/null)"; \
	elif command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; } || exit 1; \
	  echo "browser: Debian's chromium, installed with apt-get: $$(chromium --version)"; \
	else \
	  echo "browser: no chromium on PATH and no apt-get with root here: Playwright's own Chromium (playwright install)"; \
	  $(PY) -m playwright install chromium || { echo "Playwright could not download Chromium: install chromium, or let it reach its download host"; exit 1; }; \
	fi

demo: setup                          ## start a fresh local stack, run the scripted scenario, stop
	$(PY) -m local demo

up: setup                            ## run the local stack in the foreground (Ctrl-C stops it)
	$(PY) -m local up

test: setup setup-browser validate build lint  ## everything: validate, build, lint, unit, integration, contract, e2e
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: setup                     ## unit tests only
	$(PY) -m pytest tests/unit -q

lint: setup setup-checkov            ## ruff (lint incl. bandit's S rules, format check), mypy --strict, checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

validate: setup-sam                  ## sam validate --lint
	$(SAM) validate --lint

build: setup-sam                     ## sam build (python3.13 from the sam venv first on PATH)
	PATH="$(abspath $(SAM_VENV))/bin:$$PATH" $(SAM) build

# QUEUE: a DLQ's logical id (SyncDLQ, WebhookDLQ, OrderStreamDLQ); TARGET=aws for a deployed stack (STACK, REGION).
STACK ?= solar-backbone-dev
redrive: setup                       ## move a DLQ's messages back: make redrive QUEUE=SyncDLQ [TARGET=aws STACK=… REGION=…]
	@test -n "$(QUEUE)" || (echo "usage: make redrive QUEUE=<DLQ logical id> [TARGET=aws STACK=<stack> REGION=<region>]"; exit 2)
	$(PY) -m local redrive $(QUEUE) $(if $(filter aws,$(TARGET)),--aws --stack $(STACK) $(if $(REGION),--region $(REGION)))

iam-check: setup                     ## the end-to-end flows under each function's role: denied calls, unused grants
	$(PY) -m local iam-check

soak: setup                          ## 200 paid orders + 1,000 webhook deliveries under OpenSolar faults → bench/soak.md
	$(PY) -m local soak --report bench/soak.md

bench: setup                         ## measure cold imports and request/workflow costs into bench/results.json
	$(PY) -m bench

openapi: setup                       ## regenerate the committed OpenAPI document
	$(PY) -m local openapi > openapi.json

clean:
	rm -rf .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
