"""Publishing the marts: the copy, the atomic swap, failures, and readers during a real build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
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


def write_run_results(
    warehouse: Path,
    path: Path | None = None,
    *,
    statuses: dict[str, str] | None = None,
    which: str = "build",
    recorded_warehouse: Path | None = None,
    record_warehouse: bool = True,
    on_run_end: bool = True,
    generated_at: datetime | None = None,
) -> Path:
    """run_results.json as dbt writes it for a build of `warehouse` by segwarehouse.sources.

    By default where that build leaves it (target/ beside the warehouse): every node passed,
    the on-run-end hook ran, and the warehouse is recorded in metadata.env.
    """
    path = path or warehouse.parent / "target" / "run_results.json"
    generated_at = generated_at or datetime.now(UTC)
    statuses = statuses or {
        "model.segwarehouse.fct_segment_kpis": "success",
        "test.segwarehouse.not_null_fct_segment_kpis": "pass",
    }
    results = [("operation.segwarehouse.segwarehouse-on-run-start-0", "success")]
    results += list(statuses.items())
    if on_run_end:
        results.append(("operation.segwarehouse.segwarehouse-on-run-end-0", "success"))
    recorded = str(recorded_warehouse or warehouse.resolve())
    document = {
        "metadata": {
            "dbt_version": "1.11.16",
            "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "invocation_id": str(uuid.uuid4()),
            "invocation_started_at": (generated_at - timedelta(seconds=20)).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            ),
            "env": {"SEGWAREHOUSE_WAREHOUSE": recorded} if record_warehouse else {},
        },
        "results": [
            {"unique_id": unique_id, "status": status, "message": f"{status} (written here)"}
            for unique_id, status in results
        ],
        "elapsed_time": 20.0,
        "args": {"which": which, "target": "source", "target_path": str(path.parent)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def built_warehouse(path: Path, **options) -> Path:
    """A tiny warehouse with the run results of a build that passed, where the build left them."""
    make_warehouse(path, **options)
    return write_run_results(path)


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
    publication = publish(source, output, run_results=built_warehouse(source))

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
    first = publish(source, output, run_results=built_warehouse(source, revenue="10.50"))
    reader = duckdb.connect(str(output), read_only=True)
    try:
        source.unlink()
        run_results = built_warehouse(source, revenue="99.00")
        # The reader's shared lock does not block the swap.
        second = publish(source, output, run_results=run_results)
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
    run_results = write_run_results(previous_source, tmp_path / "previous" / "run_results.json")
    previous = publish(previous_source, output, run_results=run_results)
    before = output.read_bytes()

    source = tmp_path / "warehouse.duckdb"
    make_source(source)
    if inject:
        monkeypatch.setattr(publish_module, *inject)
    with pytest.raises(error):
        # These failures come after the build's check: they are about the copy.
        publish(source, output, run_results=None)

    assert output.read_bytes() == before
    assert read_publication(output)[0] == previous.publication_id
    assert leftovers(tmp_path) == [], "the temporary file and its WAL are removed"


def test_the_cli_reports_a_failed_publish_and_exits_non_zero(tmp_path, capsys):
    with pytest.raises(SystemExit, match="left as it was"):
        publish_module.main(
            ["--database", str(tmp_path / "missing.duckdb"), "--output", str(tmp_path / "p")]
        )


# --- Publishing only what passed: the build's run results, one as-of date -----------------

KPIS = "model.segwarehouse.fct_segment_kpis"
KPIS_TEST = "test.segwarehouse.not_null_fct_segment_kpis"


def publish_cli(source: Path, output: Path, *arguments: str) -> None:
    publish_module.main(["--database", str(source), "--output", str(output), *arguments])


@pytest.mark.parametrize(
    ("write", "problem"),
    [
        pytest.param(lambda source: None, "no run results at", id="no-run-results"),
        pytest.param(
            lambda source: write_run_results(source).write_text('{"results": ['),
            "cannot read the run results",
            id="truncated-file",
        ),
        pytest.param(
            lambda source: write_run_results(
                source, statuses={KPIS: "error", KPIS_TEST: "skipped"}
            ),
            f"2 of 4 nodes did not pass: {KPIS} (error: error (written here)), {KPIS_TEST} "
            "(skipped",
            id="error-and-skipped",
        ),
        pytest.param(
            lambda source: write_run_results(source, statuses={KPIS: "success", KPIS_TEST: "fail"}),
            f"1 of 4 nodes did not pass: {KPIS_TEST} (fail",
            id="failed-test",
        ),
        pytest.param(
            lambda source: write_run_results(
                source, statuses={KPIS: "runtime error", KPIS_TEST: "pass"}
            ),
            f"{KPIS} (runtime error",
            id="runtime-error",
        ),
        pytest.param(
            lambda source: write_run_results(source, on_run_end=False),
            "did not run to its end",
            id="interrupted-without-on-run-end",
        ),
        pytest.param(
            lambda source: write_run_results(source, which="run"),
            "are of `dbt run`, not of `dbt build`",
            id="not-a-build",
        ),
        pytest.param(
            lambda source: write_run_results(
                source, recorded_warehouse=source.with_name("other.duckdb")
            ),
            "are of the build of another warehouse",
            id="another-warehouse",
        ),
        pytest.param(
            lambda source: write_run_results(source, record_warehouse=False),
            "do not say which warehouse they built",
            id="warehouse-not-recorded",
        ),
        pytest.param(
            lambda source: write_run_results(
                source, generated_at=datetime.now(UTC) - timedelta(hours=1)
            ),
            "changed after these run results were written",
            id="stale-after-a-killed-build",
        ),
    ],
)
def test_publish_refuses_a_build_whose_run_results_do_not_show_it_passed(tmp_path, write, problem):
    output = tmp_path / "published.duckdb"
    previous_source = tmp_path / "previous" / "warehouse.duckdb"
    previous_source.parent.mkdir()
    run_results = built_warehouse(previous_source)
    previous = publish(previous_source, output, run_results=run_results)
    source = tmp_path / "warehouse.duckdb"
    make_warehouse(source, revenue="99.00")
    write(source)

    with pytest.raises(PublishError) as raised:
        publish(source, output, run_results=source.parent / "target" / "run_results.json")
    message = str(raised.value)
    assert problem in message
    assert "build again" in message, "says what to do"
    assert read_publication(output)[0] == previous.publication_id
    assert leftovers(tmp_path) == []


def test_publish_accepts_passed_warned_and_no_op_nodes(tmp_path):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    statuses = {
        KPIS: "success",
        KPIS_TEST: "pass",
        "test.segwarehouse.segment_share_drift_within_threshold": "warn",
        "exposure.segwarehouse.segment_summary": "no-op",
    }
    publication = publish(source, output, run_results=write_run_results(source, statuses=statuses))
    assert read_publication(output)[0] == publication.publication_id


def test_the_cli_refuses_a_failed_build_from_the_run_results_it_left(tmp_path, capsys):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    write_run_results(source, statuses={KPIS: "error", KPIS_TEST: "skipped"})

    with pytest.raises(SystemExit, match="did not pass") as raised:
        publish_cli(source, output)
    assert f"{output} left as it was" in str(raised.value.code)
    assert not output.exists()


def test_the_cli_reads_the_run_results_given_or_those_in_dbt_target_path(
    tmp_path, monkeypatch, capsys
):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    # Beside the warehouse (where segwarehouse.sources builds leave them): a failed build.
    write_run_results(source, statuses={KPIS: "error", KPIS_TEST: "skipped"})
    passed = write_run_results(source, tmp_path / "saved" / "run_results.json")
    publish_cli(source, output, "--run-results", str(passed))
    assert "published 3 tables" in capsys.readouterr().out

    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "saved"))
    publish_cli(source, output)
    assert "published 3 tables" in capsys.readouterr().out


def add_mart(source: Path, name: str, *as_of_dates: str) -> None:
    with duckdb.connect(str(source)) as connection:
        connection.execute(
            f"create or replace table marts.{name} as "
            "select cast(unnest($dates) as date) as as_of_date, 1 as customer_id",
            {"dates": list(as_of_dates)},
        )


def test_the_cli_refuses_marts_at_different_as_of_dates_and_lists_them(tmp_path):
    # A build killed between two marts: fct_segment_kpis (2025-12-31) is of the earlier build.
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    add_mart(source, "fct_customer_features", "2025-11-30")
    add_mart(source, "dim_customer_segments", "2025-11-30")
    write_run_results(source)

    with pytest.raises(SystemExit) as raised:
        publish_cli(source, output)
    message = str(raised.value.code)
    assert "marts are not all at one as-of date" in message
    assert "2025-11-30: dim_customer_segments, fct_customer_features" in message
    assert "2025-12-31: fct_segment_kpis" in message
    assert "build again" in message
    assert not output.exists()


def test_history_marts_need_the_as_of_date_and_training_dates_are_not_compared(tmp_path):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)  # fct_segment_kpis as of 2025-12-31
    # One row set per scoring run, the latest included; a model trained earlier and reused.
    add_mart(source, "fct_segment_share_drift", "2025-11-30", "2025-12-31")
    add_mart(source, "fct_segment_model_runs", "2025-10-31")
    add_mart(source, "dim_segment_profiles", "2025-10-31")
    add_mart(source, "fct_experiment_segment_results")  # empty: no date to compare
    publish(source, output, run_results=write_run_results(source))

    # A backfill as of 2025-11-30: the history marts keep 2025-12-31 as well.
    add_mart(source, "fct_segment_kpis", "2025-11-30")
    publish(source, output, run_results=write_run_results(source))

    add_mart(source, "fct_segment_share_drift", "2025-10-31", "2025-12-31")
    with pytest.raises(PublishError) as raised:
        publish(source, output, run_results=write_run_results(source))
    assert (
        "fct_segment_share_drift has no rows as of 2025-11-30 (its as-of dates: 2025-10-31, "
        "2025-12-31)" in str(raised.value)
    )


def test_a_publish_removes_the_temporaries_a_killed_publish_left_of_its_output(tmp_path):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    make_warehouse(source)
    write_run_results(source)
    token = uuid.uuid4().hex
    stale = [f".published.duckdb.{token}.tmp", f".published.duckdb.{token}.tmp.wal"]
    # Another output's temporaries, and names that only look alike, are not this publish's.
    kept = [
        f".other.duckdb.{token}.tmp",
        f".published.duckdb.{token}.tmp.keep",
        ".published.duckdb.backup.tmp",
        f"published.duckdb.{token}.tmp",
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"left by a killed process")

    publish_cli(source, output)

    assert leftovers(tmp_path) == sorted(name for name in kept if name.startswith("."))
    assert all((tmp_path / name).exists() for name in kept)


def test_a_publish_waits_for_one_in_progress_instead_of_removing_its_temporary(
    tmp_path, monkeypatch
):
    source, output = tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb"
    run_results = built_warehouse(source)
    copying, release = threading.Event(), threading.Event()
    write_publication = publish_module.write_publication

    def slow_first(connection, tables, database):
        if threading.current_thread().name == "first":
            copying.set()
            assert release.wait(60)
        return write_publication(connection, tables, database)

    monkeypatch.setattr(publish_module, "write_publication", slow_first)
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = publish(source, output, run_results=run_results)
        except BaseException as error:  # reported by the assertions below
            outcomes[name] = error

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert copying.wait(60)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    second.join(timeout=1.0)
    waited = second.is_alive()
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)

    assert waited, "the second publish waits for the first to finish"
    assert all(isinstance(outcomes[name], publish_module.Publication) for name in outcomes), (
        outcomes
    )
    assert read_publication(output)[0] == outcomes["second"].publication_id
    assert leftovers(tmp_path) == []


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
    # A copy of the test build: its run results are of the original, and checked by make test.
    first = publish(build, published, run_results=None)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_DIR / "python"), os.environ.get("PYTHONPATH")])
        ),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SEGWAREHOUSE_TEST_WAREHOUSE": str(build),
        # What segwarehouse.sources sets: dbt records it in its run results' metadata.env.
        "DBT_ENV_CUSTOM_ENV_SEGWAREHOUSE_WAREHOUSE": str(build.resolve()),
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

        second = publish(build, published, run_results=tmp_path / "target" / "run_results.json")
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
