"""segwarehouse.tools.fingerprint on small hand-made tables: which differences it names, and
that it ignores row order and the run metadata columns (tests/python/test_repeatable_builds.py
uses it on two real builds).
"""

import duckdb
import pytest

from segwarehouse.tools.fingerprint import RUN_METADATA_COLUMNS, differences, fingerprints


def _fingerprints_of(statements: str) -> dict:
    with duckdb.connect() as connection:
        connection.execute("attach ':memory:' as build")
        connection.execute("use build")
        connection.execute("create schema marts")
        connection.execute(statements)
        return fingerprints(connection, "build")


BASE = """
    create table marts.kpis (segment_id integer, revenue double, _scored_at timestamp);
    insert into marts.kpis values
        (1, 10.5, '2026-01-01 10:00'), (2, 0.1::double + 0.2::double, '2026-01-01 10:00');
"""


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        pytest.param(
            """
            create table marts.kpis (segment_id integer, revenue double, _scored_at timestamp);
            insert into marts.kpis values
                (2, 0.1::double + 0.2::double, '2027-05-05 00:00'), (1, 10.5, '2027-05-05 00:00');
            """,
            [],
            id="rows-in-another-order-and-other-run-metadata",
        ),
        pytest.param(
            """
            create table marts.kpis (segment_id integer, revenue double, _scored_at timestamp);
            insert into marts.kpis values
                (1, 10.5, '2026-01-01 10:00'), (2, 0.3, '2026-01-01 10:00');
            """,
            ["marts.kpis: columns revenue"],
            id="last-bit-of-a-double",
        ),
        pytest.param(
            """
            create table marts.kpis (segment_id integer, revenue double, _scored_at timestamp);
            insert into marts.kpis values
                (1, 0.1::double + 0.2::double, '2026-01-01 10:00'), (2, 10.5, '2026-01-01 10:00');
            """,
            ["marts.kpis: same values per column, paired differently in rows"],
            id="values-swapped-between-rows",
        ),
        pytest.param(
            """
            create table marts.kpis (segment_id integer, revenue double, _scored_at timestamp);
            insert into marts.kpis values (1, 10.5, '2026-01-01 10:00');
            """,
            ["marts.kpis: columns segment_id, revenue (2 vs 1 rows)"],
            id="a-missing-row",
        ),
        pytest.param(
            BASE + "create table marts.extra (x integer);",
            ["marts.extra: only in the second build"],
            id="a-table-of-one-build-only",
        ),
    ],
)
def test_the_comparison_names_what_differs_and_ignores_run_metadata(other, expected):
    assert "_scored_at" in RUN_METADATA_COLUMNS
    assert differences(_fingerprints_of(BASE), _fingerprints_of(other)) == expected
