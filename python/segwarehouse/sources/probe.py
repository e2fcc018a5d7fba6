"""Check a mapping against the data it points at, before any model runs.

`probe` opens every table of a mapping with DuckDB and checks that each mapped column exists
(else the error lists the columns the table has), that typed values parse (a field where most
sampled values do not parse is a mapping mistake, shown with a few of them; a few bad values
are reported and left to the quarantine) and decides whether each attribute is a number or
text. It returns the mapping with what it learnt filled in, and a report.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb

from segwarehouse.sources.catalog import BEHAVIOUR_FIELDS, ENTITIES
from segwarehouse.sources.mapping import (
    Attribute,
    EntityMapping,
    FieldSource,
    MappingError,
    SourceMapping,
    TableSource,
)
from segwarehouse.sources.readers import (
    attach,
    reader_sql,
    sql_identifier,
    sql_string,
    whitespace_names,
)

# Rows sampled to check that values parse.
SAMPLE_ROWS = 100_000
# Above this share of unparseable sampled values a field is mis-mapped (wrong column or
# format), not holding a few bad rows.
MISMAPPED_SHARE = 0.5
# A text attribute is a number when at least this share of its values are numbers.
NUMERIC_ATTRIBUTE_SHARE = 0.95
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE")


@dataclass
class TableReport:
    name: str
    location: str
    row_count: int
    columns: list[str]


@dataclass
class ProbeReport:
    tables: list[TableReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"{t.name}: {t.row_count:,} rows from {t.location}" for t in self.tables]
        lines += [f"warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _parse_sql(expression: str, field_type: str, source: FieldSource) -> str | None:
    """SQL parsing `expression` (text or a typed value) as staging does; None for text."""
    text = f"nullif(trim(cast({expression} as varchar)), '')"
    if field_type in ("timestamp", "date"):
        if source.format:
            parsed = f"try_strptime({text}, {sql_string(source.format)})"
            return f"cast({parsed} as {field_type})"
        if field_type == "timestamp":
            # As staging reads it (macro parse_value): text with a UTC offset, in UTC.
            offset = r"'\s*([+-][0-9]{2}):?([0-9]{2})$', '\1:\2'"
            return (
                f"case when typeof({expression}) like 'TIMESTAMP%' or typeof({expression}) = 'DATE'"
                f" then try_cast({expression} as timestamp) else cast(try_cast(regexp_replace("
                f"{text}, {offset}) as timestamptz) as timestamp) end"
            )
        return f"try_cast({expression} as {field_type})"
    if field_type == "integer":
        # Whole numbers only, as staging reads them ('1.5' and '1,000' do not parse).
        decimals = "," if source.decimal_comma else "\\."
        return (
            f"case when typeof({expression}) in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
            f" then try_cast({expression} as integer)"
            f" when regexp_full_match({text}, '[+-]?[0-9]{{1,9}}({decimals}0*)?')"
            f" then cast(regexp_extract({text}, '^[+-]?[0-9]+') as integer) end"
        )
    if field_type in ("decimal", "number"):
        value = f"replace({text}, ',', '.')" if source.decimal_comma else expression
        target = {"decimal": "decimal(18, 2)", "number": "double"}
        return f"try_cast({value} as {target[field_type]})"
    if field_type == "boolean":
        return f"try_cast({expression} as boolean)"
    return None


def _value_sql(source: FieldSource) -> str:
    """The field's raw value after its value map and default, as staging computes it."""
    column = sql_identifier(source.columns[0])
    if not source.values and not source.has_other:
        value = column
    else:
        text = f"trim(cast({column} as varchar))"
        cases = " ".join(
            f"when {text} = {sql_string(key)} then {_literal(target)}"
            for key, target in source.values
        )
        otherwise = _literal(source.other) if source.has_other else f"cast({column} as varchar)"
        value = f"case {cases} when {column} is null then null else {otherwise} end"
    if source.default is not None:
        value = f"coalesce(cast({value} as varchar), {_literal(source.default)})"
    return value


def _literal(value: object) -> str:
    if value is None:
        return "null"
    return sql_string(str(value).lower() if isinstance(value, bool) else str(value))


def _sources(mapping: EntityMapping) -> Iterator[tuple[str, str, FieldSource]]:
    """(where, type, source) of every column-read value of an entity."""
    catalog_entity = ENTITIES[mapping.entity]
    for name, source in mapping.fields.items():
        yield f"{mapping.entity}.columns.{name}", catalog_entity.field(name).type, source
    for attribute in mapping.attributes:
        kind = "number" if attribute.type == "number" else "text"
        yield f"{mapping.entity}.attributes.{attribute.name}", kind, attribute.source
    behaviour_types = {f.name: f.type for f in BEHAVIOUR_FIELDS}
    for name, source in mapping.behaviour.items():
        yield f"{mapping.entity}.behaviour.{name}", behaviour_types[name], source
    for category, source in mapping.category_spend:
        yield f"{mapping.entity}.category_spend.{category}", "decimal", source
    for campaign, source in mapping.wide:
        yield f"{mapping.entity}.wide.{campaign}", "boolean", source


def _describe(
    connection: duckdb.DuckDBPyConnection, mapping: SourceMapping, where: str, table: TableSource
) -> tuple[TableSource, dict[str, str]]:
    if table.format == "whitespace" and not table.names:
        try:
            table = dataclasses.replace(table, names=whitespace_names(connection, table))
        except duckdb.Error as error:
            raise MappingError(
                f"{mapping.path}: {where}: cannot read {table.location}: {error}"
            ) from error
    try:
        described = connection.execute(f"describe select * from {reader_sql(table)}").fetchall()
    except duckdb.Error as error:
        message = str(error).splitlines()[0]
        if "No files found" in message or "does not exist" in message:
            message = f"no file matches {table.location}"
        raise MappingError(
            f"{mapping.path}: {where}: cannot read {table.location}: {message}"
        ) from error
    return table, {row[0]: row[1] for row in described}


def probe(
    mapping: SourceMapping, connection: duckdb.DuckDBPyConnection | None = None
) -> tuple[SourceMapping, ProbeReport]:
    """Check the mapping against its data; return it completed (names, attribute types)."""
    connection = connection or duckdb.connect()
    # Zoned times become UTC, as in the warehouse (profiles.yml sets the same).
    connection.execute("set timezone = 'UTC'")
    report = ProbeReport()
    tables = mapping.all_tables()
    try:
        attach(connection, tables.values())
    except duckdb.Error as error:
        raise MappingError(
            f"{mapping.path}: cannot open a DuckDB database it names: {str(error).splitlines()[0]}"
        ) from error
    resolved_tables: dict[str, TableSource] = {}
    column_types: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        resolved, types = _describe(connection, mapping, name, table)
        resolved_tables[name] = resolved
        column_types[name] = types
        try:
            row_count = connection.execute(
                f"select count(*) from {reader_sql(resolved)}"
            ).fetchone()[0]
        except duckdb.Error as error:
            # A malformed line beyond what DuckDB sampled to sniff the file.
            raise MappingError(
                f"{mapping.path}: {name}: cannot read every row of {resolved.location}: "
                f"{str(error).splitlines()[0]} (check delimiter, quote and header, or fix the "
                "file)"
            ) from error
        report.tables.append(TableReport(name, resolved.location, int(row_count), list(types)))
    if mapping.staging != "mapped":
        return dataclasses.replace(mapping, tables=resolved_tables), report
    entities = {}
    for name, entity in mapping.entities.items():
        table = resolved_tables[name]
        types = column_types[name]
        for where, field_type, source in _sources(entity):
            for column in source.columns:
                if column not in types:
                    raise MappingError(
                        f"{mapping.path}: {where}: no column {column!r} in {table.location}"
                        f"{_close(column, list(types))}; its columns are: {', '.join(types)}"
                    )
            # A sum is checked column by column: staging quarantines a row whose part does
            # not parse rather than count it as 0.
            parts = (
                [
                    dataclasses.replace(source, kind="column", columns=(column,))
                    for column in source.columns
                ]
                if source.kind == "sum"
                else [source]
            )
            for part in parts:
                if part.is_mapped:
                    _check_parse(connection, mapping, where, table, field_type, part, report)
        attributes = tuple(
            Attribute(a.name, a.source, _attribute_type(connection, table, types, a, report))
            if a.type == "auto"
            else a
            for a in entity.attributes
        )
        entities[name] = dataclasses.replace(entity, table=table, attributes=attributes)
    return dataclasses.replace(mapping, entities=entities), report


def _close(column: str, columns: list[str]) -> str:
    close = difflib.get_close_matches(column, columns, n=1) or [
        c for c in columns if c.lower() == column.lower()
    ]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_parse(
    connection: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    where: str,
    table: TableSource,
    field_type: str,
    source: FieldSource,
    report: ProbeReport,
) -> None:
    value = _value_sql(source)
    parsed = _parse_sql(value, field_type, source)
    if parsed is None:
        return
    sample = f"(select * from {reader_sql(table)} limit {SAMPLE_ROWS})"
    present = f"nullif(trim(cast({value} as varchar)), '') is not null"
    try:
        counts = connection.execute(
            f"select count(*) filter (where {present}), "
            f"count(*) filter (where {present} and {parsed} is null), "
            f"list(distinct cast({value} as varchar)) filter (where {present} and {parsed} is"
            f" null)[1:5] from {sample}"
        ).fetchone()
    except duckdb.Error as error:
        hint = f" (is {source.format!r} a strftime format?)" if source.format else ""
        raise MappingError(
            f"{mapping.path}: {where}: cannot read column {', '.join(source.columns)!r} of "
            f"{table.location} as a {field_type}{hint}: {str(error).splitlines()[0]}"
        ) from error
    present_count, bad_count, examples = counts
    if not bad_count:
        return
    shown = ", ".join(repr(example) for example in examples or [])
    what = f"a {field_type}" + (f" in the format {source.format!r}" if source.format else "")
    columns = " + ".join(source.columns)
    if bad_count > MISMAPPED_SHARE * present_count:
        hint = (
            "set timestamp_format / date_format on the entity (a strftime format such as "
            "'%d/%m/%Y %H:%M')"
            if field_type in ("timestamp", "date")
            else "map the right column, or translate the values with values: {...}"
            + (", or set decimal_separator: ','" if field_type in ("decimal", "number") else "")
        )
        raise MappingError(
            f"{mapping.path}: {where}: {bad_count:,} of {present_count:,} sampled values of "
            f"column {columns!r} in {table.location} are not {what}, e.g. {shown}; {hint}"
        )
    report.warnings.append(
        f"{where}: {bad_count:,} of {present_count:,} sampled values of {columns!r} are not "
        f"{what} (e.g. {shown}); those rows will be quarantined as unparseable_value"
    )


def _attribute_type(
    connection: duckdb.DuckDBPyConnection,
    table: TableSource,
    types: dict[str, str],
    attribute: Attribute,
    report: ProbeReport,
) -> str:
    """number when the column is numeric, or nearly all of its text values are numbers."""
    source = attribute.source
    if source.kind == "constant":
        return "number" if isinstance(source.value, int | float) else "text"
    if all(types[c].upper().startswith(NUMERIC_TYPES) or types[c].upper().startswith("DECIMAL")
           for c in source.columns) and not source.values:  # fmt: skip
        return "number"
    value = _value_sql(source)
    number = _parse_sql(value, "number", source)
    present, numeric = connection.execute(
        f"select count(*) filter (where nullif(trim(cast({value} as varchar)), '') is not null), "
        f"count(*) filter (where {number} is not null) "
        f"from (select * from {reader_sql(table)} limit {SAMPLE_ROWS})"
    ).fetchone()
    if present and numeric >= NUMERIC_ATTRIBUTE_SHARE * present:
        if numeric < present:
            report.warnings.append(
                f"customers.attributes.{attribute.name}: {present - numeric:,} of {present:,} "
                "sampled values are not numbers; the attribute is a number, and those rows "
                "will be quarantined as unparseable_value (declare type: text to keep it text)"
            )
        return "number"
    return "text"
