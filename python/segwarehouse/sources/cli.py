"""Build the warehouse from a mapping file: `python -m segwarehouse.sources build MAPPING`.

    build MAPPING   check the mapping against its data, make the source's views in
                    data/<name>/warehouse.duckdb, dbt build, publish to
                    data/<name>/published.duckdb, print the segment summary
    check MAPPING   only check the mapping against its data and print what it found
    dbt MAPPING -- ARGS
                    any dbt command on the source's warehouse, e.g. `-- test -s fct_segment_kpis`
    spec MAPPING    print the mapping as dbt reads it (the `source` var), as JSON
    fields          print the fields each entity accepts (Markdown, as in docs/sources.md)

`make build-source SOURCE=MAPPING` runs `build`. Every path in a mapping file is relative to
the file (or to its `root:`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from segwarehouse.failed_tests import report_failed_tests
from segwarehouse.publish import (
    RECORDED_WAREHOUSE_ENV,
    RUN_RESULTS,
    PublishError,
    publish,
)
from segwarehouse.sources.catalog import fields_markdown
from segwarehouse.sources.mapping import MappingError, SourceMapping, load_mapping, project_vars
from segwarehouse.sources.probe import ProbeReport, probe
from segwarehouse.sources.readers import attachments, create_source_views
from segwarehouse.summary import print_summary

PROJECT_DIR = Path(__file__).resolve().parents[3]


AS_OF_ENV = "SEGWAREHOUSE_AS_OF_DATE"


def warehouse_path(mapping: SourceMapping, data_dir: Path | None = None) -> Path:
    """data/<name>/warehouse.duckdb under the project (or `data_dir`/<name>/...)."""
    return (data_dir or PROJECT_DIR / "data") / mapping.name / "warehouse.duckdb"


def dbt_vars(mapping: SourceMapping, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Project vars for a build of this source: its settings, the mapping, then `extra`."""
    spec = mapping.to_spec(PROJECT_DIR)
    spec["attach"] = [list(pair) for pair in attachments(mapping.all_tables().values())]
    return {**mapping.settings, "source": spec, **(extra or {})}


def reads_the_warehouse(mapping: SourceMapping) -> bool:
    """Whether the source reads tables of its own warehouse (format duckdb, no database)."""
    return any(t.format == "duckdb" and t.database is None for t in mapping.all_tables().values())


def prepare(
    mapping_file: Path | str,
    *,
    name: str | None = None,
    root: Path | str | None = None,
    warehouse: Path | None = None,
) -> tuple[SourceMapping, ProbeReport]:
    """Read the mapping and check it against its data (MappingError when wrong)."""
    mapping = load_mapping(mapping_file, name=name, root=root, project_dir=PROJECT_DIR)
    warehouse = warehouse or warehouse_path(mapping)
    if reads_the_warehouse(mapping):
        if not warehouse.exists():
            raise MappingError(
                f"{mapping.path}: a table without `database:` is read from the source's own "
                f"warehouse, {warehouse}, which does not exist yet: load the table there, or "
                "name the DuckDB file that holds it with `database:`"
            )
        try:
            with duckdb.connect(str(warehouse), read_only=True) as connection:
                return probe(mapping, connection)
        except duckdb.IOException as error:
            raise MappingError(f"cannot open {warehouse}: {str(error).splitlines()[0]}") from error
    with duckdb.connect() as connection:
        return probe(mapping, connection)


def _never_published_from_another_source(mapping: SourceMapping, warehouse: Path) -> bool:
    """A warehouse whose builds all failed (nothing published) and that recorded another
    source: it holds nothing anyone has seen, so a corrected mapping may start it over."""
    if not warehouse.exists() or warehouse.with_name("published.duckdb").exists():
        return False
    if reads_the_warehouse(mapping):
        return False
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            recorded = connection.execute(
                "select source_identity from mapped_source.source_identity "
                "order by recorded_at desc limit 1"
            ).fetchall()
    except duckdb.Error:
        return False
    return bool(recorded) and recorded[0][0] != mapping.identity(PROJECT_DIR)


def _warn_share(variables: dict[str, Any]) -> float | None:
    """The build's quarantine_warn_share (its vars, else the project's default)."""
    if "quarantine_warn_share" in variables:
        return float(variables["quarantine_warn_share"])
    default = project_vars(PROJECT_DIR).get("quarantine_warn_share")
    return float(default) if default is not None else None


def make_views(mapping: SourceMapping, warehouse: Path) -> None:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        with duckdb.connect(str(warehouse)) as connection:
            create_source_views(connection, mapping)
    except duckdb.IOException as error:
        raise SystemExit(
            f"cannot open {warehouse}: {str(error).splitlines()[0]} (is another build or a "
            "reader holding it? readers should open published.duckdb)"
        ) from error


def dbt_target_path(arguments: Sequence[str], warehouse: Path) -> Path:
    """Where dbt writes its artifacts: --target-path among `arguments`, else DBT_TARGET_PATH,
    else target/ beside the warehouse (relative paths are the project folder's)."""
    given = os.environ.get("DBT_TARGET_PATH")
    for index, argument in enumerate(arguments):
        if argument == "--target-path" and index + 1 < len(arguments):
            given = arguments[index + 1]
        elif argument.startswith("--target-path="):
            given = argument.partition("=")[2]
    return PROJECT_DIR / given if given else warehouse.parent / "target"


def run_dbt(
    arguments: Sequence[str],
    mapping: SourceMapping,
    warehouse: Path,
    variables: dict[str, Any],
    env: dict[str, str] | None = None,
) -> int:
    """dbt with the project's profile, this source's warehouse and vars; returns its code.

    The previous run results in its target path are removed first, so that a dbt killed
    before it writes its own leaves none that could pass for its (see segwarehouse.publish),
    and dbt records the warehouse in the new ones (metadata.env).
    """
    dbt = Path(sys.executable).parent / "dbt"
    target_path = dbt_target_path(arguments, warehouse)
    (target_path / RUN_RESULTS).unlink(missing_ok=True)
    command = [
        str(dbt),
        *arguments,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        "source",
        "--vars",
        json.dumps(variables),
    ]
    return subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={
            # Each warehouse keeps dbt's compiled SQL and logs beside it, so that builds of
            # two sources can run at once (the project's target/ would be shared).
            "DBT_LOG_PATH": str(warehouse.parent / "logs"),
            **os.environ,
            "DBT_TARGET_PATH": str(target_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SEGWAREHOUSE_WAREHOUSE": str(warehouse),
            RECORDED_WAREHOUSE_ENV: str(warehouse),
            **(env or {}),
        },
        check=False,
    ).returncode


def _user_vars(text: str | None) -> dict[str, Any]:
    """--vars as dbt gets them: a YAML mapping, dates as 'YYYY-MM-DD'."""
    if not text:
        return {}
    example = "'{as_of_date: 2025-06-30}'"
    try:
        given = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SystemExit(f"--vars is not valid YAML ({error}); e.g. {example}") from error
    if not isinstance(given, dict):
        raise SystemExit(f"--vars must be a YAML mapping such as {example}, got {text!r}")
    return json.loads(json.dumps(given, default=str))


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["fields"]:
        print(fields_markdown())
        return
    passthrough: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, passthrough = argv[:split], argv[split + 1 :]
    # dbt would take the command's own --vars (the mapping, the as-of date), given last, and
    # silently drop these: they belong to the command's --vars option.
    given_vars = [a for a in passthrough if a == "--vars" or a.startswith("--vars=")]
    if given_vars:
        raise SystemExit(
            "give dbt vars to this command's --vars option, before `--` (e.g. `python -m "
            "segwarehouse.sources build my.yml --vars '{full_data_tests: true}'`): after `--` "
            "they would be overridden by the vars the command passes to dbt"
        )
    parser = argparse.ArgumentParser(
        prog="python -m segwarehouse.sources", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("command", choices=("build", "check", "dbt", "spec"))
    parser.add_argument("mapping", type=Path, help="the mapping file (YAML)")
    parser.add_argument("--name", help="build under this name instead of the file's `name:`")
    parser.add_argument("--root", type=Path, help="folder the file's paths are relative to")
    parser.add_argument("--as-of", dest="as_of", help="as-of date YYYY-MM-DD (default: last)")
    parser.add_argument("--vars", help="more dbt vars, YAML, e.g. '{retrain_segments: true}'")
    parser.add_argument(
        "--warehouse", type=Path, help="warehouse file (default: data/<name>/warehouse.duckdb)"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the warehouse first: its stored segment model and history start over",
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="record this source as the warehouse's (same customers, data moved or re-exported)",
    )
    parser.add_argument(
        "--replace-snapshots",
        action="store_true",
        help="replace the kept segment snapshot of the as-of date even though it was computed "
        "from other data (late or corrected data; docs/segments.md, Repairing history)",
    )
    parser.add_argument("--no-summary", action="store_true", help="skip the segment summary")
    parser.add_argument(
        "--sqlfluff-config",
        action="store_true",
        help="spec: print it as a sqlfluff config section (dbt templater context) for linting",
    )
    args = parser.parse_args(argv)

    try:
        if args.command == "spec":
            # The mapping as written, without reading its data (linting needs no data).
            mapping = load_mapping(
                args.mapping, name=args.name, root=args.root, project_dir=PROJECT_DIR
            )
            report = ProbeReport()
        else:
            mapping, report = prepare(
                args.mapping, name=args.name, root=args.root, warehouse=args.warehouse
            )
    except MappingError as error:
        raise SystemExit(f"mapping error: {error}") from error
    extra = _user_vars(args.vars)
    if args.as_of and extra.get("as_of_date") not in (None, ""):
        raise SystemExit(
            f"two as-of dates: --as-of {args.as_of} and --vars as_of_date "
            f"{extra['as_of_date']}; give --as-of alone"
        )
    if args.adopt:
        extra["adopt_source"] = True
    if args.replace_snapshots:
        extra["replace_snapshots"] = True
    variables = dbt_vars(mapping, extra)
    if args.command == "spec":
        spec = json.dumps(variables["source"])
        print(
            f"[sqlfluff:templater:dbt:context]\nsource = {spec}" if args.sqlfluff_config else spec
        )
        return
    print(f"source {mapping.name} ({mapping.path}):")
    print(report.format())
    if args.command == "check":
        return
    warehouse = (args.warehouse or warehouse_path(mapping)).resolve()
    if args.reset:
        if reads_the_warehouse(mapping):
            raise SystemExit(
                f"--reset would delete {warehouse}, and with it the tables this source reads "
                "from it (a table without `database:`); move them to a DuckDB file of their "
                "own and name it with `database:`, or drop the warehouse's other schemas by hand"
            )
        for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            path.unlink(missing_ok=True)
        print(f"reset: deleted {warehouse}")
    elif _never_published_from_another_source(mapping, warehouse):
        for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
            path.unlink(missing_ok=True)
        print(
            f"starting {warehouse} over: no build of it has finished, and the one that "
            "failed read other data (nothing of it was published)"
        )
    make_views(mapping, warehouse)
    # The as-of date reaches dbt as an environment variable, not a var: dbt parses the whole
    # project again when a var changes, and only the files reading the variable when it does
    # (macros/settings.sql, as_of_date_setting). Always set, so that none is inherited.
    as_of = {AS_OF_ENV: args.as_of or ""}
    if args.command == "dbt":
        if not passthrough:
            raise SystemExit(
                "give the dbt command after --, e.g. -- test --select fct_segment_kpis"
            )
        code = run_dbt(passthrough, mapping, warehouse, variables, env=as_of)
        if code != 0:
            report_failed_tests(dbt_target_path(passthrough, warehouse) / RUN_RESULTS, warehouse)
        raise SystemExit(code)
    started = datetime.now(UTC)
    code = run_dbt(["build", *passthrough], mapping, warehouse, variables, env=as_of)
    if code != 0:
        report_failed_tests(dbt_target_path(passthrough, warehouse) / RUN_RESULTS, warehouse)
        raise SystemExit(f"dbt build of source {mapping.name} failed (exit {code}); see above")
    published = warehouse.with_name("published.duckdb")
    run_results = dbt_target_path(passthrough, warehouse) / RUN_RESULTS
    try:
        publication = publish(warehouse, published, run_results=run_results, started_after=started)
    except (PublishError, duckdb.Error) as error:
        raise SystemExit(f"publish failed, {published} left as it was: {error}") from error
    rows = sum(table.row_count for table in publication.tables)
    print(f"published {len(publication.tables)} tables ({rows:,} rows) to {published}")
    if not args.no_summary:
        with duckdb.connect(str(published), read_only=True) as connection:
            print_summary(connection, warn_share=_warn_share(variables))


if __name__ == "__main__":
    main()
