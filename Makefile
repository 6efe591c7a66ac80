# hudong — two commands on a fresh machine (only python3 and make needed):
#   make demo   set up, then build the demo workspace, its scorecard and report
#   make test   set up, then run ruff and the test suite (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hudong-installed

.PHONY: setup sysdeps atnet demo test lint bench docs clean

setup: $(STAMP) sysdeps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,spark,onnx]"
	# GrowthBook's stats engine, the tests' independent check of hudong.stats.experiments: its metadata pins
	# numpy<2 and pandas<2, which the code it needs does not (tests/test_experiment_stats.py)
	$(BIN)/pip install -q --no-deps gbstats==0.8.0
	# ChannelAttribution (GPL-3.0, tests only, never shipped) checks hudong's Markov attribution; it imports
	# matplotlib without declaring it (tests/test_campaigns.py)
	$(BIN)/pip install -q ChannelAttribution==2.2.5 matplotlib
	touch $(STAMP)

# CJK fonts so Chinese renders in PDFs; poppler-utils to check PDFs in tests.
# Installed with apt when missing and we are root (CI, fresh machines); otherwise we say what to install.
sysdeps:
	@bash scripts/sysdeps.sh

demo: setup
	$(BIN)/hudong demo --force

# The local AT Protocol network the Bluesky connector is tested against (tests/atnet/README.md).
atnet: tests/atnet/node_modules/.installed

tests/atnet/node_modules/.installed: tests/atnet/package-lock.json
	@bash tests/atnet/install.sh

test: setup atnet
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check src tests benchmarks

docs: setup
	$(BIN)/hudong schema --markdown > docs/schema.md
	$(BIN)/python -m hudong.metrics.docs > docs/metrics.md
	$(BIN)/python -m hudong.decide.docs > docs/scorecard.md
	$(BIN)/python -c "from hudong.platforms import markdown; print(markdown(), end='')" > docs/platforms.md

bench: setup
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_metrics.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache
