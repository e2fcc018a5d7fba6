import duckdb

from segwarehouse.bench import DAY_OF_ROW, append_day, split_last_day
from segwarehouse.generate import write


def counts(raw_dir):
    with duckdb.connect() as con:
        return {
            table: con.execute(
                f"select count(*) from read_parquet('{raw_dir}/{table}.parquet')"
            ).fetchone()[0]
            for table in DAY_OF_ROW
        }


def test_holding_back_the_last_day_then_appending_it_restores_every_row(small_retailer, tmp_path):
    tables, personas = small_retailer
    write(tables, personas, tmp_path / "full")
    full = tmp_path / "full" / "raw"
    last_day = split_last_day(full, tmp_path / "raw", tmp_path / "day")
    before = counts(tmp_path / "raw")
    day = counts(tmp_path / "day")
    assert day["orders"] > 0 and day["order_lines"] > 0, "the last day has orders"
    with duckdb.connect() as con:
        (late,) = con.execute(
            f"select count(*) from read_parquet('{tmp_path}/raw/orders.parquet') "
            f"where cast(ordered_at as date) >= date '{last_day}'"
        ).fetchone()
    assert late == 0, "no order of the held-back day is in the first extract"
    added = append_day(tmp_path / "raw", tmp_path / "day")
    assert added == sum(day.values())
    assert counts(tmp_path / "raw") == counts(full)
    assert {t: before[t] + day[t] for t in before} == counts(full)
