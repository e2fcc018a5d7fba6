"""Read a mapping file: which of the user's tables and columns feed which warehouse fields.

A mapping file is YAML. The smallest one that builds the whole warehouse:

    name: my_shop
    orders:
      path: exports/orders.csv
      columns:
        customer_id: CustomerNo
        ordered_at: InvoiceDate
        amount: Total

`load_mapping` checks the file against the catalogue (segwarehouse.sources.catalog) and turns
it into a `SourceMapping`: every entity with its table and, for each of its fields, where the
value comes from. Problems raise `MappingError`, naming the file, the entity and the field.
What the data itself says (columns that do not exist, values that do not parse) is checked by
segwarehouse.sources.probe.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from segwarehouse.sources.catalog import (
    BEHAVIOUR_FIELDS,
    ENTITIES,
    ENTITY_KEYS,
    FORMATS,
    LINE_FIELDS,
    SEGMENT_SETTINGS,
    SETTINGS,
    TOP_LEVEL_KEYS,
    Entity,
    Field,
)

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Attribute names become columns of the feature marts.
ATTRIBUTE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
LINE_FIELD_NAMES = (*(line_field.name for line_field in LINE_FIELDS), "order_line_id")
# Columns the feature marts already have: an attribute may not take one of these names.
RESERVED_ATTRIBUTE_NAMES = frozenset(
    {
        "customer_id",
        "as_of_date",
        "age_years",
        "age_band",
        "tenure_days",
        *(f.name for entity in ENTITIES.values() for f in entity.fields),
        *(f.name for f in BEHAVIOUR_FIELDS),
        "kept_order_count",
        "average_order_value",
        "mean_days_between_orders",
        "first_order_date",
        "last_order_date",
        "discounted_order_share",
        "discount_amount_share",
        "return_rate",
        "distinct_category_count",
        "top_category",
        "web_order_share",
        "app_order_share",
        "store_order_share",
        "email_delivered_count",
        "email_opened_count",
        "email_clicked_count",
        "email_open_rate",
        "email_click_rate",
        "has_unsubscribed",
        "session_count",
        "converted_session_count",
        "session_conversion_rate",
        "latest_nps_score",
        "latest_satisfaction_score",
        "source_customer_id",
    }
)


@functools.cache
def sql_keywords() -> frozenset[str]:
    """Words SQL reserves: an attribute (a column of the marts) may not be one."""
    rows = duckdb.execute(
        "select keyword_name from duckdb_keywords() where keyword_category != 'unreserved'"
    ).fetchall()
    return frozenset(row[0].lower() for row in rows)


class MappingError(ValueError):
    """The mapping file is wrong; the message names the file, the entity and the field."""


# Characters that may group a number's digits (thousands_separator): '1.234,50', "1'234.50".
THOUSANDS_SEPARATORS = (",", ".", " ", "'")


@dataclass(frozen=True)
class Numbers:
    """How an entity's file writes numbers (decimal_separator, thousands_separator)."""

    decimal_comma: bool = False
    thousands: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class FieldSource:
    """Where one field's value comes from."""

    kind: str  # column, sum, constant, derived, null
    columns: tuple[str, ...] = ()  # one for `column`, several for `sum`
    value: Any = None  # the constant
    values: tuple[tuple[str, Any], ...] = ()  # value map: source text -> value
    other: Any = None  # value for any text the map does not list
    has_other: bool = False
    default: Any = None  # replaces a null
    format: str | None = None  # strptime format of a date or timestamp held as text
    decimal_comma: bool = False  # numbers written with a decimal comma
    thousands: str | None = None  # digit grouping character of numbers ('1.234,50')
    currency: str | None = None  # a symbol written with the amounts ('€12.50'), dropped
    lowercase: bool = False  # text compared in lower case (ids such as email addresses)

    @property
    def is_mapped(self) -> bool:
        """Read from the user's data (so a null in it means missing), not filled in."""
        return self.kind in ("column", "sum")

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": self.kind}
        if self.kind == "column":
            spec["column"] = self.columns[0]
        if self.kind == "sum":
            spec["columns"] = list(self.columns)
        if self.kind == "constant":
            spec["value"] = _jsonable(self.value)
        if self.values:
            spec["values"] = [[source, _jsonable(target)] for source, target in self.values]
        if self.has_other:
            spec["other"] = _jsonable(self.other)
        if self.default is not None:
            spec["default"] = _jsonable(self.default)
        if self.format:
            spec["format"] = self.format
        if self.decimal_comma:
            spec["decimal_comma"] = True
        if self.thousands:
            spec["thousands"] = self.thousands
        if self.currency:
            spec["currency"] = self.currency
        if self.lowercase:
            spec["lowercase"] = True
        return spec


@dataclass(frozen=True)
class TableSource:
    """One table of the user's: files (CSV, Parquet, whitespace-separated) or a DuckDB table."""

    format: str
    path: str | None = None  # absolute file path or glob
    database: str | None = None  # absolute path of a DuckDB file; None: the warehouse itself
    table: tuple[str, ...] = ()  # schema and table (or table) in that database
    delimiter: str = ","
    header: bool = True
    names: tuple[str, ...] = ()
    quote: str = '"'
    file_row_number: bool = False

    @property
    def location(self) -> str:
        if self.format == "duckdb":
            return f"{self.database or '<warehouse>'}:{'.'.join(self.table)}"
        return str(self.path)

    def relative_location(self, start: Path) -> str:
        """The location relative to `start` when under it, so moving a whole project folder
        keeps a source the same."""
        for candidate in (self.path, self.database):
            if candidate is not None and Path(candidate).is_relative_to(start):
                return self.location.replace(str(start) + "/", "", 1)
        return self.location

    def to_spec(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "path": self.path,
            "database": self.database,
            "table": list(self.table),
            "delimiter": self.delimiter,
            "header": self.header,
            "names": list(self.names),
            "quote": self.quote,
            "file_row_number": self.file_row_number,
        }


@dataclass(frozen=True)
class Attribute:
    name: str
    source: FieldSource
    type: str  # number or text; "auto" until the data is probed


@dataclass(frozen=True)
class EntityMapping:
    entity: str
    table: TableSource
    fields: dict[str, FieldSource]
    attributes: tuple[Attribute, ...] = ()
    behaviour: dict[str, FieldSource] = field(default_factory=dict)
    category_spend: tuple[tuple[str, FieldSource], ...] = ()
    # campaign_responses in wide form: (campaign, column) pairs
    wide: tuple[tuple[str, FieldSource], ...] = ()
    # Identical rows of the table count as one (e.g. customer columns of a transaction log).
    distinct: bool = False

    def is_mapped(self, field_name: str) -> bool:
        source = self.fields.get(field_name)
        return source is not None and source.is_mapped


@dataclass(frozen=True)
class SourceMapping:
    name: str
    path: Path  # the mapping file
    root: Path  # folder its relative paths start from
    staging: str  # "mapped", or a hand-written staging folder
    entities: dict[str, EntityMapping]
    tables: dict[str, TableSource]  # hand-written staging: its raw tables by name
    settings: dict[str, Any]  # project vars
    provides: tuple[str, ...] = ()  # hand-written staging: entities its models make

    def identity(self, project_dir: Path) -> str:
        """What the warehouse records as the data it was built from: the name and where the
        orders (else customers, else the first table) are."""
        if "orders" in self.entities:
            primary = self.entities["orders"].table
        elif "customers" in self.entities:
            primary = self.entities["customers"].table
        else:
            primary = self.tables[sorted(self.tables)[0]]
        return f"{self.name} ({primary.relative_location(project_dir)})"

    def all_tables(self) -> dict[str, TableSource]:
        """The relations the warehouse reads, by the name of the view that stands for each."""
        if self.staging != "mapped":
            return dict(self.tables)
        return {name: entity.table for name, entity in self.entities.items()}

    def to_spec(self, project_dir: Path) -> dict[str, Any]:
        """The mapping as dbt reads it (macros/source_spec.sql): plain JSON-able values."""
        entities = {}
        for name, mapping in self.entities.items():
            catalog_entity = ENTITIES[name]
            fields = {
                field_name: mapping.fields.get(field_name, _unmapped(catalog_entity, field_name))
                for field_name in catalog_entity.field_names
            }
            entities[name] = {
                "fields": {name: source.to_spec() for name, source in fields.items()},
                "mapped": sorted(name for name, source in fields.items() if source.is_mapped),
                "attributes": [
                    {"name": a.name, "type": a.type, "source": a.source.to_spec()}
                    for a in mapping.attributes
                ],
                "behaviour": {name: source.to_spec() for name, source in mapping.behaviour.items()},
                "category_spend": [
                    [category, source.to_spec()] for category, source in mapping.category_spend
                ],
                "wide": [[campaign, source.to_spec()] for campaign, source in mapping.wide],
                "distinct": mapping.distinct,
            }
        tables = {name: table.to_spec() for name, table in self.all_tables().items()}
        return {
            "name": self.name,
            "staging": self.staging,
            "provides": list(self.provides),
            "identity": self.identity(project_dir),
            "fingerprint": hashlib.sha256(
                json.dumps({"entities": entities, "tables": tables}, sort_keys=True).encode()
            ).hexdigest()[:12],
            "entities": entities,
            "tables": sorted(tables),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _unmapped(entity: Entity, field_name: str) -> FieldSource:
    catalog_field = entity.field(field_name)
    if catalog_field.derived is not None:
        return FieldSource("derived")
    if catalog_field.default is not None:
        return FieldSource("constant", value=catalog_field.default)
    return FieldSource("null")


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Reader:
    """Walks the parsed YAML, raising MappingError with the file and the key path."""

    def __init__(self, path: Path, project_dir: Path) -> None:
        self.path = path
        self.project_dir = project_dir

    def fail(self, where: str, message: str) -> MappingError:
        return MappingError(f"{self.path}: {where}: {message}")

    def mapping(self, where: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"must be a mapping of keys to values, got {value!r}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(where, f"keys must be text, got {key!r}")
        return value

    def known_keys(self, where: str, value: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for key in value:
            if key not in allowed:
                raise self.fail(
                    where,
                    f"unknown key {key!r}{_suggest(key, allowed)}; allowed: {', '.join(allowed)}",
                )

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be non-empty text, got {value!r}")
        return value


def load_mapping(
    path: Path | str,
    *,
    name: str | None = None,
    root: Path | str | None = None,
    project_dir: Path | str | None = None,
) -> SourceMapping:
    """Read and check a mapping file. `name` and `root` override the file's own."""
    path = Path(path).resolve()
    project_dir = Path(project_dir or Path(__file__).resolve().parents[3]).resolve()
    if not path.is_file():
        raise MappingError(f"{path}: no such mapping file")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise MappingError(f"{path}: not valid YAML: {error}") from error
    reader = _Reader(path, project_dir)
    top = reader.mapping("the file", document if document is not None else {})
    reader.known_keys("the file", top, TOP_LEVEL_KEYS)

    source_name = name if name is not None else top.get("name")
    if source_name is None:
        raise reader.fail("name", "missing: give the source a name, e.g. name: my_shop")
    if not isinstance(source_name, str) or not NAME_PATTERN.fullmatch(source_name):
        raise reader.fail(
            "name",
            f"must be lower-case letters, digits and _ (starting with a letter), got "
            f"{source_name!r}: it names the warehouse folder data/<name>/",
        )
    if root is not None:
        root_dir = Path(root).resolve()
    elif "root" in top:
        root_dir = (path.parent / reader.text("root", top["root"])).resolve()
    else:
        root_dir = path.parent

    staging = top.get("staging", "mapped")
    if not isinstance(staging, str) or not NAME_PATTERN.fullmatch(staging):
        raise reader.fail(
            "staging", f"must be 'mapped' or a staging folder's name, got {staging!r}"
        )
    if staging != "mapped" and not (project_dir / "models" / "staging" / staging).is_dir():
        raise reader.fail(
            "staging",
            f"no folder models/staging/{staging} in {project_dir}: hand-written staging "
            "models go there (see docs/sources.md, Hand-written staging)",
        )

    settings = _settings(reader, top)
    entities: dict[str, EntityMapping] = {}
    tables: dict[str, TableSource] = {}
    if staging == "mapped":
        if "tables" in top:
            raise reader.fail(
                "tables",
                "only for hand-written staging (staging: <folder>); map entities instead",
            )
        for entity_name in ENTITIES:
            if entity_name in top:
                entities[entity_name] = _entity(reader, root_dir, entity_name, top[entity_name])
        _check_entities(reader, entities)
        _check_segment_settings(reader, settings, entities)
    else:
        mapped_here = [key for key in ENTITIES if key in top]
        if mapped_here:
            raise reader.fail(
                mapped_here[0],
                f"a source with hand-written staging ({staging}) lists its raw tables under "
                "`tables:`; its staging models map them to entities",
            )
        raw_tables = reader.mapping("tables", top.get("tables"))
        if not raw_tables:
            raise reader.fail("tables", "list at least one raw table")
        for table_name, table in raw_tables.items():
            if not NAME_PATTERN.fullmatch(table_name):
                raise reader.fail(f"tables.{table_name}", "table names are lower_snake_case")
            options = reader.mapping(f"tables.{table_name}", table)
            reader.known_keys(
                f"tables.{table_name}",
                options,
                ("path", "format", "table", "database", "delimiter", "header", "names", "quote",
                 "file_row_number"),
            )  # fmt: skip
            tables[table_name] = _table(reader, root_dir, f"tables.{table_name}", options)
    return SourceMapping(
        name=source_name,
        path=path,
        root=root_dir,
        staging=staging,
        entities=entities,
        tables=tables,
        settings=settings,
        provides=_provides(reader, top, staging),
    )


def _provides(reader: _Reader, top: Mapping[str, Any], staging: str) -> tuple[str, ...]:
    if staging == "mapped":
        if "provides" in top:
            raise reader.fail("provides", "only for hand-written staging (staging: <folder>)")
        return ()
    provides = top.get("provides")
    if not isinstance(provides, list) or not provides:
        raise reader.fail(
            "provides",
            f"missing: list the entities models/staging/{staging} makes a "
            f"stg_{staging}__<entity> model for, e.g. [customers, orders, order_lines]",
        )
    for entity_name in provides:
        if entity_name not in ENTITIES:
            raise reader.fail(
                "provides",
                f"unknown entity {entity_name!r}{_suggest(str(entity_name), tuple(ENTITIES))}",
            )
        if not (reader.project_dir / "models" / "staging" / staging
                / f"stg_{staging}__{entity_name}.sql").is_file():  # fmt: skip
            raise reader.fail(
                "provides",
                f"no models/staging/{staging}/stg_{staging}__{entity_name}.sql",
            )
    return tuple(provides)


def _settings(reader: _Reader, top: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    given = reader.mapping("settings", top.get("settings") or {})
    reader.known_keys("settings", given, SETTINGS)
    for key, value in given.items():
        settings[key] = _jsonable(value)
    segments = reader.mapping("segments", top.get("segments") or {})
    reader.known_keys("segments", segments, tuple(SEGMENT_SETTINGS))
    for key, value in segments.items():
        settings[SEGMENT_SETTINGS[key]] = value
    if "segment_features" in settings:
        features = settings["segment_features"]
        if (
            not isinstance(features, list)
            or not features
            or not all(isinstance(feature, str) for feature in features)
        ):
            raise reader.fail(
                "segments.features", f"must be a list of feature column names, got {features!r}"
            )
        if "segment_null_fills" not in settings:
            # The project's default fills name default features; keep those still listed.
            defaults = project_vars(reader.project_dir).get("segment_null_fills") or {}
            settings["segment_null_fills"] = {
                feature: fill for feature, fill in defaults.items() if feature in features
            }
    return settings


def _check_segment_settings(
    reader: _Reader, settings: Mapping[str, Any], entities: Mapping[str, EntityMapping]
) -> None:
    """Clustering features and fills name columns of fct_customer_features, checked here so a
    misspelling fails in a second rather than in the middle of the build."""
    customers = entities.get("customers")
    attributes = [a.name for a in customers.attributes] if customers else []
    columns = [*_feature_mart_columns(reader.project_dir), *attributes]
    features = settings.get("segment_features")
    if features is not None:
        for feature in features:
            if feature not in columns:
                raise reader.fail(
                    "segments.features",
                    f"no feature {feature!r}{_suggest(feature, columns)}; features are columns "
                    f"of marts.fct_customer_features: {', '.join(columns)}",
                )
    else:
        features = project_vars(reader.project_dir).get("segment_features") or []
    fills = settings.get("segment_null_fills") or {}
    if not isinstance(fills, Mapping):
        raise reader.fail(
            "segments.null_fills",
            f"must map features to a number or a column name, got {fills!r}",
        )
    for feature, fill in fills.items():
        if feature not in features:
            raise reader.fail(
                f"segments.null_fills.{feature}",
                f"{feature!r} is not one of the features {list(features)}: list it under "
                "segments.features, or drop its fill",
            )
        if isinstance(fill, str) and fill not in columns:
            raise reader.fail(
                f"segments.null_fills.{feature}",
                f"no column {fill!r}{_suggest(fill, columns)} to fill from",
            )


@functools.cache
def _feature_mart_columns(project_dir: Path) -> tuple[str, ...]:
    """The feature columns the feature marts' YAML documents (the key and date excluded)."""
    columns: list[str] = []
    for mart in ("fct_customer_behavioural_features", "fct_customer_demographic_features"):
        document = yaml.safe_load(
            (project_dir / "models" / "marts" / "features" / f"{mart}.yml").read_text("utf-8")
        )
        for column in document["models"][0]["columns"]:
            if column["name"] not in ("customer_id", "as_of_date", *columns):
                columns.append(column["name"])
    return tuple(columns)


def project_vars(project_dir: Path) -> dict[str, Any]:
    """The vars of the project's dbt_project.yml (its defaults)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def _table(reader: _Reader, root: Path, where: str, options: Mapping[str, Any]) -> TableSource:
    file_format = options.get("format")
    if file_format is None:
        if "table" in options or "database" in options:
            file_format = "duckdb"
        elif "path" in options:
            suffix = Path(str(options["path"])).suffix.lower()
            file_format = {".parquet": "parquet", ".pq": "parquet"}.get(suffix, "csv")
        else:
            raise reader.fail(where, "give `path` (a file or a glob) or `table` (a DuckDB table)")
    if file_format not in FORMATS:
        raise reader.fail(
            f"{where}.format",
            f"must be one of {', '.join(FORMATS)}{_suggest(str(file_format), FORMATS)}, "
            f"got {file_format!r}",
        )
    if file_format == "duckdb":
        table = reader.text(f"{where}.table", options.get("table"))
        parts = tuple(table.split("."))
        if not 1 <= len(parts) <= 2 or not all(parts):
            raise reader.fail(f"{where}.table", f"must be 'table' or 'schema.table', got {table!r}")
        database = options.get("database")
        return TableSource(
            format="duckdb",
            database=str((root / reader.text(f"{where}.database", database)).resolve())
            if database is not None
            else None,
            table=parts,
        )
    if "table" in options or "database" in options:
        raise reader.fail(where, "`table` and `database` go with format: duckdb")
    raw_path = reader.text(f"{where}.path", options.get("path"))
    delimiter = options.get("delimiter", ",")
    if delimiter == "whitespace":
        file_format = "whitespace"
    elif not isinstance(delimiter, str) or len(delimiter) != 1:
        raise reader.fail(
            f"{where}.delimiter", f"must be one character or 'whitespace', got {delimiter!r}"
        )
    header = options.get("header", True)
    if not isinstance(header, bool):
        raise reader.fail(f"{where}.header", f"must be true or false, got {header!r}")
    names = options.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise reader.fail(f"{where}.names", f"must be a list of column names, got {names!r}")
    if len(set(names)) != len(names):
        raise reader.fail(f"{where}.names", f"names a column twice: {names!r}")
    quote = options.get("quote", '"')
    if not isinstance(quote, str) or len(quote) > 1:
        raise reader.fail(f"{where}.quote", f"must be one character or empty, got {quote!r}")
    file_row_number = options.get("file_row_number", False)
    if file_row_number and file_format != "parquet":
        raise reader.fail(f"{where}.file_row_number", "only Parquet files have row numbers")
    if file_format == "parquet" and (names or "delimiter" in options or "header" in options):
        raise reader.fail(where, "delimiter, header and names are options of CSV files")
    path = raw_path if Path(raw_path).is_absolute() else str(root / raw_path)
    return TableSource(
        format=file_format,
        path=str(Path(path)) if not any(c in path for c in "*?[") else path,
        delimiter=delimiter if file_format == "csv" else "",
        header=header,
        names=tuple(names),
        quote=quote,
        file_row_number=bool(file_row_number),
    )


def _entity(reader: _Reader, root: Path, name: str, value: Any) -> EntityMapping:
    where = name
    options = reader.mapping(where, value)
    reader.known_keys(where, options, ENTITY_KEYS)
    catalog_entity = ENTITIES[name]
    table = _table(reader, root, where, options)
    timestamp_format = options.get("timestamp_format")
    date_format = options.get("date_format")
    for key, given in (("timestamp_format", timestamp_format), ("date_format", date_format)):
        if given is not None and (not isinstance(given, str) or "%" not in given):
            raise reader.fail(
                f"{where}.{key}", f"must be a strftime format such as '%d/%m/%Y', got {given!r}"
            )
    decimal_separator = options.get("decimal_separator", ".")
    if decimal_separator not in (".", ","):
        raise reader.fail(
            f"{where}.decimal_separator", f"must be '.' or ',', got {decimal_separator!r}"
        )
    thousands = options.get("thousands_separator")
    if thousands is not None and (
        thousands not in THOUSANDS_SEPARATORS or thousands == decimal_separator
    ):
        raise reader.fail(
            f"{where}.thousands_separator",
            f"must be one of {', '.join(repr(t) for t in THOUSANDS_SEPARATORS)} and differ from "
            f"decimal_separator {decimal_separator!r}, got {thousands!r}",
        )
    currency = options.get("currency_symbol")
    if currency is not None and (
        not isinstance(currency, str)
        or not 1 <= len(currency.strip()) <= 3
        or any(c.isdigit() or c in ".,+-" for c in currency)
    ):
        raise reader.fail(
            f"{where}.currency_symbol",
            f"must be the symbol or code written with the amounts, such as '€' or 'EUR', got "
            f"{currency!r}",
        )
    numbers = Numbers(
        decimal_comma=decimal_separator == ",",
        thousands=thousands,
        currency=currency.strip() if currency else None,
    )
    formats = {"timestamp": timestamp_format or date_format, "date": date_format}
    columns = reader.mapping(f"{where}.columns", options.get("columns") or {})
    fields: dict[str, FieldSource] = {}
    for field_name, given in columns.items():
        if field_name not in catalog_entity.field_names:
            raise reader.fail(
                f"{where}.columns.{field_name}",
                f"{name} have no field {field_name!r}"
                f"{_suggest(field_name, catalog_entity.field_names)}; the fields are "
                f"{', '.join(catalog_entity.field_names)}",
            )
        fields[field_name] = _field_source(
            reader,
            f"{where}.columns.{field_name}",
            catalog_entity.field(field_name),
            given,
            formats,
            numbers,
        )
    attributes: tuple[Attribute, ...] = ()
    behaviour: dict[str, FieldSource] = {}
    category_spend: tuple[tuple[str, FieldSource], ...] = ()
    if name != "customers":
        for key in ("attributes", "behaviour", "category_spend"):
            if key in options:
                raise reader.fail(f"{where}.{key}", f"only customers carry {key}")
    else:
        attributes = _attributes(reader, where, options, fields, formats, numbers)
        behaviour_options = reader.mapping(f"{where}.behaviour", options.get("behaviour") or {})
        behaviour_fields = {f.name: f for f in BEHAVIOUR_FIELDS}
        for field_name, given in behaviour_options.items():
            if field_name not in behaviour_fields:
                raise reader.fail(
                    f"{where}.behaviour.{field_name}",
                    f"unknown{_suggest(field_name, tuple(behaviour_fields))}; behaviour fields"
                    f" are {', '.join(behaviour_fields)}",
                )
            behaviour[field_name] = _field_source(
                reader,
                f"{where}.behaviour.{field_name}",
                behaviour_fields[field_name],
                given,
                formats,
                numbers,
            )
        spend = reader.mapping(f"{where}.category_spend", options.get("category_spend") or {})
        category_spend = tuple(
            (
                reader.text(f"{where}.category_spend", category).strip().lower(),
                _field_source(
                    reader,
                    f"{where}.category_spend.{category}",
                    Field(category, "decimal", "", summable=True),
                    given,
                    formats,
                    numbers,
                ),
            )
            for category, given in spend.items()
        )
    wide: tuple[tuple[str, FieldSource], ...] = ()
    if "wide" in options:
        if name != "campaign_responses":
            raise reader.fail(f"{where}.wide", "only campaign_responses come in wide form")
        wide_options = reader.mapping(f"{where}.wide", options["wide"])
        if not wide_options:
            raise reader.fail(f"{where}.wide", "list at least one campaign: its column")
        accepted = ENTITIES["campaign_responses"].field("is_accepted")
        wide = tuple(
            (
                reader.text(f"{where}.wide", campaign),
                _field_source(
                    reader, f"{where}.wide.{campaign}", accepted, given, formats, Numbers()
                ),
            )
            for campaign, given in wide_options.items()
        )
        for taken in ("campaign_id", "is_accepted"):
            if taken in fields:
                raise reader.fail(
                    f"{where}.columns.{taken}",
                    "in wide form each column under `wide:` is a campaign and holds whether "
                    f"it was accepted; do not map {taken}",
                )
    distinct = options.get("distinct", False)
    if not isinstance(distinct, bool):
        raise reader.fail(f"{where}.distinct", f"must be true or false, got {distinct!r}")
    return EntityMapping(
        entity=name,
        table=table,
        fields=fields,
        attributes=attributes,
        behaviour=behaviour,
        category_spend=category_spend,
        wide=wide,
        distinct=distinct,
    )


def _attributes(
    reader: _Reader,
    where: str,
    options: Mapping[str, Any],
    fields: Mapping[str, FieldSource],
    formats: Mapping[str, str | None],
    numbers: Numbers,
) -> tuple[Attribute, ...]:
    given = reader.mapping(f"{where}.attributes", options.get("attributes") or {})
    attributes = []
    for attribute_name, spec in given.items():
        place = f"{where}.attributes.{attribute_name}"
        if not ATTRIBUTE_PATTERN.fullmatch(attribute_name):
            raise reader.fail(
                place, "attribute names are lower_snake_case: they become feature columns"
            )
        if attribute_name in sql_keywords():
            raise reader.fail(
                place,
                f"{attribute_name!r} is a SQL keyword and would break queries of the marts; "
                f"choose another name, e.g. {attribute_name}_value",
            )
        if attribute_name in RESERVED_ATTRIBUTE_NAMES:
            raise reader.fail(
                place,
                f"{attribute_name!r} is already a warehouse column; "
                + (
                    f"map it under {where}.columns instead"
                    if attribute_name in fields
                    or attribute_name in ENTITIES["customers"].field_names
                    else "choose another name"
                ),
            )
        attribute_type = "auto"
        if isinstance(spec, Mapping) and "type" in spec:
            attribute_type = spec["type"]
            if attribute_type not in ("number", "text"):
                raise reader.fail(
                    f"{place}.type", f"must be number or text, got {attribute_type!r}"
                )
            spec = {key: value for key, value in spec.items() if key != "type"}
        # Read as a number when it is one, so the decimal separator applies.
        source = _field_source(
            reader,
            place,
            Field(attribute_name, "number", "", summable=True),
            spec,
            formats,
            numbers,
        )
        if source.kind == "sum":
            attribute_type = "number"
        attributes.append(Attribute(attribute_name, source, attribute_type))
    return tuple(attributes)


def _field_source(
    reader: _Reader,
    where: str,
    catalog_field: Field,
    given: Any,
    formats: Mapping[str, str | None],
    numbers: Numbers,
) -> FieldSource:
    """One field's source: a column name, a list of columns (summed), or a mapping with
    column / columns / constant and optional values, default."""
    text_format = formats.get(catalog_field.type)
    numeric = catalog_field.type in ("decimal", "integer", "number")
    # How numbers are written; fields of other types ignore it.
    written = {
        "decimal_comma": numbers.decimal_comma,
        "thousands": numbers.thousands,
        "currency": numbers.currency,
    }
    number_options = written if numeric else {}
    if isinstance(given, str):
        return FieldSource("column", (given,), format=text_format, **number_options)
    if isinstance(given, list):
        if not catalog_field.summable:
            raise reader.fail(where, "only counts and amounts take a list of columns to sum")
        if not given or not all(isinstance(column, str) and column for column in given):
            raise reader.fail(where, f"must list column names, got {given!r}")
        return FieldSource("sum", tuple(given), **written)
    spec = reader.mapping(where, given)
    reader.known_keys(
        where, spec, ("column", "columns", "constant", "values", "default", "lowercase")
    )
    sources = [key for key in ("column", "columns", "constant") if key in spec]
    if len(sources) != 1:
        raise reader.fail(where, "give exactly one of column, columns (summed) or constant")
    if "constant" in spec:
        if set(spec) != {"constant"}:
            raise reader.fail(where, "a constant takes no values or default")
        constant = spec["constant"]
        if isinstance(constant, list | dict):
            raise reader.fail(where, f"a constant must be one value, got {constant!r}")
        return FieldSource("constant", value=constant)
    if "columns" in spec:
        return _field_source(reader, where, catalog_field, spec["columns"], formats, numbers)
    column = reader.text(f"{where}.column", spec["column"])
    lowercase = spec.get("lowercase", False)
    if not isinstance(lowercase, bool):
        raise reader.fail(f"{where}.lowercase", f"must be true or false, got {lowercase!r}")
    values_map = spec.get("values") or {}
    if not isinstance(values_map, Mapping):
        raise reader.fail(
            f"{where}.values", f"must map source values to values, got {values_map!r}"
        )
    for source_value in values_map:
        if isinstance(source_value, bool) or source_value is None:
            raise reader.fail(
                f"{where}.values",
                f"the key {source_value!r} is what YAML makes of an unquoted yes, no, on, off, "
                'true, false or null: quote it ("yes": true) to match the text in the data',
            )
    values = []
    other: Any = None
    has_other = False
    for source_value, target in values_map.items():
        if isinstance(target, list | dict):
            raise reader.fail(f"{where}.values", f"a value maps to one value, got {target!r}")
        if source_value == "*":
            other, has_other = target, True
        else:
            values.append((str(source_value), target))
    default = spec.get("default")
    if isinstance(default, list | dict):
        raise reader.fail(f"{where}.default", f"must be one value, got {default!r}")
    return FieldSource(
        "column",
        (column,),
        values=tuple(values),
        other=other,
        has_other=has_other,
        default=default,
        format=text_format,
        lowercase=lowercase,
        **number_options,
    )


def _check_entities(reader: _Reader, entities: Mapping[str, EntityMapping]) -> None:
    """What must go together: required fields, and which entities need which."""
    customers = entities.get("customers")
    has_behaviour = customers is not None and bool(customers.behaviour or customers.category_spend)
    if "orders" not in entities and customers is None:
        raise reader.fail(
            "orders",
            "missing: map a transaction log or orders (customer_id, ordered_at and amount at "
            "least), or a customers table (a snapshot: its attributes, and precomputed "
            "behaviour if it has some)",
        )
    if "orders" in entities and has_behaviour:
        raise reader.fail(
            "customers.behaviour",
            "behaviour stands in for a transaction log; with orders mapped, the warehouse "
            "computes it from the orders: drop one of them",
        )
    if "orders" not in entities and customers is not None:
        snapshot = customers.fields.get("snapshot_date")
        if snapshot is None:
            measured = (
                "behaviour (recency, counts, spend) is measured on a date"
                if has_behaviour
                else "without orders the customers table is a snapshot, taken on a date (the "
                "as-of date of its features)"
            )
            raise reader.fail(
                "customers.columns.snapshot_date",
                f"missing: {measured}; map the column that holds it or give it as a constant, "
                "e.g. snapshot_date: {constant: '2024-06-30'}",
            )
    for name, mapping in entities.items():
        catalog_entity = ENTITIES[name]
        for catalog_field in catalog_entity.fields:
            if not catalog_field.required or catalog_field.name in mapping.fields:
                continue
            if (
                name == "campaign_responses"
                and mapping.wide
                and catalog_field.name
                in (
                    "campaign_id",
                    "is_accepted",
                )
            ):
                continue
            raise reader.fail(
                f"{name}.columns.{catalog_field.name}",
                f"missing: {name} need {catalog_field.name} ({catalog_field.description})",
            )
    orders = entities.get("orders")
    if orders is not None:
        line_fields = [f for f in LINE_FIELD_NAMES if f in orders.fields]
        if "order_lines" in entities:
            if line_fields:
                raise reader.fail(
                    f"orders.columns.{line_fields[0]}",
                    "with order_lines mapped, amounts and products belong on the lines; "
                    "map orders as one row per order",
                )
            if "order_id" not in orders.fields:
                raise reader.fail(
                    "orders.columns.order_id",
                    "missing: order_lines find their order by order_id",
                )
        elif not ({"amount", "unit_price"} & set(orders.fields)):
            raise reader.fail(
                "orders.columns.amount",
                "missing: a transaction log needs the money of each row: amount (what the "
                "row cost) or unit_price (with quantity)",
            )
    lines = entities.get("order_lines")
    if lines is not None:
        if orders is None:
            raise reader.fail("order_lines", "needs orders (one row per order) to belong to")
        if not ({"amount", "unit_price"} & set(lines.fields)):
            raise reader.fail(
                "order_lines.columns.amount",
                "missing: give amount (what the line cost) or unit_price (with quantity)",
            )
    if "email_events" in entities and "campaign_sends" not in entities:
        raise reader.fail("email_events", "need campaign_sends: each event belongs to a send")
    responses = entities.get("campaign_responses")
    if responses is not None and not responses.wide and "campaign_id" not in responses.fields:
        raise reader.fail(
            "campaign_responses.columns.campaign_id",
            "missing: map the campaign column (long form) or list campaigns under `wide:`",
        )
