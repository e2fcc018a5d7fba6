"""History is protected: segment snapshots and stored segment models are kept across builds,
so only a build whose checks all passed may write them, and a snapshot of an as-of date is not
replaced by one computed from other data unless the build says so (replace_snapshots).

Each scenario builds a small three-column order log through its mapping file, as a user would
(python -m segwarehouse.sources build), several times into one warehouse, changing the data
between builds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from .conftest import PROJECT_DIR
from .test_byod import MINIMAL_MAPPING, Build, assert_built, three_column_orders
from .test_byod import build as build_mapping

MAPPING = MINIMAL_MAPPING.replace("name: my_shop", "name: history_shop")

# The log's last order is on this date: a build without --as-of is as of it.
LAST_DATE = date(2024, 11, 13)


def order_log() -> pd.DataFrame:
    """500 customers' orders in 2023-2024 (test_byod's three-column log, without bad rows)."""
    log = three_column_orders()
    assert pd.Timestamp(log["InvoiceDate"].max()).date() == LAST_DATE
    return log


def write_log(folder: Path, log: pd.DataFrame) -> None:
    (folder / "exports").mkdir(exist_ok=True)
    log.to_csv(folder / "exports" / "orders.csv", index=False)


def build(folder: Path, *arguments: str, dbt_arguments: tuple[str, ...] = ()) -> Build:
    """Build the folder's mapping file into the folder's warehouse (unit tests left out)."""
    return build_mapping(folder, MAPPING, "--no-summary", *arguments, dbt_arguments=dbt_arguments)


def published(build_: Build, sql: str) -> list[tuple]:
    """Rows of a query on the build's published file (what readers see)."""
    path = build_.warehouse.with_name("published.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def kept_table(build_: Build, name: str, before_history_schema: str) -> str:
    """A kept table: history.<name>, or in a warehouse built before the history schema
    existed, the incremental model that kept it."""
    found = build_.query(
        "select count(*) from information_schema.tables"
        " where table_schema = 'history' and table_name = ?",
        [name],
    )
    return f"history.{name}" if found[0][0] else before_history_schema


def kept_snapshots(build_: Build) -> list[tuple]:
    """The segment memberships the warehouse keeps, one row per as-of date, customer and
    segmentation (what the next build's history marts start from)."""
    table = kept_table(
        build_, "segment_snapshots", "intermediate.int_customer_segments_snapshotted"
    )
    return build_.query(
        f"select as_of_date, customer_id, segmentation, segment_id from {table} order by all"
    )


def kept_fingerprints(build_: Build) -> list[tuple]:
    """The features fingerprints of the kept snapshots (none before they existed)."""
    table = kept_table(build_, "segment_snapshots", "")
    if not table:
        return []
    return build_.query(f"select distinct _features_fingerprint from {table} order by 1")


def kept_lifetime_value_fits(build_: Build) -> list[tuple]:
    """The customer lifetime value fits the warehouse keeps: version and as-of date."""
    return build_.query(
        "select _model_version, as_of_date from history.lifetime_value_models order by all"
    )


def kept_model_versions(build_: Build) -> list[str]:
    table = kept_table(build_, "segment_models", "intermediate.int_segment_models_fitted")
    return [
        row[0] for row in build_.query(f"select distinct _model_version from {table} order by 1")
    ]


# --- 1: a build whose data tests fail writes no history ------------------------------------


@pytest.fixture(scope="module")
def failed_build(tmp_path_factory) -> tuple[Build, list[tuple], list[str], Build, list, Build]:
    """A good build; then a re-export in which customer C-00007's orders carry another id,
    built as a backfill with a retrain: every quarantine check passes, but a data test fails
    (the history marts name a customer who is not in dim_customers); then the good data
    again."""
    folder = tmp_path_factory.mktemp("failed_build")
    log = order_log()
    write_log(folder, log)
    first = build(folder)
    assert_built(first)
    snapshots, versions = kept_snapshots(first), kept_model_versions(first)
    fits = kept_lifetime_value_fits(first)
    renamed = log.copy()
    renamed.loc[renamed["CustomerNo"] == "C-00007", "CustomerNo"] = "C-09999"
    write_log(folder, renamed)
    failed = build(
        folder,
        "--as-of",
        "2024-10-31",
        "--vars",
        "{retrain_segments: true}",
        dbt_arguments=("--full-refresh",),
    )
    kept_after_failure = (
        kept_snapshots(failed),
        kept_model_versions(failed),
        fits,
        kept_lifetime_value_fits(failed),
        # The backfill fitted CLV (the kept fit has seen later orders): computed, not kept.
        failed.query("select refit_reason from intermediate.int_lifetime_value_models_fitted"),
    )
    write_log(folder, log)
    again = build(folder, dbt_arguments=("--full-refresh",))
    return first, snapshots, versions, failed, kept_after_failure, again


def test_a_build_whose_data_test_fails_leaves_the_kept_history_unchanged(failed_build):
    _, snapshots, versions, failed, kept_after_failure, _ = failed_build
    snapshots_after, versions_after, fits, fits_after, fits_computed = kept_after_failure
    assert failed.result.returncode != 0
    # A data test failed, after the quarantine had passed every table.
    assert "FAIL" in failed.result.stdout
    assert "relationships_fct_customer_segment_history_customer_id" in failed.result.stdout
    assert "quarantine_max_share" not in failed.output
    assert {row[0] for row in snapshots} == {LAST_DATE}
    assert {row[0] for row in snapshots_after} == {LAST_DATE}, "no snapshot of 2024-10-31 kept"
    assert snapshots_after == snapshots
    assert versions_after == versions, "the retrained model was not kept"
    assert [row[1] for row in fits] == [pd.Timestamp(LAST_DATE)]
    assert fits_computed == [("no_model",), ("no_model",)]
    assert fits_after == fits, "the backfill's customer lifetime value fit was not kept"
    assert "history not kept" in failed.result.stdout


def test_the_next_good_build_publishes_no_trace_of_the_failed_one(failed_build):
    *_, again = failed_build
    assert_built(again)
    dates = published(
        again,
        "select distinct as_of_date from marts.fct_segment_share_drift"
        " union select distinct as_of_date from marts.fct_segment_feature_drift",
    )
    assert dates == [(LAST_DATE,)]
    assert published(again, "select count(*) from marts.fct_segment_transitions") == [(0,)]
    runs = published(again, "select retrain_reason from marts.fct_segment_model_runs")
    assert runs == [("no_model",)], "the failed build's retrain was not kept"
    assert published(
        again,
        "select count(*) from marts.fct_customer_segment_history"
        " where customer_id not in (select customer_id from marts.dim_customers)",
    ) == [(0,)]


# --- 2: a snapshot is not replaced by one computed from other data --------------------------


@pytest.fixture(scope="module")
def late_order(tmp_path_factory) -> dict:
    """A good build as of the log's last day; then a late order of that period arrives (same
    as-of date, other data): built without, then with replace_snapshots. The builds share a
    warehouse, so what each left is read right after it."""
    folder = tmp_path_factory.mktemp("late_order")
    log = order_log()
    write_log(folder, log)
    first = build(folder)
    assert_built(first)
    publication_sql = "select publication_id from marts._publication"
    seen = {
        "snapshots": kept_snapshots(first),
        "fingerprints": kept_fingerprints(first),
        "publication": published(first, publication_sql),
    }
    late = pd.DataFrame([("C-00001", "2024-06-01 10:00:00", 5000.0)], columns=log.columns)
    write_log(folder, pd.concat([log, late], ignore_index=True))
    refused = build(folder)
    seen["refused"] = refused
    seen["snapshots_after_refusal"] = kept_snapshots(refused)
    seen["publication_after_refusal"] = published(refused, publication_sql)
    replaced = build(folder, "--replace-snapshots")
    seen["replaced"] = replaced
    if replaced.result.returncode == 0:
        seen["snapshots_after_replacement"] = kept_snapshots(replaced)
        seen["fingerprints_after_replacement"] = kept_fingerprints(replaced)
    return seen


def test_a_rebuild_of_an_as_of_date_from_other_data_stops_and_says_what_to_do(late_order):
    refused = late_order["refused"]
    assert refused.result.returncode != 0
    output = refused.output
    assert f"segment snapshot of {LAST_DATE}" in output
    assert "computed from other data" in output
    assert "replace_snapshots" in output and "REPLACE_SNAPSHOTS=1" in output
    assert "Repairing history" in output
    # Nothing of the refused build was kept or published.
    assert late_order["snapshots_after_refusal"] == late_order["snapshots"]
    assert late_order["publication_after_refusal"] == late_order["publication"]


def test_replace_snapshots_replaces_the_snapshot_of_that_date(late_order):
    replaced = late_order["replaced"]
    assert_built(replaced)
    after = late_order["snapshots_after_replacement"]
    assert {row[0] for row in after} == {LAST_DATE}
    assert len(after) == len(late_order["snapshots"])
    assert late_order["fingerprints"]
    assert late_order["fingerprints_after_replacement"] != late_order["fingerprints"]
    # The late order made C-00001 a big spender: its RFM monetary score is the top one now.
    assert published(
        replaced,
        "select monetary_score from marts.dim_customer_segments"
        " where customer_id in (select customer_id from marts.dim_customers"
        " where source_customer_id = 'C-00001')",
    ) == [(5,)]


# --- 3: repairing history -------------------------------------------------------------------


def test_forget_history_deletes_the_snapshot_of_an_as_of_date(late_order, tmp_path):
    replaced = late_order["replaced"]
    assert_built(replaced)
    copy = tmp_path / "warehouse" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copy(replaced.warehouse, copy)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segwarehouse.sources",
            "dbt",
            str(replaced.folder / "mapping.yml"),
            "--warehouse",
            str(copy),
            "--",
            "run-operation",
            "forget_history",
            "--args",
            f"{{as_of_date: {LAST_DATE}}}",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    forgotten = Build(tmp_path, copy, result)
    assert kept_snapshots(forgotten) == []
    assert forgotten.scalar("select count(*) from history.segment_feature_drift") == 0
    assert forgotten.scalar("select count(*) from history.segment_models") > 0, "model kept"
