"""Opening a published file (data/<name>/published.duckdb) to read it.

The one place the readers of the marts (the dashboard, the audience export, the semantic
layer) check that what they were given is a published file with the marts they need, and say
what is wrong and what to do when it is not: a missing path, a file DuckDB cannot open, a build
warehouse given instead of its published file, or a file published by an older version.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from segwarehouse.publish import PUBLICATION_TABLE, REQUIRED_SCHEMA

PUBLICATION = f"{REQUIRED_SCHEMA}.{PUBLICATION_TABLE}"
HOW_TO_BUILD = (
    "build and publish it first (make demo, or make build-source SOURCE=path/to/mapping.yml), "
    "or give the published.duckdb a build wrote in data/<name>/"
)


class PublishedFileError(Exception):
    """The file is not a published file this reader can read; the message says what to do."""


def open_published(
    path: Path, *, required: Sequence[str] = (), how_to_build: str = HOW_TO_BUILD
) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file at `path`, which must hold every table of
    `required` ("schema.table"); PublishedFileError naming the path and the remedy otherwise."""
    if not path.is_file():
        raise PublishedFileError(f"no published file at {path.resolve()}: {how_to_build}")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise PublishedFileError(
            f"cannot open {path.resolve()} read-only ({str(error).splitlines()[0]}): is it a "
            "published.duckdb a build wrote?"
        ) from error
    tables = {
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }
    if PUBLICATION not in tables:
        connection.close()
        raise PublishedFileError(
            f"{path.resolve()} is not a published file (it has no {PUBLICATION}): open the "
            "published.duckdb a build writes beside its warehouse, not the warehouse"
        )
    missing = [name for name in required if name not in tables]
    if missing:
        connection.close()
        raise PublishedFileError(
            f"{path.resolve()} lacks {', '.join(missing)}: it was published by an older "
            f"version of the project; {how_to_build}"
        )
    return connection
