"""The dashboard in a real browser: `streamlit run` on a free localhost port, every page loaded
by Debian's headless chromium through its chromedriver (selenium), its numbers compared with
the test warehouse's published marts, and a screenshot of each page.

Screenshots go to pytest's tmp dir, or to $DASHBOARD_SCREENSHOTS when set. Without chromium,
chromedriver or selenium the test skips, naming what is missing (`make browser` installs the
first two on Debian when run as root).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from segwarehouse.dashboard import browser
from segwarehouse.dashboard.sitemap import PAGES


@pytest.fixture(scope="module")
def chromium() -> browser.Browser:
    try:
        return browser.find_browser()
    except browser.BrowserMissingError as error:
        pytest.skip(f"dashboard browser test: {error}")


def test_every_page_renders_the_marts_numbers_in_a_browser(chromium, published, tmp_path):
    output = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    with duckdb.connect(str(published), read_only=True) as marts:
        kpis = marts.sql(
            "select segment_name, customer_count, revenue from marts.fct_segment_kpis"
            " where segmentation = 'kmeans' and not is_suppressed order by segment_id"
        ).fetchall()
        stayed, moved, entered = marts.sql(
            "select sum(customer_count) filter (where transition_type = 'stayed'),"
            " sum(customer_count) filter (where transition_type = 'moved'),"
            " sum(customer_count) filter (where transition_type = 'entered')"
            " from marts.fct_segment_transitions where segmentation = 'kmeans'"
            " and to_as_of_date = (select max(to_as_of_date) from marts.fct_segment_transitions)"
        ).fetchall()[0]
        raw_rows = marts.sql(
            "select sum(raw_rows) from (select max(raw_row_count) as raw_rows"
            " from marts.fct_quarantine_summary group by source_table)"
        ).fetchall()[0][0]
        profile = marts.sql(
            "select feature_name, centroid_standardized from marts.dim_segment_profiles"
            " where segment_id = (select min(segment_id) from marts.dim_segment_profiles)"
            " order by feature_position"
        ).fetchall()
        experiment_customers = marts.sql(
            "select customer_count from marts.fct_experiment_segment_results"
            " where segmentation = 'kmeans' and experiment_name ="
            " (select min(experiment_name) from marts.fct_experiment_segment_results)"
            " order by segment_id, variant <> 'control', variant"
        ).fetchall()

    snapshots = browser.capture(published, output)

    overview = snapshots["overview"]
    header, rows = overview.tables[0]
    shown = {row[header.index("Segment")]: row for row in rows}
    for name, customers, revenue in kpis:
        assert shown[name][header.index("Customers")] == f"{customers:,}"
        assert shown[name][header.index("Revenue")] == f"{float(revenue):,.2f}"
    assert overview.charts == 1

    header, rows = snapshots["profile"].tables[0]
    assert [
        (row[header.index("Feature")], row[header.index("Standard deviations from the average")])
        for row in rows
    ] == [(name, f"{value:,.2f}") for name, value in profile]

    movement = snapshots["movement"]
    assert movement.metrics["Stayed"] == f"{stayed:,}"
    assert movement.metrics["Moved"] == f"{moved:,}"
    assert movement.metrics["Entered"] == f"{entered:,}"
    assert movement.charts == 2

    header, rows = snapshots["experiments"].tables[0]
    assert [row[header.index("Customers")] for row in rows] == [
        "suppressed" if count is None else f"{count:,}" for (count,) in experiment_customers
    ]

    assert snapshots["quality"].metrics["Raw rows"] == f"{raw_rows:,}"

    for page in PAGES:
        screenshot = output / f"{page.name}.png"
        assert screenshot.read_bytes().startswith(b"\x89PNG"), screenshot
        assert snapshots[page.name].charts >= page.charts
        assert len(snapshots[page.name].tables) >= page.tables
