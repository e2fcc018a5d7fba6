"""Publish the marts of a finished build to a read-only file, swapped in atomically.

DuckDB allows one writer process or many readers per file, so BI tools cannot read the build
warehouse while `dbt build` runs, and could see half-built marts if they could. After each
successful build this copies the `marts` and `reference` tables into a new file beside the
output (in DuckDB 1.0's storage format, which DuckDB 1.x and 2.x clients both read), adds a
one-row `marts._publication` table, syncs it to disk and renames it over the output. Readers
that had the old file open keep their complete snapshot (the old inode); new readers open the
new one. A failure before the rename leaves the published file untouched.

Only a build that passed is published (check_run_results, check_as_of_dates): dbt's
run_results.json of the build must be of this warehouse's last `dbt build`, run to its end,
with every node passed, and the marts must be at one as-of date. segwarehouse.sources records
the warehouse in the run results (DBT_ENV_CUSTOM_ENV_SEGWAREHOUSE_WAREHOUSE, which dbt copies
to metadata.env) and removes the previous run results before each dbt command, so that a
killed command leaves none behind.

Usage: python -m segwarehouse.publish --database data/demo/warehouse.duckdb \
    --output data/demo/published.duckdb [--run-results PATH]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "reference")
# Without this schema there is nothing to publish: fail rather than publish an empty file.
REQUIRED_SCHEMA = "marts"
PUBLICATION_TABLE = "_publication"
# The published file is written in the oldest storage format DuckDB 1.x reads (format 64),
# not in the format of the DuckDB writing it (2.x: 999), so that every DuckDB client, such as
# the 1.x Node client BI tools (Evidence, Malloy) embed, opens it. It costs some size (about
# 15% on the demo: newer compression is unavailable), never data.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
SOURCE_ALIAS = "build_warehouse"
TARGET_ALIAS = "publication"

RUN_RESULTS = "run_results.json"
# segwarehouse.sources sets DBT_ENV_CUSTOM_ENV_<this> to the warehouse it builds; dbt copies
# such variables, without the prefix, into its artifacts' metadata.env.
WAREHOUSE_ENV = "SEGWAREHOUSE_WAREHOUSE"
RECORDED_WAREHOUSE_ENV = f"DBT_ENV_CUSTOM_ENV_{WAREHOUSE_ENV}"
# Node statuses of a build that passed. no-op: exposures, which run nothing.
PASSED_STATUSES = frozenset({"success", "pass", "warn", "no-op"})
# dbt runs the project's on-run-end hooks after every node, and records them in the run
# results. When interrupted (Ctrl-C) it writes the results of the nodes it finished, without
# them. The project keeps an on-run-end hook (drop_dbt_temporary_tables) for this reason too.
ON_RUN_END = re.compile(r"^operation\.[^.]+\.[^.]+-on-run-end-\d+$")
# DuckDB writes its last changes to the warehouse when dbt's process exits, a moment (tens of
# milliseconds; its WAL is small) after dbt wrote its run results: a change later than this
# means another process, e.g. a later build, wrote the warehouse since.
WAREHOUSE_SETTLE_TIME = timedelta(seconds=10)
# Their as_of_date is that of the segment model's training features: a stored model is reused
# at later as-of dates, so it is not the build's.
TRAINING_DATE_MARTS = frozenset({"dim_segment_profiles", "fct_segment_model_runs"})
AS_OF_COLUMN = "as_of_date"
REMEDY = (
    "To publish, fix what failed, if anything, and build again (python -m segwarehouse.sources "
    "build MAPPING, or its make target, publishes once the build passes), or give "
    "--run-results PATH of the build that made this warehouse"
)


class PublishError(RuntimeError):
    """The build warehouse cannot be published; the published file was left as it was."""


class BuildNotPassedError(PublishError):
    """The build's run results or its marts do not show one complete build that passed."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}. {REMEDY}.")


@dataclass(frozen=True)
class BuildResults:
    """The run results of the build being published."""

    path: Path
    invocation_id: str
    generated_at: datetime
    node_count: int


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


def stale_temporaries(output: Path) -> list[Path]:
    """Temporary files (and their WALs) of earlier publishes of `output`, e.g. a killed one.

    Only names temporary_path gives, with a uuid4 hex token: no other file is touched.
    """
    pattern = re.compile(rf"\.{re.escape(output.name)}\.[0-9a-f]{{32}}\.tmp(\.wal)?")
    return sorted(
        path
        for path in output.parent.glob(f".{output.name}.*.tmp*")
        if pattern.fullmatch(path.name)
    )


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """One publish at a time per folder: held from the clean-up of stale temporaries to the
    rename, so that the temporary of a publish in progress is never taken for a stale one."""
    descriptor = os.open(output.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def default_run_results(database: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Where segwarehouse.sources has dbt write the build's run results: in DBT_TARGET_PATH
    when set (relative to the project folder), else in target/ beside the warehouse."""
    environ = os.environ if environ is None else environ
    target = environ.get("DBT_TARGET_PATH")
    if not target:
        return database.parent / "target" / RUN_RESULTS
    project_dir = Path(__file__).resolve().parents[2]
    return project_dir / target / RUN_RESULTS


def _timestamp(value: object) -> datetime | None:
    """An artifact's UTC timestamp ('2025-06-30T10:00:00.123456Z'), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _last_change(database: Path) -> datetime:
    """When the warehouse file, or its WAL, was last written."""
    wal = database.with_name(database.name + ".wal")
    times = [path.stat().st_mtime for path in (database, wal) if path.exists()]
    return datetime.fromtimestamp(max(times), UTC)


def check_run_results(
    path: Path, database: Path, *, started_after: datetime | None = None
) -> BuildResults:
    """Check that dbt's run results at `path` are of the last build of `database`, that it ran
    to its end and that every node passed; raise BuildNotPassedError saying what is wrong if not.

    Of that build: a `dbt build` (args.which), of this warehouse (metadata.env, recorded by
    segwarehouse.sources), and the warehouse not written since (its file and WAL no later
    than WAREHOUSE_SETTLE_TIME after the results). To its end: its on-run-end hooks are in the
    results. `started_after`: the invocation must have started after it (the caller's own).
    """
    if not path.exists():
        raise BuildNotPassedError(
            f"no run results at {path}: the build did not finish (a killed dbt writes none, "
            "and segwarehouse.sources removes the previous ones before each dbt command)"
        )
    try:
        document = json.loads(path.read_text())
        metadata, results, args = document["metadata"], document["results"], document["args"]
        statuses = [(str(result["unique_id"]), str(result["status"])) for result in results]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BuildNotPassedError(
            f"cannot read the run results {path} ({type(error).__name__}: {error})"
        ) from error
    generated_at = _timestamp(metadata.get("generated_at"))
    which = args.get("which")
    if which != "build":
        raise BuildNotPassedError(
            f"the run results {path} are of `dbt {which}`, not of `dbt build`: a later dbt "
            "command replaced the build's"
        )
    recorded = (metadata.get("env") or {}).get(WAREHOUSE_ENV)
    if recorded is None:
        raise BuildNotPassedError(
            f"the run results {path} do not say which warehouse they built (dbt records "
            f"{RECORDED_WAREHOUSE_ENV}, which segwarehouse.sources sets)"
        )
    if Path(recorded).resolve() != database.resolve():
        raise BuildNotPassedError(
            f"the run results {path} are of the build of another warehouse, {recorded}, "
            f"not of {database.resolve()}"
        )
    started = _timestamp(metadata.get("invocation_started_at"))
    if started_after is not None and (started is None or started < started_after):
        raise BuildNotPassedError(
            f"the run results {path} are of a dbt command started at {started}, before this "
            f"build ({started_after:%Y-%m-%d %H:%M:%S} UTC): another command wrote them"
        )
    if not any(ON_RUN_END.match(unique_id) for unique_id, _ in statuses):
        raise BuildNotPassedError(
            f"the build did not run to its end: its run results {path} list "
            f"{len(statuses)} nodes but not the on-run-end hooks (interrupted, e.g. by Ctrl-C)"
        )
    if generated_at is None:
        raise BuildNotPassedError(f"the run results {path} have no metadata.generated_at")
    changed = _last_change(database)
    if changed > generated_at + WAREHOUSE_SETTLE_TIME:
        raise BuildNotPassedError(
            f"{database} changed after these run results were written "
            f"({changed:%Y-%m-%d %H:%M:%S} UTC; results of {generated_at:%Y-%m-%d %H:%M:%S} "
            f"UTC, {path}): a later build, perhaps killed, wrote it"
        )
    failed = [
        (unique_id, status, result.get("message"))
        for (unique_id, status), result in zip(statuses, results, strict=True)
        if status not in PASSED_STATUSES
    ]
    if failed:
        shown = ", ".join(
            f"{unique_id} ({status}" + (f": {str(message).splitlines()[0]})" if message else ")")
            for unique_id, status, message in failed[:10]
        )
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        raise BuildNotPassedError(
            f"{len(failed)} of {len(statuses)} nodes did not pass: {shown}{more} (run results "
            f"{path})"
        )
    return BuildResults(path, str(metadata.get("invocation_id")), generated_at, len(statuses))


def as_of_dates(
    connection: duckdb.DuckDBPyConnection, tables: Sequence[tuple[str, str]]
) -> dict[str, list[date]]:
    """The distinct as-of dates of each attached mart with an as_of_date column, except
    TRAINING_DATE_MARTS; empty marts have none."""
    rows = connection.execute(
        """
        select table_name
        from duckdb_columns()
        where database_name = $database and schema_name = $schema and column_name = $column
        order by table_name
        """,
        {"database": SOURCE_ALIAS, "schema": REQUIRED_SCHEMA, "column": AS_OF_COLUMN},
    ).fetchall()
    published = {name for schema, name in tables if schema == REQUIRED_SCHEMA}
    dates = {}
    for (table_name,) in rows:
        if table_name not in published or table_name in TRAINING_DATE_MARTS:
            continue
        name = f"{SOURCE_ALIAS}.{quote(REQUIRED_SCHEMA)}.{quote(table_name)}"
        (values,) = connection.execute(
            f"select list(distinct {AS_OF_COLUMN} order by {AS_OF_COLUMN}) from {name} "
            f"where {AS_OF_COLUMN} is not null"
        ).fetchone()
        dates[table_name] = list(values or [])
    return dates


def check_as_of_dates(dates: Mapping[str, Sequence[date]]) -> date | None:
    """The one as-of date of the marts, or BuildNotPassedError listing the marts and their dates.

    A mart at a single date is a snapshot of the build: all of them must be at the same date.
    A mart with several (history: one row set per scoring run, e.g. fct_segment_share_drift)
    must have rows at that date. Empty marts have no date to compare.
    """
    snapshots: dict[date, list[str]] = {}
    for name, values in sorted(dates.items()):
        if len(values) == 1:
            snapshots.setdefault(values[0], []).append(name)
    if len(snapshots) > 1:
        listing = "; ".join(
            f"{as_of}: {', '.join(names)}" for as_of, names in sorted(snapshots.items())
        )
        raise BuildNotPassedError(
            f"the marts are not all at one as-of date, so they are not of one build: {listing}"
        )
    if not snapshots:
        return None
    (as_of,) = snapshots
    missing = [
        f"{name} has no rows as of {as_of} (its as-of dates: "
        f"{', '.join(str(value) for value in values)})"
        for name, values in sorted(dates.items())
        if len(values) > 1 and as_of not in values
    ]
    if missing:
        raise BuildNotPassedError(
            f"the marts are not all at one as-of date, so they are not of one build: "
            f"{', '.join(snapshots[as_of])} are as of {as_of}, but {'; '.join(missing)}"
        )
    return as_of


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
    database: Path,
    output: Path,
    schemas: Sequence[str] = PUBLISHED_SCHEMAS,
    *,
    run_results: Path | None,
    started_after: datetime | None = None,
) -> Publication:
    """Copy `schemas` of the build warehouse to a new file and rename it over `output`.

    Only a build that passed: `run_results` are dbt's run results of the build
    (check_run_results; None skips that check, for a caller that checked the build itself),
    and the marts must be at one as-of date (check_as_of_dates).
    """
    if not database.exists():
        raise PublishError(f"no build warehouse at {database}")
    if run_results is not None:
        check_run_results(run_results, database, started_after=started_after)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(output):
        remove_quietly(*stale_temporaries(output))
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
                check_as_of_dates(as_of_dates(connection, tables))
                connection.execute(
                    f"attach $path as {TARGET_ALIAS} (storage_version $storage_version)",
                    {"path": str(temporary), "storage_version": PUBLISHED_STORAGE_VERSION},
                )
                publication = write_publication(connection, tables, database)
                # Detaching checkpoints the target: all of it is in the file, no WAL beside it.
                connection.execute(f"detach {TARGET_ALIAS}")
            # Read-only on disk too: a client that forgets read_only=True cannot take the
            # write lock.
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
    parser.add_argument(
        "--run-results",
        type=Path,
        help="dbt's run_results.json of the build that made the warehouse (default: "
        "$DBT_TARGET_PATH/run_results.json if set, else target/run_results.json beside the "
        "warehouse, where segwarehouse.sources builds leave it)",
    )
    args = parser.parse_args(argv)
    run_results = args.run_results or default_run_results(args.database)
    try:
        publication = publish(args.database, args.output, run_results=run_results)
    except (PublishError, duckdb.Error) as error:
        raise SystemExit(f"publish failed, {args.output} left as it was: {error}") from error
    rows = sum(table.row_count for table in publication.tables)
    print(
        f"published {len(publication.tables)} tables ({rows:,} rows) to {args.output}: "
        f"publication {publication.publication_id}, row counts {publication.row_counts_hash}"
    )


if __name__ == "__main__":
    main()
