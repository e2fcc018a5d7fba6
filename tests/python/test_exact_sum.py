"""The `exact_sum` macro (macros/exact_sum.sql), rendered with plain Jinja (it needs no dbt
context) and run in DuckDB: sums of money that are exact to the cent and do not depend on the
order of their terms (int_source_rows_counted, stg_online_retail__rows_counted)."""

from __future__ import annotations

import math
import random

import duckdb
import jinja2
import pytest

from .conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def exact_sum_sql() -> str:
    source = (PROJECT_DIR / "macros" / "exact_sum.sql").read_text()
    return jinja2.Environment().from_string(source + "{{ exact_sum('x') }}").render()


def summed(sql: str, terms: list[float | None], threads: int = 1) -> float | None:
    connection = duckdb.connect()
    connection.execute(f"set threads = {threads}")
    connection.execute("create table terms as select unnest(?::double[]) as x", [terms])
    return connection.execute(f"select {sql} from terms").fetchone()[0]


def test_cents_beside_large_terms_are_not_lost(exact_sum_sql):
    """A double next to 1e15 has no cents (its spacing is 0.125): summed in order of value, the
    hundred cents vanish and the total is 0, not 1."""
    terms = [-1e15, *[0.01] * 100, 1e15]
    assert summed(exact_sum_sql, terms) == 1.0
    assert summed("sum(x order by x)", terms) == 0.0


def test_the_sum_is_the_same_in_any_order_and_equals_the_exact_one(exact_sum_sql):
    generator = random.Random(7)
    terms = [generator.randint(-(10**9), 10**9) / 100 for _ in range(20_000)]
    exact = round(math.fsum(terms), 2)
    results = set()
    for attempt in range(4):
        generator.shuffle(terms)
        results.add(summed(exact_sum_sql, terms, threads=1 + attempt % 2))
    assert results == {exact}


def test_nulls_are_skipped_and_all_nulls_give_null(exact_sum_sql):
    assert summed(exact_sum_sql, [None, None]) is None
    assert summed(exact_sum_sql, [None, 2.5, None, 0.25]) == 2.75


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        pytest.param([1e300, 1.5], 1e300, id="beyond-any-decimal"),
        pytest.param([-1e20, 3.25], -1e20 + 3.25, id="just-beyond"),
        pytest.param([math.inf, 2.0], math.inf, id="infinite"),
    ],
)
def test_terms_no_decimal_holds_are_summed_as_doubles(exact_sum_sql, terms, expected):
    assert summed(exact_sum_sql, terms) == expected


def test_a_nan_term_gives_nan(exact_sum_sql):
    assert math.isnan(summed(exact_sum_sql, [math.nan, 1.0]))
