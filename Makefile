# Two commands after cloning: `make demo` and `make test`. Each creates or updates .venv itself.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BOOTSTRAP_PYTHON ?= python3

.PHONY: test lint compose-check bench venv clean demo

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports

compose-check:
	scripts/check-compose

test: venv lint compose-check
	scripts/with-test-servers $(VENV)/bin/pytest

# A fresh var/workflow.db with cohort 9 seeded across every hub, simulated to Year 3.
demo: venv
	WORKFLOW_DATABASE_URL=sqlite:///var/workflow.db WORKFLOW_MAIL_DIR=var/mail $(VENV)/bin/workflow demo

bench: venv
	scripts/with-test-servers $(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
