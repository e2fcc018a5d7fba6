"""Fuzz the shop source: seeded bad rows in every raw table, then a full `dbt build`.

Nothing may be silently dropped: the build must succeed, every table's raw rows must equal its
kept plus quarantined rows, and every injected bad row must be in the quarantine with a
plausible reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segwarehouse.tools.generate import RAW_TABLES, GeneratorConfig, generate

from .conftest import PROJECT_DIR

FUZZ_SEED = 20261122
BAD_ID_START = 900_000_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class Injected:
    table: str
    key: int | None  # None: the row's id is null
    reasons: frozenset[str]
    what: str


class Fuzzer:
    """Appends bad rows to pandas copies of the raw tables and records what it injected."""

    def __init__(self, tables: dict[str, pa.Table], seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.frames = {name: _frame(table) for name, table in tables.items()}
        self.original_row_counts = {name: table.num_rows for name, table in tables.items()}
        self.injected: list[Injected] = []
        self.nulled: list[tuple[str, int, str, str]] = []
        self.next_id = BAD_ID_START

    def template(self, table: str, first_rows: int = 200) -> dict:
        """A random row from the start of the table (early ids, never a duplicate target)."""
        frame = self.frames[table]
        index = int(self.rng.integers(0, min(first_rows, len(frame))))
        return frame.iloc[index].to_dict()

    def add(self, table: str, reasons: str | set[str], what: str, **changes) -> None:
        row = self.template(table)
        row["id"] = self.next_id
        self.next_id += 1
        row.update(changes)
        self._append(table, row)
        reason_set = {reasons} if isinstance(reasons, str) else reasons
        key = None if row["id"] is None else int(row["id"])
        self.injected.append(Injected(table, key, frozenset(reason_set), what))

    def add_nulled(self, table: str, issue: str, column: str, **changes) -> None:
        """A row with a bad optional attribute: kept, `column` nulled with `issue`."""
        row = self.template(table)
        row["id"] = self.next_id
        self.next_id += 1
        row.update(changes)
        self._append(table, row)
        self.nulled.append((table, int(row["id"]), issue, column))

    def duplicate(self, table: str, *, exact: bool, change: dict | None = None) -> None:
        """Copy one of the table's last generated rows: identically, or with a conflict."""
        frame = self.frames[table]
        generated = self.original_row_counts[table]
        index = generated - 1 - int(self.rng.integers(0, min(50, generated)))
        row = frame.iloc[index].to_dict()
        if not exact:
            row.update(change or {})
        self._append(table, row)
        what = "exact copy" if exact else "conflicting copy"
        self.injected.append(Injected(table, int(row["id"]), frozenset({"duplicate_key"}), what))

    def _append(self, table: str, row: dict) -> None:
        frame = self.frames[table]
        addition = pd.DataFrame([row], columns=frame.columns).astype(frame.dtypes.to_dict())
        self.frames[table] = pd.concat([frame, addition], ignore_index=True)


def _frame(table: pa.Table) -> pd.DataFrame:
    """A pandas copy with nullable integers and plain strings, so bad rows keep their types."""
    frame = table.to_pandas()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object)
        elif pd.api.types.is_integer_dtype(frame[column].dtype):
            frame[column] = frame[column].astype("Int64")
    return frame


def _as_text(frame: pd.DataFrame, column: str) -> None:
    """Store a column as text, as a CSV export would, so that unparseable values fit in it."""
    frame[column] = frame[column].map(lambda value: None if pd.isna(value) else str(value))


def corrupt(tables: dict[str, pa.Table], seed: int) -> Fuzzer:
    fuzz = Fuzzer(tables, seed)
    future = pd.Timestamp("2099-05-01 10:00:00")
    ancient = pd.Timestamp("1970-01-01 00:00:00")
    _as_text(fuzz.frames["orders"], "ordered_at")
    _as_text(fuzz.frames["survey_responses"], "nps_score")

    # customers
    fuzz.add("customers", "null_key", "null id", id=None)
    # Bad attributes are nulled and flagged; the customer is kept with their orders.
    fuzz.add_nulled("customers", 'gender "martian"', "gender", gender="martian")
    fuzz.add_nulled("customers", "gender", "gender", gender="\uff46\uff45\uff4d\uff41\uff4c\uff45")
    fuzz.add_nulled(
        "customers", "acquisition_channel", "acquisition_channel", acquisition_channel="x" * 5000
    )
    fuzz.add_nulled(
        "customers", "acquisition_channel", "acquisition_channel", acquisition_channel="email\u200b"
    )
    fuzz.add("customers", "missing_value", "blank country", country="   ")
    fuzz.add("customers", "missing_value", "null signup date", signup_date=None)
    fuzz.add("customers", "future_date", "future signup", signup_date=future.date())
    fuzz.add_nulled(
        "customers",
        "birth_date after signup_date",
        "birth_date",
        signup_date=pd.Timestamp("2024-03-01").date(),
        birth_date=pd.Timestamp("2024-06-01").date(),
    )
    fuzz.duplicate("customers", exact=False, change={"city": "Atlantis"})
    fuzz.duplicate("customers", exact=True)

    # products
    fuzz.add("products", "null_key", "null id", id=None)
    # A bad list_price (no KPI reads it) is nulled and flagged; the product is kept.
    fuzz.add_nulled("products", "list_price is negative", "list_price", list_price=-5.0)
    fuzz.add_nulled(
        "products", "list_price above quarantine_max_price", "list_price", list_price=1e9
    )
    fuzz.add_nulled(
        "products", "list_price does not parse as decimal", "list_price", list_price=1e30
    )
    fuzz.add("products", "missing_value", "empty category", category="")
    fuzz.duplicate("products", exact=False, change={"list_price": 1.0})

    # orders (ordered_at is text here)
    fuzz.add("orders", "null_key", "null id", id=None)
    fuzz.add("orders", "null_key", "null customer", customer_id=None)
    fuzz.add("orders", "unparseable_value", "not a date", ordered_at="not a date")
    fuzz.add("orders", "unparseable_value", "30 February", ordered_at="2025-02-30 10:00:00")
    fuzz.add("orders", "future_date", "future order", ordered_at=str(future))
    fuzz.add("orders", "invalid_value", "ancient order", ordered_at=str(ancient))
    fuzz.add("orders", "invalid_value", "unknown status", status="shipped")
    fuzz.add("orders", "invalid_value", "unknown channel", channel="carrier pigeon")
    fuzz.add("orders", "missing_value", "whitespace status", status=" \t ")
    fuzz.add("orders", "orphan_reference", "unknown customer", customer_id=99_999_999)
    fuzz.add(
        "orders",
        {"inconsistent", "orphan_reference"},
        "returned without a return time",
        status="returned",
        returned_at=None,
    )
    fuzz.add(
        "orders",
        {"inconsistent", "orphan_reference"},
        "before signup",
        ordered_at="2000-06-01 12:00:00",
        status="completed",
        returned_at=None,
    )
    fuzz.duplicate("orders", exact=True)
    fuzz.duplicate("orders", exact=False, change={"channel": "store"})

    # order lines
    fuzz.add("order_lines", "null_key", "null id", id=None)
    fuzz.add("order_lines", "null_key", "null order", order_id=None)
    fuzz.add("order_lines", "invalid_value", "negative quantity", quantity=-3)
    fuzz.add("order_lines", "invalid_value", "absurd quantity", quantity=1_000_000)
    fuzz.add("order_lines", "invalid_value", "negative price", unit_price=-1.0)
    fuzz.add("order_lines", "invalid_value", "absurd price", unit_price=1e9)
    fuzz.add("order_lines", "unparseable_value", "infinite discount", discount_amount=np.inf)
    fuzz.add("order_lines", "missing_value", "null quantity", quantity=None)
    fuzz.add("order_lines", "orphan_reference", "unknown order", order_id=99_999_999)
    fuzz.add("order_lines", "orphan_reference", "unknown product", product_id=99_999_999)
    fuzz.add(
        "order_lines",
        {"inconsistent", "orphan_reference"},
        "discount above amount",
        quantity=1,
        unit_price=10.0,
        discount_amount=50.0,
    )
    fuzz.duplicate("order_lines", exact=False, change={"quantity": 7})

    # campaigns
    fuzz.add("campaigns", "null_key", "null id", id=None)
    fuzz.add("campaigns", "invalid_value", "unknown channel", channel="fax")
    fuzz.add("campaigns", "invalid_value", "negative cost", cost=-100.0)
    fuzz.add("campaigns", "invalid_value", "absurd cost", cost=1e15)
    fuzz.add("campaigns", "future_date", "future start", start_date=future.date())
    fuzz.add(
        "campaigns",
        "inconsistent",
        "ends before it starts",
        start_date=pd.Timestamp("2025-03-10").date(),
        end_date=pd.Timestamp("2025-03-01").date(),
    )

    # campaign sends
    fuzz.add("campaign_sends", "null_key", "null customer", customer_id=None)
    fuzz.add("campaign_sends", "orphan_reference", "unknown campaign", campaign_id=99_999)
    fuzz.add("campaign_sends", "orphan_reference", "unknown customer", customer_id=99_999_999)
    fuzz.add("campaign_sends", "future_date", "future send", sent_at=future)
    fuzz.add("campaign_sends", "invalid_value", "ancient send", sent_at=ancient)
    fuzz.duplicate("campaign_sends", exact=True)

    # email events
    fuzz.add("email_events", "null_key", "null id", id=None)
    fuzz.add("email_events", "invalid_value", "unknown event type", event_type="complained")
    fuzz.add("email_events", "missing_value", "empty event type", event_type="")
    fuzz.add("email_events", "orphan_reference", "unknown send", campaign_send_id=99_999_999)
    fuzz.add("email_events", "future_date", "future event", occurred_at=future)
    fuzz.add(
        "email_events",
        {"inconsistent", "orphan_reference"},
        "event before its send",
        occurred_at=pd.Timestamp("2001-01-01 00:00:00"),
    )
    fuzz.duplicate("email_events", exact=False, change={"event_type": "clicked"})

    # web sessions
    fuzz.add("web_sessions", "null_key", "null customer", customer_id=None)
    fuzz.add("web_sessions", "invalid_value", "negative pages", pages_viewed=-1)
    fuzz.add("web_sessions", "invalid_value", "absurd pages", pages_viewed=1_000_000)
    fuzz.add("web_sessions", "invalid_value", "unknown device", device="toaster")
    fuzz.add("web_sessions", "orphan_reference", "unknown order", converted_order_id=99_999_999)
    fuzz.add("web_sessions", "future_date", "future session", started_at=future)

    # experiment assignments
    fuzz.add("experiment_assignments", "null_key", "null id", id=None)
    # A new experiment name each, so that the pair (experiment, customer) stays unique.
    fuzz.add(
        "experiment_assignments",
        "invalid_value",
        "unknown variant",
        experiment_name="fuzz_variant",
        variant="placebo",
    )
    fuzz.add(
        "experiment_assignments",
        "future_date",
        "future assignment",
        experiment_name="fuzz_future",
        assigned_at=future,
    )
    fuzz.add(
        "experiment_assignments",
        "orphan_reference",
        "unknown customer",
        customer_id=99_999_999,
    )
    generated = fuzz.original_row_counts["experiment_assignments"]
    last = fuzz.frames["experiment_assignments"].iloc[generated - 20].to_dict()
    fuzz.add(
        "experiment_assignments",
        "duplicate_key",
        "customer assigned twice under another id",
        experiment_name=last["experiment_name"],
        customer_id=last["customer_id"],
    )
    fuzz.injected.append(
        Injected(
            "experiment_assignments",
            int(last["id"]),
            frozenset({"duplicate_key"}),
            "first assignment of the customer assigned twice",
        )
    )

    # survey responses (nps_score is text here)
    fuzz.add("survey_responses", "null_key", "null id", id=None)
    fuzz.add("survey_responses", "unparseable_value", "nps in words", nps_score="ten")
    fuzz.add("survey_responses", "invalid_value", "nps 11", nps_score="11")
    fuzz.add("survey_responses", "invalid_value", "nps -1", nps_score="-1")
    fuzz.add("survey_responses", "invalid_value", "satisfaction 9", satisfaction_score=9)
    fuzz.add("survey_responses", "future_date", "future answer", responded_at=future)
    fuzz.add("survey_responses", "orphan_reference", "unknown customer", customer_id=99_999_999)
    return fuzz


def _write_raw(frames: dict[str, pd.DataFrame], raw_dir: Path) -> None:
    raw_dir.mkdir(exist_ok=True)
    for name, frame in frames.items():
        shuffled = frame.sample(frac=1.0, random_state=FUZZ_SEED)  # bad rows not all at the end
        pq.write_table(
            pa.Table.from_pandas(shuffled, preserve_index=False), raw_dir / f"{name}.parquet"
        )


def _build(
    raw_dir: Path,
    warehouse: Path,
    workdir: Path,
    *arguments: str,
    source_arguments: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """A build through the generator's mapping file (sources/demo.yml) over `raw_dir`;
    `arguments` go to dbt, `source_arguments` to segwarehouse.sources."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "segwarehouse.sources",
            "build",
            str(PROJECT_DIR / "sources" / "demo.yml"),
            "--name",
            "fuzz",
            "--root",
            str(raw_dir),
            "--warehouse",
            str(warehouse),
            "--no-summary",
            *source_arguments,
            "--",
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            # Every test, the development checks included, unless the test selects.
            *(() if "--select" in arguments else ("--selector", "everything")),
            *arguments,
        ],
        cwd=PROJECT_DIR,
        env={**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR)},
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def fuzzed_warehouse(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    tables, _ = generate(GeneratorConfig(n_customers=800, seed=FUZZ_SEED))
    fuzz = corrupt(tables, FUZZ_SEED)
    raw_dir = workdir / "raw"
    _write_raw(fuzz.frames, raw_dir)
    warehouse = workdir / "warehouse.duckdb"
    result = _build(raw_dir, warehouse, workdir)
    connection = duckdb.connect(str(warehouse), read_only=True) if warehouse.exists() else None
    yield result, fuzz, raw_dir, connection
    if connection is not None:
        connection.close()


def test_build_succeeds_on_fuzzed_data(fuzzed_warehouse):
    result, *_ = fuzzed_warehouse
    assert result.returncode == 0, result.stdout[-5000:]
    assert "ERROR=0" in result.stdout


@pytest.mark.parametrize("table", RAW_TABLES)
def test_every_raw_row_is_kept_or_quarantined(fuzzed_warehouse, table):
    _, _, raw_dir, warehouse = fuzzed_warehouse
    raw = duckdb.execute(f"select count(*) from '{raw_dir / table}.parquet'").fetchall()[0][0]
    kept = warehouse.execute(f"select count(*) from staging.stg_mapped__{table}").fetchall()[0][0]
    quarantined = warehouse.execute(
        "select count(*) from staging.stg_mapped__quarantined_rows where source_table = ?", [table]
    ).fetchall()[0][0]
    summary = warehouse.execute(
        """
        select sum(row_count), min(raw_row_count), max(raw_row_count),
            sum(row_count) filter (where is_quarantined)
        from marts.fct_quarantine_summary where source_table = ?
        """,
        [table],
    ).fetchall()[0]
    assert quarantined > 0, "every table had bad rows injected"
    assert raw == kept + quarantined
    assert summary == (raw, raw, raw, quarantined)


def test_each_injected_row_is_quarantined_with_a_plausible_reason(fuzzed_warehouse):
    _, fuzz, _, warehouse = fuzzed_warehouse
    rows = warehouse.execute(
        "select source_table, row_key, quarantine_reason from staging.stg_mapped__quarantined_rows"
    ).fetchall()
    reasons: dict[tuple[str, str | None], list[str]] = {}
    for table, key, reason in rows:
        reasons.setdefault((table, key), []).append(reason)
    problems = []
    for injected in fuzz.injected:
        if injected.key is None:
            continue
        found = reasons.get((injected.table, str(injected.key)), [])
        if not found or not set(found) <= injected.reasons:
            problems.append(f"{injected}: quarantined as {found}")
    assert not problems, "\n".join(problems)
    for table in RAW_TABLES:
        null_keys = sum(1 for i in fuzz.injected if i.table == table and i.key is None)
        assert len(reasons.get((table, None), [])) == null_keys, table


def test_a_bad_optional_attribute_is_nulled_and_flagged_not_quarantined(fuzzed_warehouse):
    """A product with an absurd list_price (or a customer with an unknown gender) was
    quarantined, orphaning its order lines."""
    _, fuzz, _, warehouse = fuzzed_warehouse
    assert fuzz.nulled
    for table, key, issue, column in fuzz.nulled:
        rows = warehouse.execute(
            f"select quarantine_reason, {column}, attribute_issue"
            f" from staging.stg_mapped__{table}_classified where row_key = ?",
            [str(key)],
        ).fetchall()
        assert len(rows) == 1, (table, key)
        reason, value, flagged = rows[0]
        assert reason is None and value is None, (table, key, rows)
        assert flagged.startswith(issue) and flagged.endswith("; nulled"), (table, key, flagged)
    nulled = warehouse.execute(
        "select sum(nulled_attribute_count) from marts.fct_quarantine_summary"
        " where source_table in ('products', 'customers') and row_outcome = 'kept'"
    ).fetchone()[0]
    assert nulled == len(fuzz.nulled)


def test_an_exact_copy_keeps_one_row(fuzzed_warehouse):
    _, fuzz, _, warehouse = fuzzed_warehouse
    exact = [i for i in fuzz.injected if i.what == "exact copy"]
    assert exact
    for injected in exact:
        singular = injected.table.removesuffix("s")
        kept = warehouse.execute(
            f"select count(*) from staging.stg_mapped__{injected.table} where {singular}_id = ?",
            [injected.key],
        ).fetchall()[0][0]
        assert kept == 1, injected


def test_quarantine_holds_no_readable_pii(fuzzed_warehouse):
    _, fuzz, _, warehouse = fuzzed_warehouse
    customers = fuzz.frames["customers"]
    raw_rows = [
        row[0]
        for row in warehouse.execute(
            "select raw_row from staging.stg_mapped__quarantined_rows"
            " where source_table = 'customers'"
        ).fetchall()
    ]
    assert raw_rows
    names = set(customers["first_name"]) | set(customers["last_name"])
    for raw_row in raw_rows:
        assert not EMAIL.search(raw_row), raw_row
        pii_keys = {"first_name", "last_name", "email", "phone", "birth_date"}
        assert not pii_keys & set(json.loads(raw_row)), raw_row
        assert not any(f'"{name}"' in raw_row for name in names), raw_row


# The newest orders held back from the first extract: their lines and sessions arrive first.
LATE_ORDERS = 15
# The classified tables a build classifies incrementally (only the key groups that changed).
INCREMENTAL_TABLES = ("orders", "order_lines", "web_sessions", "email_events", "campaign_sends")


@pytest.fixture(scope="module")
def incremental_warehouse(fuzzed_warehouse, tmp_path_factory):
    """The fuzzed raw files reached in two builds, the second incremental.

    The first extract is the clean generated data without the newest orders (whose lines and
    sessions are already there); the second is exactly the files the full fuzz build read, so
    the two warehouses must classify every row alike.
    """
    _, fuzz, raw_dir, _ = fuzzed_warehouse
    workdir = tmp_path_factory.mktemp("fuzz_incremental")
    first = {
        name: frame.iloc[: fuzz.original_row_counts[name]] for name, frame in fuzz.frames.items()
    }
    late_order_ids = set(first["orders"]["id"].iloc[-LATE_ORDERS:])
    first["orders"] = first["orders"].iloc[:-LATE_ORDERS]
    # One extract folder, overwritten by the next extract, as a daily export would be.
    extract_dir = workdir / "raw"
    _write_raw(first, extract_dir)
    warehouse = workdir / "warehouse.duckdb"
    first_result = _build(extract_dir, warehouse, workdir)
    assert first_result.returncode == 0, first_result.stdout[-5000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        late_line_reasons = connection.execute(
            "select quarantine_reason, count(*) from staging.stg_mapped__order_lines_classified"
            f" where order_id in ({', '.join(str(int(i)) for i in late_order_ids)}) group by 1"
        ).fetchall()
        first_classified_at = connection.execute(
            "select max(classified_at) from staging.stg_mapped__order_lines_classified"
        ).fetchall()[0][0]
    for name in fuzz.frames:
        shutil.copy(raw_dir / f"{name}.parquet", extract_dir / f"{name}.parquet")
    # Both extracts end on the same last day (sessions, surveys), so the second is a rebuild
    # of the first's as-of date from other data: it replaces the kept snapshot when asked to.
    second_result = _build(
        extract_dir, warehouse, workdir, source_arguments=("--replace-snapshots",)
    )
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield second_result, late_line_reasons, first_classified_at, connection
    connection.close()


def test_late_orders_lines_wait_in_quarantine_on_the_first_build(incremental_warehouse):
    _, late_line_reasons, *_ = incremental_warehouse
    assert dict(late_line_reasons).keys() == {"orphan_reference"}


def test_incremental_build_succeeds(incremental_warehouse):
    result, *_ = incremental_warehouse
    assert result.returncode == 0, result.stdout[-5000:]
    assert "ERROR=0" in result.stdout
    for table in INCREMENTAL_TABLES:
        assert f"incremental model staging.stg_mapped__{table}_classified" in result.stdout


@pytest.mark.parametrize("table", RAW_TABLES)
def test_incremental_build_classifies_like_a_full_build(
    fuzzed_warehouse, incremental_warehouse, table
):
    """Late parents, new copies of stored keys, parents quarantined later: all as from scratch."""
    _, _, _, full = fuzzed_warehouse
    *_, incremental = incremental_warehouse
    query = (
        f"select * exclude (classified_at) from staging.stg_mapped__{table}_classified"
        if table in INCREMENTAL_TABLES
        else f"select * from staging.stg_mapped__{table}_classified"
    )
    ordered = f"select * from ({query}) order by all"
    expected = full.execute(ordered).fetchall()
    assert incremental.execute(ordered).fetchall() == expected
    assert any(row for row in expected)


@pytest.mark.parametrize("table", INCREMENTAL_TABLES)
def test_incremental_build_classifies_only_changed_groups(
    fuzzed_warehouse, incremental_warehouse, table
):
    """Untouched rows keep the first build's verdict; every injected row is classified anew."""
    _, fuzz, _, _ = fuzzed_warehouse
    _, _, first_classified_at, incremental = incremental_warehouse
    total, reclassified = incremental.execute(
        f"select count(*), count(*) filter (where classified_at > ?)"
        f" from staging.stg_mapped__{table}_classified",
        [first_classified_at],
    ).fetchall()[0]
    injected_keys = [str(i.key) for i in fuzz.injected if i.table == table and i.key is not None]
    stale = incremental.execute(
        f"select row_key from staging.stg_mapped__{table}_classified"
        " where classified_at <= ? and list_contains(?, row_key)",
        [first_classified_at, injected_keys],
    ).fetchall()
    assert 0 < reclassified < total * 0.05
    assert not stale


def test_a_classified_table_built_before_incremental_classification_asks_for_a_refresh(
    fuzzed_warehouse, tmp_path
):
    _, _, raw_dir, _ = fuzzed_warehouse
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(raw_dir.parent / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "alter table staging.stg_mapped__order_lines_classified drop column key_group"
        )
    model = "stg_mapped__order_lines_classified"
    result = _build(raw_dir, warehouse, tmp_path, "--select", model)
    assert result.returncode != 0
    assert "built before incremental classification" in result.stdout
    assert f"--full-refresh --select {model}+" in result.stdout
    refreshed = _build(raw_dir, warehouse, tmp_path, "--select", model, "--full-refresh")
    assert refreshed.returncode == 0, refreshed.stdout[-3000:]


def test_orders_classified_in_full_by_an_earlier_version_are_classified_again(
    fuzzed_warehouse, tmp_path
):
    """Before aa0e96f orders were a table rebuilt in full, without key_group: the command
    drops it (rather than stop and ask for --full-refresh) and the build classifies every
    order again, as a build from scratch does."""
    _, _, raw_dir, full = fuzzed_warehouse
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(raw_dir.parent / "warehouse.duckdb", warehouse)
    orders = "staging.stg_mapped__orders_classified"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            f"create or replace table {orders} as"
            f" select * exclude (key_group, row_hash, classified_at) from {orders}"
        )
    result = _build(raw_dir, warehouse, tmp_path, "--select", "stg_mapped__orders_classified")
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{orders} was classified in full by an earlier version" in result.stdout
    ordered = f"select * exclude (classified_at) from {orders} order by all"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(ordered).fetchall() == full.execute(ordered).fetchall()
