"""Same input, same marts (issue 11): two builds from scratch must agree bit for bit.

A small generated shop is built twice through its mapping file (sources/demo.yml), each into a
warehouse of its own; the second build reads the same rows written in another order and runs
dbt with one thread instead of four. Every table of `marts` and `reference` must then hold the
same rows, compared by hash (segwarehouse.tools.fingerprint), except the run metadata columns,
which record when a model was trained or a run scored.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segwarehouse.tools.fingerprint import compare_warehouses, fingerprints
from segwarehouse.tools.generate import GeneratorConfig, generate

from .conftest import PROJECT_DIR

SEED = 20261130
# Transitions need two as-of dates; the seed of name overrides ships empty.
EMPTY_AFTER_ONE_BUILD = {"marts.fct_segment_transitions", "reference.segment_name_overrides"}


def _write_raw(tables: dict[str, pa.Table], raw_dir: Path, *, shuffled: bool) -> None:
    raw_dir.mkdir(parents=True)
    for name, table in tables.items():
        if shuffled:
            table = table.take(np.random.default_rng(SEED).permutation(table.num_rows))
        pq.write_table(table, raw_dir / f"{name}.parquet")


def _build(raw_dir: Path, warehouse: Path, *dbt_arguments: str) -> None:
    """A build from scratch (dbt's target and logs beside the warehouse); data tests and
    unit tests are left out, they do not change what the models write."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segwarehouse.sources",
            "build",
            str(PROJECT_DIR / "sources" / "demo.yml"),
            "--name",
            "repeatable",
            "--root",
            str(raw_dir),
            "--warehouse",
            str(warehouse),
            "--reset",
            "--no-summary",
            "--",
            "--exclude-resource-type",
            "unit_test",
            "--exclude-resource-type",
            "test",
            *dbt_arguments,
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("repeatable")
    tables, _ = generate(GeneratorConfig(n_customers=1500, seed=SEED))
    _write_raw(tables, folder / "raw", shuffled=False)
    _write_raw(tables, folder / "raw_shuffled", shuffled=True)
    first = folder / "first" / "warehouse.duckdb"
    second = folder / "second" / "warehouse.duckdb"
    _build(folder / "raw", first)
    _build(folder / "raw_shuffled", second, "--threads", "1")
    return first, second


def test_two_builds_of_the_same_data_have_the_same_marts(two_builds):
    first, second = two_builds
    with duckdb.connect() as connection:
        connection.execute(f"attach '{first}' as first_build (read_only)")
        tables = fingerprints(connection, "first_build")
    # Every mart and seed is compared, and all but those empty after one build have rows.
    assert {"marts.fct_segment_kpis", "marts.fct_customer_lifetime_values"} <= tables.keys()
    assert any(name.startswith("reference.") for name in tables)
    empty = {name for name, table in tables.items() if table.row_count == 0}
    assert empty <= EMPTY_AFTER_ONE_BUILD, empty
    found = compare_warehouses(first, second)
    assert not found, "the builds differ (run metadata aside):\n" + "\n".join(found)
