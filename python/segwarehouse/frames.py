"""Python models' results that are too large for one pandas frame."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd


def table_from_frames(
    connection: duckdb.DuckDBPyConnection, name: str, frames: Iterable[pd.DataFrame]
) -> duckdb.DuckDBPyRelation:
    """The rows of `frames`, in order, as a temporary table `name` on `connection`: a Python
    model returns it, and only one frame is held in Python at a time (DuckDB keeps the rows
    within its memory_limit, spilling beyond). Every frame must have the first one's columns;
    there must be at least one (it gives the table its columns, even when empty)."""
    table = '"' + name.replace('"', '""') + '"'
    created = False
    for frame in frames:
        connection.register("_frame_to_store", frame)
        try:
            if created:
                connection.execute(f"insert into {table} by name select * from _frame_to_store")
            else:
                connection.execute(
                    f"create or replace temp table {table} as select * from _frame_to_store"
                )
                created = True
        finally:
            connection.unregister("_frame_to_store")
    if not created:
        raise ValueError(f"table_from_frames({name!r}): no frame given, so no columns")
    return connection.table(name)
