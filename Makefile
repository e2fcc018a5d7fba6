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
# The demo builds as of the data's last day (training the segment model on all of it), then
# backfills this earlier date and builds the last day again (both scored with that model), so
# that segment history, transitions, drift and the dashboard's movement page have two dates to
# compare the first time a newcomer opens them. Building the earlier date first would train on
# a month less: 4 segments instead of 5, persona recovery (adjusted Rand) 0.54 instead of 0.84.
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
# The DuckDB 1.x clients that must read the published file (test_published_clients), each in
# its own environment: the oldest and the newest 1.x.
DUCKDB1_CLIENTS ?= 1.0.0 1.5.6
# make bench: sizes to time (a full build, then a build after one appended day, each).
BENCH_CUSTOMERS ?= 10000 100000 1000000
# Every build goes through a mapping file (segwarehouse.sources): it checks the mapping against
# the data, makes the source's views, runs dbt build into data/<name>/warehouse.duckdb and, only
# if that succeeded, publishes data/<name>/published.duckdb for readers.
SOURCES = $(BIN)/python -m segwarehouse.sources

# The published file the readers (dashboard, audiences, metrics) open: DATABASE=, else that of
# NAME= (a source's name), else the demo's.
PUBLISHED = $(or $(DATABASE),data/$(or $(NAME),demo)/published.duckdb)
# make dashboard: the published file it reads (read-only) and the port it serves on, localhost only.
DASHBOARD_DATABASE ?= $(PUBLISHED)
DASHBOARD_PORT ?= 8501

.PHONY: demo test install demo-data test-data build-demo build-test build-retail build-source summary audiences metrics lint pytest duckdb-clients bench clean dashboard screenshots browser

## demo: set up, generate demo data, dbt build on the embedded DuckDB file, print the segments
demo: install demo-data build-demo summary

## test: set up, lint, build and test the warehouse on test data and on Online Retail II, run pytest
## (the lint, the two warehouses and the DuckDB clients are made side by side, TEST_JOBS at once;
## then pytest runs its test files on every core)
TEST_JOBS ?= 3
test: install browser test-data
	$(MAKE) --no-print-directory --jobs $(TEST_JOBS) --output-sync=target \
		lint build-test build-retail duckdb-clients
	$(MAKE) --no-print-directory pytest

$(INSTALLED): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(INSTALLED)

demo-data: install
	$(BIN)/python -m segwarehouse.tools.generate --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --output-dir data/demo

test-data: install
	$(BIN)/python -m segwarehouse.tools.generate --customers $(TEST_CUSTOMERS) --seed $(TEST_SEED) --output-dir data/test

build-demo: install
	$(SOURCES) build sources/demo.yml --no-summary
	$(SOURCES) build sources/demo.yml --no-summary --as-of $(DEMO_PREVIOUS_AS_OF)
	$(SOURCES) build sources/demo.yml --no-summary

# Every unit and data test runs in these builds (selectors.yml, `everything`), not only the
# production selection that a scheduled build runs.
build-test: install
	rm -f data/test/warehouse.duckdb
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary \
		-- --selector everything
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary \
		--as-of $(TEST_PREVIOUS_AS_OF) -- --selector everything
	$(SOURCES) build sources/demo.yml --name test --root data/test/raw --no-summary \
		-- --selector everything
	$(SOURCES) dbt sources/demo.yml --name test --root data/test/raw -- docs generate --quiet

# UCI Online Retail II, read in place from ONLINE_RETAIL_PATH, into its own warehouse, from
# scratch; then its segment summary. Its staging is hand-written (sources/online_retail.yml).
ONLINE_RETAIL_PATH ?= ../shared/datasets/online_retail_ii

build-retail: install
	$(SOURCES) build sources/online_retail.yml --root $(ONLINE_RETAIL_PATH) --reset \
		-- --selector everything

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

## audiences: export each segment's members, adds and removes since the last export, as CSV
## for ad platforms, from data/<NAME>/published.duckdb (NAME=demo by default; DATABASE= another
## published file) into audiences/ beside it (OUTPUT= another folder); FORCE=1 exports from a
## published file older than the last export. See docs/operations.md, Audiences.
audiences: install
	$(BIN)/python -m segwarehouse.audiences \
		--database $(PUBLISHED) \
		$(if $(OUTPUT),--output-dir $(OUTPUT)) $(if $(FORCE),--force)

## metrics: the semantic layer (MetricFlow) on a published file, read-only:
## make metrics QUERY="--metrics revenue,average_order_value --group-by customer__segment_name"
## (QUERY= mf query's arguments, e.g. "--saved-query segment_kpis"; empty lists the metrics;
## NAME= a source's published file, DATABASE= any, default the demo's; MF= other mf commands,
## e.g. MF=validate-configs)
metrics: install
	$(BIN)/python -m segwarehouse.metrics --database $(PUBLISHED) \
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

# PYTEST_WORKERS processes (auto: one per core), each given whole test files, so that a file's
# module-scoped builds run once (--dist loadfile); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
pytest: install duckdb-clients
	$(BIN)/pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

duckdb-clients: $(foreach version,$(DUCKDB1_CLIENTS),.venv-duckdb-$(version)/.installed)

.venv-duckdb-%/.installed:
	$(PYTHON) -m venv .venv-duckdb-$*
	.venv-duckdb-$*/bin/pip install --quiet duckdb==$*
	touch $@

## dashboard: serve the dashboard on http://localhost:$(DASHBOARD_PORT) over the published file
## (DASHBOARD_DATABASE=data/<target>/published.duckdb to read another; default the demo's)
dashboard: install
	@test -f "$(DASHBOARD_DATABASE)" || { echo "no published warehouse at $(DASHBOARD_DATABASE): run \`make demo\` first, or give DASHBOARD_DATABASE=data/<target>/published.duckdb"; exit 2; }
	$(BIN)/streamlit run python/segwarehouse/dashboard/app.py --server.headless true \
		--server.address localhost --server.port $(DASHBOARD_PORT) \
		--browser.gatherUsageStats false --client.toolbarMode minimal \
		-- --database $(DASHBOARD_DATABASE)

## screenshots: load every dashboard page in headless chromium, save docs/screenshots/<page>.png
screenshots: install browser
	$(BIN)/python -m segwarehouse.dashboard.browser --database $(DASHBOARD_DATABASE) \
		--output docs/screenshots

# The dashboard's browser test drives Debian's chromium through chromedriver. Installed here
# when missing and we may (root with apt-get); otherwise the browser test skips, naming what
# is missing.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver for the dashboard's browser test"; \
		apt-get install -y chromium chromium-driver || \
			{ apt-get update && apt-get install -y chromium chromium-driver; }; \
	else \
		echo "chromium or chromedriver missing and cannot install them (not root, or no apt-get):" \
			"the dashboard's browser test will skip"; \
	fi

## bench: generate, build, append one day, build again; print time and peak memory per stage
bench: install
	$(BIN)/python -m segwarehouse.tools.bench --customers $(BENCH_CUSTOMERS) --workdir data/bench

clean:
	rm -rf $(VENV) .venv-duckdb-* data target logs
