# prolo-kb. `make serve` and `make test` are all a newcomer needs: both create .venv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPHINXOPTS ?= -nW --keep-going -q
HOST ?= 127.0.0.1
PORT ?= 8000
DOCS := $(shell find docs -type f -not -path '*/__pycache__/*' 2>/dev/null)
SRC := $(shell find src indexer -name '*.py' -o -name '*.css' -o -name '*.js' -o -name '*.html' 2>/dev/null)

.PHONY: help venv build serve live test lint eval bench fuzz check pdf leaflet clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-7s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools tells every editable install to mind same-named folders: not news here.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[docs,test]'
	@touch $@

venv: $(STAMP)  ## create .venv and install everything

build/index/manifest.json: $(STAMP) $(DOCS) $(SRC)
	$(BIN)/sphinx-build -b html $(SPHINXOPTS) -j auto docs build/html
	@$(BIN)/python -m compileall -q src

build: $(STAMP)  ## build the site (build/html) and the search index (build/index)
	$(BIN)/sphinx-build -b html $(SPHINXOPTS) -j auto docs build/html
	@$(BIN)/python -m compileall -q src  # byte-code for a quick `prolo-kb search`

serve: build/index/manifest.json  ## build if needed, then serve the site and its search
	$(BIN)/prolo-kb serve --host $(HOST) --port $(PORT) --site build/html --index build/index

live: $(STAMP)  ## rebuild and reload the browser on every edit (for authors)
	$(BIN)/sphinx-autobuild docs build/html --host $(HOST) --port $(PORT) -j auto

test: $(STAMP)  ## lint, build, and run every test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory build
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check src indexer tests docs/conf.py
	$(BIN)/mypy

eval: build/index/manifest.json  ## search quality: Recall@1/@3, MRR, not covered, warning-sign recall and false alarms
	$(BIN)/python -m prolo_kb.evaluate tests/data/queries.tsv tests/data/fresh.tsv \
		tests/data/signs.tsv tests/data/holdout.tsv tests/data/holdout2.tsv \
		tests/data/holdout3.tsv tests/data/holdout4.tsv tests/data/holdout5.tsv \
		tests/data/holdout6.tsv tests/data/holdout7.tsv tests/data/signs2.tsv \
		--index build/index

clean:  ## remove build output (keeps .venv)
	rm -rf build .mypy_cache .ruff_cache .hypothesis

# --- Content health and the physician handout ---------------------------------------------
CHECKOPTS ?=

check: $(STAMP)  ## content health report for the content lead (exit 1: publication blocked)
	@# Build if the docs changed, then report on the index even when the build failed on
	@# content problems: the report is the view of them for the person who fixes them.
	@status=0; $(MAKE) --no-print-directory -s build/index/manifest.json || status=$$?; \
	$(BIN)/prolo-kb check --index build/index $(CHECKOPTS) || status=$$?; exit $$status

pdf: $(STAMP)  ## the physician handout PDF (build/handout/), from the same docs
	$(BIN)/sphinx-build -b handout $(SPHINXOPTS) docs build/handout
	@ls build/handout/*.pdf

leaflet: $(STAMP)  ## the one-page patient leaflet PDF (build/handout/), from the same docs
	$(BIN)/sphinx-build -b leaflet $(SPHINXOPTS) docs build/handout
	@ls build/handout/*leaflet*.pdf

# --- Scale benchmark and the long fuzz run (bench/, tests/test_fuzz.py) -------------------
BENCHOPTS ?=

bench: build/index/manifest.json  ## Whoosh beside SQLite FTS5, real base to 100,000 entries (~15 min)
	$(BIN)/python bench/scale.py $(BENCHOPTS)
	@if [ -f bench/web_load.py ]; then $(BIN)/python bench/web_load.py; fi

fuzz: build/index/manifest.json  ## property tests of the query path, 10,000 examples each
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz.py -q
	@cat build/fuzz-report.json
