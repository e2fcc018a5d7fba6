"""The semantic layer (MetricFlow) on the test build's published file.

Every query runs as a user runs it, `python -m segwarehouse.metrics --database
data/test/published.duckdb query ...`, and its answer is compared with the marts it must
agree with, read from the same published file. The test build has two as-of dates
(2025-11-30 and 2025-12-31) in its history marts.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from segwarehouse import metrics

from .conftest import PROJECT_DIR, TEST_DATA_DIR

PUBLISHED = TEST_DATA_DIR / "published.duckdb"
# The KPI mart rounds money to cents; the semantic layer does not.
CENT = 0.005
RATE = 1e-9


def run_metrics(*arguments: str, database: Path = PUBLISHED) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "segwarehouse.metrics", "--database", str(database), *arguments],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def query(tmp_path: Path, *arguments: str) -> list[dict[str, str]]:
    """mf query's answer, one dict per row, read from the CSV file it writes."""
    output = tmp_path / "answer.csv"
    output.unlink(missing_ok=True)
    result = run_metrics("query", *arguments, "--csv", str(output))
    assert result.returncode == 0 and output.exists(), result.stdout + result.stderr
    with output.open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def published(warehouse) -> duckdb.DuckDBPyConnection:
    """The published file of the test build (built by the session's warehouse fixture)."""
    connection = duckdb.connect(str(PUBLISHED), read_only=True)
    yield connection
    connection.close()


def kpis(published, segmentation: str) -> dict[str, tuple]:
    rows = published.execute(
        """
        select
            segment_name, is_suppressed, customer_count, revenue, order_count,
            average_order_value, repeat_purchase_rate, email_open_rate,
            email_click_through_rate, session_conversion_rate, predicted_clv_mean,
            likely_churned_share
        from marts.fct_segment_kpis
        where segmentation = ?
        """,
        [segmentation],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_configs_validate_against_the_published_file():
    result = run_metrics("validate-configs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS: 0" in output, output
    # The data warehouse validations ran too: each semantic model and metric was queried.
    assert "Successfully validated semantic models against data warehouse" in output, output
    assert "Successfully validated metrics against data warehouse" in output, output


def test_revenue_and_order_metrics_by_kmeans_segment_equal_the_kpi_mart(tmp_path, published):
    rows = query(
        tmp_path,
        "--metrics",
        "customers,revenue,orders,average_order_value",
        "--group-by",
        "customer__segment_name",
    )
    answer = {row["customer__segment_name"]: row for row in rows}
    expected = kpis(published, "kmeans")
    assert set(answer) == set(expected)
    published_rows = 0
    for name, (suppressed, customers, revenue, orders, aov, *_) in expected.items():
        row = answer[name]
        if suppressed:
            # The semantic layer reads customer-grain marts: it does not suppress (docs/kpis.md).
            assert customers is None and revenue is None
            continue
        published_rows += 1
        assert int(row["customers"]) == customers, name
        assert float(row["revenue"]) == pytest.approx(float(revenue), abs=CENT), name
        assert int(row["orders"]) == orders, name
        assert float(row["average_order_value"]) == pytest.approx(float(aov), abs=CENT), name
    assert published_rows >= 3


def test_kpi_rates_by_rfm_segment_equal_the_kpi_mart(tmp_path, published):
    answer = {
        row["customer__rfm_segment_name"]: row
        for row in query(tmp_path, "--saved-query", "rfm_segment_kpis")
    }
    expected = kpis(published, "rfm")
    assert set(answer) == set(expected)
    rates = (
        ("repeat_purchase_rate", 5, RATE),
        ("email_open_rate", 6, RATE),
        ("email_click_through_rate", 7, RATE),
        ("session_conversion_rate", 8, RATE),
        ("predicted_clv", 9, CENT),
        ("likely_churned_share", 10, RATE),
    )
    compared = 0
    for name, values in expected.items():
        if values[0]:
            continue
        for metric, position, tolerance in rates:
            mart_value = values[position]
            if mart_value is None:
                # A ratio over nothing: null in the mart, empty in the semantic layer.
                assert answer[name][metric] == "", (name, metric)
                continue
            compared += 1
            assert float(answer[name][metric]) == pytest.approx(float(mart_value), abs=tolerance), (
                name,
                metric,
            )
    assert compared >= 30


def test_segment_sizes_do_not_add_up_across_as_of_dates(tmp_path, published):
    history = published.execute(
        """
        select as_of_date, segment_name, customer_count
        from marts.fct_segment_share_drift
        where segmentation = 'kmeans'
        """
    ).fetchall()
    dates = sorted({as_of_date for as_of_date, _, _ in history})
    assert len(dates) == 2, "the test build keeps two as-of dates"
    latest = {name: count for as_of_date, name, count in history if as_of_date == dates[-1]}
    summed: dict[str, int] = {}
    for _, name, count in history:
        summed[name] = summed.get(name, 0) + count
    assert summed != latest, "both dates have customers: a sum would differ"

    # Without a time dimension: the latest as-of date's sizes, not the sum of both dates'.
    answer = {
        row["segment_snapshot__segment_name"]: int(row["kmeans_segment_customers"])
        for row in query(
            tmp_path,
            "--metrics",
            "kmeans_segment_customers",
            "--group-by",
            "segment_snapshot__segment_name",
        )
    }
    assert answer == latest
    current = dict(
        published.execute(
            "select segment_name, count(*) from marts.dim_customer_segments group by all"
        ).fetchall()
    )
    assert answer == current

    # By as-of date: each date's sizes.
    by_date = {
        (row["metric_time__day"][:10], row["segment_snapshot__segment_name"]): int(
            row["kmeans_segment_customers"]
        )
        for row in query(tmp_path, "--saved-query", "segment_customers_over_time")
    }
    assert by_date == {(str(as_of_date), name): count for as_of_date, name, count in history}

    # The total over segments at the latest date, not over both dates.
    total = query(tmp_path, "--metrics", "rfm_segment_customers")
    assert int(total[0]["rfm_segment_customers"]) == sum(current.values())


def test_monthly_revenue_by_segment_equals_the_trends_mart(tmp_path, published):
    answer = {
        (row["metric_time__month"][:10], row["customer__segment_name"]): row
        for row in query(tmp_path, "--saved-query", "monthly_revenue_by_segment")
    }
    trends = published.execute(
        """
        select cast(calendar_month as varchar), segment_name, revenue, order_count
        from marts.fct_segment_monthly_trends
        where segmentation = 'kmeans' and not is_suppressed and order_count > 0
        """
    ).fetchall()
    assert len(trends) > 12
    for month, name, revenue, orders in trends:
        row = answer[(month, name)]
        assert float(row["order_revenue"]) == pytest.approx(float(revenue), abs=CENT), (
            month,
            name,
        )
        assert int(row["kept_order_count"]) == orders, (month, name)


def test_campaign_click_through_rate_equals_the_campaign_mart(tmp_path, published):
    answer = {
        (row["campaign_segment__campaign_name"], row["campaign_segment__segment_name"]): row
        for row in query(
            tmp_path,
            "--metrics",
            "campaign_click_through_rate",
            "--group-by",
            "campaign_segment__campaign_name,campaign_segment__segment_name",
            "--where",
            "{{ Dimension('campaign_segment__segmentation') }} = 'kmeans'",
        )
    }
    cells = published.execute(
        """
        select campaign_name, segment_name, click_through_rate
        from marts.fct_campaign_segment_performance
        where segmentation = 'kmeans' and click_through_rate is not null
        """
    ).fetchall()
    assert cells
    for campaign, segment, rate in cells:
        value = float(answer[(campaign, segment)]["campaign_click_through_rate"])
        assert value == pytest.approx(rate, abs=RATE), (campaign, segment)


@pytest.mark.parametrize(
    ("database", "message"),
    [
        pytest.param("missing.duckdb", "no published file at", id="missing"),
        pytest.param("warehouse.duckdb", "is not a published file", id="build-warehouse"),
    ],
)
def test_only_a_published_file_is_queried(warehouse, database, message):
    result = run_metrics("list", "metrics", database=TEST_DATA_DIR / database)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_the_manifest_is_parsed_again_when_stale_or_for_another_target(tmp_path):
    manifest = tmp_path / "target" / "semantic_manifest.json"
    assert not metrics.manifest_is_current(manifest, tmp_path)
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.yml"
    model.write_text("version: 2\n")
    relation = {"alias": "a", "schema_name": "marts", "database": "published"}
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"semantic_models": [{"node_relation": relation}]}))
    assert metrics.manifest_is_current(manifest, tmp_path)
    # The build warehouse's names: parsed for another target.
    other = {**relation, "database": "warehouse"}
    manifest.write_text(json.dumps({"semantic_models": [{"node_relation": other}]}))
    assert not metrics.manifest_is_current(manifest, tmp_path)
    # A project file changed after the parse.
    manifest.write_text(json.dumps({"semantic_models": [{"node_relation": relation}]}))
    later = manifest.stat().st_mtime + 10
    os.utime(model, (later, later))
    assert not metrics.manifest_is_current(manifest, tmp_path)


def test_a_query_shows_figures_in_full_unless_it_asks_for_other_decimals(published):
    """mf's default table prints 4.58273e+06 for 4,582,734.79: the command asks for cents."""
    shown = run_metrics(
        "query", "--metrics", "revenue", "--group-by", "customer__segment_name"
    ).stdout
    (total,) = published.execute(
        "select sum(revenue) from marts.fct_segment_kpis where segmentation = 'kmeans'"
    ).fetchall()[0]
    assert "e+0" not in shown
    lines = [line.split() for line in shown.splitlines() if line[:1].isalpha()]
    figures = [float(parts[-1]) for parts in lines if parts[-1].replace(".", "").isdigit()]
    assert all(len(f"{figure:.2f}".split(".")[1]) == 2 for figure in figures)
    assert sum(figures) == pytest.approx(float(total), abs=0.05)
    asked = run_metrics("query", "--metrics", "revenue", "--decimals", "0").stdout
    assert "--decimals" not in asked and "." not in asked.splitlines()[-1]
