"""How well the segments recover the generator's planted personas.

    python -m segwarehouse.tools.evaluate --database data/demo/warehouse.duckdb \
        --ground-truth data/demo/ground_truth/customer_personas.parquet

prints the adjusted Rand index and the segment x persona table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pandas as pd
from sklearn.metrics import adjusted_rand_score

MEMBERSHIP_SQL = """
select segments.customer_id, segments.segment_id, personas.persona
from marts.dim_customer_segments as segments
inner join read_parquet($ground_truth) as personas
    on segments.customer_id = personas.customer_id
"""


def memberships_with_personas(
    connection: duckdb.DuckDBPyConnection, ground_truth: Path
) -> pd.DataFrame:
    return connection.execute(MEMBERSHIP_SQL, {"ground_truth": str(ground_truth)}).df()


def persona_recovery(memberships: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """Adjusted Rand index of segments against personas, and their cross-tabulation."""
    ari = float(adjusted_rand_score(memberships["persona"], memberships["segment_id"]))
    return ari, pd.crosstab(memberships["segment_id"], memberships["persona"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Compare segments with the planted personas.")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--ground-truth", type=Path, required=True)
    args = parser.parse_args(argv)
    with duckdb.connect(str(args.database), read_only=True) as connection:
        memberships = memberships_with_personas(connection, args.ground_truth)
    ari, table = persona_recovery(memberships)
    print(f"adjusted Rand index: {ari:.3f} over {len(memberships):,} customers")
    print(table.to_string())


if __name__ == "__main__":
    main()
