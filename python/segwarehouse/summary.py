"""Print the segment summary that `make demo` ends with.

Usage: python -m segwarehouse.summary --database data/demo/published.duckdb
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SUMMARY_SQL = """
select
    segmentation,
    segment_id,
    segment_name,
    customer_count,
    customer_share,
    revenue,
    revenue_share,
    average_order_value,
    is_suppressed,
    as_of_date
from marts.fct_segment_kpis
order by segmentation, segment_id
"""
# Totals over every member, suppressed segments included (they add up to the whole).
TOTALS_SQL = """
select
    segmentation,
    count(*) as customer_count,
    coalesce(sum(features.monetary_value), 0) as revenue
from (
    select customer_id, 'kmeans' as segmentation
    from marts.dim_customer_segments
    where segment_id is not null
    union all
    select customer_id, 'rfm' as segmentation
    from marts.dim_customer_segments
) as memberships
inner join marts.fct_customer_behavioural_features as features using (customer_id)
group by all
"""
# Why there are no k-means segments, when the latest training run could not fit a model.
UNFITTED_SQL = """
select fit_message
from marts.fct_segment_model_runs
order by _trained_at desc
limit 1
"""
SEGMENTATION_TITLES = {"kmeans": "Segments (k-means)", "rfm": "RFM segments"}
LIFETIME_VALUES_SQL = """
select
    count(predicted_clv) as predicted_customers,
    sum(predicted_clv) as predicted_clv,
    max(horizon_months) as horizon_months,
    max(model_fit_message) as model_fit_message
from marts.fct_customer_lifetime_values
"""
# Per raw table that has rows: how many were quarantined, their amount and the reasons.
QUARANTINE_SQL = """
select
    source_table,
    max(raw_row_count) as raw_rows,
    cast(
        coalesce(sum(row_count) filter (where row_outcome = 'identical_copy'), 0) as bigint
    ) as identical_copies,
    cast(coalesce(sum(row_count) filter (where is_quarantined), 0) as bigint) as quarantined_rows,
    sum(amount) filter (where is_quarantined) as quarantined_amount,
    list(struct_pack(reason := row_outcome, row_count := row_count) order by row_count desc)
        filter (where is_quarantined) as reasons
from marts.fct_quarantine_summary
group by source_table
having max(raw_row_count) > 0
order by quarantined_rows desc, source_table
"""


def segment_summary(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.sql(SUMMARY_SQL).df()


def segment_totals(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, float]]:
    """Per segmentation, (customers, revenue) over all its members."""
    return {
        str(segmentation): (int(customers), float(revenue))
        for segmentation, customers, revenue in connection.execute(TOTALS_SQL).fetchall()
    }


def unfitted_reason(connection: duckdb.DuckDBPyConnection) -> str | None:
    rows = connection.execute(UNFITTED_SQL).fetchall()
    return rows[0][0] if rows else None


def _money(value: object) -> str:
    """Two decimals with thousands separators; a dash when undefined (no orders)."""
    return "-" if pd.isna(value) else f"{float(value):,.2f}"  # type: ignore[arg-type]


def _share(value: object) -> str:
    """A percentage; a dash when undefined (no revenue at all)."""
    return "-" if pd.isna(value) else f"{float(value):.1%}"  # type: ignore[arg-type]


def format_lifetime_values(
    predicted_customers: int,
    predicted_clv: object,
    horizon_months: object,
    model_fit_message: str | None,
) -> str:
    """One line on the customer lifetime value predictions, or why there are none."""
    if not predicted_customers:
        return f"Customer lifetime value: not predicted: {model_fit_message or 'no prediction'}"
    line = (
        f"Customer lifetime value over the next {horizon_months} months: "
        f"{_money(predicted_clv)} from {predicted_customers:,} customers with a prediction"
    )
    return f"{line} ({model_fit_message})" if model_fit_message else line


def _reasons(reasons: object) -> str:
    """'null_key 176, duplicate_key 161' from [{reason, row_count}, ...]; '-' for none."""
    if not isinstance(reasons, list | np.ndarray) or not len(reasons):
        return "-"
    return ", ".join(f"{r['reason']} {r['row_count']:,}" for r in reasons)


def format_quarantine(tables: pd.DataFrame, warn_share: float | None = None) -> str:
    """Per raw table, rows quarantined and why (the rows behind marts.fct_quarantine_summary);
    with a column of identical rows counted once when a mapping's distinct: true merged any."""
    width = max([len("table"), *tables["source_table"].map(len)])
    copies = "identical_copies" in tables and bool(tables["identical_copies"].sum())
    header = (
        f"{'table':<{width}}  {'raw rows':>10}  "
        + (f"{'copies':>8}  " if copies else "")
        + f"{'quarantined':>11}  {'share':>6}  {'amount':>12}  reasons"
    )
    lines = ["Raw rows quarantined (marts.fct_quarantine_summary)", header, "-" * len(header)]
    for row in tables.itertuples():
        share = row.quarantined_rows / row.raw_rows
        lines.append(
            f"{row.source_table:<{width}}  {row.raw_rows:>10,}  "
            + (f"{row.identical_copies:>8,}  " if copies else "")
            + f"{row.quarantined_rows:>11,}  {share:>6.1%}  "
            f"{_money(row.quarantined_amount):>12}  {_reasons(row.reasons)}"
        )
    if copies:
        lines.append("copies: identical rows that the mapping's distinct: true counted once")
    shares = tables["quarantined_rows"] / tables["raw_rows"]
    above = tables["source_table"][shares > warn_share] if warn_share is not None else []
    if len(above):
        lines.append(
            f"warning: above quarantine_warn_share ({warn_share:.0%}): {', '.join(above)}; "
            "the rows and their reasons are in staging.stg_mapped__quarantined_rows"
        )
    return "\n".join(lines)


def format_summary(
    summary: pd.DataFrame,
    totals: dict[str, tuple[int, float]] | None = None,
    unfitted: str | None = None,
) -> str:
    """Per segmentation, a fixed-width table: id, name, size, share, revenue, its share, AOV.

    A suppressed segment (too few customers to publish) shows no figures; `totals` give each
    segmentation's totals over all members, and `unfitted` why there are no k-means segments.
    """
    as_of = pd.Timestamp(summary["as_of_date"].iloc[0]).date() if len(summary) else "n/a"
    width = max([len("segment"), *summary["segment_name"].map(len)])
    header = (
        f"{'id':>3}  {'segment':<{width}}  {'customers':>9}  {'share':>6}  {'revenue':>14}  "
        f"{'rev. share':>10}  {'avg order':>9}"
    )
    lines = []
    if unfitted and "kmeans" not in set(summary["segmentation"]):
        lines += [f"No k-means segments as of {as_of}: {unfitted}", ""]
    for segmentation, rows in summary.groupby("segmentation", sort=False):
        title = SEGMENTATION_TITLES.get(str(segmentation), str(segmentation))
        lines += [f"{title} as of {as_of}", header, "-" * len(header)]
        for row in rows.itertuples():
            if row.is_suppressed:
                lines.append(
                    f"{row.segment_id:>3}  {row.segment_name:<{width}}  "
                    "suppressed: too few customers to publish"
                )
                continue
            lines.append(
                f"{row.segment_id:>3}  {row.segment_name:<{width}}  {row.customer_count:>9,}  "
                f"{row.customer_share:>6.1%}  {float(row.revenue):>14,.2f}  "
                f"{_share(row.revenue_share):>10}  {_money(row.average_order_value):>9}"
            )
        total_customers, total_revenue = (totals or {}).get(
            str(segmentation),
            (int(rows["customer_count"].sum()), float(rows["revenue"].astype(float).sum())),
        )
        lines.append("-" * len(header))
        lines.append(
            f"{'':>3}  {'total':<{width}}  {total_customers:>9,}  {1:>6.1%}  "
            f"{total_revenue:>14,.2f}"
        )
        lines.append("")
    return "\n".join(lines).rstrip()


def print_summary(connection: duckdb.DuckDBPyConnection, warn_share: float | None = None) -> None:
    print(
        format_summary(
            segment_summary(connection), segment_totals(connection), unfitted_reason(connection)
        )
    )
    print()
    print(format_lifetime_values(*connection.execute(LIFETIME_VALUES_SQL).fetchall()[0]))
    print()
    print(format_quarantine(connection.sql(QUARANTINE_SQL).df(), warn_share))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print each segment's size, share and revenue.")
    parser.add_argument("--database", type=Path, required=True, help="the warehouse DuckDB file")
    args = parser.parse_args(argv)
    if not args.database.exists():
        raise SystemExit(f"no warehouse at {args.database}: run `make demo` first")
    with duckdb.connect(str(args.database), read_only=True) as connection:
        print_summary(connection)


if __name__ == "__main__":
    main()
