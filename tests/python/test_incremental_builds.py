"""A daily build equals a full rebuild (issue 14): the incremental parts change nothing.

A small generated shop is built without its last day of data, then that day is appended to
the raw files and the warehouse is built again, as a scheduled job would: the append-only
staging models classify only the new rows, the stored segment and CLV models are reused unless
due, and the production selection of tests runs. A copy of that warehouse is then rebuilt with
`--full-refresh` (every incremental model from all raw rows). Every table of `marts` and
`reference` must hold the same rows in both (compared by hash, run metadata aside).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from segwarehouse.tools.bench import append_day, split_last_day
from segwarehouse.tools.fingerprint import compare_warehouses, fingerprints
from segwarehouse.tools.generate import GeneratorConfig, generate, write

from .conftest import PROJECT_DIR

SEED = 20261201


def _run(
    command: str, raw_dir: Path, warehouse: Path, *dbt_arguments: str, dbt_vars: str = "{}"
) -> subprocess.CompletedProcess:
    """segwarehouse.sources `command` (build, dbt) with the generator's mapping over `raw_dir`
    and `warehouse` (dbt's target and logs beside it) and more dbt vars (`dbt_vars`)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "segwarehouse.sources",
            command,
            str(PROJECT_DIR / "sources" / "demo.yml"),
            "--name",
            "incremental",
            "--root",
            str(raw_dir),
            "--warehouse",
            str(warehouse),
            *(["--no-summary"] if command == "build" else []),
            "--vars",
            dbt_vars,
            "--",
            *dbt_arguments,
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )


def _build(raw_dir: Path, warehouse: Path, *dbt_arguments: str, dbt_vars: str = "{}") -> str:
    """A build as the scheduled job runs it: dbt build's default (production) selection."""
    result = _run("build", raw_dir, warehouse, *dbt_arguments, dbt_vars=dbt_vars)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout


def _rewrite(raw_dir: Path, table: str, select: str) -> None:
    """Replace a raw file by `select` over its rows (the relation `rows`)."""
    path, staged = raw_dir / f"{table}.parquet", raw_dir / f".{table}.parquet.tmp"
    with duckdb.connect() as connection:
        connection.execute(f"create view rows as select * from read_parquet('{path}')")
        connection.execute(f"copy ({select}) to '{staged}' (format parquet)")
    staged.replace(path)


def _edit_old_rows(raw_dir: Path) -> dict[str, Any]:
    """Change rows an earlier build classified, as a shop's systems do: an order is returned,
    another is deleted, a customer is deleted (their orders lose their customer) and one
    signs up anew after their first order (which now precedes the signup). Returns the ids."""
    with duckdb.connect() as connection:
        # Customers with completed orders on two or more days: their first two, the last day.
        rows = connection.execute(
            f"""
            select customer_id, list(id order by ordered_at)[1:2], max(ordered_at)
            from read_parquet('{raw_dir}/orders.parquet') where status = 'completed'
            group by customer_id having count(distinct cast(ordered_at as date)) >= 2
            order by customer_id limit 4
            """
        ).fetchall()
    (deleted_customer, orphaned_orders, _), (resigned_customer, resigned_orders, last) = rows[:2]
    returned_order, deleted_order = rows[2][1][0], rows[3][1][0]
    _rewrite(
        raw_dir,
        "orders",
        f"""
        select * replace (
            case when id = {returned_order} then 'returned' else status end as status,
            case when id = {returned_order} then ordered_at + interval 2 day else returned_at end
                as returned_at
        )
        from rows where id != {deleted_order}
        """,
    )
    _rewrite(
        raw_dir,
        "customers",
        f"""
        select * replace (
            case when id = {resigned_customer} then date '{last.date()}' else signup_date end
                as signup_date
        )
        from rows where id != {deleted_customer}
        """,
    )
    return {
        "returned_order": returned_order,
        "deleted_order": deleted_order,
        "orphaned_orders": orphaned_orders,
        "preceding_order": resigned_orders[0],
    }


@pytest.fixture(scope="module")
def daily_and_full(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    tables, truth = generate(GeneratorConfig(n_customers=1500, seed=SEED))
    write(tables, truth, root / "generated")
    raw, day = root / "raw", root / "new_day"
    split_last_day(root / "generated" / "raw", raw, day)
    daily = root / "daily" / "warehouse.duckdb"
    _build(raw, daily)
    assert append_day(raw, day) > 0
    edits = _edit_old_rows(raw)
    (root / "edits.json").write_text(json.dumps(edits))
    # The held-back day's orders land on an as-of date the first build already kept (the
    # other tables reach it), so its kept snapshot is replaced on purpose, as in make bench.
    _build(raw, daily, dbt_vars="{replace_snapshots: true}")
    full = root / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    shutil.copy(daily, full)
    _build(raw, full, "--full-refresh", dbt_vars="{replace_snapshots: true}")
    return daily, full, raw


def test_a_new_warehouse_s_first_build_parses_only_what_changed(daily_and_full):
    """dbt parses the whole project again when a var or the profile changes, or when its
    target path holds no parsed project. segwarehouse.sources passes the mapping outside the
    vars, runs dbt in the warehouse's folder (the profile names only the file) and gives a new
    target path the project as last parsed with the same vars: the full build's warehouse and
    target path are new, yet dbt did not parse everything."""
    _, full, _ = daily_and_full
    log = (full.parent / "logs" / "dbt.log").read_text()
    assert "Partial parsing enabled" in log
    assert "Starting full parse" not in log


def test_the_daily_build_classified_only_the_new_rows(daily_and_full):
    daily, _, _ = daily_and_full
    with duckdb.connect(str(daily), read_only=True) as connection:
        runs = connection.execute(
            "select count(distinct classified_at) from staging.stg_mapped__order_lines_classified"
        ).fetchone()[0]
    # Rows of the first build keep its time; the appended day's carry the second build's.
    assert runs == 2


def test_the_daily_build_reclassified_the_orders_that_changed_and_only_those(daily_and_full):
    """Orders are classified incrementally too, though old ones change: an edited row changes
    its group's hash, a deleted one is dropped by a post-hook, and kept orders whose customer
    left or now signs up after them are rechecked (the full rebuild must agree: see below)."""
    daily, _, _ = daily_and_full
    edits = json.loads((daily.parent.parent / "edits.json").read_text())
    orders = "staging.stg_mapped__orders_classified"
    with duckdb.connect(str(daily), read_only=True) as connection:
        total, runs, latest = connection.execute(
            f"select count(*), count(distinct classified_at), max(classified_at) from {orders}"
        ).fetchone()
        verdicts = dict(
            (row[0], row[1:])
            for row in connection.execute(
                f"select order_id, status, quarantine_reason, quarantine_detail,"
                f" classified_at = ? from {orders}",
                [latest],
            ).fetchall()
        )
    assert runs == 2
    # The new day's orders and the edited or rechecked ones: a small part of all orders.
    reclassified = [order for order, verdict in verdicts.items() if verdict[3]]
    assert 0 < len(reclassified) < total / 10
    assert verdicts[edits["returned_order"]] == ("returned", None, None, True)
    assert edits["deleted_order"] not in verdicts
    for order in edits["orphaned_orders"]:
        assert verdicts[order][1:] == (
            "orphan_reference",
            "customer_id not among the kept customers",
            True,
        )
    assert verdicts[edits["preceding_order"]][1:] == (
        "inconsistent",
        "ordered before signup_date",
        True,
    )


def test_the_production_builds_kept_history_and_the_daily_one_reused_the_models(daily_and_full):
    """The production selection leaves out the development checks on purpose: its builds still
    keep history, so the daily build scores with the stored segment and CLV models."""
    daily, _, _ = daily_and_full
    with duckdb.connect(str(daily), read_only=True) as connection:
        segment_models = connection.execute(
            "select count(distinct _model_version) from history.segment_models"
        ).fetchone()[0]
        snapshot_dates = connection.execute(
            "select count(distinct as_of_date) from history.segment_snapshots"
        ).fetchone()[0]
        clv_fits = connection.execute(
            "select count(*) from history.lifetime_value_models"
        ).fetchone()[0]
    assert (segment_models, clv_fits) == (1, 1)
    assert snapshot_dates >= 1


def test_the_daily_build_equals_a_full_rebuild_of_the_same_data(daily_and_full):
    daily, full, _ = daily_and_full
    with duckdb.connect() as connection:
        connection.execute(f"attach '{daily}' as daily (read_only)")
        compared = fingerprints(connection, "daily")
    # The comparison covers the public marts, not an empty set.
    assert len([name for name in compared if name.startswith("marts.")]) >= 20
    assert compared["marts.dim_customer_segments"].row_count > 0
    assert compare_warehouses(daily, full) == []


@pytest.mark.parametrize(
    ("entity", "column"),
    [("order_lines", "quantity"), ("orders", "status")],
    ids=["append-only order lines", "orders, edited in place"],
)
def test_a_build_tests_the_rows_it_classified_and_full_data_tests_every_row(
    daily_and_full, tmp_path, entity, column
):
    """The row-wise tests of the staging models classified incrementally read the latest
    build's rows: a fault planted in a row an earlier build classified passes them, and
    full_data_tests finds it."""
    daily, _, raw = daily_and_full
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(daily, warehouse)
    classified = f"staging.stg_mapped__{entity}_classified"
    with duckdb.connect(str(warehouse)) as connection:
        planted = connection.execute(
            f"""
            update {classified} set {column} = null
            where rowid = (
                select min(rowid) from {classified}
                where quarantine_reason is null and classified_at = (
                    select min(classified_at) from {classified}
                )
            )
            """
        ).fetchone()
    # One row planted, classified by the first build (the daily build classified later ones).
    assert planted == (1,)
    test = f"not_null_stg_mapped__{entity}"
    select = ("test", "--select", test)
    latest = _run("dbt", raw, warehouse, *select)
    assert latest.returncode == 0, latest.stdout[-4000:]
    assert f"PASS {test}" in latest.stdout, latest.stdout[-4000:]
    every_row = _run("dbt", raw, warehouse, *select, dbt_vars="{full_data_tests: true}")
    assert every_row.returncode != 0, every_row.stdout[-4000:]
    assert f"FAIL 1 {test}" in every_row.stdout
    # The one test over the model's not-null columns does not name the column in its name:
    # the command prints the test's rows, which do.
    rows = every_row.stdout.partition("Rows of the data tests that failed or warned")[2]
    assert rows.splitlines()[1:4] == [
        f"{test} (fail, 1):",
        "  column_name | null_count",
        f"  {column:<11} | 1",
    ], every_row.stdout[-4000:]
