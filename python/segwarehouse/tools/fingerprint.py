"""Fingerprints of a warehouse's published schemas: do two builds hold the same marts?

Two builds from scratch of the same data with the same settings must give bit-for-bit the same
`marts` and `reference` tables (issue 11), except the run metadata columns in
RUN_METADATA_COLUMNS, which say when a model was trained or a run scored and so differ between
any two runs. A table's fingerprint is its row count, the sum of its rows' hashes (so the order
the rows are stored in does not matter, and a value moved to another row does) and one such sum
per column, which names the columns that differ.

Usage: python -m segwarehouse.tools.fingerprint A/warehouse.duckdb B/warehouse.duckdb
(exit 1 and one line per difference when they differ). Published files compare too: their
`marts._publication` table is run metadata.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from segwarehouse.publish import PUBLICATION_TABLE

COMPARED_SCHEMAS = ("marts", "reference")
# Run metadata: each is documented as such in its model's yml. _model_version (and the current
# one in dim_segments, _last_model_version) hashes the training time with the fitted model.
RUN_METADATA_COLUMNS = frozenset(
    {"_model_version", "_last_model_version", "_trained_at", "_scored_at"}
)
# A published file's record of its publication (segwarehouse.publish) is run metadata whole.
RUN_METADATA_TABLES = frozenset({PUBLICATION_TABLE})


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableFingerprint:
    columns: tuple[tuple[str, str], ...]  # (name, type) of the compared columns
    row_count: int
    row_hash: int  # sum over rows of hash(compared columns): independent of row order
    column_hashes: tuple[int, ...]  # per compared column, sum over rows of hash(value)


def fingerprints(
    connection: duckdb.DuckDBPyConnection,
    database: str,
    schemas: Sequence[str] = COMPARED_SCHEMAS,
    excluded: frozenset[str] = RUN_METADATA_COLUMNS,
) -> dict[str, TableFingerprint]:
    """'schema.table' -> fingerprint, for the base tables of `schemas` in attached `database`."""
    columns = connection.execute(
        """
        select schema_name, table_name, column_name, data_type
        from duckdb_columns()
        where database_name = $database and list_contains($schemas, schema_name)
            and not list_contains($skipped, table_name)
        order by schema_name, table_name, column_index
        """,
        {"database": database, "schemas": list(schemas), "skipped": list(RUN_METADATA_TABLES)},
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in columns:
        compared = tables.setdefault((schema, table), [])
        if column not in excluded:
            compared.append((column, data_type))
    result = {}
    for (schema, table), compared in tables.items():
        names = [quote(name) for name, _ in compared]
        # hash() is 64 bits unsigned; their sum as hugeint does not overflow.
        sums = [f"coalesce(sum(hash({name})), 0)" for name in names]
        row = f"coalesce(sum(hash({', '.join(names)})), 0)" if names else "0"
        values = connection.execute(
            f"select count(*), {', '.join([row, *sums])} "
            f"from {quote(database)}.{quote(schema)}.{quote(table)}"
        ).fetchone()
        result[f"{schema}.{table}"] = TableFingerprint(
            columns=tuple(compared),
            row_count=int(values[0]),
            row_hash=int(values[1]),
            column_hashes=tuple(int(value) for value in values[2:]),
        )
    return result


def differences(
    first: dict[str, TableFingerprint], second: dict[str, TableFingerprint]
) -> list[str]:
    """One line per table that differs, naming its differing columns; empty when equal."""
    lines = []
    for name in sorted(first.keys() | second.keys()):
        if name not in second or name not in first:
            lines.append(f"{name}: only in the {'first' if name in first else 'second'} build")
            continue
        a, b = first[name], second[name]
        if a.columns != b.columns:
            lines.append(f"{name}: columns differ: {list(a.columns)} vs {list(b.columns)}")
            continue
        if a == b:
            continue
        differing = [
            column
            for (column, _), hash_a, hash_b in zip(
                a.columns, a.column_hashes, b.column_hashes, strict=True
            )
            if hash_a != hash_b
        ]
        detail = (
            f"columns {', '.join(differing)}"
            if differing
            else "same values per column, paired differently in rows"
        )
        count = "" if a.row_count == b.row_count else f" ({a.row_count} vs {b.row_count} rows)"
        lines.append(f"{name}: {detail}{count}")
    return lines


def compare_warehouses(first: Path, second: Path) -> list[str]:
    """Differences between the compared schemas of two warehouse files (read-only)."""
    with duckdb.connect() as connection:
        for alias, path in (("first_build", first), ("second_build", second)):
            literal = "'" + str(path).replace("'", "''") + "'"
            connection.execute(f"attach {literal} as {alias} (read_only)")
        return differences(
            fingerprints(connection, "first_build"), fingerprints(connection, "second_build")
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m segwarehouse.tools.fingerprint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    for path in (args.first, args.second):
        if not path.is_file():
            raise SystemExit(f"no such warehouse file: {path}")
    lines = compare_warehouses(args.first, args.second)
    print("\n".join(lines) if lines else "same marts and reference tables (run metadata aside)")
    raise SystemExit(1 if lines else 0)


if __name__ == "__main__":
    main()
