"""The quarantine's cost in money and customers is checked, not only its share of rows.

A few rows can carry much of the revenue: orders dated after the extract date are a small
share of the rows (below the row thresholds) but a large share of the money, and the build
must stop, naming the reason; a smaller loss warns. Customers lost (quarantined customer
rows) are held to the same thresholds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .test_byod import Build, assert_built, build

MAPPING = """
name: losses
settings:
  quarantine_earliest_date: "2023-01-01"
  quarantine_extract_date: "2025-06-30"
{settings}
orders:
  path: orders.csv
  columns: {{order_id: order_id, customer_id: customer_id, ordered_at: ordered_at, amount: amount}}
customers:
  path: customers.csv
  columns: {{customer_id: customer_id, signup_date: signup_date}}
segments:
  n_clusters: 3
"""


def write_source(folder: Path, future_share_of_revenue: float, bad_customers: int) -> None:
    """300 customers and 3,000 orders; 1% of the orders (the future-dated ones) carry
    `future_share_of_revenue` of the money; `bad_customers` customer rows have an
    unparseable signup date."""
    rng = np.random.default_rng(5)
    n = 3000
    orders = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1),
            "customer_id": rng.integers(1, 301, n),
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 540, n), unit="D"),
            "amount": rng.gamma(2.0, 25.0, n).round(2),
        }
    )
    future = orders.sample(frac=0.01, random_state=1).index
    orders.loc[future, "ordered_at"] = pd.Timestamp("2025-09-01")
    kept_revenue = orders.loc[~orders.index.isin(future), "amount"].sum()
    future_revenue = kept_revenue * future_share_of_revenue / (1 - future_share_of_revenue)
    orders.loc[future, "amount"] = round(future_revenue / len(future), 2)
    orders["ordered_at"] = orders["ordered_at"].dt.strftime("%Y-%m-%d")
    customers = pd.DataFrame({"customer_id": np.arange(1, 301), "signup_date": "2023-06-01"})
    customers.loc[: bad_customers - 1, "signup_date"] = "2023-02-30"
    folder.mkdir(parents=True, exist_ok=True)
    orders.to_csv(folder / "orders.csv", index=False)
    customers.to_csv(folder / "customers.csv", index=False)


def build_losses(
    folder: Path, future_share: float, bad_customers: int = 0, settings: str = ""
) -> Build:
    write_source(folder, future_share, bad_customers)
    return build(folder, MAPPING.format(settings=settings))


def test_a_build_losing_much_revenue_in_few_rows_stops_naming_the_reason(tmp_path):
    result = build_losses(tmp_path, future_share=0.08)
    assert result.result.returncode != 0, result.output[-3000:]
    assert "The quarantine left out 8.0% of the raw revenue of source losses" in result.output
    assert "order_lines orphan_reference" in result.output or "future_date" in result.output
    assert "above quarantine_max_loss_share 0.05" in result.output
    # The marts are not built when the build stops here: the message lists the quarantined
    # rows by table and reason, and names the staging relation and file that hold them.
    listed = result.output[result.output.index("Rows quarantined, by table and reason:") :]
    assert "orders future_date 30" in listed.splitlines()[0]
    assert (
        "select source_table, quarantine_reason, quarantine_detail, raw_row from "
        f"staging.stg_mapped__quarantined_rows in {tmp_path}/warehouse/warehouse.duckdb"
    ) in result.output


def test_a_smaller_revenue_loss_warns_and_the_summary_shows_the_money(tmp_path):
    result = build_losses(tmp_path, future_share=0.02)
    assert_built(result)
    assert "The quarantine left out 2.0% of the raw revenue" in result.output
    assert "above quarantine_warn_loss_share 0.01" in result.output
    lost, share = result.query(
        "select sum(revenue_amount), sum(share_of_raw_revenue) from marts.fct_quarantine_summary"
        " where is_quarantined and revenue_amount is not null"
    )[0]
    assert float(share) == pytest.approx(0.02, abs=0.001)
    assert lost > 0


def test_the_loss_threshold_is_a_setting(tmp_path):
    result = build_losses(tmp_path, future_share=0.08, settings="  quarantine_max_loss_share: 0.1")
    assert_built(result)
    assert "The quarantine left out 8.0% of the raw revenue" in result.output


def test_losing_customers_stops_the_build(tmp_path):
    result = build_losses(tmp_path, future_share=0.0, bad_customers=24)
    assert result.result.returncode != 0, result.output[-3000:]
    assert "The quarantine left out 8.0% of the raw customers of source losses (24 of 300)" in (
        result.output
    )


CUSTOMERS_MAPPING = """
name: crm_copies
settings:
  quarantine_earliest_date: "2023-01-01"
  quarantine_extract_date: "2025-06-30"
orders:
  path: orders.csv
  columns: {order_id: order_id, customer_id: customer_id, ordered_at: ordered_at, amount: amount}
customers:
  path: customers.csv
  columns: {customer_id: customer_id, country: country, city: city}
segments:
  n_clusters: 3
"""


def test_customers_repeated_with_other_case_or_spaces_are_one_customer(tmp_path):
    """10% of the customers exported twice, the copy in other letter case and with spaces
    around its values: one customer each, no revenue lost; a real conflict is still one."""
    write_source(tmp_path, future_share_of_revenue=0.0, bad_customers=0)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, 301),
            "country": np.where(np.arange(300) % 2 == 0, "Germany", "France"),
            "city": np.where(np.arange(300) % 3 == 0, "Köln", "Lyon"),
        }
    )
    copies = customers.iloc[:30].assign(
        country=lambda frame: " " + frame["country"].str.upper() + "  ",
        city=lambda frame: frame["city"].str.lower() + " ",
    )
    conflict = customers.iloc[[299]].assign(country="Spain")  # a real conflict: quarantined
    pd.concat([customers, copies, conflict]).to_csv(tmp_path / "customers.csv", index=False)
    result = build(tmp_path, CUSTOMERS_MAPPING)
    assert_built(result)
    assert result.scalar("select count(*) from marts.dim_customers") == 299
    outcomes = dict(
        result.query(
            "select quarantine_detail, count(*) from staging.stg_mapped__quarantined_rows"
            " where source_table = 'customers' group by 1"
        )
    )
    assert outcomes == {
        "a copy of another row (letter case and surrounding spaces aside)": 30,
        "customer_id repeats with different values": 2,
    }
    kept = dict(result.query("select customer_id, country from marts.dim_customers"))
    # One of the copies is kept, the same in every build (the first in text order), trimmed.
    assert kept[1] in ("Germany", "GERMANY") and kept[2] in ("France", "FRANCE")
    assert kept[299] == "Germany" and kept[298] == "France"
    # Only customer 300's orders are lost with it.
    assert "of the raw customers" not in result.output
