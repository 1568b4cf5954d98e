# revlab — `make help` lists the targets. `make report` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
DEMO := data/demo.duckdb
## QUARTER: the quarter to report (default: the latest complete quarter in the data)
QUARTER ?= latest
SOURCE ?= $(DEMO)

.DEFAULT_GOAL := help
.PHONY: help setup blas data lab report test lint bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  variables: QUARTER=$(QUARTER) SOURCE=$(SOURCE)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,engines]"
	@$(MAKE) --no-print-directory blas
	@touch $(STAMP)

# OpenBLAS for PyTensor (revlab links it when present; see revlab/_blas.py). Best effort: only
# as root with apt; elsewhere the models run without it.
blas:
	@ldconfig -p 2>/dev/null | grep -q libopenblas || { [ "$$(id -u)" = 0 ] \
	  && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq libopenblas-dev >/dev/null 2>&1 \
	       || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libopenblas-dev >/dev/null 2>&1; }; } \
	  && echo "installed libopenblas-dev (BLAS for PyTensor)"; } \
	  || echo "note: no OpenBLAS; PyTensor runs without BLAS (apt install libopenblas-dev adds it)"

setup: $(STAMP) ## create .venv with revlab and every dependency (pinned by constraints.txt)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,engines,bench]"
	@touch $(BENCH_STAMP)

$(DEMO): $(STAMP) $(wildcard revlab/demo/*.py)
	$(BIN)/revlab demo --out $(DEMO)

data: $(DEMO) ## generate the demo company into data/demo.duckdb (skipped when up to date)

lab: setup data ## start JupyterLab with the registered `revlab` kernel
	$(BIN)/python -m ipykernel install --user --name revlab --display-name "Python (revlab)" >/dev/null
	$(BIN)/jupyter lab notebooks/

report: setup data ## render the quarterly report into reports/<quarter>/ (QUARTER=2026Q3 to choose)
	$(BIN)/revlab report --quarter $(QUARTER) --source $(SOURCE)

test: setup data ## run the test suite: package tests and notebooks under nbval
	$(BIN)/python -m pytest

lint: setup ## ruff (code and notebooks) and the thin-notebook check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m revlab.notebook_check notebooks/

bench: $(BENCH_STAMP) data ## run every benchmark script (installs the bench extra: Prophet)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## remove the virtualenv, generated data and rendered reports
	rm -rf $(VENV) data/*.duckdb data/demo_truth reports/*/ reports/index.html .pytest_cache .ruff_cache
