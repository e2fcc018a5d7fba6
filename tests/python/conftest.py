"""Shared fixtures: a small generated retailer, and the test warehouse built by dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from segwarehouse.generate import GeneratorConfig, generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEST_DATA_DIR = PROJECT_DIR / "data" / "test"
TEST_WAREHOUSE = TEST_DATA_DIR / "warehouse.duckdb"
# Same size and seed as `make test-data`, so pytest alone rebuilds what make test builds.
TEST_CUSTOMERS = "10000"
TEST_SEED = "20261122"


@pytest.fixture(scope="session")
def small_retailer():
    return generate(GeneratorConfig(n_customers=800, seed=3))


@pytest.fixture(scope="session")
def warehouse() -> duckdb.DuckDBPyConnection:
    """The test target's warehouse; built here if `make test` has not built it yet."""
    if not TEST_WAREHOUSE.exists():
        bin_dir = Path(sys.executable).parent
        subprocess.run(
            [
                sys.executable, "-m", "segwarehouse.generate",
                "--customers", TEST_CUSTOMERS, "--seed", TEST_SEED,
                "--output-dir", str(TEST_DATA_DIR),
            ],
            check=True,
            cwd=PROJECT_DIR,
        )  # fmt: skip
        subprocess.run(
            [str(bin_dir / "dbt"), "build", "--target", "test"],
            check=True,
            cwd=PROJECT_DIR,
            env={**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR)},
        )
    connection = duckdb.connect(str(TEST_WAREHOUSE), read_only=True)
    yield connection
    connection.close()
