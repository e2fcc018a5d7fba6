import duckdb
import pytest

from segwarehouse.tools.bench import DAY_OF_ROW, append_day, split_last_day
from segwarehouse.tools.generate import GeneratorConfig, write, write_blocks


def counts(raw_dir):
    with duckdb.connect() as con:
        return {
            table: con.execute(
                f"select count(*) from read_parquet('{raw_dir}/{table}.parquet')"
            ).fetchone()[0]
            for table in DAY_OF_ROW
        }


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param(False, id="one-block"),
        # What the generator writes above one block: each file holds one row group per block.
        pytest.param(True, id="multi-block"),
    ],
)
def test_holding_back_the_last_day_then_appending_it_restores_every_row(
    small_retailer, tmp_path, blocks
):
    if blocks:
        write_blocks(
            GeneratorConfig(n_customers=1_000, seed=3, block_customers=300), tmp_path / "full"
        )
    else:
        write(*small_retailer, tmp_path / "full")
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


def test_node_groups_sum_node_seconds_per_layer_and_kind():
    from segwarehouse.tools.bench import node_groups, slowest_nodes

    def node(unique_id, seconds, relation=None):
        return {"unique_id": unique_id, "execution_time": seconds, "relation_name": relation}

    run_results = {
        "results": [
            node("model.p.stg_a", 2.0, '"w"."staging"."stg_a"'),
            node("model.p.stg_b", 1.0, '"w"."staging"."stg_b"'),
            node("model.p.int_c", 5.0, '"w"."intermediate"."int_c"'),
            node("test.p.unique_x.ab12", 0.5),
            node("unit_test.p.int_c.case", 0.25),
        ]
    }
    groups = {group.name: (group.nodes, group.seconds) for group in node_groups(run_results)}
    assert groups == {
        "intermediate models": (1, 5.0),
        "staging models": (2, 3.0),
        "data tests": (1, 0.5),
        "unit tests": (1, 0.25),
    }
    assert slowest_nodes(run_results, 2) == [("int_c", 5.0), ("stg_a", 2.0)]


def test_the_table_gives_each_build_its_ratio_to_the_baseline():
    from segwarehouse.tools.bench import Stage, format_table

    stages = [
        Stage("generate", 1.0, 100.0, 10),
        Stage("full build", 30.0, 500.0, 10, compared=True),
        Stage("hand-written baseline", 12.0, 300.0, 10),
        Stage("build after one day", 6.0, 400.0, 11, compared=True),
    ]
    rows = {
        line.split("|")[1].strip(): line.split("|")[5].strip()
        for line in format_table(10, stages).splitlines()[3:]
    }
    assert rows == {
        "generate": "",
        "full build": "2.50",
        "hand-written baseline": "",
        "build after one day": "0.50",
    }
    # Without a baseline stage the column stays empty.
    without = format_table(10, [stages[1]]).splitlines()[3]
    assert without.split("|")[5].strip() == ""


def test_a_failed_baseline_is_reported_and_the_builds_keep_their_rows(tmp_path):
    """A baseline that fails (e.g. out of memory at 10M customers) gives a stage marked failed,
    no ratio, and a verdict naming the file that holds its output."""
    from segwarehouse.tools.bench import Stage, format_table, run_baseline
    from segwarehouse.tools.generate import generate

    raw = tmp_path / "raw"
    tables, truth = generate(GeneratorConfig(n_customers=20, seed=1))
    write(tables, truth, tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_customer_features as select date '2025-12-31' as as_of_date"
        )
    script = tmp_path / "handwritten.py"
    script.write_text("import sys\nprint('MemoryError: out of memory')\nsys.exit(1)\n")
    stage, verdict = run_baseline(script, raw, tmp_path, warehouse, {})
    assert stage.wall_seconds != stage.wall_seconds  # nan: no time to compare with
    assert "the baseline failed" in verdict and "MemoryError" in verdict
    assert "MemoryError" in (tmp_path / "baseline.txt").read_text()
    table = format_table(20, [Stage("full build", 30.0, 500.0, 10, compared=True), stage])
    full_build, baseline = table.splitlines()[3:5]
    assert full_build.split("|")[5].strip() == ""
    assert baseline.split("|")[2].strip() == "failed"


def test_nodes_are_grouped_by_the_folder_of_their_stage():
    from segwarehouse.tools.bench import node_groups, node_stages

    manifest = {
        "nodes": {
            "model.p.stg_a": {
                "resource_type": "model",
                "original_file_path": "models/staging/m/stg_a.sql",
            },
            "model.p.int_c": {
                "resource_type": "model",
                "original_file_path": "models/intermediate/segmentation/int_c.sql",
            },
            "model.p.fct_d": {
                "resource_type": "model",
                "original_file_path": "models/marts/x/fct_d.sql",
            },
            "test.p.unique_c": {
                "resource_type": "test",
                "original_file_path": "models/intermediate/segmentation/int_c.yml",
                "depends_on": {"nodes": ["model.p.int_c"]},
            },
            "test.p.assert_d": {
                "resource_type": "test",
                "original_file_path": "tests/dbt/assert_d.sql",
                "depends_on": {"nodes": ["model.p.fct_d", "model.p.stg_a"]},
            },
        }
    }
    stages = node_stages(manifest)
    assert stages == {
        "model.p.stg_a": "staging",
        "model.p.int_c": "intermediate/segmentation",
        "model.p.fct_d": "marts",
        "test.p.unique_c": "intermediate/segmentation",
        "test.p.assert_d": "marts",
    }
    results = {"results": [{"unique_id": uid, "execution_time": 1.0} for uid in stages]}
    groups = {group.name: group.nodes for group in node_groups(results, stages)}
    assert groups == {
        "staging models": 1,
        "intermediate/segmentation models": 1,
        "marts models": 1,
        "data tests on intermediate/segmentation": 1,
        "data tests on marts": 1,
    }
