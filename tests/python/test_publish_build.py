"""Publishing only what passed, with real builds of a small generated retailer.

One build (python -m segwarehouse.sources, as `make build-source` runs it) is copied into each
test's folder, which builds it again: a backfill that passes and is published with no
`__dbt_tmp` table left behind, and builds killed or interrupted half-way, which the publish
command then refuses. Models only: the data and unit tests are the test build's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from .conftest import PROJECT_DIR

CUSTOMERS = 600
# The generator's data ends on 2025-12-31: the first build is as of that day.
EARLIER_AS_OF = "2025-11-30"
MODELS_ONLY = ("--", "--exclude-resource-type", "test", "unit_test")
# dbt's line for a mart it has just rebuilt (colours are off, see environment()).
MART_REBUILT = re.compile(r" OK created sql \w+ model marts\.fct_")


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without a target path of its own, dbt without colours."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBT_TARGET_PATH", "DBT_LOG_PATH")
    }
    return {**inherited, "DBT_USE_COLORS": "false", **extra}


def build_command(raw: Path, warehouse: Path, *options: str) -> list[str]:
    return [
        sys.executable, "-m", "segwarehouse.sources", "build",
        str(PROJECT_DIR / "sources" / "demo.yml"), "--name", "publishcheck",
        "--root", str(raw), "--warehouse", str(warehouse), "--no-summary",
        *options, *MODELS_ONLY,
    ]  # fmt: skip


def publish_command(warehouse: Path) -> list[str]:
    return [
        sys.executable, "-m", "segwarehouse.publish", "--database", str(warehouse),
        "--output", str(warehouse.with_name("published.duckdb")),
    ]  # fmt: skip


def run(command: list[str], **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=PROJECT_DIR, env=environment(**extra_env), capture_output=True, text=True
    )


def publication_id(published: Path) -> str:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute("select publication_id from marts._publication").fetchone()[0]


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> tuple[Path, Path]:
    """The raw data folder and a passed, published build of it as of its last day."""
    folder = tmp_path_factory.mktemp("publish_build")
    generated = run(
        [
            sys.executable, "-m", "segwarehouse.tools.generate", "--customers", str(CUSTOMERS),
            "--seed", "7", "--output-dir", str(folder / "data"),
        ]
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    warehouse = folder / "build" / "warehouse.duckdb"
    built = run(build_command(folder / "data" / "raw", warehouse))
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-2000:]
    return folder / "data" / "raw", warehouse


@pytest.fixture
def rebuild(first_build, tmp_path) -> tuple[Path, Path]:
    """A copy of the first build (warehouse, published file, dbt target) to build again."""
    raw, warehouse = first_build
    shutil.copytree(warehouse.parent, tmp_path / "build")
    copy = tmp_path / "build" / warehouse.name
    # As if the first build had been of the copy: its run results name the copy.
    run_results = copy.parent / "target" / "run_results.json"
    document = json.loads(run_results.read_text())
    document["metadata"].setdefault("env", {})["SEGWAREHOUSE_WAREHOUSE"] = str(copy)
    run_results.write_text(json.dumps(document))
    return raw, copy


def dbt_tmp_tables(warehouse: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like '%__dbt_tmp%' order by all"
        ).fetchall()


def test_a_backfill_passes_leaves_no_dbt_tmp_table_and_is_published(rebuild, tmp_path):
    raw, warehouse = rebuild
    # Left by earlier builds (dbt-duckdb's incremental Python model): the build drops the
    # model's; a table that is no model's keeps its name.
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "create table main.int_segment_models_fitted__dbt_tmp20251130120000000000 as "
            "select 1 as customer_id where false"
        )
        connection.execute("create table main.my_notes__dbt_tmp as select 1 as note_id")
    # dbt writes its artifacts where DBT_TARGET_PATH says; the publish reads them there.
    target = tmp_path / "elsewhere" / "target"
    # A model is stored: the Python model runs incrementally and appends nothing.
    built = run(
        build_command(raw, warehouse, "--as-of", EARLIER_AS_OF), DBT_TARGET_PATH=str(target)
    )
    assert built.returncode == 0, built.stdout[-6000:] + built.stderr[-2000:]
    assert "published " in built.stdout

    assert dbt_tmp_tables(warehouse) == [("main", "my_notes__dbt_tmp")]
    published = warehouse.with_name("published.duckdb")
    with duckdb.connect(str(published), read_only=True) as connection:
        kpi_dates = connection.execute("select distinct as_of_date from marts.fct_segment_kpis")
        assert kpi_dates.fetchall() == [(date.fromisoformat(EARLIER_AS_OF),)]
    recorded = json.loads((target / "run_results.json").read_text())["metadata"]["env"]
    assert recorded["SEGWAREHOUSE_WAREHOUSE"] == str(warehouse.resolve())
    # Published again by hand, from the same build's run results; not from the first build's,
    # left in target/ beside the warehouse.
    before = publication_id(published)
    stale = run(publish_command(warehouse))
    assert stale.returncode != 0
    assert "changed after these run results were written" in stale.stderr, stale.stderr
    assert publication_id(published) == before
    again = run(publish_command(warehouse), DBT_TARGET_PATH=str(target))
    assert again.returncode == 0, again.stderr
    assert publication_id(published) != before


def start_build(raw: Path, warehouse: Path) -> tuple[subprocess.Popen, list[str]]:
    """A backfill build in a process group of its own; its output lines as they come."""
    process = subprocess.Popen(
        build_command(raw, warehouse, "--as-of", EARLIER_AS_OF),
        cwd=PROJECT_DIR, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []

    def follow() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=follow, daemon=True).start()
    return process, lines


def wait_for(condition, timeout: float, what: str, lines: list[str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + "".join(lines[-40:]))
        time.sleep(0.05)


def dbt_child(process: subprocess.Popen) -> int:
    """The dbt process segwarehouse.sources started (Linux: /proc lists a process's children)."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def assert_not_published(warehouse: Path, previous: str, problem: str) -> None:
    published = warehouse.with_name("published.duckdb")
    refused = run(publish_command(warehouse))
    assert refused.returncode != 0, refused.stdout
    assert f"publish failed, {published} left as it was" in refused.stderr
    assert problem in refused.stderr and "build again" in refused.stderr, refused.stderr
    assert publication_id(published) == previous


def test_a_killed_build_is_not_published(rebuild):
    raw, warehouse = rebuild
    previous = publication_id(warehouse.with_name("published.duckdb"))
    process, lines = start_build(raw, warehouse)
    try:
        wait_for(lambda: any(MART_REBUILT.search(line) for line in lines), 600, "a mart", lines)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the build's own process group
        process.wait(timeout=60)
    # The earlier build's run results, which all passed, were removed when this one started.
    assert_not_published(warehouse, previous, "no run results at")


def test_an_interrupted_build_is_not_published_from_its_partial_run_results(rebuild):
    raw, warehouse = rebuild
    previous = publication_id(warehouse.with_name("published.duckdb"))
    process, lines = start_build(raw, warehouse)
    try:
        wait_for(lambda: any(" START " in line for line in lines), 300, "dbt's first node", lines)
        dbt = dbt_child(process)
        wait_for(lambda: any(MART_REBUILT.search(line) for line in lines), 600, "a mart", lines)
        os.kill(dbt, signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=300) != 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    # On Ctrl-C dbt writes the results of the nodes it finished, all passed, and no more.
    assert (warehouse.parent / "target" / "run_results.json").exists(), "".join(lines[-40:])
    assert_not_published(warehouse, previous, "did not run to its end")
