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
import glob
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from segwarehouse.sources.catalog import BEHAVIOUR_FIELDS, ENTITIES
from segwarehouse.sources.mapping import (
    THOUSANDS_SEPARATORS,
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
    decimals = "," if source.decimal_comma else "\\."
    if source.currency:
        # As staging reads them (macro without_currency): the symbol dropped.
        text = f"nullif(trim(replace({text}, {sql_string(source.currency)}, '')), '')"
    if source.thousands:
        # As staging reads them (macro ungrouped): digits grouped in threes lose the separator.
        grouped = sql_string(
            f"[+-]?[0-9]{{1,3}}([{source.thousands}][0-9]{{3}})+({decimals}[0-9]*)?"
        )
        text = (
            f"case when regexp_full_match({text}, {grouped})"
            f" then replace({text}, {sql_string(source.thousands)}, '') else {text} end"
        )
    if field_type == "integer":
        # Whole numbers only, as staging reads them ('1.5' and '1,000' do not parse).
        return (
            f"case when typeof({expression}) in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
            f" then try_cast({expression} as integer)"
            f" when regexp_full_match({text}, '[+-]?[0-9]{{1,9}}({decimals}0*)?')"
            f" then cast(regexp_extract({text}, '^[+-]?[0-9]+') as integer) end"
        )
    if field_type in ("decimal", "number"):
        value = expression
        if source.decimal_comma:
            value = f"replace({text}, ',', '.')"
        elif source.thousands or source.currency:
            value = text
        target = {"decimal": "decimal(18, 2)", "number": "double"}
        return f"try_cast({value} as {target[field_type]})"
    if field_type == "boolean":
        return f"try_cast({expression} as boolean)"
    return None


def _value_sql(source: FieldSource) -> str:
    """The field's raw value after its value map and default, as staging computes it."""
    column = sql_identifier(source.columns[0])
    if source.lowercase:
        column = f"lower(cast({column} as varchar))"
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
        message = str(error).splitlines()[0].rstrip(".")
        if "No files found" in message or "does not exist" in message:
            message = f"no file matches {table.location}"
        raise MappingError(
            f"{mapping.path}: {where}: cannot read {table.location}: {message}"
            f"{_delimiter_hint(table)}"
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
                f"file){_delimiter_hint(resolved)}"
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
                        f"{_delimiter_hint(table)}"
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
        _check_accepted_values(connection, mapping, table, entity, report)
        _check_id_case(connection, table, entity, report)
        if _lines_without_ids(mapping, entity):
            _check_copies(connection, table, entity, report)
        attributes = tuple(
            Attribute(a.name, a.source, _attribute_type(connection, table, types, a, report))
            if a.type == "auto"
            else a
            for a in entity.attributes
        )
        entities[name] = dataclasses.replace(entity, table=table, attributes=attributes)
    return dataclasses.replace(mapping, entities=entities), report


def _check_accepted_values(
    connection: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    table: TableSource,
    entity: EntityMapping,
    report: ProbeReport,
) -> None:
    """Text fields with a fixed set of values (status, channel, ...): values outside it are
    quarantined as invalid_value, so name them now, with what to add to the value map."""
    sample = f"(select * from {reader_sql(table)} limit {SAMPLE_ROWS})"
    for catalog_field in ENTITIES[entity.entity].fields:
        source = entity.fields.get(catalog_field.name)
        if not catalog_field.accepted or source is None or not source.is_mapped:
            continue
        where = f"{entity.entity}.columns.{catalog_field.name}"
        # As staging reads it: the value map, then trimmed and lower-cased.
        value = f"lower(nullif(trim(cast({_value_sql(source)} as varchar), e' \\t\\r\\n'), ''))"
        accepted = ", ".join(sql_string(v) for v in catalog_field.accepted)
        present, bad, values = connection.execute(
            f"select count(*) filter (where {value} is not null), "
            f"count(*) filter (where {value} not in ({accepted})), "
            f"(select list(struct_pack(v, n) order by n desc, v) from (select {value} as v, "
            f"count(*) as n from {sample} where {value} not in ({accepted}) group by 1)) "
            f"from {sample}"
        ).fetchone()
        allowed = ", ".join(catalog_field.accepted)
        columns = " + ".join(source.columns)
        if bad:
            shown = ", ".join(f"{v['v']!r} ({v['n']:,} rows)" for v in values[:6])
            more = f" and {len(values) - 6} more" if len(values) > 6 else ""
            example = ", ".join(
                f"{v['v']}: <{'|'.join(catalog_field.accepted)}>" for v in values[:3]
            )
            message = (
                f"{where}: {bad:,} of {present:,} sampled values of {columns!r} are not one of "
                f"{allowed}: {shown}{more}"
            )
            if bad > MISMAPPED_SHARE * present:
                raise MappingError(
                    f"{mapping.path}: {message}; translate them with values: {{{example}}}"
                )
            report.warnings.append(
                f"{message}; those rows will be quarantined as invalid_value, unless you "
                "translate them with values: {...}"
            )
        if (
            entity.entity == "orders"
            and catalog_field.name == "status"
            and not entity.is_mapped("returned_at")
        ):
            returned = connection.execute(
                f"select count(*) from {sample} where {value} = 'returned'"
            ).fetchone()[0]
            if returned:
                raise MappingError(
                    f"{mapping.path}: {where}: {returned:,} sampled orders have status "
                    "returned, but returned_at is not mapped; a return needs its date (a later "
                    "return does not reach back before it), so every one would be quarantined. "
                    "Map returned_at, or translate those values to cancelled (the order does "
                    "not count) or completed"
                )


def _lines_without_ids(mapping: SourceMapping, entity: EntityMapping) -> bool:
    """Order lines read without a line id (order_lines, or a transaction log's rows): two
    identical rows are two lines, as nothing tells them apart."""
    if entity.distinct or "order_line_id" in entity.fields:
        return False
    return entity.entity == "order_lines" or (
        entity.entity == "orders" and "order_lines" not in mapping.entities
    )


def _check_copies(
    connection: duckdb.DuckDBPyConnection,
    table: TableSource,
    entity: EntityMapping,
    report: ProbeReport,
) -> None:
    """Warn of rows that are exact copies of another: each counts as a line of its own."""
    sample = f"(select * from {reader_sql(table)} limit {SAMPLE_ROWS})"
    copies = connection.execute(
        f"select count(*) - (select count(*) from (select distinct * from {sample})) from {sample}"
    ).fetchall()[0][0]
    if copies:
        report.warnings.append(
            f"{entity.entity}: {copies:,} sampled rows are exact copies of another row; each "
            "counts as an order line of its own (the same item twice in one order). If the "
            "export repeats rows, set distinct: true on the entity to count them once (the "
            "summary lists them as copies)"
        )


def _check_id_case(
    connection: duckdb.DuckDBPyConnection,
    table: TableSource,
    entity: EntityMapping,
    report: ProbeReport,
) -> None:
    """Warn when customer ids differ only in letter case (email addresses, typically): they
    are different customers unless the mapping says `lowercase: true`."""
    source = entity.fields.get("customer_id")
    if source is None or source.kind != "column" or source.lowercase:
        return
    value = f"nullif(trim(cast({_value_sql(source)} as varchar)), '')"
    sample = f"(select * from {reader_sql(table)} limit {SAMPLE_ROWS})"
    clashes, example = connection.execute(
        f"select count(*), min(ids) from (select lower(v) as k, list(distinct v order by v) "
        f"as ids from (select {value} as v from {sample}) where v is not null group by k "
        f"having count(distinct v) > 1)"
    ).fetchall()[0]
    if clashes:
        shown = " and ".join(repr(i) for i in example[:2])
        report.warnings.append(
            f"{entity.entity}.columns.customer_id: customer ids that differ only in letter "
            f"case ({clashes:,} such sets, e.g. {shown}) are different customers; if case "
            f"does not matter (email addresses), map customer_id: {{column: "
            f"{source.columns[0]}, lowercase: true}} on every entity that has it"
        )


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
    number_hint = _number_hint(field_type, source, examples or [])
    if bad_count > MISMAPPED_SHARE * present_count:
        if field_type in ("timestamp", "date"):
            hint = (
                "set timestamp_format / date_format on the entity (a strftime format such as "
                "'%d/%m/%Y %H:%M')"
            )
        else:
            hint = "map the right column, or translate the values with values: {...}" + (
                f", or {number_hint}" if number_hint else ""
            )
        raise MappingError(
            f"{mapping.path}: {where}: {bad_count:,} of {present_count:,} sampled values of "
            f"column {columns!r} in {table.location} are not {what}, e.g. {shown}; {hint}"
        )
    report.warnings.append(
        f"{where}: {bad_count:,} of {present_count:,} sampled values of {columns!r} are not "
        f"{what} (e.g. {shown}); those rows will be quarantined as unparseable_value"
        + (
            f"; to read them, {number_hint}"
            if number_hint
            else "; correct them in the file, or translate them with values: {...}"
        )
    )


def _delimiter_hint(table: TableSource) -> str:
    """A hint to set `delimiter` when the file's first line splits better on another one."""
    if table.format != "csv" or not table.path:
        return ""
    files = sorted(glob.glob(table.path)) or [table.path]
    try:
        with open(files[0], encoding="utf-8", errors="replace") as file:
            first_line = file.readline()
    except OSError:
        return ""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|") if d != table.delimiter}
    best = max(counts, key=lambda d: counts[d], default=None)
    if best is None or counts[best] <= first_line.count(table.delimiter):
        return ""
    shown = "\\t" if best == "\t" else best
    return (
        f". Its first line has {counts[best]} '{shown}' and "
        f'{first_line.count(table.delimiter)} {table.delimiter!r}: set delimiter: "{shown}"'
    )


# What may stand around an amount: a currency symbol or code ('€12.50', '12,50 EUR').
CURRENCY = re.compile(r"^\s*([^\d\s.,+-]{1,3})?\s*([+-]?[\d.,' ]*\d)\s*([^\d\s.,+-]{1,3})?\s*$")


def _number_hint(field_type: str, source: FieldSource, examples: list[Any]) -> str:
    """How to read numbers that fail, from the failing values themselves: a currency symbol
    to drop, digits grouped by a thousands separator, or a decimal comma."""
    if field_type not in ("decimal", "number", "integer"):
        return ""
    decimal = "," if source.decimal_comma else "."
    options: dict[str, str] = {}
    for example in (str(e) for e in examples):
        match = CURRENCY.fullmatch(example)
        if match is None:
            continue
        symbol = match.group(1) or match.group(3)
        if symbol and not source.currency:
            options.setdefault("currency_symbol", symbol)
        digits = match.group(2).strip()
        for separator in THOUSANDS_SEPARATORS:
            grouped = rf"[+-]?[0-9]{{1,3}}([{separator}][0-9]{{3}})+({re.escape(decimal)}[0-9]*)?"
            if separator != decimal and not source.thousands and re.fullmatch(grouped, digits):
                options.setdefault("thousands_separator", separator)
        if not source.decimal_comma and re.fullmatch(r"[+-]?[0-9]+,[0-9]{1,2}", digits):
            options.setdefault("decimal_separator", ",")
    if not options:
        return ""
    settings = " and ".join(f"{key}: {value!r}" for key, value in options.items())
    return f"set {settings} on the entity"


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
