# latentcv: `make demo` runs the pipeline on small built-in data, `make test` runs the tests.
# Both create .venv when it is missing or when pyproject.toml changed (stamp = hash of the spec).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SPEC_HASH := $(shell cat pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(SPEC_HASH)
PYTEST_ARGS ?=

.PHONY: venv plumed test test-all demo doctor clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# PLUMED with libtorch, built once per machine into ~/.cache/latentcv (see latentcv/md/plumed_build.py).
plumed: venv
	$(PY) -m latentcv.md.plumed_build

test: venv plumed
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: venv plumed
	$(PY) -m pytest $(PYTEST_ARGS)

doctor: venv plumed
	$(VENV)/bin/latentcv doctor

demo: venv plumed
	$(PY) examples/demo.py --out demo

clean:
	rm -rf $(VENV) demo build *.egg-info
