"""Shared fixtures: a small generated retailer, and the test warehouse built by dbt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from segwarehouse.tools.generate import GeneratorConfig, generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEST_DATA_DIR = PROJECT_DIR / "data" / "test"
TEST_WAREHOUSE = TEST_DATA_DIR / "warehouse.duckdb"
TEST_PUBLISHED = TEST_DATA_DIR / "published.duckdb"


@pytest.fixture(scope="session")
def small_retailer():
    return generate(GeneratorConfig(n_customers=800, seed=3))


@pytest.fixture(scope="session")
def warehouse() -> duckdb.DuckDBPyConnection:
    """The test target's warehouse; built here (as `make test` does) if it is missing."""
    if not TEST_WAREHOUSE.exists():
        subprocess.run(["make", "test-data", "build-test"], check=True, cwd=PROJECT_DIR)
    connection = duckdb.connect(str(TEST_WAREHOUSE), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def published() -> Path:
    """The test target's published file (what readers and the dashboard open); built here
    (as `make test` does) if it is missing."""
    if not TEST_PUBLISHED.exists():
        subprocess.run(["make", "test-data", "build-test"], check=True, cwd=PROJECT_DIR)
    return TEST_PUBLISHED


def modules_loaded_by(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    """The modules of `watched` (each a module with its submodules) that importing `modules`
    loads, in a fresh interpreter."""
    script = f"import sys, json; import {', '.join(modules)}; print(json.dumps(list(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return sorted(
        name
        for name in json.loads(result.stdout)
        if any(name == module or name.startswith(module + ".") for module in watched)
    )
