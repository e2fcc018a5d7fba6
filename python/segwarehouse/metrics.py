"""The semantic layer over a published file: MetricFlow's `mf`, pointed at it read-only.

Readers query `data/<name>/published.duckdb`, never the build warehouse (locked while a build
runs). MetricFlow connects through dbt's profile: the `published` target of profiles.yml opens
an in-memory database with the published file attached read-only under the name `published`,
and the semantic manifest comes from `dbt parse --target published`, so that its relations
read `published.marts.<mart>` whichever file is queried. This command checks the file, parses
the project when the manifest is missing or older than the project's files, and runs `mf`
with the rest of its arguments.

Usage: python -m segwarehouse.metrics [--database data/demo/published.duckdb] MF_ARGUMENTS...
e.g.   python -m segwarehouse.metrics query --metrics revenue,average_order_value \
           --group-by customer__segment_name
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from segwarehouse.published import PublishedFileError, open_published

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE = Path("data") / "demo" / "published.duckdb"
# profiles.yml: the target, the env var it reads the file from, and the attached database's
# name, which dbt writes into every relation of the manifest.
TARGET = "published"
TARGET_ENV = "SEGWAREHOUSE_TARGET"
PUBLISHED_ENV = "SEGWAREHOUSE_PUBLISHED"
DATABASE_NAME = "published"
# `mf` reads the semantic manifest from here, relative to the project; no setting moves it.
SEMANTIC_MANIFEST = PROJECT_DIR / "target" / "semantic_manifest.json"
# What the semantic manifest is parsed from.
PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros")


def project_files(root: Path = PROJECT_DIR) -> Iterable[Path]:
    for name in PROJECT_INPUTS:
        path = root / name
        if path.is_dir():
            yield from (file for file in path.rglob("*") if file.is_file())
        elif path.exists():
            yield path


def manifest_relations(manifest: dict) -> list[tuple[str, str, str]]:
    """(database, schema, table) of every semantic model and of the time spines."""
    nodes = [model["node_relation"] for model in manifest.get("semantic_models", [])]
    configuration = manifest.get("project_configuration", {})
    nodes += [spine["node_relation"] for spine in configuration.get("time_spines", [])]
    return sorted({(node["database"], node["schema_name"], node["alias"]) for node in nodes})


def manifest_is_current(path: Path = SEMANTIC_MANIFEST, root: Path = PROJECT_DIR) -> bool:
    """True when the semantic manifest was parsed for the published target after the last
    change to the project's files."""
    if not path.exists():
        return False
    try:
        relations = manifest_relations(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
        return False
    if not relations or any(database != DATABASE_NAME for database, _, _ in relations):
        return False
    parsed_at = path.stat().st_mtime
    return all(file.stat().st_mtime <= parsed_at for file in project_files(root))


def environment(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        TARGET_ENV: TARGET,
        PUBLISHED_ENV: str(database),
    }


def parse_project(database: Path) -> None:
    """dbt parse for the published target: writes target/semantic_manifest.json."""
    dbt = Path(sys.executable).parent / "dbt"
    completed = subprocess.run(
        [str(dbt), "parse", "--quiet", "--target", TARGET],
        cwd=PROJECT_DIR,
        env=environment(database),
        check=False,
    )
    if completed.returncode != 0 or not SEMANTIC_MANIFEST.exists():
        raise SystemExit(
            "dbt parse failed (its errors are above), so there is no semantic manifest: fix "
            "the project's YAML (semantic_models, metrics, saved_queries) and run again"
        )


# Digits after the point in `mf query`'s table, unless the query gives --decimals.
DISPLAY_DECIMALS = 2


def check_published(database: Path, relations: Sequence[tuple[str, str, str]]) -> None:
    """The file exists, is a published file, and holds every mart the semantic layer reads."""
    try:
        connection = open_published(
            database,
            required=sorted({f"{schema}.{table}" for _, schema, table in relations}),
            how_to_build="build and publish it (make demo, make build-test, or make "
            "build-source SOURCE=path/to/mapping.yml), then point --database at "
            "data/<name>/published.duckdb",
        )
    except PublishedFileError as error:
        raise SystemExit(str(error)) from error
    connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    # Every argument but --database is mf's, --help included (mf query --help).
    parser = argparse.ArgumentParser(
        prog="python -m segwarehouse.metrics",
        description="Run MetricFlow (mf) on a published file, read-only.",
        add_help=False,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"the published file to query (default {DEFAULT_DATABASE})",
    )
    args, mf_arguments = parser.parse_known_args(argv)
    if not mf_arguments:
        parser.error("give mf's arguments, e.g. query --metrics revenue or list metrics")
    database = args.database if args.database.is_absolute() else Path.cwd() / args.database
    if not manifest_is_current():
        parse_project(database)
    relations = manifest_relations(json.loads(SEMANTIC_MANIFEST.read_text()))
    check_published(database, relations)
    if mf_arguments[0] == "query" and not any(
        argument.startswith("--decimals") for argument in mf_arguments
    ):
        # mf prints large values as 4.58273e+06 by default: show money and rates in full.
        mf_arguments = [*mf_arguments, "--decimals", str(DISPLAY_DECIMALS)]
    mf = Path(sys.executable).parent / "mf"
    return subprocess.run(
        [str(mf), *mf_arguments], cwd=PROJECT_DIR, env=environment(database), check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
