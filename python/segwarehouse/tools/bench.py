"""Benchmark: generate N customers, build, append one day of data, build again; print a table.

    python -m segwarehouse.tools.bench --customers 100000 --workdir /tmp/bench

The generated history is split at its last day: the first build sees every row before it,
then that day's rows are appended to the raw files (as a daily extract would add them) and
the warehouse is built again. Each stage runs as a subprocess under /usr/bin/time, which
gives its wall time and peak resident memory.

When the hand-written baseline is present (../shared/benchmarks/handwritten.py beside the
project, or --baseline), it computes the same public marts from the full build's raw files
and as-of date, timed the same way; the table then gives each build's ratio to it, and
validate.py's verdict on the baseline's marts against the full build's says whether the two
agree (the ratio only means something if they do).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[3]
# The hand-written baseline the builds are measured against (shared/benchmarks/README.md).
DEFAULT_BASELINE = PROJECT_DIR.parent / "shared" / "benchmarks" / "handwritten.py"

# Table -> SQL expression (over alias t, with the full orders table as `orders`) of the
# timestamp that places a row on a day. Tables without one (catalogues) are all history.
DAY_OF_ROW: dict[str, str | None] = {
    "customers": "cast(t.signup_date as timestamp)",
    "products": None,
    "campaigns": None,
    "orders": "t.ordered_at",
    "order_lines": "(select o.ordered_at from orders as o where o.id = t.order_id)",
    "campaign_sends": "t.sent_at",
    "email_events": "t.occurred_at",
    # A session that converted into an order arrives with that order.
    "web_sessions": (
        "greatest(t.started_at, coalesce("
        "(select o.ordered_at from orders as o where o.id = t.converted_order_id), t.started_at))"
    ),
    "experiment_assignments": "t.assigned_at",
    "survey_responses": "t.responded_at",
}


@dataclass(frozen=True)
class NodeGroup:
    """dbt nodes of one kind in one build, from its run_results.json."""

    name: str
    nodes: int
    seconds: float  # summed over nodes; they run in parallel threads


def node_stages(manifest: dict) -> dict[str, str]:
    """unique_id -> the stage of the graph it belongs to: a model's folder under models/
    (staging, intermediate/canonical, ..., marts), a data test's tested model's folder."""

    def folder(path: str) -> str:
        parts = path.split("/")
        if parts[0] != "models":
            return parts[0]
        return "/".join(parts[1:3] if parts[1] == "intermediate" else parts[1:2])

    nodes = manifest.get("nodes", {})
    stages = {
        unique_id: folder(node["original_file_path"])
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model"
    }
    for unique_id, node in nodes.items():
        if node.get("resource_type") == "test":
            tested = [stages[d] for d in node["depends_on"]["nodes"] if d in stages]
            stages[unique_id] = tested[0] if tested else folder(node["original_file_path"])
    return stages


def node_groups(run_results: dict, stages: dict[str, str] | None = None) -> list[NodeGroup]:
    """Node seconds per kind: models per stage (their folder under models/; without the
    manifest's `stages`, their schema), data tests per stage of the model they test, unit
    tests, seeds and hooks."""
    stages = stages or {}
    totals: dict[str, list[float]] = {}
    for result in run_results["results"]:
        kind = result["unique_id"].split(".")[0]
        stage = stages.get(result["unique_id"])
        if kind == "model":
            layer = result.get("relation_name") or ""
            schema = layer.split(".")[-2].strip('"') if layer.count(".") >= 1 else "?"
            group = f"{stage or schema} models"
        elif kind == "test":
            group = f"data tests on {stage}" if stage else "data tests"
        elif kind == "unit_test":
            group = "unit tests"
        else:
            group = f"{kind}s"
        entry = totals.setdefault(group, [0, 0.0])
        entry[0] += 1
        entry[1] += result["execution_time"]
    return sorted(
        (NodeGroup(name, int(count), seconds) for name, (count, seconds) in totals.items()),
        key=lambda group: -group.seconds,
    )


def slowest_nodes(run_results: dict, count: int = 8) -> list[tuple[str, float]]:
    ranked = sorted(run_results["results"], key=lambda result: -result["execution_time"])
    return [(r["unique_id"].split(".")[-1], r["execution_time"]) for r in ranked[:count]]


@dataclass(frozen=True)
class Stage:
    name: str
    wall_seconds: float
    peak_megabytes: float
    rows: int
    run_results: dict | None = None  # dbt's, for builds
    compared: bool = False  # a build, given its ratio to the baseline


class StageFailedError(Exception):
    """A timed command exited with an error (its output's tail is the message)."""

    def last_words(self) -> str:
        """The command's last line of output before /usr/bin/time's report."""
        lines = [
            line
            for line in str(self).split("Command exited with non-zero status")[0].splitlines()
            if line.strip() and not line.startswith("\t")
        ]
        return lines[-1][-200:] if lines else ""


def timed(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run `command` under /usr/bin/time -v; its wall seconds and peak RSS in MB. A failure
    raises StageFailedError with the output's tail."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise StageFailedError(
            f"{result.stdout[-5000:]}{result.stderr[-5000:]}\nstage failed: {' '.join(command)}"
        )
    peak_kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return wall, (int(peak_kb.group(1)) / 1024 if peak_kb else float("nan"))


def split_last_day(full_dir: Path, base_dir: Path, day_dir: Path) -> str:
    """Write every row before the last day to base_dir and that day's rows to day_dir."""
    base_dir.mkdir(parents=True, exist_ok=True)
    day_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            f"create view orders as select * from read_parquet('{full_dir}/orders.parquet')"
        )
        (last_day,) = con.execute("select max(cast(ordered_at as date)) from orders").fetchone()
        for table, day_of_row in DAY_OF_ROW.items():
            source = f"read_parquet('{full_dir}/{table}.parquet')"
            condition = (
                f"cast({day_of_row} as date) >= date '{last_day}'" if day_of_row else "false"
            )
            for target, predicate in ((base_dir, f"not ({condition})"), (day_dir, condition)):
                con.execute(
                    f"copy (select t.* from {source} as t where {predicate}) "
                    f"to '{target}/{table}.parquet' (format parquet, compression zstd)"
                )
    return str(last_day)


def append_day(raw_dir: Path, day_dir: Path) -> int:
    """Append each table's new rows to its raw file (rewritten, then swapped in); rows added."""
    added = 0
    with duckdb.connect() as con:
        for table in DAY_OF_ROW:
            current, new = raw_dir / f"{table}.parquet", day_dir / f"{table}.parquet"
            (count,) = con.execute(f"select count(*) from read_parquet('{new}')").fetchone()
            if not count:
                continue
            staged = raw_dir / f".{table}.parquet.tmp"
            con.execute(
                f"copy (select * from read_parquet('{current}') union all "
                f"select * from read_parquet('{new}')) to '{staged}' "
                "(format parquet, compression zstd)"
            )
            os.replace(staged, current)
            added += count
    return added


def count_rows(raw_dir: Path, table: str) -> int:
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from read_parquet('{raw_dir}/{table}.parquet')"
        ).fetchone()[0]


def run_baseline(
    baseline: Path, raw: Path, workdir: Path, build_warehouse: Path, env: dict[str, str]
) -> tuple[Stage, str]:
    """Time the hand-written baseline on `raw`; its stage and validate.py's verdict on it
    against the build's warehouse (the line "N figures differ")."""
    output = workdir / "baseline.duckdb"
    # The build's as-of date: the baseline's default (the last order, session, email or survey
    # day) leaves out a return on the held-back day's eve, which the warehouse counts.
    with duckdb.connect(str(build_warehouse), read_only=True) as con:
        (as_of_date,) = con.execute(
            "select max(as_of_date) from marts.fct_customer_features"
        ).fetchone()
    rows = count_rows(raw, "order_lines")
    try:
        wall, peak = timed(
            [sys.executable, str(baseline), "--raw", str(raw), "--out", str(output),
             "--project", str(PROJECT_DIR), "--as-of", str(as_of_date)],
            env,
        )  # fmt: skip
    except StageFailedError as failure:
        # E.g. out of memory at 10M customers: the table says so, the other sizes still run.
        (workdir / "baseline.txt").write_text(str(failure))
        nan = float("nan")
        verdict = f"the baseline failed, see {workdir}/baseline.txt: {failure.last_words()}"
        return Stage("hand-written baseline", nan, nan, rows), verdict
    validator = baseline.with_name("validate.py")
    verdict = "not validated: no validate.py beside the baseline"
    if validator.is_file():
        result = subprocess.run(
            [sys.executable, str(validator), "--project-db", str(build_warehouse),
             "--baseline-db", str(output)],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
        )  # fmt: skip
        (workdir / "validate.txt").write_text(result.stdout + result.stderr)
        found = re.search(r"^\d[\d,]* figures? differ.*$", result.stdout, re.MULTILINE)
        verdict = found.group(0) if found else f"validation failed: see {workdir}/validate.txt"
    return Stage("hand-written baseline", wall, peak, rows), verdict


def run(
    customers: int,
    workdir: Path,
    seed: int,
    baseline: Path | None = None,
    after_one_day: bool = True,
) -> tuple[list[Stage], str | None]:
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    full, raw, day = workdir / "generated", workdir / "raw", workdir / "new_day"
    python = sys.executable
    dbt = str(Path(python).parent / "dbt")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "SEGWAREHOUSE_TEST_WAREHOUSE": str(workdir / "warehouse.duckdb"),
    }
    # The production job: dbt build's default selection (selectors.yml, `production`) leaves
    # the unit tests and the development checks to make test. Both builds run the same command,
    # as a scheduled job does, so the second parses only what changed (dbt's partial parsing).
    # The held-back day's orders land on an as-of date the first build already kept (the other
    # tables reach it): the second build replaces that date's kept snapshot on purpose, which
    # replace_snapshots allows (the first has none to replace).
    build = [
        dbt, "build", "--target", "test", "--quiet",
        "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"),
        "--vars", f"{{raw_data_path: '{raw}', replace_snapshots: true}}",
    ]  # fmt: skip
    stages = []

    def done(stage: Stage) -> None:
        """Keep the stage; say it on stderr at once (a large size runs for an hour)."""
        stages.append(stage)
        print(
            f"{customers:,} customers, {stage.name}: {stage.wall_seconds:.1f} s, "
            f"peak {stage.peak_megabytes:,.0f} MB",
            file=sys.stderr,
            flush=True,
        )

    wall, peak = timed(
        [python, "-m", "segwarehouse.tools.generate", "--customers", str(customers),
         "--seed", str(seed), "--output-dir", str(full)],
        env,
    )  # fmt: skip
    done(Stage("generate", wall, peak, count_rows(full / "raw", "order_lines")))
    started = time.perf_counter()
    split_last_day(full / "raw", raw, day)
    done(Stage("hold back last day", time.perf_counter() - started, float("nan"), 0))
    wall, peak = timed(build, env)
    done(
        Stage(
            "full build",
            wall,
            peak,
            count_rows(raw, "order_lines"),
            read_run_results(workdir),
            compared=True,
        )
    )
    verdict = None
    if baseline is not None:
        # The same raw files as the full build, checked against the marts it made.
        stage, verdict = run_baseline(baseline, raw, workdir, workdir / "warehouse.duckdb", env)
        done(stage)
    if not after_one_day:
        return stages, verdict
    started = time.perf_counter()
    added = append_day(raw, day)
    done(Stage("append one day", time.perf_counter() - started, float("nan"), added))
    wall, peak = timed(build, env)
    done(
        Stage(
            "build after one day",
            wall,
            peak,
            count_rows(raw, "order_lines"),
            read_run_results(workdir),
            compared=True,
        )
    )
    return stages, verdict


def read_run_results(workdir: Path) -> dict:
    """dbt's run results of the last build, with each node's stage (from the manifest)."""
    run_results = json.loads((workdir / "target" / "run_results.json").read_text())
    manifest = workdir / "target" / "manifest.json"
    run_results["stages"] = (
        node_stages(json.loads(manifest.read_text())) if manifest.exists() else {}
    )
    return run_results


def format_profile(stages: Sequence[Stage]) -> str:
    """Where each build's time goes: node seconds per kind, then the slowest nodes."""
    lines = []
    for stage in stages:
        if stage.run_results is None:
            continue
        # dbt's elapsed_time is its run phase: the rest of the wall time is starting Python,
        # parsing the project (or reading the partial parse) and compiling the graph.
        running = stage.run_results.get("elapsed_time", float("nan"))
        lines += [
            f"{stage.name}: {stage.wall_seconds:.1f} s wall = {stage.wall_seconds - running:.1f} s"
            f" start-up and parse + {running:.1f} s running nodes; dbt node seconds below are"
            " summed over parallel threads",
            f"| {'nodes':<44} | {'count':>5} | {'seconds':>7} |",
            f"|{'-' * 46}|{'-' * 6}:|{'-' * 8}:|",
        ]
        lines += [
            f"| {group.name:<44} | {group.nodes:>5} | {group.seconds:>7.1f} |"
            for group in node_groups(stage.run_results, stage.run_results.get("stages"))
        ]
        lines += [
            f"| {'  ' + name:<44} | {'':>5} | {seconds:>7.1f} |"
            for name, seconds in slowest_nodes(stage.run_results)
        ]
        lines.append("")
    return "\n".join(lines)


def format_table(customers: int, stages: Sequence[Stage]) -> str:
    """One row per stage; with a baseline stage, each build's wall time over the baseline's."""
    baseline = next((stage for stage in stages if stage.name == "hand-written baseline"), None)
    lines = [
        f"{customers:,} customers",
        f"| {'stage':<21} | {'wall s':>7} | {'peak MB':>8} | {'rows':>11} | {'x baseline':>10} |",
        f"|{'-' * 23}|{'-' * 8}:|{'-' * 9}:|{'-' * 12}:|{'-' * 11}:|",
    ]
    for stage in stages:
        peak = (
            "" if stage.peak_megabytes != stage.peak_megabytes else f"{stage.peak_megabytes:,.0f}"
        )
        ratio = (
            f"{stage.wall_seconds / baseline.wall_seconds:.2f}"
            if stage.compared and baseline is not None and baseline.wall_seconds > 0
            else ""
        )
        failed = stage.wall_seconds != stage.wall_seconds
        wall = "failed" if failed else f"{stage.wall_seconds:.1f}"
        lines.append(
            f"| {stage.name:<21} | {wall:>7} | {peak:>8} | {stage.rows:>11,} | {ratio:>10} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time a full build and a one-day rebuild.")
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/segwarehouse-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--full-build-only",
        type=int,
        default=None,
        metavar="CUSTOMERS",
        help="from this size up, time the full build (and the baseline) only, not the build "
        "after one day (e.g. 10000000: an hour less)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="the hand-written baseline script (default: ../shared/benchmarks/handwritten.py); "
        "timed on the full build's data when it exists",
    )
    args = parser.parse_args(argv)
    baseline = args.baseline.resolve() if args.baseline.is_file() else None
    if baseline is None:
        print(f"no baseline at {args.baseline}: the table has no ratio column", flush=True)
    for customers in args.customers:
        try:
            after_one_day = args.full_build_only is None or customers < args.full_build_only
            stages, verdict = run(
                customers, args.workdir / str(customers), args.seed, baseline, after_one_day
            )
        except StageFailedError as failure:
            raise SystemExit(str(failure)) from failure
        print(format_table(customers, stages), flush=True)
        if verdict is not None:
            print(f"baseline against the full build: {verdict}", flush=True)
        print(flush=True)
        print(format_profile(stages), flush=True)


if __name__ == "__main__":
    main()
