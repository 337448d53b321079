# CRM - the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
LOCAL_AWS_PORT ?= 4566
# The browser tests drive Debian's Chromium (never a browser Playwright downloads).
CHROMIUM ?= /usr/bin/chromium
export PORT LOCAL_AWS_PORT CHROMIUM

.PHONY: run test lint format venv clean bench deploy package browser

## run: the whole system locally (moto AWS stand-in, API, demo data, event runner)
run: venv
	$(PY) -m infra.local.devstack

## test: the whole suite (lint, type check, unit, integration against a moto server, browser, e2e),
## on one worker per core, at most 4 (each worker starts its own moto server, API and Chromium).
## TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: venv browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

## browser: Debian's Chromium for the browser tests, installed with apt-get when missing
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Chromium not found at $(CHROMIUM): installing Debian's chromium package"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium fonts-liberation; \
	fi

## deploy: the infra stack, then chalice deploy, to AWS (needs AWS credentials). STAGE=dev|prod
## Holds the stage's deploy lock; BREAK_LOCK=1 removes one a dead deploy left (docs/operations.md).
STAGE ?= dev
deploy: venv
	$(PY) -m infra.deploy deploy --stage $(STAGE)

## package: one CloudFormation (SAM) template + deployment.zip for pipelines, offline. STAGE=dev|prod
package: venv
	$(PY) -m infra.deploy package --stage $(STAGE) --out build/package-$(STAGE)-out

## bench: every benchmark, one table (ratios against floors measured in the same run); updates bench/RESULTS.md
bench: venv
	$(PY) -m bench.run

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## format: apply the project's formatting (make test checks it)
format: venv
	$(PY) -m ruff format .

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts .mypy_cache
