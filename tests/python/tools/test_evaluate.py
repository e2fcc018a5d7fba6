"""segwarehouse.tools.evaluate on a hand-made segments mart and ground truth
(tests/python/test_warehouse.py runs it on the built test warehouse).
"""

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segwarehouse.tools.evaluate import main, memberships_with_personas, persona_recovery

SEGMENTS = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6, 7], "segment_id": [1, 1, 2, 2, 3, 3, 3]})
# Customer 7 has no planted persona (not a generated customer): it is left out.
PERSONAS = {
    "customer_id": [1, 2, 3, 4, 5, 6],
    "persona": ["vip", "vip", "new", "new", "gone", "gone"],
}


@pytest.fixture
def warehouse(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        connection.register("segments", SEGMENTS)
        connection.execute("create table marts.dim_customer_segments as select * from segments")
    ground_truth = tmp_path / "ground_truth" / "customer_personas.parquet"
    ground_truth.parent.mkdir()
    pq.write_table(pa.table(PERSONAS), ground_truth)
    return database, ground_truth


def test_segments_matching_the_personas_score_one(warehouse):
    database, ground_truth = warehouse
    with duckdb.connect(str(database), read_only=True) as connection:
        memberships = memberships_with_personas(connection, ground_truth)
    assert sorted(memberships["customer_id"]) == PERSONAS["customer_id"]
    ari, table = persona_recovery(memberships)
    assert ari == pytest.approx(1.0)
    assert table.loc[3, "gone"] == 2
    assert table.to_numpy().sum() == 6


def test_segments_unrelated_to_the_personas_score_at_most_zero():
    memberships = pd.DataFrame(
        {"segment_id": [1, 2, 1, 2, 1, 2], "persona": ["vip", "vip", "new", "new", "gone", "gone"]}
    )
    ari, _ = persona_recovery(memberships)
    assert ari <= 0


def test_command_line_prints_the_index_and_the_table(warehouse, capsys):
    database, ground_truth = warehouse
    main(["--database", str(database), "--ground-truth", str(ground_truth)])
    output = capsys.readouterr().out
    assert "adjusted Rand index: 1.000 over 6 customers" in output
    assert "persona" in output
