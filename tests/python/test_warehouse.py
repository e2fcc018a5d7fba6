"""End-to-end checks on the warehouse that `dbt build --target test` produced.

One segment per customer and the KPI identities are dbt tests (tests/dbt); these are the checks
that need Python: persona recovery, re-scoring with the package, and a scan of mart values.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segwarehouse.clustering import assign_segments, latest_model_rows, model_from_frame
from segwarehouse.failed_tests import failed_tests
from segwarehouse.tools.evaluate import memberships_with_personas, persona_recovery
from segwarehouse.tools.stability import config_from_yaml, retrain_stability

from .conftest import PROJECT_DIR, TEST_DATA_DIR, TEST_WAREHOUSE

DEMO_MAPPING = PROJECT_DIR / "sources" / "demo.yml"

MODEL_CONFIG = (
    PROJECT_DIR / "models" / "intermediate" / "segmentation" / "int_segment_models_fitted.yml"
)

PUBLIC_MARTS = (
    "dim_customers",
    "dim_customer_segments",
    "dim_segments",
    "dim_segment_profiles",
    "fct_customer_segment_history",
    "fct_segment_transitions",
    "fct_segment_share_drift",
    "fct_customer_behavioural_features",
    "fct_customer_demographic_features",
    "fct_customer_features",
    "fct_experiment_segment_results",
    "fct_experiment_heterogeneity",
    "fct_segment_category_affinity",
    "fct_customer_lifetime_values",
    "fct_segment_feature_drift",
    "fct_segment_kpis",
    "fct_segment_model_runs",
    "fct_campaign_segment_performance",
    "fct_segment_cohort_retention",
    "fct_segment_monthly_trends",
    "fct_quarantine_summary",
    "fct_customer_segment_changes",
    "dim_customer_activation_identifiers",
    "fct_orders",
    "dim_dates",
    "dim_build_settings",
)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
MODEL_VERSION = re.compile(r"[0-9a-f]{12}")


def mart_tables(warehouse: duckdb.DuckDBPyConnection) -> set[str]:
    rows = warehouse.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    ).fetchall()
    return {row[0] for row in rows}


def test_marts_named_in_the_readme_exist(warehouse):
    assert set(PUBLIC_MARTS) <= mart_tables(warehouse)


def test_segments_recover_the_planted_personas(warehouse):
    memberships = memberships_with_personas(
        warehouse, TEST_DATA_DIR / "ground_truth" / "customer_personas.parquet"
    )
    ari, _ = persona_recovery(memberships)
    print(f"adjusted Rand index against planted personas: {ari:.3f}")
    assert ari >= 0.7


def test_sql_scoring_agrees_with_python_assignment_on_every_customer(warehouse):
    segment_model = model_from_frame(
        latest_model_rows(
            warehouse.sql("select * from intermediate.int_segment_models_fitted").df()
        )
    )
    columns = ", ".join(["customer_id", *segment_model.required_columns])
    features = warehouse.sql(f"select {columns} from marts.fct_customer_features").df()
    rescored = assign_segments(segment_model, features)
    published = warehouse.sql(
        "select customer_id, segment_id, distance_to_centroid from marts.dim_customer_segments"
    ).df()
    joined = published.merge(rescored, on="customer_id", suffixes=("", "_rescored"))
    assert len(joined) == len(published) == len(rescored)
    assert (joined["segment_id"] == joined["segment_id_rescored"]).all()
    distance_gap = joined["distance_to_centroid"] - joined["distance_to_centroid_rescored"]
    assert distance_gap.abs().max() < 1e-9


def test_retraining_on_2_percent_more_customers_keeps_95_percent_of_ids(warehouse):
    config = config_from_yaml(MODEL_CONFIG)
    columns = ", ".join(["customer_id", *config.required_columns])
    features = warehouse.sql(
        f"select {columns} from marts.fct_customer_features order by customer_id"
    ).df()
    result = retrain_stability(features, config, growth=0.02)
    print(f"customers keeping their segment id after a retrain: {result.kept_share:.2%}")
    assert result.kept_share >= 0.95
    assert set(result.after.segment_ids) == set(result.before.segment_ids)
    assert result.after.labels_by_id() == result.before.labels_by_id()


def test_segments_are_named_after_the_personas_they_recover(warehouse):
    memberships = memberships_with_personas(
        warehouse, TEST_DATA_DIR / "ground_truth" / "customer_personas.parquet"
    )
    names = warehouse.sql(
        "select segment_id, segment_name from marts.dim_segments where segmentation = 'kmeans'"
    ).df()
    majority = (
        memberships.groupby("segment_id")["persona"].agg(lambda p: p.mode().iloc[0]).reset_index()
    ).merge(names, on="segment_id")
    expected = {
        "high_value_loyal": "High-value loyal",
        "discount_seeker": "Discount seekers",
        "lapsed": "Lapsed",
        "new_customer": "New customers",
        "occasional": "Occasional buyers",
    }
    assert dict(zip(majority["persona"], majority["segment_name"], strict=True)) == expected


def test_the_second_build_scored_in_sql_with_the_first_builds_model(warehouse):
    # make build-test builds as of the data's last day (no model stored: train), backfills
    # 2025-11-30, then builds the last day again, without the retrain variable (score only).
    runs = warehouse.execute(
        "select _model_version, retrain_reason from marts.fct_segment_model_runs"
    ).fetchall()
    assert len(runs) == 1 and runs[0][1] == "no_model"
    scored = warehouse.execute(
        """
        select as_of_date, list(distinct _model_version)
        from intermediate.int_customer_segments_snapshotted
        where segmentation = 'kmeans'
        group by all order by all
        """
    ).fetchall()
    assert [row[0] for row in scored] == [date(2025, 11, 30), date(2025, 12, 31)]
    assert all(row[1] == [runs[0][0]] for row in scored)


def test_the_clv_fit_was_made_for_each_as_of_date_and_reused_by_the_third_build(warehouse):
    # make build-test: the last day (nothing stored: fit), a backfill to 2025-11-30 (the
    # stored fit has seen December: a fit of its own), the last day again (reuse the first).
    fits = warehouse.execute(
        "select _model_version, as_of_date, refit_reason, fit_message"
        " from history.lifetime_value_models order by _fitted_at"
    ).fetchall()
    assert [(row[1].date(), row[2], row[3]) for row in fits] == [
        (date(2025, 12, 31), "no_model", None),
        (date(2025, 11, 30), "no_model", None),
    ]
    assert warehouse.execute("select count(*) from history.kept_builds").fetchall() == [(3,)]
    scored = warehouse.execute(
        "select list(distinct _model_version), list(distinct model_as_of_date)"
        " from marts.fct_customer_lifetime_values"
    ).fetchall()
    assert scored == [([fits[0][0]], [date(2025, 12, 31)])]


def test_a_requested_clv_refit_in_dbt_gives_the_same_predictions(warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    result = dbt_on_a_copy(
        copy, "build",
        "--select", "int_lifetime_value_models_fitted int_customer_lifetime_values_predicted",
        dbt_vars="{refit_clv: true}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    columns = "customer_id, probability_alive, expected_purchases, predicted_clv, bgnbd_r"
    predictions = f"select {columns} from intermediate.int_customer_lifetime_values_predicted"
    with duckdb.connect(str(copy), read_only=True) as refitted:
        fits = refitted.execute(
            "select refit_reason from intermediate.int_lifetime_value_models_fitted"
            " order by _fitted_at"
        ).fetchall()
        assert fits == [("no_model",), ("no_model",), ("requested",)]
        versions = refitted.execute(
            "select count(distinct _model_version) from"
            " intermediate.int_customer_lifetime_values_predicted"
            " where _model_version = (select arg_max(_model_version, _fitted_at)"
            " from intermediate.int_lifetime_value_models_fitted)"
        ).fetchall()
        assert versions == [(1,)], "scored with the new fit"
        after = sorted(refitted.execute(predictions).fetchall())
    # The same data, fitted again: the same parameters, so the same predictions.
    assert after == sorted(warehouse.execute(predictions).fetchall())


def test_a_clv_fit_is_never_scored_with_other_settings(tmp_path):
    """Scoring alone (the fit model not in the run) with another time unit than the stored
    fit's fails rather than score with parameters fitted in weeks."""
    result = dbt_on_a_copy(
        tmp_path / "warehouse.duckdb", "run",
        "--select", "int_customer_lifetime_values_predicted",
        dbt_vars="{clv_time_unit_days: 1}",
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert "was fitted with time_unit_days 7 and calibration_start_date None" in result.stdout


def test_history_and_transitions_cover_both_as_of_dates(warehouse):
    moves = dict(
        warehouse.execute(
            """
            select transition_type, sum(customer_count)
            from marts.fct_segment_transitions
            where segmentation = 'kmeans'
                and from_as_of_date = date '2025-11-30' and to_as_of_date = date '2025-12-31'
            group by all
            """
        ).fetchall()
    )
    assert moves["stayed"] > moves["moved"] > 0
    assert moves["entered"] > 0, "customers who signed up in December enter"
    changed = warehouse.execute(
        """
        select count(distinct customer_id)
        from marts.fct_customer_segment_history
        where segmentation = 'kmeans' and valid_to = date '2025-12-31'
        """
    ).fetchall()[0][0]
    assert changed == moves["moved"], "every mover's old interval ends at the later date"


def test_no_dbt_tmp_table_is_left_in_the_warehouse(warehouse):
    # dbt-duckdb's incremental Python model left an ordinary <model>__dbt_tmp<timestamp> table
    # in schema main on every build; the on-run-end hook drop_dbt_temporary_tables drops it.
    leftovers = warehouse.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_name like '%__dbt_tmp%'"
    ).fetchall()
    assert leftovers == []


def dbt_on_a_copy(
    warehouse_copy: Path, *args: str, dbt_vars: str = "{}", edit_sql: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run dbt against a copy of the test warehouse (the fixture holds the original open),
    after running `edit_sql` on the copy, as the test build ran it: through its mapping file,
    with more vars `dbt_vars`. Its artifacts and logs go beside the copy (tests run side by
    side), and it starts from the project as last parsed with the same vars."""
    shutil.copy(TEST_WAREHOUSE, warehouse_copy)
    if edit_sql:
        with duckdb.connect(str(warehouse_copy)) as copy:
            copy.execute(edit_sql)
    mapping = ["--name", "test", "--root", str(TEST_DATA_DIR / "raw")]
    command = [sys.executable, "-m", "segwarehouse.sources", "dbt", str(DEMO_MAPPING), *mapping]
    return subprocess.run(
        [*command, "--warehouse", str(warehouse_copy), "--vars", dbt_vars, "--", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )


def test_drift_tests_warn_without_failing_the_build_when_thresholds_are_crossed(tmp_path):
    result = dbt_on_a_copy(
        tmp_path / "warehouse.duckdb",
        "test",
        "--select", "segment_feature_drift_within_max_psi segment_share_drift_within_threshold",
        dbt_vars="{segment_drift_max_psi: 0.0000001, segment_drift_max_share_change: 0.0001}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "WARN=2" in result.stdout and "ERROR=0" in result.stdout, result.stdout


def test_a_model_s_ranges_are_one_test_that_names_each_column_out_of_range(warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    result = dbt_on_a_copy(
        copy, "test", "--select", "accepted_ranges_rfm_segment_map",
        edit_sql="""
            update reference.rfm_segment_map set recency_score = 7 where recency_score = 5;
            update reference.rfm_segment_map set frequency_monetary_score = 0
            where frequency_monetary_score = 1;
        """,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    # Five cells of the 5x5 grid per column: the failure count is the values out of range.
    assert "FAIL 10 accepted_ranges_rfm_segment_map" in result.stdout, result.stdout
    # What the build command prints under dbt's summary: the columns, bounds and counts.
    (failed,) = failed_tests(tmp_path / "target" / "run_results.json", copy)
    assert failed.name == "accepted_ranges_rfm_segment_map" and failed.failures == 10
    assert failed.columns == ("column_name", "min_value", "max_value", "out_of_range_count")
    assert sorted(failed.rows) == [
        ("frequency_monetary_score", 1, 5, 5),
        ("recency_score", 1, 5, 5),
    ]


@pytest.mark.parametrize(
    ("mart", "size_column"),
    [
        ("fct_segment_monthly_trends", "member_count"),
        ("fct_segment_cohort_retention", "cohort_customer_count"),
        ("fct_campaign_segment_performance", "customer_count"),
        ("fct_segment_category_affinity", "buyer_count"),
    ],
)
def test_the_privacy_test_fails_when_a_small_group_escapes_suppression(
    warehouse, tmp_path, mart, size_column
):
    """A published (unsuppressed) cell of one customer fails the build's tests whatever the
    setting: here the test runs with the smallest group size allowed, 2."""
    assert warehouse.execute(f"select count(*) from marts.{mart} where is_suppressed").fetchall()[
        0
    ][0]
    result = dbt_on_a_copy(
        tmp_path / "warehouse.duckdb",
        "test", "--select", "assert_no_small_group_is_published",
        dbt_vars="{kpi_min_group_size: 2}",
        edit_sql=f"""
            update marts.{mart} set is_suppressed = false, {size_column} = 1
            where rowid = (select min(rowid) from marts.{mart} where is_suppressed)
        """,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert "FAIL 1 assert_no_small_group_is_published" in result.stdout, result.stdout


def test_the_privacy_test_passes_on_the_built_marts(tmp_path):
    result = dbt_on_a_copy(
        tmp_path / "warehouse.duckdb", "test", "--select", "assert_no_small_group_is_published"
    )
    assert result.returncode == 0, result.stdout


def test_a_requested_retrain_in_dbt_keeps_segment_ids_and_names(warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    result = dbt_on_a_copy(
        copy, "build", "--select", "int_segment_models_fitted+",
        dbt_vars="{retrain_segments: true}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    with duckdb.connect(str(copy), read_only=True) as retrained:
        runs = retrained.execute(
            "select retrain_reason, is_current from marts.fct_segment_model_runs "
            "order by _trained_at"
        ).fetchall()
        assert runs == [("no_model", False), ("requested", True)]
        segments_sql = (
            "select segment_id, segment_name from marts.dim_segments "
            "where segmentation = 'kmeans' and is_current order by 1"
        )
        assert (
            retrained.execute(segments_sql).fetchall() == warehouse.execute(segments_sql).fetchall()
        )
        membership_sql = "select customer_id, segment_id from marts.dim_customer_segments"
        after = dict(retrained.execute(membership_sql).fetchall())
    before = dict(warehouse.execute(membership_sql).fetchall())
    kept = sum(after[customer] == segment for customer, segment in before.items())
    assert kept / len(before) >= 0.99


def test_no_mart_value_is_a_name_email_or_phone(warehouse):
    raw_customers = TEST_DATA_DIR / "raw" / "customers.parquet"
    people = warehouse.execute(
        "select distinct first_name, last_name, phone from read_parquet($path)",
        {"path": str(raw_customers)},
    ).fetchall()
    names = {name for row in people for name in row[:2]}
    phone_digits = {re.sub(r"\D", "", row[2]) for row in people if row[2]}
    text_columns = warehouse.execute(
        """
        select table_name, column_name
        from information_schema.columns
        where table_schema = 'marts' and data_type = 'VARCHAR'
        """
    ).fetchall()
    assert text_columns, "expected text columns to scan"
    for table, column in text_columns:
        values = [
            row[0]
            for row in warehouse.execute(
                f'select distinct "{column}" from marts."{table}" where "{column}" is not null'
            ).fetchall()
        ]
        # The build's settings are numbers the project validated (100000000, the campaign cost
        # bound, has a phone number's digits), not customer data. A model version is 12 hex digits
        # of a hash, all decimal for about 1 version in 280: it is held to that shape instead, and
        # still checked against every raw phone number below.
        is_setting = table == "dim_build_settings"
        is_model_version = column in ("_model_version", "_last_model_version")
        for value in values:
            assert not EMAIL.search(value), (table, column, value)
            if is_model_version:
                assert MODEL_VERSION.fullmatch(value), (table, column, value)
            else:
                assert is_setting or not PHONE.fullmatch(value), (table, column, value)
            assert re.sub(r"\D", "", value) not in phone_digits, (table, column, value)
            assert value not in names, (table, column, value)


def test_no_mart_date_is_a_customers_birth_date(warehouse):
    raw_customers = TEST_DATA_DIR / "raw" / "customers.parquet"
    date_columns = warehouse.execute(
        """
        select columns.table_name, columns.column_name
        from information_schema.columns as columns
        inner join information_schema.columns as keys
            on columns.table_schema = keys.table_schema
            and columns.table_name = keys.table_name
            and keys.column_name = 'customer_id'
        where columns.table_schema = 'marts' and columns.data_type = 'DATE'
        """
    ).fetchall()
    assert date_columns, "expected customer-grained date columns to scan"
    for table, column in date_columns:
        matches = warehouse.execute(
            f"""
            select count(*)
            from marts."{table}" as mart
            inner join read_parquet($path) as people on mart.customer_id = people.id
            where mart."{column}" = cast(people.birth_date as date)
            """,
            {"path": str(raw_customers)},
        ).fetchall()[0][0]
        assert matches == 0, (table, column, matches)
