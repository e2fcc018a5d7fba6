"""Kept history as a dbt Python model reads and extends it (docs/segments.md, History is protected).

What a warehouse keeps across builds lives in schema `history`, which no model writes: a model
returns the kept rows with this build's rows added, every test of the build checks that, and
the on-run-end hook keep_history (macros/keep_history.sql) keeps this build's rows only once
every model, seed and data test of the build passed.
"""

from __future__ import annotations

import duckdb
import pandas as pd

HISTORY_SCHEMA = "history"


def kept_table(connection: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """`history.<name>` when the warehouse keeps that table, else None (nothing kept yet)."""
    found = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [HISTORY_SCHEMA, name],
    ).fetchall()
    return f'{HISTORY_SCHEMA}."{name}"' if found[0][0] else None


def with_new_rows(
    connection: duckdb.DuckDBPyConnection, kept: str | None, new_rows: pd.DataFrame, name: str
) -> duckdb.DuckDBPyRelation | pd.DataFrame:
    """The kept table's rows followed by `new_rows`, whose values are cast to the kept
    columns' types (so that the kept rows keep theirs; a column only the new rows have is
    added, null in the kept rows). `name` registers the new rows on the connection."""
    if kept is None:
        return new_rows
    if new_rows.empty:
        return connection.sql(f"select * from {kept}")
    shape = connection.sql(f"select * from {kept} limit 0")
    kept_types = {
        column: str(kept_type) for column, kept_type in zip(shape.columns, shape.types, strict=True)
    }
    connection.register(name, new_rows)
    columns = ", ".join(
        f'cast("{column}" as {kept_types[column]}) as "{column}"'
        if column in kept_types
        else f'"{column}"'
        for column in new_rows.columns
    )
    return connection.sql(f"select * from {kept} union all by name select {columns} from {name}")
