# The README's two commands: `make demo` and `make test`. Everything else is a building block.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := demo

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DEMO_CUSTOMERS ?= 10000
DEMO_SEED ?= 42
# The test build uses the default size with its own seed, so it is not the demo's data.
TEST_CUSTOMERS ?= 10000
TEST_SEED ?= 20261122
# The test build starts from an empty warehouse and runs three times: as of the data's last
# day (no model stored: trains one), a backfill as of this earlier date, and the last day
# again. The last two score in SQL with the stored model and fill the history, transitions
# and drift marts with two consecutive as-of dates; the third also replaces, not repeats,
# the first build's snapshot.
TEST_PREVIOUS_AS_OF ?= 2025-11-30
# make bench: sizes to time (a full build, then a build after one appended day, each).
BENCH_CUSTOMERS ?= 10000 100000 1000000
# Readers open the published copy, never the build warehouse: see publish (after each build).
PUBLISH = $(BIN)/python -m segwarehouse.publish --database data/$(1)/warehouse.duckdb \
	--output data/$(1)/published.duckdb

.PHONY: demo test install demo-data test-data build-demo build-test build-retail summary lint pytest bench clean

## demo: set up, generate demo data, dbt build on the embedded DuckDB file, print the segments
demo: install demo-data build-demo summary

## test: set up, lint, build and test the warehouse on test data and on Online Retail II, run pytest
test: install lint test-data build-test build-retail pytest

$(INSTALLED): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

demo-data: install
	$(BIN)/python -m segwarehouse.generate --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --output-dir data/demo

test-data: install
	$(BIN)/python -m segwarehouse.generate --customers $(TEST_CUSTOMERS) --seed $(TEST_SEED) --output-dir data/test

# Publish only after a successful build: -e in .SHELLFLAGS stops Make when dbt fails.
build-demo: install
	$(BIN)/dbt build --target demo
	$(call PUBLISH,demo)

build-test: install
	rm -f data/test/warehouse.duckdb
	$(BIN)/dbt build --target test
	$(BIN)/dbt build --target test --vars '{as_of_date: "$(TEST_PREVIOUS_AS_OF)"}'
	$(BIN)/dbt build --target test
	$(call PUBLISH,test)
	$(BIN)/dbt docs generate --target test --quiet

# UCI Online Retail II, read in place from ONLINE_RETAIL_PATH (relative to this folder), into
# its own warehouse, from scratch; then its segment summary.
ONLINE_RETAIL_PATH ?= ../shared/datasets/online_retail_ii

build-retail: install
	rm -f data/retail/warehouse.duckdb
	mkdir -p data/retail
	$(BIN)/dbt build --target retail --vars '{source_system: online_retail, online_retail_path: "$(ONLINE_RETAIL_PATH)"}'
	$(call PUBLISH,retail)
	$(BIN)/python -m segwarehouse.summary --database data/retail/published.duckdb

summary: install
	$(BIN)/python -m segwarehouse.summary --database data/demo/published.duckdb

lint: install
	$(BIN)/ruff check python tests models
	$(BIN)/ruff format --check python tests models
	$(BIN)/sqlfluff lint models tests/dbt
	$(BIN)/sqlfluff lint --config .sqlfluff-online-retail models/staging/online_retail tests/dbt/online_retail models/intermediate/canonical

pytest: install
	$(BIN)/pytest

## bench: generate, build, append one day, build again; print time and peak memory per stage
bench: install
	$(BIN)/python -m segwarehouse.bench --customers $(BENCH_CUSTOMERS) --workdir data/bench

clean:
	rm -rf $(VENV) data target logs
