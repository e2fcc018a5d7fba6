"""Mapping files: read, checked against the catalogue and against the data, turned into what
dbt reads (macros/source_spec.sql). No dbt here (see test_byod.py for builds)."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dbt.config.utils import parse_cli_vars

from segwarehouse.sources.catalog import ENTITIES, fields_markdown
from segwarehouse.sources.cli import (
    LOCATION_ENV,
    SOURCE_ENV,
    STAGING_ENV,
    _absolute_paths,
    dbt_vars_text,
    source_environment,
    source_spec,
)
from segwarehouse.sources.cli import main as sources_main
from segwarehouse.sources.mapping import MappingError, load_mapping
from segwarehouse.sources.probe import _parse_sql, probe
from segwarehouse.sources.readers import reader_sql

from .conftest import PROJECT_DIR, modules_loaded_by

MINIMAL = """
name: my_shop
orders:
  path: exports/orders.csv
  columns:
    customer_id: CustomerNo
    ordered_at: InvoiceDate
    amount: Total
"""


def assert_warns(report, *fragments: str) -> None:
    """One of the probe's warnings holds every fragment."""
    assert any(all(fragment in warning for fragment in fragments) for warning in report.warnings), (
        report.warnings
    )


def write_mapping(folder: Path, text: str, name: str = "mapping.yml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def set_orders_column(shop: Path, column: str, values: list[str]) -> None:
    """Rewrite one column of the shop's exports/orders.csv (as text)."""
    frame = pd.read_csv(shop / "exports" / "orders.csv", dtype=str)
    frame[column] = values
    frame.to_csv(shop / "exports" / "orders.csv", index=False)


@pytest.fixture
def shop(tmp_path) -> Path:
    """A folder with exports/orders.csv (three columns) beside a mapping file."""
    (tmp_path / "exports").mkdir()
    pd.DataFrame(
        {
            "CustomerNo": ["C1", "C1", "C2", "C3"],
            "InvoiceDate": [
                "2024-01-05 10:00:00",
                "2024-02-05 11:00:00",
                "2024-01-07 09:30:00",
                "2024-03-01 12:00:00",
            ],
            "Total": ["10.50", "20", "7.25", "99.99"],
        }
    ).to_csv(tmp_path / "exports" / "orders.csv", index=False)
    return tmp_path


def test_the_minimal_mapping_is_valid_and_its_paths_are_relative_to_it(shop):
    mapping = load_mapping(write_mapping(shop, MINIMAL))
    assert mapping.name == "my_shop"
    assert list(mapping.entities) == ["orders"]
    orders = mapping.entities["orders"]
    assert orders.table.format == "csv"
    assert orders.table.path == str(shop / "exports" / "orders.csv")
    spec = mapping.to_spec(shop)["entities"]["orders"]
    assert spec["fields"]["customer_id"] == {"kind": "column", "column": "CustomerNo"}
    assert spec["fields"]["amount"] == {"kind": "column", "column": "Total"}
    # A log without order ids: one order per customer per timestamp; unmapped defaults.
    assert spec["fields"]["order_id"] == {"kind": "derived"}
    assert spec["fields"]["status"] == {"kind": "constant", "value": "completed"}
    assert spec["fields"]["quantity"] == {"kind": "constant", "value": 1}
    assert spec["fields"]["channel"] == {"kind": "null"}
    assert set(spec["mapped"]) == {"customer_id", "ordered_at", "amount"}


def test_the_command_line_name_and_root_override_the_file(shop, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    mapping = load_mapping(write_mapping(shop, MINIMAL), name="copy", root=other)
    assert mapping.name == "copy"
    assert mapping.entities["orders"].table.path == str(other / "exports" / "orders.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "name: s\nordres: {path: a.csv, columns: {}}\n",
            "unknown key 'ordres' (did you mean 'orders'?)",
            id="misspelt-entity",
        ),
        pytest.param(
            "name: s\norders: {path: a.csv, columns: {customer: C, ordered_at: D, amount: T}}\n",
            "orders.columns.customer: orders have no field 'customer' (did you mean "
            "'customer_id'?)",
            id="unknown-field",
        ),
        pytest.param(
            "name: s\norders: {path: a.csv, columns: {customer_id: C, amount: T}}\n",
            "orders.columns.ordered_at: missing",
            id="missing-required-field",
        ),
        pytest.param(
            "name: s\norders: {path: a.csv, columns: {customer_id: C, ordered_at: D}}\n",
            "orders.columns.amount: missing: a transaction log needs the money",
            id="log-without-money",
        ),
        pytest.param(
            "name: s\ncustomers: {path: c.csv, columns: {customer_id: ID}}\n",
            "customers.columns.snapshot_date: missing: without orders the customers table is a "
            "snapshot",
            id="customers-without-orders-or-a-date",
        ),
        pytest.param(
            "name: s\ncampaigns: {path: c.csv, columns: {campaign_id: ID}}\n",
            "orders: missing: map a transaction log",
            id="neither-orders-nor-customers",
        ),
        pytest.param(
            "name: My Shop\norders: {path: a.csv, columns: {}}\n",
            "name: must be lower-case letters",
            id="bad-name",
        ),
        pytest.param("orders: {path: a.csv, columns: {}}\n", "name: missing", id="no-name"),
        pytest.param(
            "name: s\norders: {path: a.csv, delimiter: ';;', columns: {}}\n",
            "orders.delimiter: must be one character or 'whitespace'",
            id="bad-delimiter",
        ),
        pytest.param(
            "name: s\norders: {path: a.xlsx, format: excel, columns: {}}\n",
            "orders.format: must be one of csv, parquet, duckdb, whitespace",
            id="unknown-format",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders: {path: o.csv, columns: {customer_id: C, ordered_at: D, amount: T}}
                order_lines: {path: l.csv, columns: {order_id: O, amount: A}}
                """
            ),
            "orders.columns.amount: with order_lines mapped, amounts and products belong on "
            "the lines",
            id="line-fields-on-orders-with-lines",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders: {path: o.csv, columns: {customer_id: C, ordered_at: D, amount: T}}
                customers:
                  path: c.csv
                  columns: {customer_id: ID, snapshot_date: {constant: '2024-06-30'}}
                  behaviour: {recency_days: Recency}
                """
            ),
            "customers.behaviour: behaviour stands in for a transaction log",
            id="behaviour-with-orders",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                customers:
                  path: c.csv
                  columns: {customer_id: ID}
                  behaviour: {recency_days: Recency}
                """
            ),
            "customers.columns.snapshot_date: missing: behaviour (recency, counts, spend) is "
            "measured on a date",
            id="behaviour-without-snapshot-date",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders: {path: o.csv, columns: {customer_id: C, ordered_at: D, amount: T}}
                customers:
                  path: c.csv
                  columns: {customer_id: ID}
                  attributes: {country: Country}
                """
            ),
            "customers.attributes.country: 'country' is already a warehouse column; map it "
            "under customers.columns instead",
            id="attribute-shadowing-a-field",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders: {path: o.csv, columns: {customer_id: C, ordered_at: D, amount: T}}
                email_events: {path: e.csv, columns: {campaign_send_id: S, event_type: T,
                  occurred_at: D}}
                """
            ),
            "email_events: need campaign_sends",
            id="email-events-without-sends",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders: {path: o.csv, columns: {customer_id: C, ordered_at: D, amount: T}}
                customers: {path: c.csv, columns: {customer_id: ID}, attributes: {group: G}}
                """
            ),
            "customers.attributes.group: 'group' is a SQL keyword",
            id="attribute-named-like-a-keyword",
        ),
        pytest.param(
            textwrap.dedent(
                """
                name: s
                orders:
                  path: o.csv
                  columns:
                    customer_id: C
                    ordered_at: D
                    amount: T
                    status: {column: S, values: {yes: completed}}
                """
            ),
            "the key True is what YAML makes of an unquoted yes",
            id="unquoted-yes-in-a-value-map",
        ),
        pytest.param(
            "name: s\norders: {path: o.csv, columns: {customer_id: C, ordered_at: D, "
            "amount: T}}\nsegments: {features: [recency_days, monetary_vaule]}\n",
            "segments.features: no feature 'monetary_vaule' (did you mean 'monetary_value'?)",
            id="misspelled-feature",
        ),
        pytest.param(
            "name: s\norders: {path: o.csv, columns: {customer_id: C, ordered_at: D, "
            "amount: T}}\nsegments: {features: [order_count], null_fills: {age_years: 30}}\n",
            "segments.null_fills.age_years: 'age_years' is not one of the features ['order_count']",
            id="fill-of-an-unused-feature",
        ),
        pytest.param(
            "name: s\norders: {path: o.csv, thousands_separator: ',', columns: "
            "{customer_id: C, ordered_at: D, amount: T}, decimal_separator: ','}\n",
            "orders.thousands_separator: must be one of",
            id="thousands-as-the-decimal-separator",
        ),
        pytest.param(
            "name: s\norders: {path: o.csv, columns: {customer_id: {column: C, lowercase: yes"
            "please}, ordered_at: D, amount: T}}\n",
            "orders.columns.customer_id.lowercase: must be true or false",
            id="lowercase-not-a-boolean",
        ),
        pytest.param(
            "name: s\norders: {path: o.csv, columns: {customer_id: C, ordered_at: D, "
            "amount: T}}\nsettings: {quarantine_earliest: '1990-01-01'}\n",
            "settings: unknown key 'quarantine_earliest' (did you mean "
            "'quarantine_earliest_date'?)",
            id="unknown-setting",
        ),
    ],
)
def test_a_mapping_mistake_names_the_file_the_entity_and_the_field(tmp_path, text, message):
    path = write_mapping(tmp_path, text)
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).startswith(str(path)), raised.value
    assert message in str(raised.value)


def test_a_missing_column_lists_the_columns_the_file_has(shop):
    path = write_mapping(shop, MINIMAL.replace("Total", "Amount"))
    with pytest.raises(MappingError) as raised:
        probe(load_mapping(path))
    message = str(raised.value)
    assert f"{path}: orders.columns.amount: no column 'Amount'" in message
    assert "its columns are: CustomerNo, InvoiceDate, Total" in message


def test_a_missing_file_says_so(shop):
    path = write_mapping(shop, MINIMAL.replace("orders.csv", "orders-2024.csv"))
    with pytest.raises(MappingError, match=r"orders: cannot read .*orders-2024.csv: no file"):
        probe(load_mapping(path))


def test_dates_in_another_format_fail_with_examples_and_the_option_to_set(shop):
    set_orders_column(
        shop, "InvoiceDate", ["05/01/2024 10:00", "05/02/2024 11:00", "07/01/2024 09:30", "x"]
    )
    path = write_mapping(shop, MINIMAL)
    with pytest.raises(MappingError) as raised:
        probe(load_mapping(path))
    message = str(raised.value)
    assert "orders.columns.ordered_at: 4 of 4 sampled values of column 'InvoiceDate'" in message
    assert "'05/01/2024 10:00'" in message
    assert "timestamp_format" in message
    # With the format the file's dates parse; the one bad value is only a warning.
    fixed = write_mapping(
        shop,
        MINIMAL.replace("  path: exports", "  timestamp_format: '%d/%m/%Y %H:%M'\n  path: exports"),
    )
    _, report = probe(load_mapping(fixed))
    assert_warns(report, "1 of 4 sampled values")


def test_a_whitespace_separated_file_without_header_gets_column_numbers(tmp_path):
    (tmp_path / "log.txt").write_text(
        " 00004 0001 19970101  2   29.33\r\n 00021 0002 19970102 1 5\r\n"
    )
    path = write_mapping(
        tmp_path,
        """
        name: cdnow
        orders:
          path: log.txt
          delimiter: whitespace
          header: false
          timestamp_format: '%Y%m%d'
          columns: {customer_id: column2, ordered_at: column3, amount: column5}
        """,
    )
    mapping, report = probe(load_mapping(path))
    table = mapping.entities["orders"].table
    assert table.names == ("column1", "column2", "column3", "column4", "column5")
    rows = duckdb.execute(f"select * from {reader_sql(table)}").fetchall()
    assert rows == [
        ("00004", "0001", "19970101", "2", "29.33"),
        ("00021", "0002", "19970102", "1", "5"),
    ]
    assert report.tables[0].row_count == 2


def test_an_attribute_is_a_number_when_its_values_are(tmp_path):
    pd.DataFrame(
        {
            "ID": [1, 2, 3],
            "Income": ["58138", "46344", ""],
            "Education": ["PhD", "Basic", "PhD"],
            "Spend": ["520,50", "12", "3,25"],
        }
    ).to_csv(tmp_path / "crm.csv", sep=";", index=False)
    pd.DataFrame({"ID": [1], "Date": ["2024-01-01"], "Total": [1]}).to_csv(
        tmp_path / "o.csv", index=False
    )
    path = write_mapping(
        tmp_path,
        """
        name: crm
        orders: {path: o.csv, columns: {customer_id: ID, ordered_at: Date, amount: Total}}
        customers:
          path: crm.csv
          delimiter: ";"
          decimal_separator: ","
          columns: {customer_id: ID}
          attributes:
            income: Income
            education: Education
            tier: {column: Education, type: text}
            spend: Spend
        """,
    )
    mapping, _ = probe(load_mapping(path))
    types = {a.name: a.type for a in mapping.entities["customers"].attributes}
    assert types == {"income": "number", "education": "text", "tier": "text", "spend": "number"}


def test_the_generator_mapping_reads_every_field_of_every_file():
    """sources/demo.yml maps each entity's every field to the column of the same name (the
    id from `id`): the layout a build without a mapping file reads."""
    mapping = load_mapping(PROJECT_DIR / "sources" / "demo.yml")
    assert set(mapping.entities) == set(ENTITIES) - {"campaign_responses"}
    for name, entity in mapping.entities.items():
        fields = set(ENTITIES[name].field_names)
        if name == "orders":
            fields -= {"order_line_id", "product_id", "quantity", "unit_price", "amount",
                       "discount_amount"}  # fmt: skip
        if name == "order_lines":
            fields -= {"amount"}
        if name == "customers":
            fields -= {"snapshot_date"}  # a CRM snapshot's field
        assert set(entity.fields) == fields, name
        for field_name, source in entity.fields.items():
            expected = "id" if field_name == ENTITIES[name].key else field_name
            assert source.columns == (expected,), (name, field_name)


def test_the_staging_models_read_the_catalogue_fields():
    """The mapped staging's list of each entity's fields (macro mapped_fields) is the
    catalogue's."""
    pseudo = {"is_accepted", "is_response"}  # campaign responses read as sends
    macro = (PROJECT_DIR / "macros" / "source_spec.sql").read_text()
    body = macro[macro.index("{% macro mapped_fields(entity) -%}") :]
    listed = dict(re.findall(r"'(\w+)': \[(.*?)\]", body, re.DOTALL))
    assert set(listed) == set(ENTITIES) - {"campaign_responses"}
    for name, fields_text in listed.items():
        fields = set(re.findall(r"'(\w+)'", fields_text)) - pseudo
        expected = set(ENTITIES[name].field_names)
        if name == "orders":
            expected -= {"order_line_id", "product_id", "quantity", "unit_price", "amount",
                         "discount_amount"}  # fmt: skip
        assert fields == expected, name


def test_the_staging_models_accept_the_catalogue_values():
    """The values staging accepts (macro accepted_values) are those the mapping check names."""
    macro = (PROJECT_DIR / "macros" / "source_spec.sql").read_text()
    body = macro[macro.index("{% macro accepted_values(entity, field) -%}") :]
    body = body[: body.index("{%- endmacro %}")]
    listed = {}
    for entity, fields_text in re.findall(r"'(\w+)': \{(.*?)\}", body, re.DOTALL):
        for field_name, values in re.findall(r"'(\w+)': \[(.*?)\]", fields_text, re.DOTALL):
            listed[(entity, field_name)] = tuple(re.findall(r"'(\w+)'", values))
    catalogue = {
        (entity.name, f.name): f.accepted
        for entity in ENTITIES.values()
        for f in entity.fields
        if f.accepted
    }
    assert listed == catalogue


def test_the_spec_command_prints_the_var_dbt_reads(shop, capsys):
    path = write_mapping(shop, MINIMAL)
    sources_main(["spec", str(path)])
    printed = capsys.readouterr().out
    assert printed.startswith('{"name": "my_shop"')
    sources_main(["spec", str(path), "--sqlfluff-config"])
    assert capsys.readouterr().out.startswith("[sqlfluff:templater:dbt:context]\nsource = {")


def test_the_mapping_reaches_dbt_with_where_its_data_is_apart_from_its_shape(shop, tmp_path):
    """dbt re-parses every file that read an environment variable when it changes: the same
    mapping over another folder changes only SEGWAREHOUSE_SOURCE_LOCATION, which two files
    read, and not SEGWAREHOUSE_SOURCE, which the staging reads."""
    path = write_mapping(shop, MINIMAL)
    other = tmp_path / "elsewhere"
    shutil.copytree(shop, other)
    here = source_environment(load_mapping(path, project_dir=PROJECT_DIR))
    there = source_environment(load_mapping(other / "mapping.yml", project_dir=PROJECT_DIR))
    assert here[SOURCE_ENV] == there[SOURCE_ENV]
    assert str(shop) not in here[SOURCE_ENV]
    assert here[LOCATION_ENV] != there[LOCATION_ENV]
    location = json.loads(there[LOCATION_ENV])
    assert set(location) == {"name", "identity", "attach"}
    assert location["name"] == "my_shop" and str(other) in location["identity"]
    assert here[STAGING_ENV] == "mapped"
    # Together they are the spec the `spec` command prints (the var `source`), less the
    # digest of where the tables are.
    spec = source_spec(load_mapping(path, project_dir=PROJECT_DIR))
    spec.pop("fingerprint")
    assert {**json.loads(here[SOURCE_ENV]), **json.loads(here[LOCATION_ENV])} == spec


def test_vars_reach_dbt_as_given_small_numbers_included():
    """dbt reads --vars as YAML 1.1, to which JSON's 1e-07 is the string '1e-07'."""
    variables = {"segment_drift_max_psi": 1e-07, "big": 1e20, "as_of_date": "2025-05-31"}
    variables |= {"flag": True, "none": None, "word": "yes", "list": [1, 0.5]}
    assert parse_cli_vars(dbt_vars_text(variables)) == variables


def test_relative_paths_for_dbt_are_made_absolute_as_it_runs_in_the_warehouse_s_folder(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    given = ["build", "--state", "prod", "--log-path=logs", "--select", "state:modified"]
    assert _absolute_paths(given) == [
        "build",
        "--state",
        str(tmp_path / "prod"),
        f"--log-path={tmp_path / 'logs'}",
        "--select",
        "state:modified",
    ]
    # dbt reads --target-path from the project's folder, wherever it runs.
    assert _absolute_paths(["--target-path", "t"]) == ["--target-path", "t"]


def test_a_mapping_error_exits_before_dbt_with_the_message(shop, capsys):
    path = write_mapping(shop, MINIMAL.replace("InvoiceDate", "Date"))
    with pytest.raises(SystemExit) as raised:
        sources_main(["build", str(path), "--warehouse", str(shop / "w.duckdb")])
    assert "mapping error:" in str(raised.value)
    assert "no column 'Date'" in str(raised.value)
    assert not (shop / "w.duckdb").exists()


def test_the_sources_page_lists_the_fields_of_the_catalogue():
    """The table of fields in docs/sources.md is `python -m segwarehouse.sources fields`:
    regenerate it there when a field changes."""
    page = (PROJECT_DIR / "docs" / "sources.md").read_text()
    table = page.split("<!-- fields:start -->\n")[1].split("\n<!-- fields:end -->")[0]
    assert table == fields_markdown()


def test_a_time_with_a_utc_offset_is_read_in_utc_and_fractional_counts_do_not_parse(tmp_path):
    """The probe reads values as staging does: '23:30-05:00' is 04:30 UTC the next day, not
    23:30 (DuckDB's plain cast drops offsets); a quantity of 1.5 is not a whole number."""
    pd.DataFrame(
        {
            "Customer": ["a", "b", "c"],
            "At": ["2024-03-05 23:30:00-05:00", "2024-03-05 14:22:10 +0100", "2024-03-05"],
            "Qty": ["1", "1.5", "2"],
            "Total": [1, 2, 3],
        }
    ).to_csv(tmp_path / "log.csv", index=False)
    path = write_mapping(
        tmp_path,
        """
        name: zoned
        orders:
          path: log.csv
          columns: {customer_id: Customer, ordered_at: At, quantity: Qty, amount: Total}
        """,
    )
    mapping, report = probe(load_mapping(path))
    assert_warns(report, "orders.columns.quantity: 1 of 3")
    from segwarehouse.sources.probe import _parse_sql

    source = mapping.entities["orders"].fields["ordered_at"]
    parsed = _parse_sql('"At"', "timestamp", source)
    csv = tmp_path / "log.csv"
    times = duckdb.execute(f"select {parsed} from read_csv('{csv}', all_varchar = true)").fetchall()
    assert [t[0].isoformat() for t in times] == [
        "2024-03-06T04:30:00",
        "2024-03-05T13:22:10",
        "2024-03-05T00:00:00",
    ]


def test_mistakes_in_the_data_s_options_are_messages_not_tracebacks(shop, tmp_path):
    bad_format = write_mapping(
        shop, MINIMAL.replace("  path: exports", "  timestamp_format: '%Q-%d'\n  path: exports")
    )
    with pytest.raises(MappingError, match=r"orders.columns.ordered_at: cannot read column"):
        probe(load_mapping(bad_format))
    missing_database = write_mapping(
        tmp_path,
        """
        name: s
        orders:
          database: nowhere.duckdb
          table: sales.orders
          columns: {customer_id: C, ordered_at: D, amount: T}
        """,
    )
    with pytest.raises(MappingError, match="cannot open a DuckDB database it names"):
        probe(load_mapping(missing_database))


def test_dates_given_to_vars_reach_dbt_as_text(shop, capsys):
    path = write_mapping(shop, MINIMAL)
    with pytest.raises(SystemExit, match="--vars is not valid YAML"):
        sources_main(["spec", str(path), "--vars", "{as_of_date: [2025"])
    from segwarehouse.sources.cli import _user_vars

    assert _user_vars("{as_of_date: 2025-06-30}") == {"as_of_date": "2025-06-30"}


@pytest.mark.parametrize("given", [["--vars", "{full_data_tests: true}"], ["--vars={a: 1}"]])
def test_dbt_vars_after_the_separator_are_refused_naming_the_option(shop, given):
    """dbt would let the command's own --vars, given last, override them without a word."""
    path = write_mapping(shop, MINIMAL)
    with pytest.raises(SystemExit, match="give dbt vars to this command's --vars option"):
        sources_main(["build", str(path), "--", "--full-refresh", *given])


def test_an_as_of_date_given_twice_is_refused_before_dbt(shop):
    path = write_mapping(shop, MINIMAL)
    with pytest.raises(SystemExit, match="two as-of dates: --as-of 2025-06-30 and --vars"):
        sources_main(
            ["build", str(path), "--as-of", "2025-06-30", "--vars", "{as_of_date: 2025-05-31}"]
        )


def test_a_table_of_the_warehouse_itself_is_read_from_it(tmp_path):
    from segwarehouse.sources.cli import prepare

    path = write_mapping(
        tmp_path,
        """
        name: inhouse
        orders:
          table: raw.orders
          columns: {customer_id: c, ordered_at: d, amount: a}
        """,
    )
    warehouse = tmp_path / "warehouse.duckdb"
    with pytest.raises(MappingError, match="which does not exist yet"):
        prepare(path, warehouse=warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute(
            "create table raw.orders as select 1 as c, timestamp '2024-01-01' as d, 9.5 as a"
        )
    _, report = prepare(path, warehouse=warehouse)
    assert report.tables[0].row_count == 1


def test_features_without_recency_keep_only_the_default_fills_that_apply(shop):
    path = write_mapping(shop, MINIMAL + "segments: {features: [order_count, monetary_value]}\n")
    assert load_mapping(path).settings["segment_null_fills"] == {}
    path = write_mapping(shop, MINIMAL + "segments: {features: [recency_days, order_count]}\n")
    assert load_mapping(path).settings["segment_null_fills"] == {"recency_days": "tenure_days"}


def test_grouped_digits_parse_with_thousands_separator_and_are_hinted_without(shop):
    set_orders_column(shop, "Total", ["10,50", "1.234,50", "7,25", "2.000.000,00"])
    decimal_comma = MINIMAL.replace("  path: exports", "  decimal_separator: ','\n  path: exports")
    _, report = probe(load_mapping(write_mapping(shop, decimal_comma)))
    assert_warns(
        report, "2 of 4 sampled values of 'Total' are not a decimal", "set thousands_separator: '.'"
    )
    grouped = decimal_comma.replace(
        "  path: exports", "  thousands_separator: '.'\n  path: exports"
    )
    _, report = probe(load_mapping(write_mapping(shop, grouped)))
    assert report.warnings == []
    # As staging reads them.
    source = load_mapping(write_mapping(shop, grouped)).entities["orders"].fields["amount"]
    with duckdb.connect() as connection:
        values = connection.execute(
            f"select {_parse_sql('v', 'decimal', source)} from (values ('1.234,50'), "
            "('1.234'), ('12.34,5'), ('1234,5')) as t(v)"
        ).fetchall()
    assert values == [
        (Decimal("1234.50"),),
        (Decimal("1234.00"),),
        (None,),
        (Decimal("1234.50"),),
    ]


def test_a_file_with_another_delimiter_says_which_to_set(tmp_path):
    (tmp_path / "o.csv").write_text("Customer;Date;Total\nC1;2024-01-05;10,5\n")
    path = write_mapping(
        tmp_path,
        "name: s\norders: {path: o.csv, columns: {customer_id: Customer, ordered_at: Date, "
        "amount: Total}}\n",
    )
    with pytest.raises(MappingError, match='set delimiter: ";"'):
        probe(load_mapping(path))


def test_unmapped_codes_are_listed_with_their_rows(shop):
    set_orders_column(shop, "Status", ["paid", "paid", "refunded", "Voided "])
    unmapped = MINIMAL + "    status: Status\n"
    with pytest.raises(MappingError) as raised:
        probe(load_mapping(write_mapping(shop, unmapped)))
    message = str(raised.value)
    assert (
        "4 of 4 sampled values of 'Status' are not one of completed, returned, cancelled" in message
    )
    assert "'paid' (2 rows), 'refunded' (1 rows), 'voided' (1 rows)" in message
    assert "values: {paid: <completed|returned|cancelled>" in message
    # One code left out of the map: a warning naming it, the rows quarantined.
    partly = (
        MINIMAL + "    status: {column: Status, values: {paid: completed, refunded: cancelled}}\n"
    )
    _, report = probe(load_mapping(write_mapping(shop, partly)))
    assert_warns(report, "'voided' (1 rows)")
    # Returns without their dates would all be quarantined: an error.
    returned = MINIMAL + (
        "    status: {column: Status, values: {paid: completed, refunded: returned, "
        "'Voided': cancelled}}\n"
    )
    with pytest.raises(
        MappingError, match="1 sampled orders have status returned, but returned_at"
    ):
        probe(load_mapping(write_mapping(shop, returned)))


def test_ids_that_differ_only_in_case_are_reported_and_lowercase_joins_them(shop):
    set_orders_column(shop, "CustomerNo", ["anna@x.com", "Anna@X.com", "bob@x.com", "carl@x.com"])
    _, report = probe(load_mapping(write_mapping(shop, MINIMAL)))
    assert_warns(
        report,
        "(1 such sets, e.g. 'Anna@X.com' and 'anna@x.com') are different customers",
        "lowercase: true",
    )
    lowered = MINIMAL.replace(
        "customer_id: CustomerNo", "customer_id: {column: CustomerNo, lowercase: true}"
    )
    mapping, report = probe(load_mapping(write_mapping(shop, lowered)))
    assert report.warnings == []
    spec = mapping.to_spec(shop)["entities"]["orders"]["fields"]["customer_id"]
    assert spec == {"kind": "column", "column": "CustomerNo", "lowercase": True}


def test_a_warehouse_that_never_published_starts_over_for_a_corrected_mapping(shop, capsys):
    warehouse = shop / "w" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema mapped_source")
        connection.execute(
            "create table mapped_source.source_identity as "
            "select 'my_shop (exports/old.csv)' as source_identity, now() as recorded_at"
        )
    path = write_mapping(shop, MINIMAL)
    with pytest.raises(SystemExit):
        # `dbt` with no command after -- stops right after the warehouse is prepared.
        sources_main(["dbt", str(path), "--warehouse", str(warehouse)])
    assert "starting " in capsys.readouterr().out
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'mapped_source'"
        ).fetchall()
    assert ("source_identity",) not in tables
    # Once a build has published, the warehouse is the first source's: no start over.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "create table mapped_source.source_identity as "
            "select 'my_shop (exports/old.csv)' as source_identity, now() as recorded_at"
        )
    (shop / "w" / "published.duckdb").touch()
    with pytest.raises(SystemExit):
        sources_main(["dbt", str(path), "--warehouse", str(warehouse)])
    assert "starting " not in capsys.readouterr().out
    # A build run with plain dbt publishes nothing but keeps its history: no start over either.
    (shop / "w" / "published.duckdb").unlink()
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema history")
        connection.execute(
            "create table history.kept_builds as select 'a1' as invocation_id, now() as kept_at"
        )
    with pytest.raises(SystemExit):
        sources_main(["dbt", str(path), "--warehouse", str(warehouse)])
    assert "starting " not in capsys.readouterr().out
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from history.kept_builds").fetchall() == [(1,)]


def test_amounts_with_a_currency_symbol_read_with_currency_symbol(shop):
    set_orders_column(shop, "Total", ["€10.50", "€1,234.50", "7.25 €", "€ 99.99"])
    with pytest.raises(
        MappingError, match="or set currency_symbol: '€' and thousands_separator: ','"
    ):
        probe(load_mapping(write_mapping(shop, MINIMAL)))
    euro = MINIMAL.replace("  path: exports", "  currency_symbol: '€'\n  path: exports")
    _, report = probe(load_mapping(write_mapping(shop, euro)))
    assert_warns(report, "set thousands_separator: ','")
    both = euro.replace("  path: exports", "  thousands_separator: ','\n  path: exports")
    mapping, report = probe(load_mapping(write_mapping(shop, both)))
    assert report.warnings == []
    source = mapping.entities["orders"].fields["amount"]
    with duckdb.connect() as connection:
        values = connection.execute(
            f"select {_parse_sql('v', 'decimal', source)} from (values ('€1,234.50'),"
            " ('12 €'), ('$12'), ('€')) as t(v)"
        ).fetchall()
    # Another currency's amount does not parse (it would be summed as if in euros).
    assert values == [(Decimal("1234.50"),), (Decimal("12.00"),), (None,), (None,)]


def test_identical_rows_of_a_log_are_reported_as_lines_of_their_own(shop):
    frame = pd.read_csv(shop / "exports" / "orders.csv", dtype=str)
    pd.concat([frame, frame.iloc[[0, 0, 2]]]).to_csv(shop / "exports" / "orders.csv", index=False)
    _, report = probe(load_mapping(write_mapping(shop, MINIMAL)))
    assert any(
        warning.startswith("orders: 3 sampled rows are exact copies of another row")
        and "distinct: true" in warning
        for warning in report.warnings
    ), report.warnings
    distinct = MINIMAL.replace("  path: exports", "  distinct: true\n  path: exports")
    _, report = probe(load_mapping(write_mapping(shop, distinct)))
    assert report.warnings == []


def test_the_build_command_imports_pandas_only_for_the_summary():
    """`python -m segwarehouse.sources build` runs dbt in a process of its own; pandas (0.6 s
    to import) is needed only to print the summary, which test_byod checks is printed."""
    loaded = modules_loaded_by(["segwarehouse.sources.cli"], ("pandas", "scipy", "sklearn"))
    assert loaded == []
