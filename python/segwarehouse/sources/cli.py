"""Build the warehouse from a mapping file: `python -m segwarehouse.sources build MAPPING`.

    build MAPPING   check the mapping against its data, make the source's views in
                    data/<name>/warehouse.duckdb, dbt build, publish to
                    data/<name>/published.duckdb, print the segment summary
    check MAPPING   only check the mapping against its data and print what it found
    dbt MAPPING -- ARGS
                    any dbt command on the source's warehouse, e.g. `-- test -s fct_segment_kpis`
    spec MAPPING    print the mapping as dbt reads it (macros/source_spec.sql), as JSON
    fields          print the fields each entity accepts (Markdown, as in docs/sources.md)

`make build-source SOURCE=MAPPING` runs `build`. Every path in a mapping file is relative to
the file (or to its `root:`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
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
    WAREHOUSE_ENV,
    PublishError,
    publish,
)
from segwarehouse.sources.catalog import fields_markdown
from segwarehouse.sources.mapping import MappingError, SourceMapping, load_mapping, project_vars
from segwarehouse.sources.probe import ProbeReport, probe
from segwarehouse.sources.readers import attachments, create_source_views

PROJECT_DIR = Path(__file__).resolve().parents[3]


AS_OF_ENV = "SEGWAREHOUSE_AS_OF_DATE"
SOURCE_ENV = "SEGWAREHOUSE_SOURCE"
LOCATION_ENV = "SEGWAREHOUSE_SOURCE_LOCATION"
LOCATION_KEYS = ("name", "identity", "attach")
STAGING_ENV = "SEGWAREHOUSE_STAGING"
# dbt's parsed project, kept per set of vars and profile (dbt reads it from its target path as
# partial_parse.msgpack): a build into a new warehouse starts from it instead of parsing the
# whole project. dbt checks it against the project's files and re-parses what changed.
PARSE_CACHE = PROJECT_DIR / "target" / "parse_cache"
PARTIAL_PARSE = "partial_parse.msgpack"
# Options after `--` whose relative paths dbt reads from its working folder, which is the
# warehouse's: made absolute from the caller's (dbt reads --target-path from the project's).
PATH_OPTIONS = ("--state", "--defer-state", "--log-path")


def warehouse_path(mapping: SourceMapping, data_dir: Path | None = None) -> Path:
    """data/<name>/warehouse.duckdb under the project (or `data_dir`/<name>/...)."""
    return (data_dir or PROJECT_DIR / "data") / mapping.name / "warehouse.duckdb"


def source_spec(mapping: SourceMapping) -> dict[str, Any]:
    """The mapping as dbt reads it (macros/source_spec.sql), with the databases to attach."""
    spec = mapping.to_spec(PROJECT_DIR)
    spec["attach"] = [list(pair) for pair in attachments(mapping.all_tables().values())]
    return spec


def dbt_vars(mapping: SourceMapping, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Project vars for a build of this source: its settings, then `extra`. The mapping
    itself goes to dbt as an environment variable (`source_environment`)."""
    return {**mapping.settings, **(extra or {})}


def source_environment(mapping: SourceMapping) -> dict[str, str]:
    """The mapping for dbt, outside its vars: dbt parses the whole project again whenever a
    var changes, and only the files that read an environment variable when that changes.
    Three variables (macros/source_spec.sql), so that each change re-parses few files:
    - SEGWAREHOUSE_SOURCE, the mapping's shape (entities, fields), read by the staging;
    - SEGWAREHOUSE_SOURCE_LOCATION, which data it is (name, identity, databases to attach),
      read by two files: the same shape from another folder parses in seconds;
    - SEGWAREHOUSE_STAGING, the staging folder, read by dbt_project.yml (which enables it):
      a variable read there makes dbt parse everything again when it changes."""
    spec = source_spec(mapping)
    location = {key: spec.pop(key) for key in LOCATION_KEYS}
    # A digest of the tables' locations too: it would make every staging model re-parse.
    spec.pop("fingerprint", None)
    return {
        SOURCE_ENV: json.dumps(spec),
        LOCATION_ENV: json.dumps(location),
        STAGING_ENV: str(spec.get("staging", "mapped")),
    }


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
    """A warehouse whose builds all failed (nothing published, no history kept) and that
    recorded another source: it holds nothing anyone has seen, so a corrected mapping may
    start it over. A build run with plain dbt publishes nothing but keeps its history
    (history.kept_builds): such a warehouse is never deleted."""
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
            has_history = connection.execute(
                "select 1 from information_schema.tables "
                "where table_schema = 'history' and table_name = 'kept_builds'"
            ).fetchall()
            if (
                has_history
                and connection.execute("select count(*) from history.kept_builds").fetchone()[0]
            ):
                return False
    except duckdb.Error:
        return False
    return bool(recorded) and recorded[0][0] != mapping.identity(PROJECT_DIR)


def _warn_share(variables: dict[str, Any]) -> float | None:
    """The build's quarantine_warn_share (its vars, else the project's default)."""
    if "quarantine_warn_share" in variables:
        return float(variables["quarantine_warn_share"])
    default = project_vars(PROJECT_DIR).get("quarantine_warn_share")
    return float(default) if default is not None else None


# Classified tables that versions of the project before aa0e96f rebuilt in full and that are now
# incremental. Such a table lacks key_group, and a build would stop asking for --full-refresh
# (macro raw_rows_to_classify); every build rebuilt it from the raw rows then, so dropping it
# loses nothing: the next build classifies every raw row once, then incrementally.
NOW_INCREMENTAL = ("stg_mapped__orders_classified",)


def drop_tables_classified_in_full(warehouse: Path) -> list[str]:
    """Drop the NOW_INCREMENTAL tables of `warehouse` built before they were incremental;
    returns their names."""
    if not warehouse.exists():
        return []
    names = ", ".join(f"'{name}'" for name in NOW_INCREMENTAL)
    with duckdb.connect(str(warehouse)) as connection:
        dropped = [
            name
            for (name,) in connection.execute(
                f"""
                select table_name from information_schema.tables
                where table_schema = 'staging' and table_type = 'BASE TABLE'
                    and table_name in ({names})
                    and table_name not in (
                        select table_name from information_schema.columns
                        where table_schema = 'staging' and column_name = 'key_group'
                    )
                """
            ).fetchall()
        ]
        for name in dropped:
            connection.execute(f'drop table staging."{name}"')
    return dropped


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


def dbt_vars_text(variables: dict[str, Any]) -> str:
    """The vars as dbt's --vars reads them back unchanged: YAML, not JSON, since dbt reads
    --vars as YAML 1.1, to which JSON's 1e-07 is a string (YAML writes 1.0e-07)."""
    return yaml.safe_dump(variables, default_flow_style=True, width=float("inf")).strip()


def _parse_cache_file(variables: dict[str, Any], environment: dict[str, str]) -> Path:
    """Where the parsed project of builds with these vars and this profile is kept: dbt
    parses everything again when either differs, so each such set has its own."""
    key = json.dumps(
        {
            "vars": variables,
            "staging": environment.get(STAGING_ENV, ""),
            # The profile's values that dbt compares: the warehouse's file name (its path is
            # relative to the folder dbt runs in) and DuckDB's settings.
            "warehouse": environment.get(WAREHOUSE_ENV, ""),
            "memory_limit": environment.get("SEGWAREHOUSE_MEMORY_LIMIT", ""),
        },
        sort_keys=True,
        default=str,
    )
    return PARSE_CACHE / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def _absolute_paths(arguments: Sequence[str]) -> list[str]:
    """dbt's arguments with the relative paths of PATH_OPTIONS made absolute (the caller's
    working folder), since dbt runs in the warehouse's folder."""
    result: list[str] = []
    for index, argument in enumerate(arguments):
        option, equals, value = argument.partition("=")
        if equals and option in PATH_OPTIONS:
            argument = f"{option}={Path(value).absolute()}"
        elif index > 0 and arguments[index - 1] in PATH_OPTIONS:
            argument = str(Path(argument).absolute())
        result.append(argument)
    return result


def _replace_file(source: Path, destination: Path) -> None:
    """Copy `source` over `destination` atomically: builds side by side may share it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f"{destination.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, partial)
    os.replace(partial, destination)


def run_dbt(
    arguments: Sequence[str],
    mapping: SourceMapping,
    warehouse: Path,
    variables: dict[str, Any],
    env: dict[str, str] | None = None,
) -> int:
    """dbt with the project's profile, this source's warehouse, mapping and vars; returns
    its code, after printing the rows of the data tests that failed or warned.

    The previous run results in its target path are removed first, so that a dbt killed
    before it writes its own leaves none that could pass for its (see segwarehouse.publish),
    and dbt records the warehouse in the new ones (metadata.env).

    dbt runs in the warehouse's folder, with the profile's path the warehouse's file name:
    dbt parses everything again when the profile changes, and so builds of other warehouses
    (each test's, each source's) keep one profile. A target path without a parsed project
    gets the one kept for these vars (PARSE_CACHE), and the one dbt leaves is kept in turn.
    """
    dbt = Path(sys.executable).parent / "dbt"
    arguments = _absolute_paths(arguments)
    target_path = dbt_target_path(arguments, warehouse)
    (target_path / RUN_RESULTS).unlink(missing_ok=True)
    environment = {
        **source_environment(mapping),
        WAREHOUSE_ENV: warehouse.name,
        RECORDED_WAREHOUSE_ENV: str(warehouse),
        **(env or {}),
    }
    cached = _parse_cache_file(variables, {**os.environ, **environment})
    parsed = target_path / PARTIAL_PARSE
    if cached.exists() and not parsed.exists():
        _replace_file(cached, parsed)
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
        dbt_vars_text(variables),
    ]
    code = subprocess.run(
        command,
        cwd=warehouse.parent,
        env={
            # Each warehouse keeps dbt's compiled SQL and logs beside it, so that builds of
            # two sources can run at once (the project's target/ would be shared).
            "DBT_LOG_PATH": str(warehouse.parent / "logs"),
            **os.environ,
            "DBT_TARGET_PATH": str(target_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **environment,
        },
        check=False,
    ).returncode
    if parsed.exists():
        _replace_file(parsed, cached)
    if code != 0:
        report_failed_tests(target_path / RUN_RESULTS, warehouse)
    return code


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
        spec = json.dumps(source_spec(mapping))
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
    for name in drop_tables_classified_in_full(warehouse):
        print(
            f"staging.{name} was classified in full by an earlier version of the project: "
            "dropped, so that this build classifies every raw row once, then only what changes"
        )
    # The as-of date reaches dbt as an environment variable, not a var: dbt parses the whole
    # project again when a var changes, and only the files reading the variable when it does
    # (macros/settings.sql, as_of_date_setting). Always set, so that none is inherited.
    as_of = {AS_OF_ENV: args.as_of or ""}
    if args.command == "dbt":
        if not passthrough:
            raise SystemExit(
                "give the dbt command after --, e.g. -- test --select fct_segment_kpis"
            )
        raise SystemExit(run_dbt(passthrough, mapping, warehouse, variables, env=as_of))
    started = datetime.now(UTC)
    code = run_dbt(["build", *passthrough], mapping, warehouse, variables, env=as_of)
    if code != 0:
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
        # Imported here: the summary needs pandas (0.6 s to import), a --no-summary build not.
        from segwarehouse.summary import print_summary

        with duckdb.connect(str(published), read_only=True) as connection:
            print_summary(connection, warn_share=_warn_share(variables))


if __name__ == "__main__":
    main()
