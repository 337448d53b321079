# CRM - the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
LOCAL_AWS_PORT ?= 4566
export PORT LOCAL_AWS_PORT

.PHONY: run test lint venv clean bench deploy package

## run: the whole system locally (moto AWS stand-in, API, demo data, event runner)
run: venv
	$(PY) -m infra.local.devstack

## test: the whole suite (lint, unit, integration against a moto server, e2e)
test: venv
	$(PY) -m ruff check .
	$(PY) -m pytest

## deploy: the infra stack, then chalice deploy, to AWS (needs AWS credentials). STAGE=dev|prod
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

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts
