"""segwarehouse.published: how the readers of the marts open a published file."""

from __future__ import annotations

import duckdb
import pytest

from segwarehouse.published import PublishedFileError, open_published


def make_file(path, *tables: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for table in tables:
            connection.execute(f"create table marts.{table} (x int)")


def test_a_missing_file_names_the_path_and_how_to_build_it(tmp_path):
    missing = tmp_path / "nowhere" / "published.duckdb"
    with pytest.raises(PublishedFileError) as error:
        open_published(missing, how_to_build="run make demo")
    assert str(error.value) == f"no published file at {missing}: run make demo"


def test_a_build_warehouse_is_not_a_published_file(tmp_path):
    make_file(tmp_path / "warehouse.duckdb", "fct_segment_kpis")
    with pytest.raises(PublishedFileError, match=r"not a published file \(it has no marts"):
        open_published(tmp_path / "warehouse.duckdb")


def test_a_file_without_a_required_mart_names_it(tmp_path):
    make_file(tmp_path / "published.duckdb", "_publication", "fct_segment_kpis")
    with pytest.raises(PublishedFileError, match=r"lacks marts\.dim_build_settings: it was"):
        open_published(
            tmp_path / "published.duckdb",
            required=["marts.fct_segment_kpis", "marts.dim_build_settings"],
        )


def test_a_published_file_opens_read_only(tmp_path):
    make_file(tmp_path / "published.duckdb", "_publication", "fct_segment_kpis")
    connection = open_published(tmp_path / "published.duckdb", required=["marts.fct_segment_kpis"])
    with connection, pytest.raises(duckdb.Error, match="read-only"):
        connection.execute("insert into marts.fct_segment_kpis values (1)")


def test_a_file_duckdb_cannot_open_is_named(tmp_path):
    (tmp_path / "published.duckdb").write_text("not a database")
    with pytest.raises(PublishedFileError, match=r"cannot open .* read-only"):
        open_published(tmp_path / "published.duckdb")
