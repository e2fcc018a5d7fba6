"""Publishing the marts: the copy, the atomic swap, failures, and readers during a real build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from segwarehouse import publish as publish_module
from segwarehouse.publish import PublishError, TableCount, publish, row_counts_hash

from .conftest import PROJECT_DIR, TEST_WAREHOUSE


def make_warehouse(path: Path, *, with_marts: bool = True, revenue: str = "10.50") -> None:
    """A tiny build warehouse: marts and reference tables, plus what must not be published."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema staging; create schema reference")
        connection.execute("create view staging.stg_customers as select 1 as customer_id")
        connection.execute("create table reference.age_bands as select 18 as min_age")
        if with_marts:
            connection.execute("create schema marts")
            connection.execute(
                f"""
                create table marts.fct_segment_kpis as
                select * from (values
                    ('kmeans', 1, 2, {revenue}::decimal(18, 2), date '2025-12-31'),
                    ('kmeans', 2, 1, 4.25::decimal(18, 2), date '2025-12-31')
                ) as kpis(segmentation, segment_id, customer_count, revenue, as_of_date)
                """
            )
            connection.execute(
                "create table marts.dim_customer_segments as "
                "select range as customer_id from range(3)"
            )


def read_publication(path: Path) -> tuple[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        (publication_id,) = connection.execute(
            "select publication_id from marts._publication"
        ).fetchone()
        kpis = connection.execute("from marts.fct_segment_kpis order by segment_id").fetchall()
    return publication_id, kpis


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.startswith("."))


def test_row_counts_hash_ignores_order_and_sees_any_count_change():
    tables = [TableCount("marts", "a", 1), TableCount("reference", "b", 2)]
    assert row_counts_hash(tables) == row_counts_hash(tables[::-1])
    assert row_counts_hash(tables) != row_counts_hash([TableCount("marts", "a", 2), tables[1]])


def test_publish_copies_marts_and_reference_with_their_types(tmp_path):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    publication = publish(source, output)

    assert leftovers(tmp_path) == []
    assert output.stat().st_mode & 0o777 == 0o444
    with duckdb.connect(str(output), read_only=True) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
        assert tables == [
            ("marts", "_publication"),
            ("marts", "dim_customer_segments"),
            ("marts", "fct_segment_kpis"),
            ("reference", "age_bands"),
        ]
        views = connection.execute("select count(*) from duckdb_views() where not internal")
        assert views.fetchone() == (0,), "staging views are not published"
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'fct_segment_kpis'"
            ).fetchall()
        )
        assert types["revenue"] == "DECIMAL(18,2)" and types["as_of_date"] == "DATE"
        assert connection.execute("from marts.fct_segment_kpis order by 2").fetchall()[0] == (
            "kmeans", 1, 2, Decimal("10.50"), date(2025, 12, 31),
        )  # fmt: skip
        row = connection.execute(
            "select publication_id, source_database, row_counts_hash, tables "
            "from marts._publication"
        ).fetchall()
    assert row == [
        (
            publication.publication_id,
            str(source.resolve()),
            publication.row_counts_hash,
            [
                {"table_schema": "marts", "table_name": "dim_customer_segments", "row_count": 3},
                {"table_schema": "marts", "table_name": "fct_segment_kpis", "row_count": 2},
                {"table_schema": "reference", "table_name": "age_bands", "row_count": 1},
            ],
        )
    ]


def test_a_reader_keeps_its_snapshot_across_the_swap_and_the_next_one_sees_the_new_build(
    tmp_path,
):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source, revenue="10.50")
    first = publish(source, output)
    reader = duckdb.connect(str(output), read_only=True)
    try:
        source.unlink()
        make_warehouse(source, revenue="99.00")
        second = publish(source, output)  # the reader's shared lock does not block the swap
        assert reader.execute("select publication_id from marts._publication").fetchone() == (
            first.publication_id,
        )
    finally:
        reader.close()
    # In one process DuckDB shares a file's database among open connections: once all are
    # closed, the next connection opens the new file.
    publication_id, kpis = read_publication(output)
    assert publication_id == second.publication_id != first.publication_id
    assert kpis[0][3] == Decimal("99.00")


def fail_after_the_copy(path: Path) -> None:
    raise OSError("disk full (injected)")


@pytest.mark.parametrize(
    ("make_source", "inject", "error"),
    [
        pytest.param(
            lambda path: make_warehouse(path, with_marts=False),
            None,
            PublishError,
            id="source-without-marts",
        ),
        pytest.param(lambda path: None, None, PublishError, id="no-source-file"),
        pytest.param(
            lambda path: make_warehouse(path, revenue="99.00"),
            ("fsync_path", fail_after_the_copy),
            OSError,
            id="fsync-fails-after-the-copy",
        ),
        pytest.param(
            lambda path: make_warehouse(path, revenue="99.00"),
            ("row_counts_hash", lambda tables: 1 / 0),
            ZeroDivisionError,
            id="exception-while-writing",
        ),
    ],
)
def test_a_failed_publish_leaves_the_previous_file_intact(
    tmp_path, monkeypatch, make_source, inject, error
):
    output = tmp_path / "published.duckdb"
    previous_source = tmp_path / "previous.duckdb"
    make_warehouse(previous_source)
    previous = publish(previous_source, output)
    before = output.read_bytes()

    source = tmp_path / "warehouse.duckdb"
    make_source(source)
    if inject:
        monkeypatch.setattr(publish_module, *inject)
    with pytest.raises(error):
        publish(source, output)

    assert output.read_bytes() == before
    assert read_publication(output)[0] == previous.publication_id
    assert leftovers(tmp_path) == [], "the temporary file and its WAL are removed"


def test_the_cli_reports_a_failed_publish_and_exits_non_zero(tmp_path, capsys):
    with pytest.raises(SystemExit, match="left as it was"):
        publish_module.main(
            ["--database", str(tmp_path / "missing.duckdb"), "--output", str(tmp_path / "p")]
        )


# The reader: a separate process, as a dashboard would be. It opens the published file
# read-only for every answer and checks that the answer comes from one complete build.
READER = """
import json, sys, time
from pathlib import Path
import duckdb
from segwarehouse.publish import TableCount, row_counts_hash

published, stop, answers = Path(sys.argv[1]), Path(sys.argv[2]), open(sys.argv[3], "a")
while not stop.exists():
    started = time.time()
    try:
        with duckdb.connect(str(published), read_only=True) as connection:
            publication_id, expected_hash, tables = connection.execute(
                "select publication_id, row_counts_hash, tables from marts._publication"
            ).fetchone()
            counts = [
                TableCount(t["table_schema"], t["table_name"], connection.execute(
                    f'select count(*) from "{t["table_schema"]}"."{t["table_name"]}"'
                ).fetchone()[0])
                for t in tables
            ]
            present = connection.execute(
                "select count(*) from duckdb_tables() where table_name <> '_publication'"
            ).fetchone()[0]
            segment_sizes, customers = connection.execute(
                "select (select sum(customer_count) from marts.fct_segment_kpis"
                " where segmentation = 'kmeans'),"
                " (select count(*) from marts.dim_customer_segments)"
            ).fetchone()
        answer = {
            "at": started,
            "publication_id": publication_id,
            "hash_matches": row_counts_hash(counts) == expected_hash and present == len(tables),
            "segment_sizes": int(segment_sizes),
            "customers": customers,
        }
    except Exception as error:
        answer = {"at": started, "error": repr(error)}
    answers.write(json.dumps(answer) + "\\n")
    answers.flush()
    time.sleep(0.02)
"""
MIN_ANSWERS = 50


def read_answers(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_readers_see_only_complete_builds_while_dbt_builds_and_publishes(warehouse, tmp_path):
    build = tmp_path / "warehouse.duckdb"
    published = tmp_path / "published.duckdb"
    stop, answers_file = tmp_path / "stop", tmp_path / "answers.jsonl"
    shutil.copy(TEST_WAREHOUSE, build)  # the `warehouse` fixture holds the original open
    first = publish(build, published)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_DIR / "python"), os.environ.get("PYTHONPATH")])
        ),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SEGWAREHOUSE_TEST_WAREHOUSE": str(build),
    }
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop), str(answers_file)], env=env
    )
    try:
        wait_for(lambda: read_answers(answers_file), 30, "the reader's first answer")

        # A real build, with their tests, of the two marts the reader checks against each other.
        dbt = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dbt"), "build", "--target", "test",
                "--select", "dim_customer_segments", "fct_segment_kpis",
                "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
            ],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        build_started = time.time()
        output: list[str] = []
        running = threading.Event()
        first_node_at: list[float] = []

        def follow() -> None:
            for line in dbt.stdout:
                output.append(line)
                if " START " in line and not running.is_set():
                    first_node_at.append(time.time())
                    running.set()

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        # Once dbt runs its first node it holds the build warehouse (dbt-duckdb keeps it open
        # for the whole run): a reader cannot even open that file. Probe only then, since an
        # earlier read-only open would take the lock and make dbt fail instead.
        lock_error = None
        if running.wait(timeout=120) and dbt.poll() is None:
            try:
                duckdb.connect(str(build), read_only=True).close()
            except duckdb.IOException as error:
                lock_error = str(error)
        assert dbt.wait(timeout=180) == 0, "".join(output)
        follower.join(timeout=10)
        build_finished = time.time()

        second = publish(build, published)
        wait_for(
            lambda: sum(
                a.get("publication_id") == second.publication_id
                for a in read_answers(answers_file)
            ) >= 10,
            30,
            "answers from the new publication",
        )  # fmt: skip
    finally:
        stop.touch()
        reader.wait(timeout=30)

    answers = read_answers(answers_file)
    errors = [a for a in answers if "error" in a]
    before = [a for a in answers if a.get("publication_id") == first.publication_id]
    during = [a for a in before if build_started < a["at"] < build_finished]
    # From dbt's first node to its exit it writes the marts: the answers that matter most.
    writing = [a for a in during if a["at"] > first_node_at[0]]
    after = [a for a in answers if a.get("publication_id") == second.publication_id]
    print(
        f"{len(answers)} answers: {len(before)} from the first publication, "
        f"{len(during)} during the {build_finished - build_started:.0f} s dbt build "
        f"({len(writing)} in the {build_finished - first_node_at[0]:.0f} s it ran nodes), "
        f"{len(after)} from the second, {len(errors)} errors; "
        f"lock error on the build warehouse: {lock_error}"
    )
    assert errors == []
    assert len(answers) >= MIN_ANSWERS
    assert writing and after
    assert [a["publication_id"] for a in answers] == (
        [first.publication_id] * len(before) + [second.publication_id] * len(after)
    ), "every answer from one publication, switching once"
    assert all(a["hash_matches"] for a in answers), "tables and row counts of one build"
    assert all(a["segment_sizes"] == a["customers"] for a in answers)
    assert lock_error is not None and "lock" in lock_error.lower(), lock_error
