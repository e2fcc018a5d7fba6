"""The dashboard (segwarehouse.dashboard): its query and display functions, and every page run
by Streamlit's AppTest over the test warehouse's published file, compared with the marts."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from segwarehouse.dashboard import queries
from segwarehouse.dashboard.sitemap import APP, PAGES

SEGMENTATIONS = list(queries.SEGMENTATIONS)
EXPOSURES = "models/marts/segments/_segments__exposures.yml"
# The test build's kpi_min_group_size (the default), as its marts.dim_build_settings records.
MIN_GROUP_SIZE = 10


# Reading what a page shows back into numbers, independently of the dashboard's formatting.


def count(text: str) -> int:
    return int(text.replace(",", ""))


def money(text: str) -> float:
    return float(text.replace(",", ""))


def share(text: str) -> float:
    assert text.endswith("%"), text
    return float(text.removesuffix("%").replace(",", "")) / 100


def points(text: str) -> float:
    assert text.endswith(" pp"), text
    return float(text.removesuffix(" pp")) / 100


def assert_share(text: str, value: float) -> None:
    """A percentage shown with one decimal equals the mart's share; n/a when it is null."""
    if pd.isna(value):
        assert text == "n/a", (text, value)
    else:
        assert abs(share(text) - value) <= 0.0005 + 1e-9, (text, value)


def assert_money(text: str, value: object) -> None:
    if pd.isna(value):
        assert text == "n/a", (text, value)
    else:
        assert money(text) == pytest.approx(round(float(value), 2), abs=0.005), (text, value)  # type: ignore[arg-type]


# Functions without Streamlit


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        pytest.param([], {}, queries.Options(queries.DEFAULT_DATABASE), id="defaults"),
        pytest.param(
            [], {"DASHBOARD_DATABASE": "x.duckdb"}, queries.Options(Path("x.duckdb")), id="env"
        ),
        pytest.param(
            ["--database", "cli.duckdb"],
            {"DASHBOARD_DATABASE": "x.duckdb"},
            queries.Options(Path("cli.duckdb")),
            id="arguments-over-environment",
        ),
        pytest.param(
            ["-x", "--database", "cli.duckdb"],
            {},
            queries.Options(Path("cli.duckdb")),
            id="other-arguments-ignored",
        ),
    ],
)
def test_options_from_arguments_then_environment_then_defaults(argv, environ, expected):
    assert queries.resolve_options(argv, environ) == expected


def test_the_small_group_size_is_the_builds_setting(published, tmp_path):
    """Not a copy of the default: a build with another kpi_min_group_size publishes it."""
    with queries.open_published(published) as connection:
        assert queries.min_group_size(connection) == 10
    changed = tmp_path / "published.duckdb"
    shutil.copy(published, changed)
    changed.chmod(0o644)
    with duckdb.connect(str(changed)) as connection:
        connection.execute(
            "update marts.dim_build_settings set setting_value = '25'"
            " where setting_name = 'kpi_min_group_size'"
        )
    with queries.open_published(changed) as connection:
        assert queries.min_group_size(connection) == 25
    with duckdb.connect(str(changed)) as connection:
        connection.execute("drop table marts.dim_build_settings")
    with pytest.raises(queries.DashboardError, match="Build it again") as error:  # noqa: SIM117
        with queries.open_published(changed) as connection:
            queries.min_group_size(connection)
    assert "kpi_min_group_size" in str(error.value)


def test_a_missing_published_file_names_the_path_and_make_demo(tmp_path):
    missing = tmp_path / "nowhere" / "published.duckdb"
    with pytest.raises(queries.DashboardError) as error, queries.open_published(missing):
        pass
    assert str(missing) in str(error.value)
    assert "make demo" in str(error.value)


def test_a_build_warehouse_is_not_taken_for_a_published_file(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts; create table marts.fct_segment_kpis (x int)")
    with (
        pytest.raises(queries.DashboardError, match="not a published file") as error,
        queries.open_published(warehouse),
    ):
        pass
    assert str(warehouse) in str(error.value)


def test_a_suppressed_row_shows_suppressed_for_every_metric_and_keeps_its_keys():
    frame = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "segment_name": ["Big", "Tiny"],
            "customer_count": [1234, None],
            "customer_share": [0.9, None],
            "revenue": [1000.5, None],
            "is_suppressed": [False, True],
        }
    )
    columns = [
        queries.Column("segment_id", "Id", str, is_metric=False),
        queries.Column("segment_name", "Segment", str, is_metric=False),
        queries.Column("customer_count", "Customers", queries.format_count),
        queries.Column("customer_share", "Share", queries.format_share),
        queries.Column("revenue", "Revenue", queries.format_money),
    ]
    shown = queries.display_table(frame, columns)
    assert shown.to_dict("records") == [
        {
            "Id": "1",
            "Segment": "Big",
            "Customers": "1,234",
            "Share": "90.0%",
            "Revenue": "1,000.50",
        },
        {
            "Id": "2",
            "Segment": "Tiny",
            "Customers": "suppressed",
            "Share": "suppressed",
            "Revenue": "suppressed",
        },
    ]


def test_sankey_flows_draw_entries_and_exits_and_leave_out_small_flows():
    transitions = pd.DataFrame(
        {
            "from_segment_id": [1, 1, 2, None, 2],
            "from_segment_name": ["A", "A", "B", None, "B"],
            "to_segment_id": [1, 2, 2, 1, None],
            "to_segment_name": ["A", "B", "B", "A", None],
            "customer_count": [100, 3, 50, 20, 12],
        }
    )
    flows = queries.sankey_flows(transitions, min_group_size=10)
    links = {
        (flows.labels[source], flows.labels[target], value)
        for source, target, value in zip(flows.sources, flows.targets, flows.values, strict=True)
    }
    assert links == {
        ("A", "A", 100),
        ("B", "B", 50),
        (queries.ENTERED_LABEL, "A", 20),
        ("B", queries.EXITED_LABEL, 12),
    }
    # A on the left and A on the right are two nodes.
    assert flows.labels.count("A") == 2
    assert (flows.hidden_flows, flows.hidden_customers) == (1, 3)


def test_segment_sizes_below_the_small_group_size_are_shown_as_suppressed():
    sizes = pd.DataFrame(
        {
            "as_of_date": pd.to_datetime(["2025-01-31", "2025-01-31", "2025-02-28"]),
            "segment_id": [10, 2, 2],
            "segment_name": ["Late", "Early", "Early"],
            "customer_count": [9, 10, 11],
        }
    )
    table = queries.sizes_by_date(sizes, min_group_size=10)
    assert table.to_dict("records") == [
        {"Segment": "2 Early", "2025-01-31": "10", "2025-02-28": "11"},
        {"Segment": "10 Late", "2025-01-31": "suppressed", "2025-02-28": "n/a"},
    ]


# Pages, by AppTest, over the test warehouse's published file


@pytest.fixture(scope="module")
def marts(published):
    connection = duckdb.connect(str(published), read_only=True)
    yield connection
    connection.close()


def run_page(database: Path, page: str, segmentation: str = "kmeans", **env: str) -> AppTest:
    """The app over `database` (by DASHBOARD_DATABASE), on one page and segmentation."""
    app = AppTest.from_file(str(APP), default_timeout=120)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(queries.DATABASE_ENV, str(database))
        for name, value in env.items():
            patch.setenv(name, value)
        app.run()
        app.sidebar.radio(key="segmentation").set_value(segmentation)
        app.switch_page(f"views/{page}.py").run()
    assert not app.exception, [element.value for element in app.exception]
    return app


def rerun(app: AppTest, database: Path) -> AppTest:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(queries.DATABASE_ENV, str(database))
        app.run()
    assert not app.exception, [element.value for element in app.exception]
    return app


def rows(app: AppTest, index: int = 0) -> list[dict[str, str]]:
    return app.table[index].value.to_dict("records")


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def plotly_specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


@pytest.mark.parametrize("segmentation", SEGMENTATIONS)
@pytest.mark.parametrize("page", [page.name for page in PAGES])
def test_every_page_runs_and_shows_its_tables(published, page, segmentation):
    app = run_page(published, page, segmentation)
    assert not app.error, [element.value for element in app.error]
    assert app.title[0].value == next(p.title for p in PAGES if p.name == page)
    assert len(app.table) >= 1


@pytest.mark.parametrize("segmentation", SEGMENTATIONS)
def test_overview_shows_fct_segment_kpis(published, marts, segmentation):
    app = run_page(published, "overview", segmentation)
    kpis = marts.execute(
        "from marts.fct_segment_kpis where segmentation = ? order by segment_id", [segmentation]
    ).df()
    shown = rows(app)
    assert [row["Segment"] for row in shown] == kpis["segment_name"].tolist()
    for row, kpi in zip(shown, kpis.itertuples(), strict=True):
        assert row["Id"] == str(kpi.segment_id)
        assert count(row["Customers"]) == kpi.customer_count
        assert_share(row["Share of customers"], kpi.customer_share)
        assert_money(row["Revenue"], kpi.revenue)
        assert_share(row["Share of revenue"], kpi.revenue_share)
        for label, value in [
            ("Average order value", kpi.average_order_value),
            ("Predicted CLV (mean)", kpi.predicted_clv_mean),
        ]:
            if pd.isna(value):
                assert row[label] == "n/a"
            else:
                assert_money(row[label], value)
        if pd.isna(kpi.likely_churned_share):
            assert row["Churn risk"] == "n/a"
        else:
            assert_share(row["Churn risk"], kpi.likely_churned_share)
        assert_share(row["Conversion (sends)"], kpi.send_conversion_rate)
        assert_share(row["Conversion (visits)"], kpi.session_conversion_rate)
        assert_share(row["Click-through (email)"], kpi.email_click_through_rate)
        assert float(row["NPS"]) == pytest.approx(kpi.net_promoter_score, abs=0.5)
    members = marts.execute(
        "select count(*) from marts.dim_customer_segments"
        + (" where segment_id is not null" if segmentation == "kmeans" else "")
    ).fetchall()[0][0]
    assert count(metrics(app)["Customers"]) == members
    assert count(metrics(app)["Segments"]) == len(kpis)
    assert metrics(app)["As of"] == str(kpis["as_of_date"].iloc[0].date())


def test_overview_shows_a_suppressed_segment_as_suppressed_and_never_its_figures(
    published, tmp_path
):
    copy = tmp_path / "published.duckdb"
    shutil.copyfile(published, copy)
    with duckdb.connect(str(copy)) as connection:
        metric_columns = [
            name
            for (name,) in connection.execute(
                "select column_name from information_schema.columns where table_schema = 'marts'"
                " and table_name = 'fct_segment_kpis' and column_name not in ('segmentation',"
                " 'segment_id', 'segment_name', 'as_of_date', '_model_version', 'is_suppressed')"
            ).fetchall()
        ]
        hidden = connection.execute(
            "select segment_id, segment_name, customer_count, revenue from marts.fct_segment_kpis"
            " where segmentation = 'kmeans' order by customer_count limit 1"
        ).fetchall()[0]
        connection.execute(
            "update marts.fct_segment_kpis set is_suppressed = true, "
            + ", ".join(f"{name} = null" for name in metric_columns)
            + " where segmentation = 'kmeans' and segment_id = ?",
            [hidden[0]],
        )
    app = run_page(copy, "overview")
    row = next(row for row in rows(app) if row["Id"] == str(hidden[0]))
    assert row["Segment"] == hidden[1]
    assert {value for label, value in row.items() if label not in ("Id", "Segment")} == {
        "suppressed"
    }
    page_text = json.dumps([rows(app), metrics(app), plotly_specs(app)])
    assert f"{hidden[2]:,}" not in page_text
    assert f"{float(hidden[3]):,.2f}" not in page_text
    chart = plotly_specs(app)[0]
    assert hidden[1] not in chart["data"][0]["x"]
    assert any(
        hidden[1] in caption.value and "Suppressed" in caption.value for caption in app.caption
    )


def test_profile_shows_each_segments_centre_name_and_description(published, marts):
    profiles = marts.sql(
        "from marts.dim_segment_profiles order by segment_id, feature_position"
    ).df()
    segments = marts.sql(
        "from marts.dim_segments where segmentation = 'kmeans' and is_current order by segment_id"
    ).df()
    app = run_page(published, "profile")
    assert app.selectbox[0].options == [
        f"{s.segment_id} {s.segment_name}" for s in segments.itertuples()
    ]
    for segment in segments.itertuples():
        app.selectbox[0].set_value(segment.segment_id)
        rerun(app, published)
        assert app.subheader[0].value == f"{segment.segment_id} {segment.segment_name}"
        assert any(segment.segment_description in markdown.value for markdown in app.markdown)
        expected = profiles[profiles["segment_id"] == segment.segment_id]
        shown = rows(app)
        assert [row["Feature"] for row in shown] == expected["feature_name"].tolist()
        for row, feature in zip(shown, expected.itertuples(), strict=True):
            assert float(row["Standard deviations from the average"]) == pytest.approx(
                feature.centroid_standardized, abs=0.005
            )
            assert money(row["Segment centre (original units)"]) == pytest.approx(
                feature.centroid_value, abs=0.005
            )
        bars = plotly_specs(app)[0]["data"][0]
        assert bars["y"] == expected["feature_name"].tolist()
        assert bars["x"] == pytest.approx(expected["centroid_standardized"].tolist())


def test_profile_of_rfm_lists_definitions_and_actions(published, marts):
    segments = marts.sql(
        "from marts.dim_segments where segmentation = 'rfm' and is_current order by segment_id"
    ).df()
    app = run_page(published, "profile", "rfm")
    assert rows(app) == [
        {
            "Id": str(s.segment_id),
            "Segment": s.segment_name,
            "Description": s.segment_description,
            "Recommended action": s.recommended_action,
        }
        for s in segments.itertuples()
    ]


@pytest.mark.parametrize(("segmentation", "table"), [("kmeans", 1), ("rfm", 1)])
def test_profile_lists_the_categories_to_cross_sell_ranked_first(
    published, marts, segmentation, table
):
    affinity = marts.execute(
        "from marts.fct_segment_category_affinity where segmentation = ?", [segmentation]
    ).df()
    assert not affinity.empty
    app = run_page(published, "profile", segmentation)
    for option in app.selectbox[0].options[:3]:
        segment_id = int(option.split(" ", 1)[0])
        app.selectbox[0].set_value(segment_id)
        rerun(app, published)
        expected = affinity[affinity["segment_id"] == segment_id]
        shown = rows(app, table)
        assert len(shown) == len(expected)
        ranked = expected.dropna(subset=["affinity_rank"]).sort_values("affinity_rank")
        # Ranked categories first, in rank order, with the mart's figures.
        for row, cell in zip(shown, ranked.itertuples(), strict=False):
            assert row["Category"] == cell.category
            assert count(row["Rank"]) == cell.affinity_rank
            assert float(row["Lift"]) == pytest.approx(cell.lift, abs=0.005)
            assert count(row["Buyers"]) == cell.buyer_count
        for cell in expected[expected["is_suppressed"]].itertuples():
            (row,) = [row for row in shown if row["Category"] == cell.category]
            assert set(list(row.values())[2:]) == {"suppressed"}


@pytest.mark.parametrize("segmentation", SEGMENTATIONS)
def test_movement_shows_sizes_by_date_and_the_flows_between_them(published, marts, segmentation):
    history = marts.execute(
        "from marts.fct_customer_segment_history where segmentation = ?", [segmentation]
    ).df()
    transitions = marts.execute(
        "from marts.fct_segment_transitions where segmentation = ?", [segmentation]
    ).df()
    dates = sorted(
        {
            d.date()
            for d in pd.concat([transitions["from_as_of_date"], transitions["to_as_of_date"]])
        }
    )
    assert len(dates) >= 2, "the test build has two as-of dates"
    app = run_page(published, "movement", segmentation)

    # Sizes: members on each date, counted here from the intervals.
    shown = {row["Segment"]: row for row in rows(app)}
    for as_of in dates:
        day = pd.Timestamp(as_of)
        on_day = history[
            (history["valid_from"] <= day)
            & (history["valid_to"].isna() | (history["valid_to"] > day))
        ]
        for (segment_id, name), members in on_day.groupby(["segment_id", "segment_name"]):
            text = shown[f"{segment_id} {name}"][as_of.isoformat()]
            if len(members) < MIN_GROUP_SIZE:
                assert text == "suppressed"
            else:
                assert count(text) == len(members)
    # The latest date's sizes are the KPI mart's.
    kpis = marts.execute(
        "from marts.fct_segment_kpis where segmentation = ? and not is_suppressed", [segmentation]
    ).df()
    for kpi in kpis.itertuples():
        assert count(shown[f"{kpi.segment_id} {kpi.segment_name}"][dates[-1].isoformat()]) == (
            kpi.customer_count
        )

    # The latest pair of dates: totals per kind of transition, and the Sankey's links.
    latest = transitions[transitions["from_as_of_date"].dt.date == dates[-2]]
    totals = latest.groupby("transition_type")["customer_count"].sum()
    for kind in ("stayed", "moved", "entered", "exited"):
        assert count(metrics(app)[kind.capitalize()]) == int(totals.get(kind, 0))
    sankey = next(
        trace for spec in plotly_specs(app) for trace in spec["data"] if trace["type"] == "sankey"
    )
    big = latest[latest["customer_count"] >= MIN_GROUP_SIZE]
    assert sum(sankey["link"]["value"]) == big["customer_count"].sum()
    assert sorted(sankey["link"]["value"]) == sorted(big["customer_count"].tolist())
    assert min(sankey["link"]["value"]) >= MIN_GROUP_SIZE
    assert sorted(set(sankey["node"]["label"])) == sorted(
        set(big["from_segment_name"].dropna())
        | set(big["to_segment_name"].dropna())
        | ({queries.ENTERED_LABEL} if big["from_segment_id"].isna().any() else set())
        | ({queries.EXITED_LABEL} if big["to_segment_id"].isna().any() else set())
    )


@pytest.mark.parametrize("segmentation", SEGMENTATIONS)
def test_value_shows_lifetime_values_per_segment_and_retention(published, marts, segmentation):
    segment_column = "segment_id" if segmentation == "kmeans" else "rfm_segment_id"
    values = marts.execute(
        f"""
        select memberships.{segment_column} as segment_id, lifetime_values.predicted_clv,
            lifetime_values.probability_alive
        from marts.fct_customer_lifetime_values as lifetime_values
        inner join marts.dim_customer_segments as memberships using (customer_id)
        where lifetime_values.predicted_clv is not null
        """
    ).df()
    kpis = marts.execute(
        "from marts.fct_segment_kpis where segmentation = ? order by segment_id", [segmentation]
    ).df()
    app = run_page(published, "value", segmentation)
    shown = {row["Id"]: row for row in rows(app)}
    for kpi in kpis.itertuples():
        members = values[values["segment_id"] == kpi.segment_id]
        if members.empty:
            # No customer of the segment has bought: no row, and the page says so.
            assert str(kpi.segment_id) not in shown
            assert any(kpi.segment_name in caption.value for caption in app.caption)
            continue
        row = shown[str(kpi.segment_id)]
        if kpi.is_suppressed:
            assert set(list(row.values())[2:]) == {"suppressed"}
            continue
        assert count(row["Customers with a prediction"]) == len(members)
        # The mean predicted CLV is the KPI mart's.
        assert_money(row["Predicted CLV (mean)"], kpi.predicted_clv_mean)
        assert_money(row["Predicted CLV (median)"], members["predicted_clv"].astype(float).median())
        assert_share(row["P(alive) (mean)"], members["probability_alive"].astype(float).mean())

    retention = marts.execute(
        "from marts.fct_segment_cohort_retention where segmentation = ? and not is_suppressed",
        [segmentation],
    ).df()
    specs = plotly_specs(app)
    curves = {trace["name"]: trace for trace in specs[-1]["data"]}
    for (segment_id, name), cells in retention.groupby(["segment_id", "segment_name"]):
        pooled = cells.groupby("months_since_acquisition")[
            ["active_customer_count", "cohort_customer_count"]
        ].sum()
        curve = curves[f"{segment_id} {name}"]
        assert curve["x"] == pooled.index.tolist()
        assert curve["y"] == pytest.approx(
            (pooled["active_customer_count"] / pooled["cohort_customer_count"]).tolist()
        )


def test_campaigns_show_each_campaigns_cells_with_suppressed_ones_suppressed(published, marts):
    performance = marts.sql(
        "from marts.fct_campaign_segment_performance where segmentation = 'rfm'"
    ).df()
    app = run_page(published, "campaigns", "rfm")
    with_suppressed = performance.loc[performance["is_suppressed"], "campaign_id"].iloc[0]
    default = app.selectbox[0].value
    for campaign_id in (default, with_suppressed):
        app.selectbox[0].set_value(campaign_id)
        rerun(app, published)
        cells = performance[performance["campaign_id"] == campaign_id].sort_values("segment_id")
        shown = rows(app)
        assert [row["Id"] for row in shown] == [str(s) for s in cells["segment_id"]]
        for row, cell in zip(shown, cells.itertuples(), strict=True):
            if cell.is_suppressed:
                assert set(list(row.values())[2:]) == {"suppressed"}
                continue
            assert count(row["Sends"]) == cell.send_count
            assert_share(row["Open rate"], cell.open_rate)
            if pd.isna(cell.roi):
                assert row["ROI"] == "n/a"
            else:
                assert_share(row["ROI"], cell.roi)
                assert_money(row["Revenue attributed"], cell.attributed_revenue)
                assert count(row["Orders attributed"]) == cell.conversion_count
                assert_share(
                    row["Conversion (orders per send)"], cell.conversion_count / cell.send_count
                )
            assert_money(row["Cost"], cell.allocated_cost)
    assert any(row["Sends"] == "suppressed" for row in rows(app))


@pytest.mark.parametrize("segmentation", SEGMENTATIONS)
def test_experiments_show_lifts_intervals_and_p_values(published, marts, segmentation):
    results = marts.execute(
        "from marts.fct_experiment_segment_results where segmentation = ?", [segmentation]
    ).df()
    app = run_page(published, "experiments", segmentation)
    assert app.selectbox[0].options == sorted(results["experiment_name"].unique())
    for experiment in app.selectbox[0].options:
        app.selectbox[0].set_value(experiment)
        rerun(app, published)
        cells = results[results["experiment_name"] == experiment]
        conversion = {(row["Id"], row["Variant"]): row for row in rows(app, 0)}
        revenue = {(row["Id"], row["Variant"]): row for row in rows(app, 1)}
        assert len(conversion) == len(revenue) == len(cells)
        for cell in cells.itertuples():
            key = (str(cell.segment_id), cell.variant)
            if cell.is_suppressed:
                assert set(list(conversion[key].values())[3:]) == {"suppressed"}
                assert set(list(revenue[key].values())[3:]) == {"suppressed"}
                continue
            row = conversion[key]
            assert count(row["Customers"]) == cell.customer_count
            assert_share(row["Conversion"], cell.conversion_rate)
            for label, value in [
                ("Lift", cell.conversion_lift_absolute),
                ("95% CI from", cell.conversion_lift_ci_lower),
                ("95% CI to", cell.conversion_lift_ci_upper),
            ]:
                if pd.isna(value):
                    assert row[label] == "n/a"
                else:
                    assert points(row[label]) == pytest.approx(value, abs=0.0005)
            if pd.isna(cell.conversion_p_value):
                assert row["p-value"] == "n/a"
            elif cell.conversion_p_value < 0.001:
                assert row["p-value"] == "< 0.001"
            else:
                assert float(row["p-value"]) == pytest.approx(cell.conversion_p_value, abs=0.0005)
            if pd.isna(cell.conversion_p_value_adjusted):
                assert row["Adjusted p (BH)"] == "n/a"
            else:
                assert float(row["Adjusted p (BH)"].replace("< ", "")) == pytest.approx(
                    cell.conversion_p_value_adjusted, abs=0.001
                )
            row = revenue[key]
            assert_money(row["Revenue per customer"], cell.revenue_per_customer)
            if not pd.isna(cell.revenue_p_value_adjusted):
                assert float(row["Adjusted p (BH)"].replace("< ", "")) == pytest.approx(
                    cell.revenue_p_value_adjusted, abs=0.001
                )
            if not pd.isna(cell.revenue_lift_ci_lower):
                assert_money(row["95% CI from"], cell.revenue_lift_ci_lower)
                assert_money(row["95% CI to"], cell.revenue_lift_ci_upper)
                assert float(row["p-value"].replace("< ", "")) == pytest.approx(
                    cell.revenue_p_value, abs=0.001
                )


def test_experiments_show_whether_the_effect_differs_between_segments(published, marts):
    tests = marts.execute("from marts.fct_experiment_heterogeneity where segmentation = 'rfm'").df()
    app = run_page(published, "experiments", "rfm")
    assert not tests.empty
    for experiment in app.selectbox[0].options:
        app.selectbox[0].set_value(experiment)
        rerun(app, published)
        expected = tests[tests["experiment_name"] == experiment]
        shown = {(row["Variant"], row["Metric"]): row for row in rows(app, 2)}
        assert len(shown) == len(expected)
        for test in expected.itertuples():
            row = shown[(test.variant, test.metric)]
            assert count(row["Segments used"]) == test.used_segment_count
            if pd.isna(test.cochran_q):
                assert row["Cochran's Q"] == "n/a"
            else:
                assert float(row["Cochran's Q"].replace(",", "")) == pytest.approx(
                    test.cochran_q, abs=0.005
                )
                assert float(row["p-value"].replace("< ", "")) == pytest.approx(
                    test.p_value, abs=0.001
                )
                assert count(row["df"]) == test.degrees_of_freedom


def test_data_quality_shows_quarantine_and_the_latest_drift(published, marts):
    app = run_page(published, "quality", "kmeans")
    quarantine = marts.sql(
        "select source_table, max(raw_row_count) as raw_rows,"
        " coalesce(sum(row_count) filter (where is_quarantined), 0) as quarantined"
        " from marts.fct_quarantine_summary group by 1 having max(raw_row_count) > 0"
    ).df()
    assert count(metrics(app)["Raw rows"]) == quarantine["raw_rows"].sum()
    assert count(metrics(app)["Quarantined"]) == quarantine["quarantined"].sum()
    shown = {row["Table"]: row for row in rows(app, 0)}
    assert set(shown) == set(quarantine["source_table"])
    for table in quarantine.itertuples():
        assert count(shown[table.source_table]["Raw rows"]) == table.raw_rows
        assert count(shown[table.source_table]["Quarantined"]) == table.quarantined

    drift = marts.sql(
        "from marts.fct_segment_share_drift where segmentation = 'kmeans' and as_of_date ="
        " (select max(as_of_date) from marts.fct_segment_share_drift) order by segment_id"
    ).df()
    shown = rows(app, 1)
    assert [row["Segment"] for row in shown] == drift["segment_name"].tolist()
    for row, segment in zip(shown, drift.itertuples(), strict=True):
        assert_share(row["Share now"], segment.customer_share)
        assert points(row["Change"]) == pytest.approx(segment.customer_share_change, abs=0.0005)
        assert row["Drifted"] == ("yes" if segment.is_drifted else "no")

    features = marts.sql(
        "from marts.fct_segment_feature_drift where as_of_date ="
        " (select max(as_of_date) from marts.fct_segment_feature_drift)"
    ).df()
    psi = {row["Feature"]: float(row["PSI"]) for row in rows(app, 2)}
    assert psi == pytest.approx(
        dict(zip(features["feature_name"], features["population_stability_index"], strict=True)),
        abs=0.0005,
    )


def test_every_page_explains_a_missing_published_file(tmp_path):
    missing = tmp_path / "published.duckdb"
    for page in PAGES:
        app = AppTest.from_file(str(APP), default_timeout=60)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(queries.DATABASE_ENV, str(missing))
            app.run()
            if page != PAGES[0]:
                app.switch_page(f"views/{page.name}.py").run()
        assert not app.exception
        assert len(app.error) == 1
        assert str(missing) in app.error[0].value
        assert "make demo" in app.error[0].value
        assert not app.table


def test_the_exposure_lists_every_mart_the_dashboard_reads():
    exposures = Path(__file__).resolve().parents[2] / EXPOSURES
    (exposure,) = [
        exposure
        for exposure in yaml.safe_load(exposures.read_text())["exposures"]
        if exposure["name"] == "segment_dashboard"
    ]
    assert exposure["type"] == "dashboard"
    read = {mart for marts in queries.PAGE_MARTS.values() for mart in marts}
    read |= set(queries.APP_MARTS)
    assert set(exposure["depends_on"]) == {f"ref('{mart}')" for mart in read}


def test_date_pairs_are_latest_first():
    transitions = pd.DataFrame(
        {
            "from_as_of_date": pd.to_datetime(["2025-01-31", "2025-02-28", "2025-01-31"]),
            "to_as_of_date": pd.to_datetime(["2025-02-28", "2025-03-31", "2025-02-28"]),
        }
    )
    assert queries.date_pairs(transitions) == [
        (date(2025, 2, 28), date(2025, 3, 31)),
        (date(2025, 1, 31), date(2025, 2, 28)),
    ]
