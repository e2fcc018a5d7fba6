import dataclasses
import hashlib
import subprocess
import sys
from datetime import date

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from segwarehouse.tools.generate import (
    GLOBAL_TABLES,
    PER_CUSTOMER_TABLES,
    RAW_TABLES,
    GeneratorConfig,
    generate,
    main,
    write_blocks,
)
from segwarehouse.tools.personas import PERSONA_NAMES, PERSONAS


def test_same_seed_gives_identical_tables():
    first, first_truth = generate(GeneratorConfig(n_customers=300, seed=11))
    second, second_truth = generate(GeneratorConfig(n_customers=300, seed=11))
    for name in RAW_TABLES:
        assert first[name].equals(second[name]), name
    assert first_truth.equals(second_truth)


def test_another_seed_gives_other_data():
    first, _ = generate(GeneratorConfig(n_customers=300, seed=11))
    other, _ = generate(GeneratorConfig(n_customers=300, seed=12))
    assert not first["orders"].equals(other["orders"])


def test_every_raw_table_is_generated_with_unique_ids(small_retailer):
    tables, _ = small_retailer
    assert set(tables) == set(RAW_TABLES)
    for name, table in tables.items():
        ids = table.column("id")
        assert table.num_rows > 0, name
        assert pc.count_distinct(ids).as_py() == table.num_rows, name


def test_customer_count_and_personas_only_in_ground_truth(small_retailer):
    tables, truth = small_retailer
    assert tables["customers"].num_rows == 800
    assert truth.num_rows == 800
    assert set(truth.column("persona").to_pylist()) == set(PERSONA_NAMES)
    for name, table in tables.items():
        assert "persona" not in table.column_names, name


FOREIGN_KEYS = pytest.mark.parametrize(
    ("child", "column", "parent"),
    [
        pytest.param("orders", "customer_id", "customers", id="orders-customers"),
        pytest.param("order_lines", "order_id", "orders", id="lines-orders"),
        pytest.param("order_lines", "product_id", "products", id="lines-products"),
        pytest.param("campaign_sends", "campaign_id", "campaigns", id="sends-campaigns"),
        pytest.param("campaign_sends", "customer_id", "customers", id="sends-customers"),
        pytest.param("email_events", "campaign_send_id", "campaign_sends", id="events-sends"),
        pytest.param("web_sessions", "customer_id", "customers", id="sessions-customers"),
        pytest.param("web_sessions", "converted_order_id", "orders", id="sessions-orders"),
        pytest.param("experiment_assignments", "customer_id", "customers", id="ab-customers"),
        pytest.param("survey_responses", "customer_id", "customers", id="surveys-customers"),
    ],
)


@FOREIGN_KEYS
def test_foreign_keys_point_at_existing_rows(small_retailer, child, column, parent):
    tables, _ = small_retailer
    keys = tables[child].column(column).drop_null()
    assert pc.all(pc.is_in(keys, value_set=tables[parent].column("id"))).as_py()


def test_activity_stays_inside_the_data_window(small_retailer):
    tables, _ = small_retailer
    config = GeneratorConfig(n_customers=800, seed=3)
    start = np.datetime64(config.start_date, "us")
    end = np.datetime64(date(2026, 1, 1), "us")
    for name, column in [
        ("orders", "ordered_at"),
        ("orders", "returned_at"),
        ("email_events", "occurred_at"),
        ("survey_responses", "responded_at"),
    ]:
        values = tables[name].column(column).drop_null().to_numpy()
        assert values.min() >= start, (name, column)
        assert values.max() < end, (name, column)


def test_orders_follow_signup_and_returns_follow_orders(small_retailer):
    tables, _ = small_retailer
    customers = tables["customers"].to_pandas().set_index("id")
    orders = tables["orders"].to_pandas()
    signup = customers.loc[orders["customer_id"], "signup_date"].to_numpy().astype("datetime64[D]")
    assert (orders["ordered_at"].to_numpy().astype("datetime64[D]") >= signup).all()
    returned = orders.dropna(subset=["returned_at"])
    assert (returned["returned_at"] > returned["ordered_at"]).all()
    assert set(returned["status"]) == {"returned"}


def test_scale_matches_the_volume_the_benchmarks_assume(small_retailer):
    tables, truth = small_retailer
    lines_per_customer = tables["order_lines"].num_rows / truth.num_rows
    # ~10M order lines at 1M customers.
    assert 8 <= lines_per_customer <= 14


def test_persona_shares_are_planted(small_retailer):
    _, truth = small_retailer
    personas = truth.column("persona").to_pylist()
    for persona in PERSONAS:
        observed = personas.count(persona.name) / len(personas)
        assert abs(observed - persona.share) < 0.05, persona.name


def test_command_line_writes_raw_and_ground_truth_separately(tmp_path, capsys):
    main(["--customers", "50", "--seed", "5", "--output-dir", str(tmp_path)])
    raw_files = {path.stem for path in (tmp_path / "raw").glob("*.parquet")}
    assert raw_files == set(RAW_TABLES)
    truth = pq.read_table(tmp_path / "ground_truth" / "customer_personas.parquet")
    assert truth.num_rows == 50
    assert "generated customers 50" in capsys.readouterr().out


def test_the_old_module_path_still_writes_the_same_files(tmp_path):
    """../shared/benchmarks/compare.sh runs `python -m segwarehouse.generate`."""
    arguments = ["--customers", "50", "--seed", "5", "--output-dir"]
    subprocess.run(
        [sys.executable, "-m", "segwarehouse.generate", *arguments, str(tmp_path / "old")],
        check=True,
        capture_output=True,
    )
    main([*arguments, str(tmp_path / "new")])

    def files(folder):
        return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*.parquet")}

    old = files(tmp_path / "old")
    assert len(old) == len(RAW_TABLES) + 1  # and the ground truth
    assert old == files(tmp_path / "new")


def test_personas_that_may_place_no_order_keep_every_order_after_signup(monkeypatch):
    from segwarehouse.tools import generate as generator

    patched = tuple(dataclasses.replace(p, minimum_orders=0) for p in PERSONAS)
    monkeypatch.setattr(generator, "PERSONAS", patched)
    tables, _ = generator.generate(GeneratorConfig(n_customers=400, seed=5))
    customers = tables["customers"].to_pandas().set_index("id")
    orders = tables["orders"].to_pandas()
    assert orders["customer_id"].nunique() < 400  # some customers really have no order
    signup = customers.loc[orders["customer_id"], "signup_date"].to_numpy().astype("datetime64[D]")
    assert (orders["ordered_at"].to_numpy().astype("datetime64[D]") >= signup).all()


def test_invalid_size_is_refused():
    with pytest.raises(ValueError, match="n_customers"):
        GeneratorConfig(n_customers=0, seed=1)
    with pytest.raises(ValueError, match="block_customers"):
        GeneratorConfig(n_customers=10, seed=1, block_customers=0)


# Streaming in blocks: 1,000 customers in blocks of 300 (300, 300, 300, 100), written to Parquet
# one block at a time and read back, against the same seed in one block.
MULTI = GeneratorConfig(n_customers=1_000, seed=3, block_customers=300)


def read_output(folder):
    tables = {name: pq.read_table(folder / "raw" / f"{name}.parquet") for name in RAW_TABLES}
    return tables, pq.read_table(folder / "ground_truth" / "customer_personas.parquet")


@pytest.fixture(scope="module")
def multi_block(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi_block")
    counts = write_blocks(MULTI, folder)
    return folder, counts


def test_blocks_are_appended_as_row_groups_of_one_file(multi_block):
    folder, counts = multi_block
    tables, truth = read_output(folder)
    assert counts == {name: table.num_rows for name, table in tables.items()}
    assert tables["customers"].num_rows == truth.num_rows == 1_000
    for name in PER_CUSTOMER_TABLES:
        assert pq.ParquetFile(folder / "raw" / f"{name}.parquet").num_row_groups == 4, name
    for name in GLOBAL_TABLES:
        assert pq.ParquetFile(folder / "raw" / f"{name}.parquet").num_row_groups == 1, name
    assert tables["products"].num_rows == MULTI.n_products


def test_multi_block_ids_are_unique_and_run_from_one(multi_block):
    tables, truth = read_output(multi_block[0])
    for name, table in tables.items():
        ids = table.column("id").to_numpy()
        assert (ids == np.arange(1, table.num_rows + 1)).all(), name
    assert truth.column("customer_id").equals(tables["customers"].column("id"))
    emails = tables["customers"].column("email")
    assert pc.count_distinct(emails).as_py() == emails.length()


@FOREIGN_KEYS
def test_multi_block_foreign_keys_point_at_existing_rows(multi_block, child, column, parent):
    tables, _ = read_output(multi_block[0])
    keys = tables[child].column(column).drop_null()
    assert keys.length() > 0
    assert pc.all(pc.is_in(keys, value_set=tables[parent].column("id"))).as_py()


def test_each_row_keeps_to_its_customers_block(multi_block):
    # An order line's order, a session's converted order and an event's send belong to the
    # same customer as the row itself: ids were offset, not drawn from another block.
    tables, _ = read_output(multi_block[0])
    orders = tables["orders"].to_pandas().set_index("id")
    sends = tables["campaign_sends"].to_pandas().set_index("id")
    sessions = tables["web_sessions"].to_pandas().dropna(subset=["converted_order_id"])
    converted = orders.loc[sessions["converted_order_id"].astype("int64"), "customer_id"]
    assert (converted.to_numpy() == sessions["customer_id"].to_numpy()).all()
    block_of = (orders["customer_id"] - 1) // MULTI.block_customers
    assert block_of.is_monotonic_increasing, "a block's orders come after the previous block's"
    block_of_send = (sends["customer_id"] - 1) // MULTI.block_customers
    assert block_of_send.is_monotonic_increasing
    signup = tables["customers"].to_pandas().set_index("id")["signup_date"]
    ordered = orders["ordered_at"].to_numpy().astype("datetime64[D]")
    assert (ordered >= signup.loc[orders["customer_id"]].to_numpy().astype("datetime64[D]")).all()


def test_the_first_block_is_the_one_block_output(multi_block):
    tables, truth = read_output(multi_block[0])
    single, single_truth = generate(dataclasses.replace(MULTI, n_customers=300))
    assert truth.slice(0, 300).equals(single_truth)
    assert tables["products"].equals(single["products"])
    # A campaign's cost counts its whole audience, so it grows with the customer count.
    assert tables["campaigns"].drop_columns("cost").equals(single["campaigns"].drop_columns("cost"))
    for name in PER_CUSTOMER_TABLES:
        assert tables[name].slice(0, single[name].num_rows).equals(single[name]), name


# Row count and content digest of every table at 50 customers, seed 5, recorded with the
# generator as it was before it had blocks (353c7c5): up to one block it must still give this
# data, which the demo's and the tests' documented results depend on.
BEFORE_BLOCKS = {
    "customers": (50, "1ec24a252b09c3e0"),
    "products": (600, "a38da01ad9211324"),
    "orders": (260, "61e6b85227ef15c4"),
    "order_lines": (487, "8b4d832a8848396f"),
    "campaigns": (36, "747d6fc0eb889175"),
    "campaign_sends": (213, "966c61728c2e7d7f"),
    "email_events": (170, "0a93f77ff82ecf0e"),
    "web_sessions": (485, "091e07cd11d49684"),
    "experiment_assignments": (58, "e534698d438dfcf2"),
    "survey_responses": (16, "a526a3d7fe644b2f"),
    "customer_personas": (50, "97bca01c2d90582a"),
}


def test_one_block_gives_the_data_of_the_generator_before_blocks():
    tables, truth = generate(GeneratorConfig(n_customers=50, seed=5))
    found = {
        name: (table.num_rows, hashlib.sha256(repr(table.to_pylist()).encode()).hexdigest()[:16])
        for name, table in {**tables, "customer_personas": truth}.items()
    }
    assert found == BEFORE_BLOCKS


def test_one_block_holds_up_to_block_customers():
    at_size, _ = generate(dataclasses.replace(MULTI, n_customers=300))
    one_block, _ = generate(dataclasses.replace(MULTI, n_customers=300, block_customers=10_000))
    for name in RAW_TABLES:
        assert at_size[name].equals(one_block[name]), name


def test_later_blocks_draw_their_own_customers(multi_block):
    _, truth = read_output(multi_block[0])
    personas = truth.column("persona").to_numpy()
    first, second, third = personas[:300], personas[300:600], personas[600:900]
    assert (first != second).any() and (second != third).any()
    # Every block is a sample of the same retailer: each persona in every full block.
    for block in (first, second, third):
        assert set(block) == set(PERSONA_NAMES)


def test_same_seed_gives_the_same_files_in_blocks(multi_block, tmp_path):
    folder, _ = multi_block
    write_blocks(MULTI, tmp_path)
    for path in folder.rglob("*.parquet"):
        assert path.read_bytes() == (tmp_path / path.relative_to(folder)).read_bytes(), path
    write_blocks(dataclasses.replace(MULTI, seed=4), tmp_path / "other")
    other, _ = read_output(tmp_path / "other")
    tables, _ = read_output(folder)
    assert not other["orders"].equals(tables["orders"])


def test_in_memory_blocks_equal_the_written_files(multi_block):
    tables, truth = read_output(multi_block[0])
    in_memory, in_memory_truth = generate(MULTI)
    assert in_memory_truth.equals(truth)
    for name in RAW_TABLES:
        assert in_memory[name].equals(tables[name]), name


def test_command_line_block_size(tmp_path):
    main(["--customers", "120", "--seed", "5", "--block-customers", "50",
          "--output-dir", str(tmp_path)])  # fmt: skip
    tables, truth = read_output(tmp_path)
    assert tables["customers"].num_rows == truth.num_rows == 120
    assert pq.ParquetFile(tmp_path / "raw" / "orders.parquet").num_row_groups == 3
