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
# The demo builds as of this earlier date, then as of the data's last day, so that segment
# history, transitions, drift and the dashboard's movement page have two dates to compare the
# first time a newcomer opens them.
DEMO_PREVIOUS_AS_OF ?= 2025-11-30
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
# Every build goes through a mapping file (segwarehouse.sources): it checks the mapping against
# the data, makes the source's views, runs dbt build into data/<name>/warehouse.duckdb and, only
# if that succeeded, publishes data/<name>/published.duckdb for readers.
SOURCES = $(BIN)/python -m segwarehouse.sources

.PHONY: demo test install demo-data test-data build-demo build-test build-retail build-source summary metrics lint pytest bench clean

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

build-demo: install
	$(SOURCES) build sources/demo.yml --no-summary --as-of $(DEMO_PREVIOUS_AS_OF)
	$(SOURCES) build sources/demo.yml --no-summary

build-test: install
	rm -f data/test/warehouse.duckdb
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary \
		--as-of $(TEST_PREVIOUS_AS_OF)
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary
	$(SOURCES) dbt sources/demo.yml --name test --root data/test/raw -- docs generate --quiet

# UCI Online Retail II, read in place from ONLINE_RETAIL_PATH, into its own warehouse, from
# scratch; then its segment summary. Its staging is hand-written (sources/online_retail.yml).
ONLINE_RETAIL_PATH ?= ../shared/datasets/online_retail_ii

build-retail: install
	$(SOURCES) build sources/online_retail.yml --root $(ONLINE_RETAIL_PATH) --reset

## build-source: build your own data from its mapping file: make build-source SOURCE=my.yml
## (NAME=, ROOT= override the file's name and folder; AS_OF=YYYY-MM-DD; RESET=1 starts the
## warehouse over; ADOPT=1 keeps it after the source moved; REPLACE_SNAPSHOTS=1 replaces the
## kept segment snapshot of the as-of date with one from other data; DBT_ARGS= more dbt build
## arguments)
build-source: install
	@test -n "$(SOURCE)" || { echo "give the mapping file: make build-source SOURCE=path/to/mapping.yml"; exit 2; }
	$(SOURCES) build $(SOURCE) $(if $(NAME),--name $(NAME)) $(if $(ROOT),--root $(ROOT)) \
		$(if $(AS_OF),--as-of $(AS_OF)) $(if $(RESET),--reset) $(if $(ADOPT),--adopt) \
		$(if $(REPLACE_SNAPSHOTS),--replace-snapshots) $(if $(DBT_ARGS),-- $(DBT_ARGS))

summary: install
	$(BIN)/python -m segwarehouse.summary --database data/demo/published.duckdb

## metrics: the semantic layer (MetricFlow) on a published file, read-only:
## make metrics QUERY="--metrics revenue,average_order_value --group-by customer__segment_name"
## (QUERY= mf query's arguments, e.g. "--saved-query segment_kpis"; empty lists the metrics;
## DATABASE= the published file, default data/demo/published.duckdb; MF= other mf commands,
## e.g. MF=validate-configs)
DATABASE ?= data/demo/published.duckdb
metrics: install
	$(BIN)/python -m segwarehouse.metrics --database $(DATABASE) \
		$(if $(MF),$(MF),$(if $(QUERY),query $(QUERY),list metrics))

lint: install
	$(BIN)/ruff check python tests models
	$(BIN)/ruff format --check python tests models
	@# Each source is linted with its own mapping (dbt var `source`), so that the models it
	@# enables compile as they do in its builds.
	mkdir -p target
	$(SOURCES) spec sources/demo.yml --sqlfluff-config > target/sqlfluff-demo.cfg
	$(BIN)/sqlfluff lint --config target/sqlfluff-demo.cfg models tests/dbt
	$(SOURCES) spec sources/online_retail.yml --sqlfluff-config > target/sqlfluff-retail.cfg
	$(BIN)/sqlfluff lint --config target/sqlfluff-retail.cfg models/staging/online_retail \
		tests/dbt/online_retail models/intermediate/canonical

pytest: install
	$(BIN)/pytest

## bench: generate, build, append one day, build again; print time and peak memory per stage
bench: install
	$(BIN)/python -m segwarehouse.bench --customers $(BENCH_CUSTOMERS) --workdir data/bench

clean:
	rm -rf $(VENV) data target logs
