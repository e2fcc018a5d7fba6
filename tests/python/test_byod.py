"""Bring your own data: build the warehouse from mapping files over data written here.

Each scenario writes its files and a mapping file into a temporary folder and runs the
documented command (python -m segwarehouse.sources build, what `make build-source` runs),
then checks the warehouse against the files: the build passes (or stops with the expected
message), every raw row is kept or quarantined, every customer has segments, and nothing of
another source is in the marts. Unit tests are left to the test build (make build-test).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from .conftest import PROJECT_DIR

CDNOW = PROJECT_DIR.parent / "shared" / "datasets" / "cdnow" / "CDNOW_sample.txt"


@dataclass
class Build:
    folder: Path
    warehouse: Path
    result: subprocess.CompletedProcess

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def query(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()

    def scalar(self, sql: str, parameters: list | None = None):
        return self.query(sql, parameters)[0][0]


def build(
    folder: Path,
    mapping_text: str,
    *arguments: str,
    warehouse: Path | None = None,
    dbt_arguments: tuple[str, ...] = (),
) -> Build:
    """Write the mapping file into `folder` and build it as a user would (`arguments` to the
    command, `dbt_arguments` to dbt): every data test, the development checks included, and
    no unit tests (they do not read the data)."""
    mapping = folder / "mapping.yml"
    mapping.write_text(textwrap.dedent(mapping_text))
    warehouse = warehouse or folder / "warehouse" / "warehouse.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "segwarehouse.sources",
            "build",
            str(mapping),
            "--warehouse",
            str(warehouse),
            *arguments,
            "--",
            "--selector",
            "everything",
            "--exclude-resource-type",
            "unit_test",
            *dbt_arguments,
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    return Build(folder, warehouse, result)


def assert_built(build_: Build) -> None:
    stdout = build_.result.stdout
    failures = stdout[stdout.find("Completed with") :] if "Completed with" in stdout else stdout
    assert build_.result.returncode == 0, failures[-6000:] + build_.result.stderr[-2000:]
    assert "ERROR=0" in stdout


def assert_rows_accounted(
    build_: Build, table: str, raw_count: int, model: str | None = None, copies: int = 0
) -> None:
    """The source's raw rows of `table` = kept + quarantined, in staging (the classified
    model `model`, else the table's own), and + `copies` merged by distinct: true in the
    summary."""
    classified, kept = build_.query(
        f"select count(*), count(*) filter (where quarantine_reason is null)"
        f" from staging.stg_mapped__{model or table}_classified where source_table = ?",
        [table],
    )[0]
    quarantined = build_.scalar(
        "select count(*) from staging.stg_mapped__quarantined_rows where source_table = ?",
        [table],
    )
    summary_raw, summary_copies = build_.query(
        "select max(raw_row_count), coalesce(sum(row_count) filter ("
        "where row_outcome = 'identical_copy'), 0) from marts.fct_quarantine_summary"
        " where source_table = ?",
        [table],
    )[0]
    assert classified == raw_count == kept + quarantined == summary_raw - copies, table
    assert summary_copies == copies, table


def offers_by_campaign(build_: Build, segmentation: str) -> dict[str, tuple[int, int]]:
    """Per campaign name, (offers, accepted) summed over one segmentation's cells, before
    the marts suppress small cells."""
    return {
        name: (offers, accepted)
        for name, offers, accepted in build_.query(
            "select campaigns.campaign_name, sum(segments.responded_send_count),"
            " sum(segments.accepted_send_count)"
            " from intermediate.int_campaign_sends_aggregated_to_segments as segments"
            " inner join intermediate.int_campaigns_canonical as campaigns using (campaign_id)"
            " where segmentation = ? group by 1",
            [segmentation],
        )
    }


def assert_every_customer_segmented(build_: Build, customer_count: int, kmeans: bool = True):
    rows = build_.query(
        "select count(*), count(segment_id), count(rfm_segment_id) from marts.dim_customer_segments"
    )[0]
    assert rows == (customer_count, customer_count if kmeans else 0, customer_count)


# --- A: the minimal mapping over a three-column transaction log ---------------------

MINIMAL_MAPPING = """
name: my_shop
orders:
  path: exports/orders.csv
  columns:
    customer_id: CustomerNo
    ordered_at: InvoiceDate
    amount: Total
"""


def three_column_orders() -> pd.DataFrame:
    """500 customers' orders in 2023-2024 (CustomerNo, InvoiceDate, Total), all valid."""
    rng = np.random.default_rng(10)
    rows = []
    for customer in range(1, 501):
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        # Each customer spends around their own mean, as Gamma-Gamma assumes (with one mean
        # for all, its fit has no optimum to converge to).
        scale = rng.gamma(3, 10)
        for _ in range(int(rng.geometric(0.3))):
            at = start + pd.Timedelta(hours=int(rng.integers(0, 24 * 400)))
            rows.append(
                (f"C-{customer:05d}", at.strftime("%Y-%m-%d %H:%M:%S"), rng.gamma(6, scale))
            )
    return pd.DataFrame(rows, columns=["CustomerNo", "InvoiceDate", "Total"]).round({"Total": 2})


@pytest.fixture(scope="module")
def three_column_log(tmp_path_factory) -> tuple[Build, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("three_column_log")
    log = three_column_orders()
    # Two bad rows: a date that is no date, and a negative amount.
    log.loc[len(log)] = ["C-00001", "not a date", 10.0]
    log.loc[len(log)] = ["C-00002", "2024-01-01 10:00:00", -5.0]
    # A time with a UTC offset: 23:30 in New York is the next day in UTC.
    log.loc[len(log)] = ["C-99999", "2024-06-30 23:30:00-05:00", 50.0]
    (folder / "exports").mkdir()
    log.to_csv(folder / "exports" / "orders.csv", index=False)
    return build(folder, MINIMAL_MAPPING), log


def test_the_minimal_mapping_builds_segments_rfm_clv_and_kpis(three_column_log):
    built, log = three_column_log
    assert_built(built)
    customers = log["CustomerNo"].nunique()
    assert_every_customer_segmented(built, customers)
    # Published for readers, with the summary printed.
    assert (built.warehouse.parent / "published.duckdb").exists()
    assert "Segments (k-means) as of" in built.result.stdout
    assert "RFM segments as of" in built.result.stdout
    predicted = built.scalar("select count(predicted_clv) from marts.fct_customer_lifetime_values")
    assert predicted > 0.9 * customers
    assert built.scalar("select count(*) from marts.fct_segment_kpis") > 0


def test_a_log_row_is_an_order_line_and_an_order_is_a_customer_and_time(three_column_log):
    built, log = three_column_log
    assert_rows_accounted(built, "order_lines", len(log))
    orders = log.drop_duplicates(["CustomerNo", "InvoiceDate"])
    assert_rows_accounted(built, "orders", len(orders))
    assert_rows_accounted(built, "customers", log["CustomerNo"].nunique())
    # The row whose date is no date makes an order that is quarantined, and its line follows
    # it; the negative amount quarantines its line, and its order, which has no other row,
    # follows (not a purchase worth 0).
    reasons = {
        (table, detail): count
        for table, detail, count in built.query(
            "select source_table, quarantine_detail, count(*)"
            " from staging.stg_mapped__quarantined_rows group by all"
        )
    }
    assert reasons == {
        ("orders", "ordered_at does not parse as timestamp"): 1,
        ("order_lines", "order_id not among the kept orders"): 1,
        ("order_lines", "amount is negative"): 1,
        (
            "orders",
            "no row of the order passes the order line checks (see its order_lines rows)",
        ): 1,
    }
    # So no kept order is without a line.
    assert (
        built.scalar("select count(*) from intermediate.int_orders_valued where line_count = 0")
        == 0
    )
    # Revenue is the kept rows' amounts, to the cent.
    kept = log[(log["InvoiceDate"] != "not a date") & (log["Total"] >= 0)]
    revenue = built.scalar(
        "select sum(revenue) from intermediate.int_segment_kpis_computed"
        " where segmentation = 'kmeans'"
    )
    assert float(revenue) == pytest.approx(kept["Total"].sum(), abs=0.005)


def test_text_customer_ids_are_kept_as_the_source_wrote_them(three_column_log):
    built, log = three_column_log
    ids = {row[0] for row in built.query("select source_customer_id from marts.dim_customers")}
    assert ids == set(log["CustomerNo"])
    # Signed up on the day of their first order.
    times = pd.to_datetime(log["InvoiceDate"], errors="coerce", format="ISO8601", utc=True)
    first = times.dt.tz_localize(None).groupby(log["CustomerNo"]).min()
    assert first["C-99999"].date().isoformat() == "2024-07-01"
    signups = dict(built.query("select source_customer_id, signup_date from marts.dim_customers"))
    assert all(signups[c] == first[c].date() for c in first.index)


# --- B: a log with order ids and line items, a customers table, CSV options -----------------

LINES_MAPPING = """
name: wholesale
settings:
  quarantine_earliest_date: "2010-01-01"
  # The files hold deliberately bad rows: their orders' lines are 12% of the revenue.
  quarantine_max_loss_share: 0.2
orders:
  path: exports/lines_*.csv
  delimiter: ";"
  decimal_separator: ","
  thousands_separator: "."
  timestamp_format: "%d/%m/%Y %H:%M"
  columns:
    order_id: Invoice
    customer_id: Customer
    ordered_at: InvoiceDate
    product_id: StockCode
    quantity: Quantity
    unit_price: Price
    status:
      column: Status
      values: {P: completed, X: cancelled}
    channel: {constant: web}
customers:
  path: exports/customers.csv
  columns:
    customer_id: Customer
    country: Country
    signup_date: Joined
"""


@pytest.fixture(scope="module")
def line_item_log(tmp_path_factory) -> tuple[Build, pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("line_item_log")
    rng = np.random.default_rng(11)
    customers = pd.DataFrame(
        {
            "Customer": range(100, 400),
            "Country": rng.choice(["France", "Spain", "Italy"], 300),
            "Joined": "2011-01-01",
        }
    )
    rows = []
    invoice = 5000
    for customer in customers["Customer"]:
        for _ in range(int(rng.integers(1, 6))):
            invoice += 1
            at = pd.Timestamp("2011-02-01") + pd.Timedelta(
                minutes=int(rng.integers(0, 60 * 24 * 600))
            )
            status = "X" if rng.random() < 0.05 else ("Z" if rng.random() < 0.12 else "P")
            for _ in range(int(rng.integers(1, 5))):
                rows.append(
                    (
                        f"{invoice}",
                        f"{int(rng.integers(10000, 10050))}",
                        int(rng.integers(1, 12)),
                        f"{rng.gamma(2, 3):.2f}".replace(".", ","),
                        at.strftime("%d/%m/%Y %H:%M"),
                        customer,
                        status,
                    )
                )
    lines = pd.DataFrame(
        rows,
        columns=["Invoice", "StockCode", "Quantity", "Price", "InvoiceDate", "Customer", "Status"],
    )
    # A price written with its thousands grouped.
    lines.loc[lines.index[lines["Status"] == "P"][0], "Price"] = "1.250,50"
    # One line of a completed invoice without its customer: the invoice's other lines say.
    sizes = lines.groupby("Invoice")["Invoice"].transform("size")
    blank = lines.index[(lines["Status"] == "P") & (sizes > 1)][1]
    lines["Customer"] = lines["Customer"].astype(object)
    lines.loc[blank, "Customer"] = None
    (folder / "exports").mkdir()
    # Two files matched by one glob, as monthly exports would be.
    half = len(lines) // 2
    lines.iloc[:half].to_csv(folder / "exports" / "lines_1.csv", sep=";", index=False)
    lines.iloc[half:].to_csv(folder / "exports" / "lines_2.csv", sep=";", index=False)
    customers.to_csv(folder / "exports" / "customers.csv", index=False)
    return build(folder, LINES_MAPPING), lines, customers


def test_a_line_item_log_builds_orders_from_invoices(line_item_log):
    built, lines, customers = line_item_log
    assert_built(built)
    assert_rows_accounted(built, "order_lines", len(lines))
    assert_rows_accounted(built, "orders", lines["Invoice"].nunique())
    assert_rows_accounted(built, "customers", len(customers))
    # Products come from the stock codes of the lines.
    assert_rows_accounted(built, "products", lines["StockCode"].nunique())
    assert_every_customer_segmented(built, len(customers))
    statuses = dict(
        built.query("select status, count(*) from staging.stg_mapped__orders group by 1")
    )
    invoices = lines.drop_duplicates("Invoice")
    assert statuses["cancelled"] == (invoices["Status"] == "X").sum()
    assert statuses["completed"] == (invoices["Status"] == "P").sum()
    # The line without a customer kept its invoice, whose customer the other lines gave.
    blank = lines[lines["Customer"].isna()].iloc[0]
    customer = lines[(lines["Invoice"] == blank["Invoice"]) & lines["Customer"].notna()]
    assert built.query(
        "select source_customer_id from staging.stg_mapped__orders"
        " inner join marts.dim_customers using (customer_id) where order_id = ?",
        [int(blank["Invoice"])],
    ) == [(str(customer["Customer"].iloc[0]),)]


def test_an_unknown_status_code_is_quarantined_and_reported(line_item_log):
    built, lines, _ = line_item_log
    invoices = lines.drop_duplicates("Invoice")
    unknown = built.scalar(
        "select count(*) from staging.stg_mapped__quarantined_rows where source_table = 'orders'"
        " and quarantine_detail = 'status \"z\" is not one of completed, returned, cancelled'"
    )
    assert unknown == (invoices["Status"] == "Z").sum() > 0
    # More than quarantine_warn_share (10%) of the orders: the build warns and names why.
    assert "orders:" in built.output and "above quarantine_warn_share 0.1" in built.output
    assert "invalid_value" in built.output


def test_revenue_is_quantity_times_the_decimal_comma_price_of_completed_orders(line_item_log):
    """Prices written 12,50 and 1.250,50 (decimal_separator, thousands_separator)."""
    built, lines, _ = line_item_log
    price = lines["Price"].str.replace(".", "").str.replace(",", ".").astype(float)
    assert price.max() == 1250.5
    completed = lines["Status"] == "P"
    expected = (lines["Quantity"] * price)[completed].sum()
    revenue = built.scalar(
        "select sum(revenue) from intermediate.int_segment_kpis_computed where segmentation = 'rfm'"
    )
    assert float(revenue) == pytest.approx(expected, abs=0.01)


# --- C: a customer snapshot with attributes, precomputed behaviour, wide responses ----------

SNAPSHOT_MAPPING = """
name: crm
customers:
  path: marketing_campaign.csv
  delimiter: "\\t"
  date_format: "%d-%m-%Y"
  columns:
    customer_id: ID
    signup_date: Dt_Customer
    snapshot_date: {constant: "2014-10-04"}
  attributes:
    income: Income
    education: Education
    children: [Kidhome, Teenhome]
  behaviour:
    recency_days: Recency
    order_count: [NumWebPurchases, NumCatalogPurchases, NumStorePurchases]
    monetary_value: [MntWines, MntFruits, MntMeatProducts]
    discounted_order_count: NumDealsPurchases
    web_order_count: NumWebPurchases
    store_order_count: NumStorePurchases
  category_spend:
    wines: MntWines
    fruits: MntFruits
    meat: MntMeatProducts
campaign_responses:
  path: marketing_campaign.csv
  delimiter: "\\t"
  columns:
    customer_id: ID
  wide:
    Campaign 1: AcceptedCmp1
    Campaign 2: AcceptedCmp2
    Last campaign: Response
segments:
  features: [recency_days, order_count, monetary_value, income, children, education]
  n_clusters: 4
"""


@pytest.fixture(scope="module")
def customer_snapshot(tmp_path_factory) -> tuple[Build, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("customer_snapshot")
    rng = np.random.default_rng(12)
    n = 600
    income = rng.normal(52000, 20000, n).clip(2000).round(0).astype(object)
    income[rng.choice(n, 8, replace=False)] = ""  # a few blanks, as in a real CRM export
    snapshot = pd.DataFrame(
        {
            "ID": rng.choice(np.arange(1000, 20000), n, replace=False),
            "Education": rng.choice(
                ["Graduation", "PhD", "Master", "Basic"], n, p=[0.5, 0.2, 0.2, 0.1]
            ),
            "Income": income,
            "Kidhome": rng.integers(0, 3, n),
            "Teenhome": rng.integers(0, 3, n),
            "Dt_Customer": [
                (pd.Timestamp("2012-07-30") + pd.Timedelta(days=int(d))).strftime("%d-%m-%Y")
                for d in rng.integers(0, 700, n)
            ],
            "Recency": rng.integers(0, 100, n),
            "MntWines": rng.gamma(1, 300, n).round(0),
            "MntFruits": rng.gamma(1, 25, n).round(0),
            "MntMeatProducts": rng.gamma(1, 160, n).round(0),
            "NumWebPurchases": rng.integers(0, 10, n),
            "NumCatalogPurchases": rng.integers(0, 8, n),
            "NumStorePurchases": rng.integers(1, 12, n),
            "AcceptedCmp1": rng.binomial(1, 0.07, n),
            "AcceptedCmp2": rng.binomial(1, 0.02, n),
            "Response": rng.binomial(1, 0.15, n).astype(object),
        }
    )
    purchases = snapshot[["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]].sum(
        axis=1
    )
    snapshot["NumDealsPurchases"] = np.minimum(rng.integers(0, 6, n), purchases)
    # One row whose deals exceed its purchases contradicts itself.
    snapshot.loc[snapshot.index[-1], "NumDealsPurchases"] = purchases.iloc[-1] + 1
    # Customers not offered the last campaign have an empty cell.
    snapshot.loc[snapshot.index[:50], "Response"] = ""
    snapshot.to_csv(folder / "marketing_campaign.csv", sep="\t", index=False)
    return build(folder, SNAPSHOT_MAPPING), snapshot


def test_a_customer_snapshot_gets_segments_without_orders(customer_snapshot):
    built, snapshot = customer_snapshot
    assert_built(built)
    assert_rows_accounted(built, "customers", len(snapshot))
    inconsistent = built.query(
        "select row_key, quarantine_detail from staging.stg_mapped__quarantined_rows"
        " where source_table = 'customers'"
    )
    assert inconsistent == [
        (
            str(snapshot["ID"].iloc[-1]),
            "behaviour_discounted_order_count above behaviour_order_count",
        )
    ]
    assert_every_customer_segmented(built, len(snapshot) - 1)
    # Behaviour measured on the snapshot date stands in for the orders.
    features = built.query(
        "select customer_id, recency_days, order_count, monetary_value, top_category,"
        " income, education, children from marts.fct_customer_features order by customer_id"
    )
    by_id = {row[0]: row for row in features}
    first = snapshot.sort_values("ID").iloc[0]
    row = by_id[int(first["ID"])]
    assert row[1] == first["Recency"]
    assert row[2] == first[["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]].sum()
    assert float(row[3]) == first[["MntWines", "MntFruits", "MntMeatProducts"]].sum()
    spend = {
        "wines": first["MntWines"],
        "fruits": first["MntFruits"],
        "meat": first["MntMeatProducts"],
    }
    assert row[4] == max(sorted(spend), key=lambda category: spend[category])
    assert row[6] == first["Education"]
    assert row[7] == first["Kidhome"] + first["Teenhome"]
    # The text attribute was one-hot encoded for k-means.
    features_used = built.query(
        "select distinct feature_name from intermediate.int_segment_models_latest"
    )
    assert {"education=Graduation", "income", "children"} <= {f[0] for f in features_used}
    # No transaction log, so no lifetime value: null, with a warning, and the build passes.
    assert "Customer lifetime value not predicted" in built.output
    assert built.scalar("select count(predicted_clv) from marts.fct_customer_lifetime_values") == 0
    # The mart says why, on every row; so does the summary.
    assert built.query(
        "select distinct model_fit_message from marts.fct_customer_lifetime_values"
    ) == [("no customer has a kept order to fit BG/NBD and Gamma-Gamma on (a source without a "
           "transaction log)",)]  # fmt: skip
    assert "Customer lifetime value: not predicted: no customer has a kept order" in (
        built.result.stdout
    )


def test_wide_campaign_responses_give_response_rates_per_segment(customer_snapshot):
    built, snapshot = customer_snapshot
    columns = {
        "Campaign 1": "AcceptedCmp1",
        "Campaign 2": "AcceptedCmp2",
        "Last campaign": "Response",
    }
    offered = {name: (snapshot[c].astype(str) != "").sum() for name, c in columns.items()}
    assert_rows_accounted(
        built, "campaign_responses", sum(offered.values()), model="campaign_sends"
    )
    assert_rows_accounted(built, "campaigns", len(columns))
    # The offers of the one quarantined customer follow it (orphan_reference).
    kept = snapshot.iloc[:-1]
    offered = {name: (kept[c].astype(str) != "").sum() for name, c in columns.items()}
    totals = offers_by_campaign(built, "kmeans")
    for name, column in columns.items():
        accepted = (kept[column].astype(str) == "1").sum()
        assert totals[name] == (offered[name], accepted), name
    # Offers are contacts, not messages sent.
    assert (
        built.scalar(
            "select sum(send_count) from intermediate.int_campaign_sends_aggregated_to_segments"
        )
        == 0
    )
    published = built.query(
        "select response_rate, accepted_offer_count, offer_count"
        " from marts.fct_campaign_segment_performance where not is_suppressed"
    )
    assert published
    assert all(rate == pytest.approx(accepted / offers) for rate, accepted, offers in published)


# --- D: nobody bought twice; E: too few customers for k -------------------------------------

NO_REPEAT_MAPPING = """
name: norepeat
orders:
  path: sales.csv
  columns:
    order_id: OrderId
    customer_id: Customer
    ordered_at: Date
    amount: Amount
"""

TINY_MAPPING = """
name: tiny
orders:
  path: sales.csv
  # The export repeats a row; identical rows count once.
  distinct: true
  columns:
    customer_id: Customer
    ordered_at: Date
    amount: Amount
# Customers from the same log: its identical rows count once.
customers:
  path: sales.csv
  distinct: true
  columns:
    customer_id: Customer
"""


@pytest.fixture(scope="module")
def tiny_shop(tmp_path_factory) -> Build:
    folder = tmp_path_factory.mktemp("tiny")
    pd.DataFrame(
        {
            "Customer": [1, 1, 2, 3, 3, 4, 4],
            "Date": [
                "2024-01-02",
                "2024-03-04",
                "2024-01-05",
                "2024-02-01",
                "2024-05-01",
                "2024-04-01",
                "2024-04-01",
            ],
            "Amount": [10, 12, 30, 5, 7, 100, 100],
        }
    ).to_csv(folder / "sales.csv", index=False)
    return build(folder, TINY_MAPPING)


def test_too_few_customers_for_k_leave_the_k_means_columns_null(tiny_shop):
    assert_built(tiny_shop)
    # 7 rows: one an exact repeat, counted once; customers from the same 7 rows.
    assert_rows_accounted(tiny_shop, "customers", 4, copies=3)
    assert_rows_accounted(tiny_shop, "order_lines", 6, copies=1)
    assert "copies: identical rows that the mapping's distinct: true counted once" in (
        tiny_shop.result.stdout
    )
    assert "k-means segments not fitted: only 4 customers" in tiny_shop.output
    assert_every_customer_segmented(tiny_shop, 4, kmeans=False)
    message = tiny_shop.scalar("select fit_message from marts.fct_segment_model_runs")
    assert message.startswith("only 4 customers to cluster")
    assert "No k-means segments as of 2024-05-01: only 4 customers" in tiny_shop.result.stdout
    assert (
        tiny_shop.scalar(
            "select count(*) from marts.fct_segment_kpis where segmentation = 'kmeans'"
        )
        == 0
    )


@pytest.fixture(scope="module")
def no_repeat_buyers(tiny_shop, tmp_path_factory) -> tuple[Build, Build]:
    """Another source built into the tiny shop's warehouse: refused; then with --reset."""
    folder = tmp_path_factory.mktemp("no_repeat")
    rng = np.random.default_rng(13)
    n = 300
    pd.DataFrame(
        {
            "OrderId": [f"O{i}" for i in range(n)],
            "Customer": range(1, n + 1),
            "Date": [
                (pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d))).date().isoformat()
                for d in rng.integers(0, 365, n)
            ],
            "Amount": rng.gamma(2, 40, n).round(2),
        }
    ).to_csv(folder / "sales.csv", index=False)
    warehouse = folder / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    # The tiny shop's warehouse, published: it holds what readers have seen.
    shutil.copy(tiny_shop.warehouse, warehouse)
    shutil.copy(tiny_shop.warehouse.with_name("published.duckdb"), warehouse.parent)
    refused = build(folder, NO_REPEAT_MAPPING, warehouse=warehouse)
    reset = build(folder, NO_REPEAT_MAPPING, "--reset", warehouse=warehouse)
    return refused, reset


def test_a_warehouse_refuses_another_source_and_says_what_to_do(no_repeat_buyers):
    refused, _ = no_repeat_buyers
    assert refused.result.returncode != 0
    output = refused.output
    assert "was built from source tiny (" in output
    assert "this build reads source norepeat (" in output
    assert "RESET=1" in output and "ADOPT=1" in output
    assert "START sql" not in output, "no model may start"


def test_without_repeat_buyers_clv_is_null_with_a_warning_and_the_rest_builds(no_repeat_buyers):
    _, built = no_repeat_buyers
    assert_built(built)
    assert "reset: deleted" in built.result.stdout
    assert_every_customer_segmented(built, 300)
    assert "BG/NBD and Gamma-Gamma not fitted" in built.output
    rows = built.query(
        "select count(*), count(probability_alive), count(predicted_clv)"
        " from marts.fct_customer_lifetime_values"
    )[0]
    assert rows == (300, 0, 0)
    message = built.scalar(
        "select any_value(model_fit_message) from marts.fct_customer_lifetime_values"
        " having count(distinct model_fit_message) = 1 and count(model_fit_message) = 300"
    )
    assert message.startswith("BG/NBD and Gamma-Gamma not fitted")
    # The reset warehouse belongs to the new source only.
    assert built.scalar(
        "select source_identity from mapped_source.source_identity order by recorded_at desc"
    ).startswith("norepeat (")
    assert built.scalar("select count(*) from marts.dim_customers") == 300


# --- F: everything quarantined stops the build and says why ---------------------------------


def test_a_mostly_quarantined_table_stops_the_build_with_the_reasons(tmp_path):
    pd.DataFrame(
        {
            "Customer": [1, 2, 3, 4],
            "Date": ["1999-03-01", "1999-04-01", "1999-05-01", "2001-01-01"],
            "Amount": [1, 2, 3, 4],
        }
    ).to_csv(tmp_path / "sales.csv", index=False)
    built = build(
        tmp_path,
        TINY_MAPPING.replace(
            "name: tiny", "name: old\nsettings:\n  quarantine_earliest_date: '2000-01-01'"
        ),
    )
    assert built.result.returncode != 0
    assert (
        "orders: 3 of 4 raw rows quarantined (75.0%): invalid_value 3 (ordered_at before "
        "quarantine_earliest_date 2000-01-01)" in built.output
    )
    assert "above quarantine_max_share 0.5" in built.output
    assert not (tmp_path / "warehouse" / "published.duckdb").exists()


# --- G: the real CDNOW log, whitespace-separated, reproduces the published BG/NBD fit -------


@pytest.mark.skipif(not CDNOW.exists(), reason=f"the CDNOW sample is not at {CDNOW}")
def test_the_cdnow_log_through_a_mapping_file_gives_the_published_bgnbd_fit(tmp_path):
    """Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426 on weeks 1-39."""
    built = build(
        tmp_path,
        f"""
        name: cdnow
        settings:
          quarantine_earliest_date: "1997-01-01"
        orders:
          path: {CDNOW}
          delimiter: whitespace
          header: false
          names: [master_id, customer, date, cds, dollars]
          timestamp_format: "%Y%m%d"
          columns:
            customer_id: customer
            ordered_at: date
            quantity: cds
            amount: dollars
        """,
        "--as-of",
        "1997-09-30",
    )
    assert_built(built)
    assert_rows_accounted(built, "order_lines", 6919)
    r, alpha, a, b = built.query(
        "select distinct bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b"
        " from intermediate.int_customer_lifetime_values_predicted"
    )[0]
    assert (r, alpha, a, b) == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=0.01)
    assert built.scalar("select count(*) from marts.dim_customers") == 2357


# --- H: tables already in a DuckDB database; a call list with outcomes (long responses) -----

DUCKDB_MAPPING = """
name: bank
orders:
  database: crm.duckdb
  table: sales.transactions
  columns:
    customer_id: client
    ordered_at: booked_at
    amount: amount
campaign_responses:
  database: crm.duckdb
  table: calls
  columns:
    customer_id: client
    campaign_id: campaign
    is_accepted:
      column: outcome
      values: {"yes": true, "no": false}
    responded_at: called_on
"""


@pytest.fixture(scope="module")
def duckdb_tables(tmp_path_factory) -> tuple[Build, pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("duckdb_tables")
    rng = np.random.default_rng(14)
    # Ids of 19 digits: typed BIGINT in one table, text in the other, still one customer.
    first_id = 1_000_000_000_000_000_000
    transactions = pd.DataFrame(
        {
            "client": first_id + rng.integers(1, 201, 1500),
            "booked_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 24, 1500), unit="h"),
            "amount": rng.gamma(2, 50, 1500).round(2),
        }
    )
    calls = pd.DataFrame(
        {
            "client": (first_id + rng.choice(np.arange(1, 201), 160, replace=False)).astype(str),
            "campaign": rng.choice(["term deposit", "credit card"], 160),
            "outcome": rng.choice(["yes", "no"], 160, p=[0.2, 0.8]),
            "called_on": "2024-06-01",
        }
    )
    with duckdb.connect(str(folder / "crm.duckdb")) as connection:
        connection.execute("create schema sales")
        connection.execute("create table sales.transactions as select * from transactions")
        connection.execute("create table calls as select * from calls")
    return build(folder, DUCKDB_MAPPING), transactions, calls


def test_tables_in_a_duckdb_database_build_like_files(duckdb_tables):
    built, transactions, calls = duckdb_tables
    assert_built(built)
    assert_rows_accounted(built, "order_lines", len(transactions))
    assert_rows_accounted(built, "campaign_responses", len(calls), model="campaign_sends")
    assert_every_customer_segmented(built, transactions["client"].nunique())
    ids = {row[0] for row in built.query("select customer_id from marts.dim_customers")}
    assert ids == set(transactions["client"])


def test_a_call_list_gives_response_rates_per_campaign(duckdb_tables):
    built, _, calls = duckdb_tables
    totals = offers_by_campaign(built, "rfm")
    expected = {
        name: (len(group), int((group["outcome"] == "yes").sum()))
        for name, group in calls.groupby("campaign")
    }
    assert totals == expected


def test_no_kept_activity_stops_the_build_saying_why(tmp_path):
    (tmp_path / "sales.csv").write_text("Customer,Date,Amount\n")
    built = build(tmp_path, TINY_MAPPING.replace("name: tiny", "name: empty"))
    assert built.result.returncode != 0
    assert "Source empty has no kept activity to compute features as of" in built.output


def test_an_as_of_date_is_checked_against_a_snapshot_date(customer_snapshot):
    """A snapshot-only source has one activity date, its snapshot date."""
    built, _ = customer_snapshot

    def as_of(date: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable, "-m", "segwarehouse.sources", "dbt",
                str(built.folder / "mapping.yml"), "--warehouse", str(built.warehouse),
                "--as-of", date, "--",
                "run", "--select", "int_as_of_dates_resolved dim_build_settings",
            ],
            cwd=PROJECT_DIR, capture_output=True, text=True,
        )  # fmt: skip

    on_the_date = as_of("2014-10-04")
    assert on_the_date.returncode == 0, on_the_date.stdout[-3000:]
    # --as-of reaches dbt outside its vars: after the build without one, dbt re-parses only
    # the files that read the date, instead of the whole project.
    assert "Unable to do partial parsing" not in on_the_date.stdout, on_the_date.stdout[-3000:]
    assert built.query(
        "select setting_value from marts.dim_build_settings where setting_name = 'as_of_date'"
    ) == [('"2014-10-04"',)]
    before = as_of("2014-06-30")
    assert before.returncode != 0
    assert "is outside the data" in before.stdout
    assert "2014-10-04 and 2014-10-04" in before.stdout


# --- I: a bank's call list: a snapshot without signup dates, email ids in two cases ---------

CALL_LIST_MAPPING = """
name: calls
customers:
  path: calls.csv
  delimiter: ";"
  columns:
    customer_id: {column: client, lowercase: true}
    snapshot_date: {constant: "2024-06-30"}
  attributes:
    age: age
    job: job
    balance: balance
  behaviour:
    # -1 is the export's "never contacted before"
    recency_days: {column: pdays, values: {"-1": null}}
    order_count: previous
campaign_responses:
  path: outcomes.csv
  columns:
    customer_id: {column: Client, lowercase: true}
  wide:
    Term deposit 2024: {column: y, values: {"yes": true, "no": false}}
segments:
  # No recency_days: the default fill of recency_days does not apply.
  features: [age, balance, job, order_count]
"""


@pytest.fixture(scope="module")
def call_list(tmp_path_factory) -> tuple[Build, pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("call_list")
    rng = np.random.default_rng(15)
    n = 400
    contacted = rng.random(n) < 0.3
    calls = pd.DataFrame(
        {
            "client": [f"client{i:04d}@mail.example" for i in range(n)],
            "age": rng.integers(18, 90, n),
            "job": rng.choice(["admin.", "blue-collar", "management", "retired"], n),
            "balance": rng.normal(1500, 3000, n).round(0).astype(int),
            "pdays": np.where(contacted, rng.integers(1, 400, n), -1),
            "previous": np.where(contacted, rng.integers(1, 6, n), 0),
        }
    )
    called = calls.sample(300, random_state=1)
    outcomes = pd.DataFrame(
        {
            # The CRM writes some addresses in capitals: still the same customers.
            "Client": [
                email.upper() if i % 3 == 0 else email for i, email in enumerate(called["client"])
            ],
            "y": rng.choice(["yes", "no"], len(called), p=[0.12, 0.88]),
        }
    )
    calls.to_csv(folder / "calls.csv", sep=";", index=False)
    outcomes.to_csv(folder / "outcomes.csv", index=False)
    return build(folder, CALL_LIST_MAPPING), calls, outcomes


def test_a_call_list_without_signup_dates_or_recency_gets_segments(call_list):
    built, calls, _ = call_list
    assert_built(built)
    assert_rows_accounted(built, "customers", len(calls))
    assert_every_customer_segmented(built, len(calls))
    # No signup date and no orders: tenure is unknown, not a failed test.
    assert built.query(
        "select count(*), count(signup_date), count(tenure_days)"
        " from marts.fct_customer_demographic_features"
    ) == [(len(calls), 0, 0)]
    # The -1 placeholder is no recency.
    assert (
        built.scalar("select count(recency_days) from marts.fct_customer_features")
        == (calls["pdays"] != -1).sum()
    )
    features = {
        row[0]
        for row in built.query(
            "select distinct feature_name from intermediate.int_segment_models_latest"
        )
    }
    assert {"age", "balance", "order_count", "job=retired"} <= features
    assert "recency_days" not in features
    # Text columns of the stored model are text even when every value is null.
    types = dict(
        built.query(
            "select column_name, data_type from information_schema.columns"
            " where table_name = 'int_segment_models_fitted'"
            " and column_name in ('fit_message', 'null_fill_column')"
        )
    )
    assert types == {"fit_message": "VARCHAR", "null_fill_column": "VARCHAR"}


def test_ids_in_either_case_are_one_customer_with_lowercase(call_list):
    built, _, outcomes = call_list
    assert_rows_accounted(built, "campaign_responses", len(outcomes), model="campaign_sends")
    assert (
        built.scalar(
            "select count(*) from staging.stg_mapped__quarantined_rows"
            " where source_table = 'campaign_responses'"
        )
        == 0
    )
    assert offers_by_campaign(built, "rfm") == {
        "Term deposit 2024": (len(outcomes), int((outcomes["y"] == "yes").sum()))
    }
    assert built.query(
        "select count(*) from marts.fct_quarantine_summary where source_table ="
        " 'campaign_responses' and row_outcome = 'kept' and row_count = ?",
        [len(outcomes)],
    ) == [(1,)]


# --- J: a loyalty programme's members: attributes only, no orders, no behaviour -------------

LOYALTY_MAPPING = """
name: loyalty
customers:
  path: members.csv
  delimiter: ";"
  decimal_separator: ","
  date_format: "%d.%m.%Y"
  columns:
    customer_id: MemberID
    birth_date: Born
    gender: {column: Sex, values: {M: male, F: female, X: non_binary}, default: undisclosed}
    snapshot_date: {constant: "2025-06-30"}
  attributes:
    points_balance: {column: Points, type: number}
    tier: Tier
segments:
  features: [points_balance, tier, age_years]
  n_clusters: 3
"""


@pytest.fixture(scope="module")
def loyalty_members(tmp_path_factory) -> tuple[Build, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("loyalty")
    rng = np.random.default_rng(16)
    n = 300
    tiers = rng.choice(["bronze", "silver", "gold"], n, p=[0.6, 0.3, 0.1])
    members = pd.DataFrame(
        {
            "MemberID": np.arange(5000, 5000 + n),
            "Born": [
                (pd.Timestamp("1950-01-01") + pd.Timedelta(days=int(d))).strftime("%d.%m.%Y")
                for d in rng.integers(0, 365 * 55, n)
            ],
            "Sex": rng.choice(["M", "F", "X", ""], n, p=[0.45, 0.45, 0.05, 0.05]),
            "Points": [
                f"{value:.1f}".replace(".", ",")
                for value in rng.gamma(2, 400, n) * np.where(tiers == "gold", 5, 1)
            ],
            "Tier": tiers,
        }
    )
    members.to_csv(folder / "members.csv", sep=";", index=False)
    return build(folder, LOYALTY_MAPPING), members


def test_a_member_table_with_attributes_alone_is_segmented_on_them(loyalty_members):
    built, members = loyalty_members
    assert_built(built)
    assert_rows_accounted(built, "customers", len(members))
    assert_every_customer_segmented(built, len(members))
    # Nobody bought anything: every RFM segment is "No purchases", and no CLV, saying why.
    assert built.query(
        "select rfm_segment_name, count(*) from marts.dim_customer_segments group by 1"
    ) == [("No purchases", len(members))]
    assert (
        built.scalar(
            "select count(distinct model_fit_message) from marts.fct_customer_lifetime_values"
            " where model_fit_message like 'no customer has a kept order%'"
        )
        == 1
    )
    points = built.scalar("select sum(points_balance) from marts.fct_customer_features")
    expected = members["Points"].str.replace(",", ".").astype(float).sum()
    assert points == pytest.approx(expected, abs=0.01)
    genders = dict(built.query("select gender, count(*) from marts.dim_customers group by 1"))
    assert genders["undisclosed"] == (members["Sex"].fillna("") == "").sum()
