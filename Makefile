# Two commands on a fresh machine: `make demo` and `make test`. Nothing else needs installing by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-scale clean install-check

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "cargotrace needs Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/cargotrace demo --out demo-output

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check cargotrace tests bench tools
	$(BIN)/mypy
	$(BIN)/python bench/check_no_print.py

test: lint
	$(BIN)/python bench/check_java.py
	bash tools/ensure_chromium.sh
	$(BIN)/pytest -q --durations=30

# `pip install .` into a throwaway venv with no C/C++ compiler on PATH (needs the package index)
install-check:
	bash tools/check_install.sh $(PYTHON)

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/bench_ingest.py --out bench/results
	$(BIN)/python bench/bench_detect.py --out bench/results
	$(BIN)/python bench/bench_nmea_encode.py --json bench/results/nmea-encode-200000.json
	$(BIN)/python bench/bench_startup.py --out bench/results
	$(BIN)/python bench/summary.py

# ~100M generated positions detected in a fixed memory budget (minutes, ~5 GB of disk, deleted)
bench-scale: $(VENV)/.installed-dev
	$(BIN)/python bench/bench_scale.py --out bench/results
	$(BIN)/python bench/summary.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache
