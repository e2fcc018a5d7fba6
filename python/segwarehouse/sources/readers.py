"""The SQL that reads a mapped table, and the views the warehouse reads it through.

Every table of a mapping becomes a view `mapped_source.<name>` in the source's warehouse,
`select * from <reader>`: dbt's staging models select from those views (declared as the dbt
source `mapped`), never from the files, so the warehouse always reads what the mapping file
says. CSV files are read as text (all_varchar): staging parses each value, so one bad value
is a quarantined row, not a failed read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb

from segwarehouse.sources.mapping import SourceMapping, TableSource

SCHEMA = "mapped_source"
# A character no line of a whitespace-separated file holds: each line is read whole, then split.
LINE_DELIMITER = "\x1f"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def database_alias(database: str) -> str:
    """The name an attached DuckDB file of the user's is known by in the warehouse."""
    return "mapped_db_" + hashlib.sha256(database.encode()).hexdigest()[:10]


def reader_sql(table: TableSource) -> str:
    """A relation (subquery or table function) holding the table's raw rows."""
    if table.format == "duckdb":
        parts = [sql_identifier(part) for part in table.table]
        if table.database is not None:
            if len(parts) == 1:
                parts.insert(0, sql_identifier("main"))
            parts.insert(0, sql_identifier(database_alias(table.database)))
        return ".".join(parts)
    path = sql_string(str(table.path))
    if table.format == "parquet":
        options = ", union_by_name = true"
        if table.file_row_number:
            options += ", file_row_number = true"
        return f"read_parquet({path}{options})"
    if table.format == "csv":
        options = [
            f"delim = {sql_string(table.delimiter)}",
            f"header = {str(table.header).lower()}",
            f"quote = {sql_string(table.quote)}",
            "all_varchar = true",
            "union_by_name = true",
        ]
        if table.names:
            options.append("names = [" + ", ".join(sql_string(n) for n in table.names) + "]")
        return f"read_csv({path}, {', '.join(options)})"
    # whitespace: fields separated by runs of spaces or tabs, read line by line.
    lines = (
        f"read_csv({path}, columns = {{'line': 'VARCHAR'}}, header = false, "
        f"delim = {sql_string(LINE_DELIMITER)}, quote = '', escape = ''"
        + (", skip = 1" if table.header else "")
        + ")"
    )
    columns = ", ".join(
        f"string_split_regex(trim(line), '\\s+')[{position}] as {sql_identifier(name)}"
        for position, name in enumerate(table.names, start=1)
    )
    return f"(select {columns} from {lines} where trim(line) != '')"


def whitespace_names(connection: duckdb.DuckDBPyConnection, table: TableSource) -> tuple[str, ...]:
    """Column names of a whitespace-separated file: its header's fields, else column1, ..."""
    if table.names:
        return table.names
    first = connection.execute(
        f"select string_split_regex(trim(line), '\\s+') from read_csv({sql_string(str(table.path))}"
        f", columns = {{'line': 'VARCHAR'}}, header = false, delim = "
        f"{sql_string(LINE_DELIMITER)}, quote = '', escape = '') where trim(line) != '' limit 1"
    ).fetchone()
    fields = list(first[0]) if first else []
    if table.header:
        return tuple(fields)
    return tuple(f"column{position}" for position in range(1, len(fields) + 1))


def attachments(tables: Iterable[TableSource]) -> list[tuple[str, str]]:
    """(alias, path) of each DuckDB file of the user's that the tables read."""
    found = {t.database for t in tables if t.format == "duckdb" and t.database is not None}
    return [(database_alias(database), database) for database in sorted(found)]


def attach(connection: duckdb.DuckDBPyConnection, tables: Iterable[TableSource]) -> None:
    for alias, path in attachments(tables):
        connection.execute(
            f"attach if not exists {sql_string(path)} as {sql_identifier(alias)} (read_only)"
        )


def create_source_views(connection: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> None:
    """(Re)create mapped_source.<table> for each of the mapping's tables."""
    tables = mapping.all_tables()
    attach(connection, tables.values())
    connection.execute(f"create schema if not exists {SCHEMA}")
    for name, table in tables.items():
        connection.execute(
            f"create or replace view {SCHEMA}.{sql_identifier(name)} as "
            f"select * from {reader_sql(table)}"
        )
