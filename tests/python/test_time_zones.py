"""Time zones: the same instants, written four ways, give identical marts.

Orders are written as typed zoned timestamps (Parquet TIMESTAMPTZ), as text with UTC offsets
of several zones, as naive wall-clock text in New York with `source_time_zone` saying so, and
as naive typed timestamps in Berlin likewise. Every mart of the four builds must be equal,
run metadata (columns starting with `_`) aside: orders near midnight change date with the
zone, so any offset lost moves recency, RFM scores and segments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .test_byod import Build, assert_built, build

ZONES = ("America/New_York", "Asia/Tokyo", "UTC", "Australia/Adelaide")


def instants(n_orders: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    # Half the orders within two hours of a UTC midnight: a lost offset changes their date.
    minutes = rng.integers(0, 600 * 24 * 60, n_orders)
    near_midnight = rng.random(n_orders) < 0.5
    minutes = np.where(
        near_midnight, (minutes // 1440) * 1440 + rng.integers(-120, 120, n_orders), minutes
    )
    return pd.DataFrame(
        {
            "order_id": np.arange(1, n_orders + 1),
            "customer_id": rng.integers(1, 250, n_orders),
            "ordered_at": [start + timedelta(minutes=int(m)) for m in minutes],
            "amount": rng.gamma(2.0, 30.0, n_orders).round(2),
        }
    )


MAPPING = """
name: {name}
settings:
  quarantine_earliest_date: "2023-01-01"
  quarantine_extract_date: "2026-01-01"
{settings}
orders:
  path: {path}
  columns: {{order_id: order_id, customer_id: customer_id, ordered_at: ordered_at, amount: amount}}
segments:
  n_clusters: 3
"""


def write_and_build(
    folder: Path, name: str, frame: pd.DataFrame, path: str, settings: str = ""
) -> Build:
    folder.mkdir(parents=True)
    if path.endswith(".parquet"):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / path)
    else:
        frame.to_csv(folder / path, index=False)
    result = build(folder, MAPPING.format(name=name, settings=settings, path=path))
    assert_built(result)
    return result


def marts(build_: Build) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without run metadata (columns starting with `_`)."""
    with duckdb.connect(str(build_.warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
                # The settings each build ran with: source_time_zone differs by design.
                " and table_name != 'dim_build_settings' order by 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            columns = [
                row[0]
                for row in connection.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = 'marts' and table_name = ?"
                    " and not starts_with(column_name, '_')"
                    " order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            listed = ", ".join(f'"{column}"' for column in columns)
            result[table] = connection.execute(
                f"select {listed} from marts.{table} order by all"
            ).fetchall()
    return result


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Build]:
    folder = tmp_path_factory.mktemp("time_zones")
    orders = instants(1500, seed=21)
    rng = np.random.default_rng(22)
    zones = rng.choice(ZONES, len(orders))
    with_offsets = orders.assign(
        ordered_at=[
            instant.astimezone(ZoneInfo(zone)).isoformat()
            for instant, zone in zip(orders["ordered_at"], zones, strict=True)
        ]
    )
    new_york = orders.assign(
        ordered_at=[
            instant.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
            for instant in orders["ordered_at"]
        ]
    )
    berlin = orders.assign(
        ordered_at=[
            instant.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
            for instant in orders["ordered_at"]
        ]
    )
    return {
        "zoned": write_and_build(folder / "zoned", "time_zones", orders, "orders.parquet"),
        "offsets": write_and_build(folder / "offsets", "time_zones", with_offsets, "orders.csv"),
        "new_york": write_and_build(
            folder / "new_york", "time_zones", new_york, "orders.csv",
            '  source_time_zone: "America/New_York"',
        ),
        "berlin": write_and_build(
            folder / "berlin", "time_zones", berlin, "orders.parquet",
            '  source_time_zone: "Europe/Berlin"',
        ),
    }  # fmt: skip


@pytest.mark.parametrize("form", ["offsets", "new_york", "berlin"])
def test_the_same_instants_in_another_form_give_identical_marts(builds, form):
    expected, actual = marts(builds["zoned"]), marts(builds[form])
    assert expected.keys() == actual.keys()
    differing = [table for table in expected if expected[table] != actual[table]]
    assert not differing, f"{form}: marts differ from the zoned build: {differing}"


def test_the_orders_are_read_as_utc_instants(builds):
    """Not only equal to each other: the staged times are the instants in UTC."""
    expected = instants(1500, seed=21)
    staged = dict(
        builds["new_york"].query("select order_id, ordered_at from staging.stg_mapped__orders")
    )
    for order_id, instant in zip(expected["order_id"], expected["ordered_at"], strict=True):
        assert staged[order_id] == instant.replace(tzinfo=None), order_id
