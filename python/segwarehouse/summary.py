"""Print the segment summary that `make demo` ends with.

Usage: python -m segwarehouse.summary --database data/demo/warehouse.duckdb
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
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
    as_of_date
from marts.fct_segment_kpis
order by segmentation, segment_id
"""
SEGMENTATION_TITLES = {"kmeans": "Segments (k-means)", "rfm": "RFM segments"}


def segment_summary(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.sql(SUMMARY_SQL).df()


def _money(value: object) -> str:
    """Two decimals with thousands separators; a dash when undefined (no orders)."""
    return "-" if pd.isna(value) else f"{float(value):,.2f}"  # type: ignore[arg-type]


def format_summary(summary: pd.DataFrame) -> str:
    """Per segmentation, a fixed-width table: id, name, size, share, revenue, its share, AOV."""
    as_of = pd.Timestamp(summary["as_of_date"].iloc[0]).date() if len(summary) else "n/a"
    width = max([len("segment"), *summary["segment_name"].map(len)])
    header = (
        f"{'id':>3}  {'segment':<{width}}  {'customers':>9}  {'share':>6}  {'revenue':>14}  "
        f"{'rev. share':>10}  {'avg order':>9}"
    )
    lines = []
    for segmentation, rows in summary.groupby("segmentation", sort=False):
        title = SEGMENTATION_TITLES.get(str(segmentation), str(segmentation))
        lines += [f"{title} as of {as_of}", header, "-" * len(header)]
        for row in rows.itertuples():
            lines.append(
                f"{row.segment_id:>3}  {row.segment_name:<{width}}  {row.customer_count:>9,}  "
                f"{row.customer_share:>6.1%}  {float(row.revenue):>14,.2f}  "
                f"{row.revenue_share:>10.1%}  {_money(row.average_order_value):>9}"
            )
        total_customers = int(rows["customer_count"].sum())
        total_revenue = float(rows["revenue"].astype(float).sum())
        lines.append("-" * len(header))
        lines.append(
            f"{'':>3}  {'total':<{width}}  {total_customers:>9,}  {1:>6.1%}  "
            f"{total_revenue:>14,.2f}"
        )
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print each segment's size, share and revenue.")
    parser.add_argument("--database", type=Path, required=True, help="the warehouse DuckDB file")
    args = parser.parse_args(argv)
    if not args.database.exists():
        raise SystemExit(f"no warehouse at {args.database}: run `make demo` first")
    with duckdb.connect(str(args.database), read_only=True) as connection:
        print(format_summary(segment_summary(connection)))


if __name__ == "__main__":
    main()
