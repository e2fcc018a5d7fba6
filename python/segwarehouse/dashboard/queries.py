"""What the dashboard shows, as plain functions over a read-only connection to a published file.

Every page of the dashboard is a thin layer over these functions: they read the published marts
(`marts.*` of `data/<target>/published.duckdb`) and return DataFrames, and the `display_*`
helpers turn those into the strings a page shows, a suppressed group as "suppressed" and never
as a number. Nothing here imports Streamlit, so pytest exercises it directly.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from segwarehouse.published import PublishedFileError
from segwarehouse.published import open_published as open_published_file
from segwarehouse.summary import QUARANTINE_SQL, segment_totals

DEFAULT_DATABASE = Path("data/demo/published.duckdb")
DATABASE_ENV = "DASHBOARD_DATABASE"
# The history marts (sizes over time, transitions, share drift) are published unsuppressed, so
# the dashboard hides their groups below the build's kpi_min_group_size (marts.dim_build_settings).
MIN_GROUP_SIZE_SETTING = "kpi_min_group_size"
SEGMENTATIONS: dict[str, str] = {"kmeans": "k-means", "rfm": "RFM"}
SUPPRESSED = "suppressed"
# A value that does not apply (a control arm has no lift). Not "-": st.table renders a lone
# "-" as a markdown list.
MISSING = "n/a"

Formatter = Callable[[object], str]


class DashboardError(Exception):
    """A problem the reader can fix; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Options:
    database: Path


def resolve_options(argv: Sequence[str], environ: Mapping[str, str]) -> Options:
    """The published file: `--database` after `streamlit run app.py --`, else
    DASHBOARD_DATABASE, else the demo's published file."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--database")
    args, _ = parser.parse_known_args(list(argv))
    database = args.database or environ.get(DATABASE_ENV) or str(DEFAULT_DATABASE)
    return Options(database=Path(database))


def min_group_size(connection: duckdb.DuckDBPyConnection) -> int:
    """The build's kpi_min_group_size, as recorded in marts.dim_build_settings: groups smaller
    than this are suppressed in the KPI marts, and hidden by the dashboard elsewhere."""
    value = None
    if has_table(connection, "dim_build_settings"):
        value = scalar(
            connection,
            "select setting_value from marts.dim_build_settings where setting_name = ?",
            [MIN_GROUP_SIZE_SETTING],
        )
    if value is None:
        raise DashboardError(
            f"This published file does not record the build's {MIN_GROUP_SIZE_SETTING} "
            "(marts.dim_build_settings), which the dashboard needs to hide small groups: it "
            "was published by an older version. Build it again (make demo, or make "
            "build-source SOURCE=...) to publish it with its settings."
        )
    return int(str(value))


@contextmanager
def open_published(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a published file, closed on exit so that the next one sees
    the next publication; a DashboardError naming the path when it cannot be read."""
    try:
        connection = open_published_file(
            path,
            how_to_build=f"run `make demo` to build and publish the demo data, or point "
            f"{DATABASE_ENV} at a published.duckdb "
            "(make dashboard DASHBOARD_DATABASE=data/<target>/published.duckdb)",
        )
    except PublishedFileError as error:
        raise DashboardError(str(error)) from error
    try:
        yield connection
    finally:
        connection.close()


def has_table(connection: duckdb.DuckDBPyConnection, name: str, schema: str = "marts") -> bool:
    return bool(
        scalar(
            connection,
            "select count(*) from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema, name],
        )
    )


def scalar(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[object] = ()
) -> object:
    """The one value a query returns (fetched to the end: DuckDB refuses the next query on a
    connection with an unfinished result)."""
    rows = connection.execute(sql, list(parameters)).fetchall()
    return rows[0][0] if rows else None


def missing_marts(connection: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[str]:
    """The marts among `names` that this published file does not hold (a source without
    campaigns or experiments publishes no such marts)."""
    return [name for name in names if not has_table(connection, name)]


@dataclass(frozen=True)
class Publication:
    publication_id: str
    published_at: datetime
    as_of_date: date | None


def publication(connection: duckdb.DuckDBPyConnection) -> Publication:
    publication_id, published_at = connection.execute(
        "select publication_id, published_at from marts._publication"
    ).fetchall()[0]
    as_of = scalar(connection, "select max(as_of_date) from marts.fct_segment_kpis")
    return Publication(str(publication_id), published_at, as_of)  # type: ignore[arg-type]


# Formatting: every number a page shows goes through one of these.


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_count(value: object) -> str:
    return MISSING if is_missing(value) else f"{int(value):,}"  # type: ignore[call-overload]


def format_money(value: object) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.2f}"  # type: ignore[arg-type]


def format_share(value: object) -> str:
    return MISSING if is_missing(value) else f"{float(value):.1%}"  # type: ignore[arg-type]


def format_points(value: object) -> str:
    """A difference of two shares, in percentage points with its sign."""
    return MISSING if is_missing(value) else f"{float(value) * 100:+.1f} pp"  # type: ignore[arg-type]


def format_decimal(value: object, digits: int = 2) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def format_p_value(value: object) -> str:
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def format_flag(value: object) -> str:
    return "yes" if (not is_missing(value) and bool(value)) else "no"


def format_date(value: object) -> str:
    return MISSING if is_missing(value) else pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


@dataclass(frozen=True)
class Column:
    """One displayed column: the DataFrame column it shows, its label and its format. A
    metric is shown as "suppressed" on a row whose group is suppressed; a key never is."""

    source: str
    label: str
    format: Formatter = str
    is_metric: bool = True


def display_table(
    frame: pd.DataFrame, columns: Sequence[Column], suppressed: str | None = "is_suppressed"
) -> pd.DataFrame:
    """The strings a page shows: each column formatted, and every metric of a suppressed row
    (column `suppressed` true) replaced by "suppressed"."""
    hidden = (
        frame[suppressed].fillna(False).astype(bool)
        if suppressed is not None and suppressed in frame
        else pd.Series(False, index=frame.index)
    )
    shown = {}
    for column in columns:
        values = [column.format(value) for value in frame[column.source].tolist()]
        if column.is_metric:
            values = [
                SUPPRESSED if hide else value
                for value, hide in zip(values, hidden.tolist(), strict=True)
            ]
        shown[column.label] = values
    return pd.DataFrame(shown, index=pd.RangeIndex(len(frame)), dtype=object)


def suppress_below(values: pd.Series, min_group_size: int) -> pd.Series:
    """True where a count from an unsuppressed mart is below the small-group size."""
    return values.isna() | (values < min_group_size)


# Overview


OVERVIEW_SQL = """
select
    segment_id,
    segment_name,
    customer_count,
    customer_share,
    revenue,
    revenue_share,
    average_order_value,
    predicted_clv_mean,
    likely_churned_share,
    send_conversion_rate,
    session_conversion_rate,
    email_click_through_rate,
    net_promoter_score,
    is_suppressed,
    as_of_date
from marts.fct_segment_kpis
where segmentation = $segmentation
order by segment_id
"""

OVERVIEW_COLUMNS = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("customer_count", "Customers", format_count),
    Column("customer_share", "Share of customers", format_share),
    Column("revenue", "Revenue", format_money),
    Column("revenue_share", "Share of revenue", format_share),
    Column("average_order_value", "Average order value", format_money),
    Column("predicted_clv_mean", "Predicted CLV (mean)", format_money),
    Column("likely_churned_share", "Churn risk", format_share),
    Column("send_conversion_rate", "Conversion (sends)", format_share),
    Column("session_conversion_rate", "Conversion (visits)", format_share),
    Column("email_click_through_rate", "Click-through (email)", format_share),
    Column("net_promoter_score", "NPS", lambda value: format_decimal(value, 0)),
]


def segment_overview(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """One row per segment of the segmentation: fct_segment_kpis, suppressed rows included."""
    return connection.execute(OVERVIEW_SQL, {"segmentation": segmentation}).df()


@dataclass(frozen=True)
class Totals:
    customers: int
    revenue: float


def segmentation_totals(connection: duckdb.DuckDBPyConnection, segmentation: str) -> Totals:
    """Customers and revenue over every member of the segmentation, suppressed segments
    included (as `make demo`'s summary counts them)."""
    customers, revenue = segment_totals(connection).get(segmentation, (0, 0.0))
    return Totals(customers, revenue)


def lifetime_value_horizon(connection: duckdb.DuckDBPyConnection) -> int | None:
    months = scalar(
        connection, "select max(horizon_months) from marts.fct_customer_lifetime_values"
    )
    return None if months is None else int(months)  # type: ignore[call-overload]


# Segment profile


PROFILES_SQL = """
select
    segment_id,
    segment_name,
    feature_name,
    feature_position,
    feature_transform,
    centroid_value,
    centroid_standardized,
    as_of_date,
    _model_version
from marts.dim_segment_profiles
order by segment_id, feature_position
"""

DEFINITIONS_SQL = """
select segment_id, segment_name, segment_description, recommended_action
from marts.dim_segments
where segmentation = $segmentation and is_current
order by segment_id
"""

PROFILE_COLUMNS = [
    Column("feature_name", "Feature", str, is_metric=False),
    Column("feature_transform", "Transform", str, is_metric=False),
    Column("centroid_value", "Segment centre (original units)", format_decimal),
    Column("centroid_standardized", "Standard deviations from the average", format_decimal),
]


def format_text(value: object) -> str:
    return MISSING if is_missing(value) else str(value)


DEFINITION_COLUMNS = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("segment_description", "Description", format_text, is_metric=False),
    Column("recommended_action", "Recommended action", format_text, is_metric=False),
]


def segment_profiles(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per current k-means segment per clustering feature (dim_segment_profiles)."""
    return connection.execute(PROFILES_SQL).df()


def segment_definitions(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """Name, description and recommended action of each current segment (dim_segments)."""
    return connection.execute(DEFINITIONS_SQL, {"segmentation": segmentation}).df()


def distinctive_features(profile: pd.DataFrame, count: int = 3) -> list[str]:
    """The features furthest from the average for one segment's profile rows, as sentences:
    'monetary_value: 1.8 standard deviations above average'."""
    ranked = profile.assign(
        distance=profile["centroid_standardized"].astype(float).abs()
    ).sort_values(["distance", "feature_position"], ascending=[False, True])
    sentences = []
    for row in ranked.head(count).itertuples():
        value = float(row.centroid_standardized)
        side = "above" if value >= 0 else "below"
        sentences.append(f"{row.feature_name}: {abs(value):.1f} standard deviations {side} average")
    return sentences


# Movement


SIZES_SQL = """
with
dates as (
    select from_as_of_date as as_of_date
    from marts.fct_segment_transitions
    where segmentation = $segmentation
    union
    select to_as_of_date
    from marts.fct_segment_transitions
    where segmentation = $segmentation
    union
    select valid_from
    from marts.fct_customer_segment_history
    where segmentation = $segmentation
)

select
    dates.as_of_date,
    history.segment_id,
    max(history.segment_name) as segment_name,
    count(*) as customer_count
from dates
inner join marts.fct_customer_segment_history as history
    on
        history.segmentation = $segmentation
        and history.valid_from <= dates.as_of_date
        and (history.valid_to > dates.as_of_date or history.valid_to is null)
group by all
order by 1, 2
"""

TRANSITIONS_SQL = """
select
    from_as_of_date,
    to_as_of_date,
    from_segment_id,
    from_segment_name,
    to_segment_id,
    to_segment_name,
    transition_type,
    customer_count
from marts.fct_segment_transitions
where segmentation = $segmentation
order by from_as_of_date, from_segment_id nulls first, to_segment_id nulls last
"""

TRANSITION_TYPES = ("stayed", "moved", "entered", "exited")


def segment_sizes(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """One row per as-of date per segment: its members on that date, from the intervals of
    fct_customer_segment_history (valid_from <= date < valid_to)."""
    return connection.execute(SIZES_SQL, {"segmentation": segmentation}).df()


def sizes_by_date(sizes: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """Segments as rows, as-of dates as columns, counts as strings; a count below the
    small-group size is shown as suppressed."""
    if sizes.empty:
        return pd.DataFrame(columns=["Segment"], dtype=object)
    shown = sizes.assign(
        shown=[
            SUPPRESSED if hide else format_count(count)
            for count, hide in zip(
                sizes["customer_count"],
                suppress_below(sizes["customer_count"], min_group_size),
                strict=True,
            )
        ],
        date=sizes["as_of_date"].map(format_date),
        segment=sizes["segment_id"].astype(str) + " " + sizes["segment_name"],
    )
    table = shown.pivot(index="segment", columns="date", values="shown").fillna(MISSING)
    table = table.reindex(sorted(table.index, key=lambda name: int(name.split(" ", 1)[0])))
    table.columns.name = None
    return table.rename_axis("Segment").reset_index().astype(object)


def segment_transitions(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """Every row of fct_segment_transitions for the segmentation."""
    return connection.execute(TRANSITIONS_SQL, {"segmentation": segmentation}).df()


def date_pairs(transitions: pd.DataFrame) -> list[tuple[date, date]]:
    """The consecutive as-of date pairs, latest first."""
    pairs = transitions[["from_as_of_date", "to_as_of_date"]].drop_duplicates()
    return sorted(
        (
            (pd.Timestamp(a).date(), pd.Timestamp(b).date())
            for a, b in pairs.itertuples(index=False)
        ),
        reverse=True,
    )


def transitions_between(transitions: pd.DataFrame, pair: tuple[date, date]) -> pd.DataFrame:
    from_dates = pd.to_datetime(transitions["from_as_of_date"]).dt.date
    return transitions[from_dates == pair[0]].reset_index(drop=True)


def transition_totals(transitions: pd.DataFrame) -> dict[str, int]:
    """Customers who stayed, moved, entered and exited between the two dates."""
    totals = transitions.groupby("transition_type")["customer_count"].sum()
    return {kind: int(totals.get(kind, 0)) for kind in TRANSITION_TYPES}


@dataclass(frozen=True)
class SankeyFlows:
    labels: list[str]
    sources: list[int]
    targets: list[int]
    values: list[int]
    hidden_flows: int
    hidden_customers: int


ENTERED_LABEL = "Entered (new or returning)"
EXITED_LABEL = "Exited (no longer a member)"


def sankey_flows(transitions: pd.DataFrame, min_group_size: int) -> SankeyFlows:
    """Nodes and links of a Sankey from one date's segments (and 'entered') to the next
    date's (and 'exited'); flows below the small-group size are left out and counted."""
    labels: list[str] = []
    index: dict[tuple[str, object], int] = {}

    def node(side: str, segment_id: object, name: str) -> int:
        key = (side, segment_id)
        if key not in index:
            index[key] = len(labels)
            labels.append(name)
        return index[key]

    ordered = transitions.sort_values(
        ["from_segment_id", "to_segment_id"], na_position="last"
    ).itertuples()
    sources, targets, values = [], [], []
    hidden_flows = hidden_customers = 0
    for row in ordered:
        count = int(row.customer_count)
        if count < min_group_size:
            hidden_flows += 1
            hidden_customers += count
            continue
        if is_missing(row.from_segment_id):
            source = node("from", None, ENTERED_LABEL)
        else:
            source = node("from", int(row.from_segment_id), str(row.from_segment_name))
        if is_missing(row.to_segment_id):
            target = node("to", None, EXITED_LABEL)
        else:
            target = node("to", int(row.to_segment_id), str(row.to_segment_name))
        sources.append(source)
        targets.append(target)
        values.append(count)
    return SankeyFlows(labels, sources, targets, values, hidden_flows, hidden_customers)


# Value


LIFETIME_VALUES_SQL = """
with
memberships as (
    select
        customer_id,
        case when $segmentation = 'kmeans' then segment_id else rfm_segment_id end
            as segment_id
    from marts.dim_customer_segments
),

kpis as (
    select segment_id, segment_name, is_suppressed
    from marts.fct_segment_kpis
    where segmentation = $segmentation
)

select
    memberships.segment_id,
    kpis.segment_name,
    kpis.is_suppressed,
    lifetime_values.predicted_clv,
    lifetime_values.probability_alive
from marts.fct_customer_lifetime_values as lifetime_values
inner join memberships using (customer_id)
inner join kpis using (segment_id)
where lifetime_values.predicted_clv is not null
order by memberships.segment_id
"""

RETENTION_SQL = """
select
    segment_id,
    segment_name,
    acquisition_month,
    months_since_acquisition,
    cohort_customer_count,
    active_customer_count,
    retention_rate,
    is_suppressed
from marts.fct_segment_cohort_retention
where segmentation = $segmentation
order by segment_id, acquisition_month, months_since_acquisition
"""

VALUE_COLUMNS = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("customers", "Customers with a prediction", format_count),
    Column("predicted_clv_mean", "Predicted CLV (mean)", format_money),
    Column("predicted_clv_median", "Predicted CLV (median)", format_money),
    Column("probability_alive_mean", "P(alive) (mean)", format_share),
]


def lifetime_values(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """One row per customer with a CLV prediction: their segment (and whether its KPIs are
    suppressed), predicted CLV and probability of being alive."""
    return connection.execute(LIFETIME_VALUES_SQL, {"segmentation": segmentation}).df()


def lifetime_value_summary(values: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers with a prediction, mean and median predicted CLV, mean P(alive);
    suppressed segments keep their row (flagged) so that a page can say so."""
    if values.empty:
        return pd.DataFrame(
            columns=["segment_id", "segment_name", "is_suppressed", *VALUE_SUMMARY_METRICS]
        )
    frame = values.assign(
        predicted_clv=values["predicted_clv"].astype(float),
        probability_alive=values["probability_alive"].astype(float),
    )
    summary = frame.groupby(["segment_id", "segment_name", "is_suppressed"], as_index=False).agg(
        customers=("predicted_clv", "size"),
        predicted_clv_mean=("predicted_clv", "mean"),
        predicted_clv_median=("predicted_clv", "median"),
        probability_alive_mean=("probability_alive", "mean"),
    )
    return summary.sort_values("segment_id").reset_index(drop=True)


def distribution(values: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per segment not suppressed, the 5th, 25th, 50th, 75th and 95th percentiles of a
    per-customer metric: a box plot drawn from these sends no customer's value to the page."""
    shown = values[~values["is_suppressed"].astype(bool)]
    quantiles = (
        shown.assign(value=shown[metric].astype(float))
        .groupby(["segment_id", "segment_name"])["value"]
        .quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        .unstack()
    )
    quantiles.columns = ["p05", "q1", "median", "q3", "p95"]
    return quantiles.reset_index()


VALUE_SUMMARY_METRICS = [
    "customers",
    "predicted_clv_mean",
    "predicted_clv_median",
    "probability_alive_mean",
]


def cohort_retention(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """Every row of fct_segment_cohort_retention for the segmentation."""
    return connection.execute(RETENTION_SQL, {"segmentation": segmentation}).df()


def retention_curves(retention: pd.DataFrame) -> pd.DataFrame:
    """Per segment and month since acquisition, the active share of its cohorts pooled:
    active customers / cohort customers over the cohorts that are not suppressed and have
    reached that month."""
    shown = retention[~retention["is_suppressed"].fillna(False).astype(bool)]
    curves = shown.groupby(
        ["segment_id", "segment_name", "months_since_acquisition"], as_index=False
    ).agg(
        cohort_customers=("cohort_customer_count", "sum"),
        active_customers=("active_customer_count", "sum"),
        cohorts=("acquisition_month", "nunique"),
    )
    curves["retention_rate"] = curves["active_customers"] / curves["cohort_customers"].replace(
        0, np.nan
    )
    return curves.sort_values(["segment_id", "months_since_acquisition"]).reset_index(drop=True)


# Campaigns


CAMPAIGNS_SQL = """
select
    campaign_id,
    campaign_name,
    channel,
    segment_id,
    segment_name,
    send_count,
    open_rate,
    click_through_rate,
    conversion_count,
    conversion_count / nullif(send_count, 0) as conversion_rate,
    attributed_revenue,
    allocated_cost,
    roi,
    roas,
    is_suppressed
from marts.fct_campaign_segment_performance
where segmentation = $segmentation
order by campaign_id, segment_id
"""

CAMPAIGN_COLUMNS = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("send_count", "Sends", format_count),
    Column("open_rate", "Open rate", format_share),
    Column("click_through_rate", "Click-through", format_share),
    Column("conversion_count", "Orders attributed", format_count),
    Column("conversion_rate", "Conversion (orders per send)", format_share),
    Column("attributed_revenue", "Revenue attributed", format_money),
    Column("allocated_cost", "Cost", format_money),
    Column("roi", "ROI", format_share),
    Column("roas", "ROAS", lambda value: MISSING if is_missing(value) else f"{value:.2f}x"),
]


def campaign_performance(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """One row per campaign per segment it sent to (fct_campaign_segment_performance), with
    conversion = attributed orders per send."""
    return connection.execute(CAMPAIGNS_SQL, {"segmentation": segmentation}).df()


def campaign_choices(performance: pd.DataFrame) -> list[tuple[int, str]]:
    """(campaign_id, 'name (#id, channel)') of each campaign (names need not be unique), the
    one attributing the most revenue first, then by id."""
    per_campaign = (
        performance.assign(revenue=performance["attributed_revenue"].astype(float).fillna(0))
        .groupby(["campaign_id", "campaign_name", "channel"], as_index=False)["revenue"]
        .sum()
        .sort_values(["revenue", "campaign_id"], ascending=[False, True])
    )
    return [
        (int(row.campaign_id), f"{row.campaign_name} (#{row.campaign_id}, {row.channel})")
        for row in per_campaign.itertuples()
    ]


# Cross-sell

AFFINITY_COLUMNS = [
    Column("affinity_rank", "Rank", format_count),
    Column("category", "Category", str, is_metric=False),
    Column("buyer_count", "Buyers", format_count),
    Column("buyer_share", "Share of the segment buying", format_share),
    Column("category_revenue_share", "Share of the segment's revenue", format_share),
    Column("base_category_revenue_share", "Share of all customers' revenue", format_share),
    Column("lift", "Lift", format_decimal),
]
AFFINITY_SQL = """
select
    affinity_rank,
    category,
    buyer_count,
    buyer_share,
    category_revenue_share,
    base_category_revenue_share,
    lift,
    is_suppressed
from marts.fct_segment_category_affinity
where segmentation = $segmentation and segment_id = $segment_id
order by affinity_rank nulls last, lift desc nulls last, category
"""


def category_affinity(
    connection: duckdb.DuckDBPyConnection, segmentation: str, segment_id: int
) -> pd.DataFrame:
    """One segment's product categories (fct_segment_category_affinity), the ranked ones to
    cross-sell first: lift is the category's share of the segment's revenue over its share of
    everyone's."""
    return connection.execute(
        AFFINITY_SQL, {"segmentation": segmentation, "segment_id": int(segment_id)}
    ).df()


# Experiments

# The columns the experiments page reads and shows, in two tables (conversion, revenue). Another
# statistic of the mart (an adjusted p-value, say) is one more entry in a list.
EXPERIMENT_KEYS = ["experiment_name", "segment_id", "segment_name", "variant"]
_EXPERIMENT_ROW = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("variant", "Variant", str, is_metric=False),
]
EXPERIMENT_CONVERSION_COLUMNS = [
    *_EXPERIMENT_ROW,
    Column("customer_count", "Customers", format_count),
    Column("conversion_rate", "Conversion", format_share),
    Column("conversion_lift_absolute", "Lift", format_points),
    Column("conversion_lift_ci_lower", "95% CI from", format_points),
    Column("conversion_lift_ci_upper", "95% CI to", format_points),
    Column("conversion_p_value", "p-value", format_p_value),
    Column("conversion_p_value_adjusted", "Adjusted p (BH)", format_p_value),
    Column("is_sample_too_small", "Sample too small", format_flag),
]
EXPERIMENT_REVENUE_COLUMNS = [
    *_EXPERIMENT_ROW,
    Column("revenue_per_customer", "Revenue per customer", format_money),
    Column("revenue_lift_absolute", "Lift", format_money),
    Column("revenue_lift_ci_lower", "95% CI from", format_money),
    Column("revenue_lift_ci_upper", "95% CI to", format_money),
    Column("revenue_p_value", "p-value", format_p_value),
    Column("revenue_p_value_adjusted", "Adjusted p (BH)", format_p_value),
]
EXPERIMENTS_SQL = """
select {columns}, is_suppressed
from marts.fct_experiment_segment_results
where segmentation = $segmentation
order by experiment_name, segment_id, variant <> 'control', variant
"""


def experiment_results(connection: duckdb.DuckDBPyConnection, segmentation: str) -> pd.DataFrame:
    """One row per experiment per segment per variant (fct_experiment_segment_results), the
    columns of both experiment tables."""
    shown = EXPERIMENT_CONVERSION_COLUMNS + EXPERIMENT_REVENUE_COLUMNS
    names = dict.fromkeys(EXPERIMENT_KEYS + [column.source for column in shown])
    sql = EXPERIMENTS_SQL.format(columns=", ".join(names))
    return connection.execute(sql, {"segmentation": segmentation}).df()


def format_metric_lift(metric: str) -> Formatter:
    """A pooled lift of `metric`: percentage points for conversion, money for revenue."""
    return format_points if metric == "conversion" else format_money


HETEROGENEITY_SQL = """
select
    variant,
    metric,
    used_segment_count,
    suppressed_segment_count + undefined_segment_count as left_out_segment_count,
    pooled_lift_absolute,
    pooled_lift_standard_error,
    cochran_q,
    degrees_of_freedom,
    p_value,
    i_squared
from marts.fct_experiment_heterogeneity
where segmentation = $segmentation and experiment_name = $experiment
order by variant, metric
"""


def experiment_heterogeneity(
    connection: duckdb.DuckDBPyConnection, segmentation: str, experiment: str
) -> pd.DataFrame:
    """Does the effect differ between segments? One row per variant and metric of one
    experiment (fct_experiment_heterogeneity), formatted for display: the pooled lift,
    Cochran's Q with its p-value, and I² (the share of the lifts' spread beyond chance)."""
    frame = connection.execute(
        HETEROGENEITY_SQL, {"segmentation": segmentation, "experiment": experiment}
    ).df()
    return pd.DataFrame(
        {
            "Variant": frame["variant"].astype(str),
            "Metric": frame["metric"].astype(str),
            "Segments used": [format_count(value) for value in frame["used_segment_count"]],
            "Left out": [format_count(value) for value in frame["left_out_segment_count"]],
            "Pooled lift": [
                format_metric_lift(metric)(value)
                for metric, value in zip(
                    frame["metric"], frame["pooled_lift_absolute"], strict=True
                )
            ],
            "Cochran's Q": [format_decimal(value) for value in frame["cochran_q"]],
            "df": [format_count(value) for value in frame["degrees_of_freedom"]],
            "p-value": [format_p_value(value) for value in frame["p_value"]],
            "I²": [format_share(value) for value in frame["i_squared"]],
        },
        dtype=object,
    )


# Data quality


SHARE_DRIFT_SQL = """
select
    segment_id,
    segment_name,
    as_of_date,
    previous_as_of_date,
    customer_count,
    previous_customer_count,
    customer_share,
    previous_customer_share,
    customer_share_change,
    is_drifted
from marts.fct_segment_share_drift
where
    segmentation = $segmentation
    and as_of_date = (select max(as_of_date) from marts.fct_segment_share_drift)
order by segment_id
"""

FEATURE_DRIFT_SQL = """
select
    feature_name,
    as_of_date,
    model_as_of_date,
    population_stability_index,
    max_population_stability_index,
    is_drifted
from marts.fct_segment_feature_drift
where as_of_date = (select max(as_of_date) from marts.fct_segment_feature_drift)
order by population_stability_index desc, feature_name
"""

SHARE_DRIFT_COLUMNS = [
    Column("segment_id", "Id", str, is_metric=False),
    Column("segment_name", "Segment", str, is_metric=False),
    Column("previous_customer_share", "Share before", format_share),
    Column("customer_share", "Share now", format_share),
    Column("customer_share_change", "Change", format_points),
    Column("is_drifted", "Drifted", format_flag),
]

FEATURE_DRIFT_COLUMNS = [
    Column("feature_name", "Feature", str, is_metric=False),
    Column("population_stability_index", "PSI", lambda value: format_decimal(value, 3)),
    Column("max_population_stability_index", "Threshold", lambda value: format_decimal(value, 2)),
    Column("is_drifted", "Drifted", format_flag),
]

QUARANTINE_COLUMNS = [
    Column("source_table", "Table", str, is_metric=False),
    Column("raw_rows", "Raw rows", format_count),
    Column("quarantined_rows", "Quarantined", format_count),
    Column("quarantined_share", "Share", format_share),
    Column("quarantined_amount", "Amount", format_money),
    Column("reasons_text", "Reasons", str),
]


def quarantine_summary(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per raw table: raw rows, rows quarantined, their share and amount, and the reasons
    with their counts (the query behind `make demo`'s summary)."""
    tables = connection.sql(QUARANTINE_SQL).df()
    tables["quarantined_share"] = tables["quarantined_rows"] / tables["raw_rows"]
    tables["reasons_text"] = tables["reasons"].map(format_reasons)
    return tables


def format_reasons(reasons: object) -> str:
    """'null_key 176, duplicate_key 161'; MISSING for none."""
    if not isinstance(reasons, list | np.ndarray) or not len(reasons):
        return MISSING
    return ", ".join(f"{reason['reason']} {reason['row_count']:,}" for reason in reasons)


def share_drift(
    connection: duckdb.DuckDBPyConnection, segmentation: str, min_group_size: int
) -> pd.DataFrame:
    """Each segment's share at the latest as-of date against the previous one
    (fct_segment_share_drift); `is_suppressed` where either count is below the small-group
    size, since the mart itself is not suppressed."""
    drift = connection.execute(SHARE_DRIFT_SQL, {"segmentation": segmentation}).df()
    drift["is_suppressed"] = suppress_below(
        drift["customer_count"].fillna(min_group_size), min_group_size
    ) | suppress_below(drift["previous_customer_count"].fillna(min_group_size), min_group_size)
    return drift


def feature_drift(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each clustering feature's PSI at the latest scored as-of date (fct_segment_feature_drift)."""
    return connection.execute(FEATURE_DRIFT_SQL).df()


# Read by the entry point for every page (min_group_size).
APP_MARTS = ["dim_build_settings"]
# The marts each page reads; the dbt exposure `segment_dashboard` lists them all (and APP_MARTS).
PAGE_MARTS: dict[str, list[str]] = {
    "overview": ["fct_segment_kpis", "dim_customer_segments", "fct_customer_behavioural_features"],
    "profile": ["dim_segment_profiles", "dim_segments", "fct_segment_category_affinity"],
    "movement": ["fct_customer_segment_history", "fct_segment_transitions"],
    "value": [
        "fct_customer_lifetime_values",
        "dim_customer_segments",
        "fct_segment_kpis",
        "fct_segment_cohort_retention",
    ],
    "campaigns": ["fct_campaign_segment_performance"],
    "experiments": ["fct_experiment_segment_results", "fct_experiment_heterogeneity"],
    "quality": ["fct_quarantine_summary", "fct_segment_share_drift", "fct_segment_feature_drift"],
}
