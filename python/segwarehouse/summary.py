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
    segment_id,
    customer_count,
    customer_share,
    revenue,
    revenue_share,
    average_order_value,
    as_of_date
from marts.fct_segment_kpis
order by segment_id
"""


def segment_summary(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return connection.sql(SUMMARY_SQL).df()


def format_summary(summary: pd.DataFrame) -> str:
    """A fixed-width table: id, size, share, revenue, revenue share, average order value."""
    as_of = pd.Timestamp(summary["as_of_date"].iloc[0]).date() if len(summary) else "n/a"
    header = (
        f"{'segment':>7}  {'customers':>9}  {'share':>6}  {'revenue':>14}  "
        f"{'rev. share':>10}  {'avg order':>9}"
    )
    lines = [f"Segments as of {as_of}", header, "-" * len(header)]
    for row in summary.itertuples():
        lines.append(
            f"{row.segment_id:>7}  {row.customer_count:>9,}  {row.customer_share:>6.1%}  "
            f"{float(row.revenue):>14,.2f}  {row.revenue_share:>10.1%}  "
            f"{float(row.average_order_value or 0):>9,.2f}"
        )
    total_customers = int(summary["customer_count"].sum())
    total_revenue = float(summary["revenue"].astype(float).sum())
    lines.append("-" * len(header))
    lines.append(f"{'total':>7}  {total_customers:>9,}  {1:>6.1%}  {total_revenue:>14,.2f}")
    return "\n".join(lines)


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
