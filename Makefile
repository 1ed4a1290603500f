# latentcv: `make demo` runs the pipeline on small built-in data, `make test` lints (ruff, configured in
# pyproject.toml) and runs the tests.
# Both create .venv when it is missing or when pyproject.toml or requirements.lock changed (stamp =
# hash of both). The venv installs the exact versions of requirements.lock; `make lock` refreshes
# that file on purpose from pyproject.toml's ranges (docs/design.md, "The locked environment").

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
SPEC_HASH := $(shell cat pyproject.toml $(LOCK) | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(SPEC_HASH)
PYTEST_ARGS ?=

.PHONY: venv lock plumed test test-all demo doctor docs clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c $(LOCK) --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[test]'
	touch $@

# Resolve pyproject.toml's ranges afresh in a scratch venv and write every installed version to
# requirements.lock. Run it on purpose (new dependency, wanted upgrade), then `make test`, and
# commit the lock with the change that needed it.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test,docs]'
	{ echo "# Exact versions that make test passes with; written by make lock from pyproject.toml's ranges."; \
	  echo "# make venv installs through it (pip -c). Users who pip install latentcv keep the ranges."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock

# PLUMED with libtorch, built once per machine into ~/.cache/latentcv (see latentcv/engines/plumed/build.py).
plumed: venv
	$(PY) -m latentcv.engines.plumed.build

test: venv plumed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: venv plumed
	$(PY) -m pytest $(PYTEST_ARGS)

doctor: venv plumed
	$(VENV)/bin/latentcv doctor

demo: venv plumed
	$(PY) examples/demo.py --out demo

# The documentation site (docs/, mkdocs.yml; API pages generated from the docstrings) into site/,
# warnings as errors. The docs extra (mkdocs, mkdocstrings) is installed through the lock.
docs: venv
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[docs]'
	$(VENV)/bin/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) demo build *.egg-info
