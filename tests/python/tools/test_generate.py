import subprocess
import sys
from datetime import date

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from segwarehouse.tools.generate import RAW_TABLES, GeneratorConfig, generate, main
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


@pytest.mark.parametrize(
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
    import dataclasses

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
