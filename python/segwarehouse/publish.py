"""Publish the marts of a finished build to a read-only file, swapped in atomically.

DuckDB allows one writer process or many readers per file, so BI tools cannot read the build
warehouse while `dbt build` runs, and could see half-built marts if they could. After each
successful build this copies the `marts` and `reference` tables into a new file beside the
output, adds a one-row `marts._publication` table, syncs it to disk and renames it over the
output. Readers that had the old file open keep their complete snapshot (the old inode); new
readers open the new one. A failure before the rename leaves the published file untouched.

Usage: python -m segwarehouse.publish --database data/demo/warehouse.duckdb \
    --output data/demo/published.duckdb
"""

from __future__ import annotations

import argparse
import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "reference")
# Without this schema there is nothing to publish: fail rather than publish an empty file.
REQUIRED_SCHEMA = "marts"
PUBLICATION_TABLE = "_publication"
SOURCE_ALIAS = "build_warehouse"
TARGET_ALIAS = "publication"


class PublishError(RuntimeError):
    """The build warehouse cannot be published; the published file was left as it was."""


@dataclass(frozen=True)
class TableCount:
    table_schema: str
    table_name: str
    row_count: int


@dataclass(frozen=True)
class Publication:
    publication_id: str
    published_at: datetime
    source_database: str
    row_counts_hash: str
    tables: tuple[TableCount, ...]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def row_counts_hash(tables: Sequence[TableCount]) -> str:
    """A short fingerprint of which tables were published and their row counts.

    A reader recomputes it from the tables it sees to check that it reads one whole snapshot.
    """
    lines = sorted(f"{t.table_schema}.{t.table_name}={t.row_count}" for t in tables)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def temporary_path(output: Path, token: str) -> Path:
    """A hidden file in the output's directory, so the final rename stays on one file system."""
    return output.with_name(f".{output.name}.{token}.tmp")


def copy_table_sql(table_schema: str, table_name: str) -> str:
    """Create-table-as keeps the column types; contracts' constraints are not reproduced."""
    name = f"{quote(table_schema)}.{quote(table_name)}"
    return f"create table {TARGET_ALIAS}.{name} as select * from {SOURCE_ALIAS}.{name}"


def source_tables(
    connection: duckdb.DuckDBPyConnection, schemas: Sequence[str]
) -> list[tuple[str, str]]:
    """The base tables of the given schemas in the attached build warehouse, in a fixed order."""
    rows = connection.execute(
        """
        select schema_name, table_name
        from duckdb_tables()
        where database_name = $database and list_contains($schemas, schema_name)
        order by schema_name, table_name
        """,
        {"database": SOURCE_ALIAS, "schemas": list(schemas)},
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def write_publication(
    connection: duckdb.DuckDBPyConnection, tables: Sequence[tuple[str, str]], source: Path
) -> Publication:
    """Copy the tables into the attached target, then record what was copied."""
    counts = []
    for table_schema, table_name in tables:
        connection.execute(f"create schema if not exists {TARGET_ALIAS}.{quote(table_schema)}")
        connection.execute(copy_table_sql(table_schema, table_name))
        (row_count,) = connection.execute(
            f"select count(*) from {TARGET_ALIAS}.{quote(table_schema)}.{quote(table_name)}"
        ).fetchone()
        counts.append(TableCount(table_schema, table_name, int(row_count)))
    publication = Publication(
        publication_id=uuid.uuid4().hex,
        published_at=datetime.now(UTC).replace(tzinfo=None),
        source_database=str(source.resolve()),
        row_counts_hash=row_counts_hash(counts),
        tables=tuple(counts),
    )
    connection.execute(
        f"""
        create table {TARGET_ALIAS}.{REQUIRED_SCHEMA}.{PUBLICATION_TABLE} (
            publication_id varchar,
            published_at timestamp,
            source_database varchar,
            row_counts_hash varchar,
            tables struct(table_schema varchar, table_name varchar, row_count bigint)[]
        )
        """
    )
    connection.execute(
        f"insert into {TARGET_ALIAS}.{REQUIRED_SCHEMA}.{PUBLICATION_TABLE} "
        "values ($id, $at, $source, $hash, $tables)",
        {
            "id": publication.publication_id,
            "at": publication.published_at,
            "source": publication.source_database,
            "hash": publication.row_counts_hash,
            "tables": [
                {
                    "table_schema": t.table_schema,
                    "table_name": t.table_name,
                    "row_count": t.row_count,
                }
                for t in counts
            ],
        },
    )
    return publication


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory's entries, to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_quietly(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def publish(
    database: Path, output: Path, schemas: Sequence[str] = PUBLISHED_SCHEMAS
) -> Publication:
    """Copy `schemas` of the build warehouse to a new file and rename it over `output`."""
    if not database.exists():
        raise PublishError(f"no build warehouse at {database}")
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(output, uuid.uuid4().hex)
    temporary_wal = temporary.with_name(temporary.name + ".wal")
    try:
        with duckdb.connect(":memory:") as connection:
            connection.execute(
                f"attach $path as {SOURCE_ALIAS} (read_only)", {"path": str(database)}
            )
            tables = source_tables(connection, schemas)
            if not any(table_schema == REQUIRED_SCHEMA for table_schema, _ in tables):
                raise PublishError(f"{database} has no tables in schema {REQUIRED_SCHEMA!r}")
            connection.execute(f"attach $path as {TARGET_ALIAS}", {"path": str(temporary)})
            publication = write_publication(connection, tables, database)
            # Detaching checkpoints the target: all of it is in the file, no WAL left beside it.
            connection.execute(f"detach {TARGET_ALIAS}")
        # Read-only on disk too: a client that forgets read_only=True cannot take the write lock.
        temporary.chmod(0o444)
        fsync_path(temporary)
        os.replace(temporary, output)
    except BaseException:
        remove_quietly(temporary, temporary_wal)
        raise
    fsync_path(output.parent)
    return publication


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Publish the marts of a finished build to a read-only file, atomically."
    )
    parser.add_argument(
        "--database", type=Path, required=True, help="the build warehouse DuckDB file"
    )
    parser.add_argument(
        "--output", type=Path, required=True, help="the published file readers open"
    )
    args = parser.parse_args(argv)
    try:
        publication = publish(args.database, args.output)
    except (PublishError, duckdb.Error) as error:
        raise SystemExit(f"publish failed, {args.output} left as it was: {error}") from error
    rows = sum(table.row_count for table in publication.tables)
    print(
        f"published {len(publication.tables)} tables ({rows:,} rows) to {args.output}: "
        f"publication {publication.publication_id}, row counts {publication.row_counts_hash}"
    )


if __name__ == "__main__":
    main()
