"""The rows behind each failed data test of a dbt run, printed after the run.

dbt says a test failed and how many rows it returned ("Got 3 results"), not which rows. For a
test over several columns (not_null_columns, accepted_ranges) those rows are what name the
column at fault, so the build command runs each failed test's compiled SQL again on the
warehouse, once dbt has let go of it, and prints its first rows. A passing run costs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Rows shown per failed test; the compiled SQL (dbt prints its path) selects them all.
SHOWN_ROWS = 10
REPORTED_STATUSES = ("fail", "warn")


@dataclass(frozen=True)
class FailedTest:
    name: str
    status: str
    failures: int | None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    error: str | None = None


def failed_tests(run_results: Path, warehouse: Path, limit: int = SHOWN_ROWS) -> list[FailedTest]:
    """The data tests that failed or warned in `run_results`, each with its first `limit`
    rows selected again from `warehouse` (or why they could not be)."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text()).get("results", [])
    failed = [
        result
        for result in results
        if result["unique_id"].startswith("test.") and result["status"] in REPORTED_STATUSES
    ]
    if not failed:
        return []
    tests = []
    try:
        connection = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        reason = f"cannot open {warehouse}: {str(error).splitlines()[0]}"
        return [_without_rows(result, reason) for result in failed]
    with connection:
        for result in failed:
            sql = (result.get("compiled_code") or "").strip().rstrip(";")
            if not sql:
                tests.append(_without_rows(result, "dbt recorded no compiled SQL"))
                continue
            try:
                relation = connection.sql(f"select * from (\n{sql}\n) limit {int(limit)}")
                tests.append(
                    FailedTest(
                        name=_test_name(result),
                        status=result["status"],
                        failures=result.get("failures"),
                        columns=tuple(relation.columns),
                        rows=tuple(relation.fetchall()),
                    )
                )
            except duckdb.Error as error:
                tests.append(_without_rows(result, str(error).splitlines()[0]))
    return tests


def format_failed_tests(tests: list[FailedTest], limit: int = SHOWN_ROWS) -> str:
    """The tests and their rows as text, e.g.

    not_null_stg_mapped__order_lines (fail, 1):
      column_name | null_count
      quantity    | 1
    """
    lines = [
        f"Rows of the data tests that failed or warned (at most {limit} each; dbt's compiled "
        "SQL for the test, named above, selects them all):"
    ]
    for test in tests:
        lines.append(f"{test.name} ({test.status}, {test.failures}):")
        if test.error is not None:
            lines.append(f"  could not select them again: {test.error}")
            continue
        table = [
            test.columns,
            *[tuple("null" if v is None else str(v) for v in r) for r in test.rows],
        ]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(test.columns))]
        for row in table:
            cells = (str(value).ljust(width) for value, width in zip(row, widths, strict=True))
            lines.append("  " + " | ".join(cells).rstrip())
        if not test.rows:
            lines.append("  (no rows now: the data changed since the test ran)")
    return "\n".join(lines)


def report_failed_tests(run_results: Path, warehouse: Path) -> None:
    """Print the failed tests' rows, if any test failed or warned."""
    tests = failed_tests(run_results, warehouse)
    if tests:
        print(format_failed_tests(tests), flush=True)


def _test_name(result: dict) -> str:
    # test.<project>.<name>.<hash> for generic tests, test.<project>.<name> for singular ones
    parts = result["unique_id"].split(".")
    return parts[2] if len(parts) > 2 else result["unique_id"]


def _without_rows(result: dict, reason: str) -> FailedTest:
    return FailedTest(
        name=_test_name(result),
        status=result["status"],
        failures=result.get("failures"),
        error=reason,
    )
