"""The published file opens in DuckDB 1.x clients, not only in the 2.x that writes it.

BI tools embed their own DuckDB (Evidence's and Malloy's Node client are 1.x); a file in
DuckDB 2.x's storage format fails there ("we can only read versions between 64 and 67").
Each 1.x client named in the Makefile's DUCKDB1_CLIENTS runs in its own environment
(`make duckdb-clients` makes them) and must read every published table with the same rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from .conftest import PROJECT_DIR, TEST_DATA_DIR

PUBLISHED = TEST_DATA_DIR / "published.duckdb"

# Run by each client, in its own interpreter: every published table's row count and a digest
# of its rows (their Python values, sorted), so that values, not only counts, are compared.
READ_EVERY_TABLE = """
import hashlib, json, sys
import duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
tables = connection.execute(
    "select schema_name, table_name from duckdb_tables() order by all"
).fetchall()
result = {"version": duckdb.__version__, "tables": {}}
for schema_name, table_name in tables:
    rows = connection.execute(f'select * from "{schema_name}"."{table_name}"').fetchall()
    digest = hashlib.sha256("\\n".join(sorted(map(repr, rows))).encode()).hexdigest()
    result["tables"][f"{schema_name}.{table_name}"] = [len(rows), digest]
print(json.dumps(result))
"""


def client_versions() -> list[str]:
    """DUCKDB1_CLIENTS from the Makefile: the one place the tested versions are named."""
    for line in (PROJECT_DIR / "Makefile").read_text().splitlines():
        if line.startswith("DUCKDB1_CLIENTS ?="):
            return line.split("?=", 1)[1].split()
    raise AssertionError("the Makefile names no DUCKDB1_CLIENTS")


def client_python(version: str) -> Path:
    python = PROJECT_DIR / f".venv-duckdb-{version}" / "bin" / "python"
    if not python.exists():
        subprocess.run(["make", "duckdb-clients"], check=True, cwd=PROJECT_DIR)
    return python


def read_with(python: Path | str) -> dict:
    completed = subprocess.run(
        [str(python), "-c", READ_EVERY_TABLE, str(PUBLISHED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def read_by_the_writer(warehouse) -> dict:
    result = read_with(sys.executable)
    assert result["version"] == duckdb.__version__
    assert result["version"].startswith("2."), "the project writes with DuckDB 2.x"
    return result


def test_the_tested_clients_span_duckdb_1x():
    versions = client_versions()
    assert versions, "no DuckDB 1.x client is tested"
    assert all(version.startswith("1.") for version in versions)
    assert "1.0.0" in versions, "the oldest 1.x client reads the oldest format, 64"


@pytest.mark.parametrize("version", client_versions())
def test_a_duckdb_1x_client_reads_every_published_table(version, read_by_the_writer):
    result = read_with(client_python(version))
    assert result["version"] == version
    tables = read_by_the_writer["tables"]
    assert any(name.startswith("marts.fct_") for name in tables)
    assert result["tables"] == tables
