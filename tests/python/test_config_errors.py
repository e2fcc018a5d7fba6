"""Bad settings fail fast, in the on-run-start hook, with a message naming the setting.

Each case runs dbt on a copy of the project with a small generated raw folder and selects one
cheap model: the hook runs before any model, so a failure there stops the run at once. Valid
settings pass the hook in every other dbt build (the test warehouse, test_fuzz.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from segwarehouse.sources.catalog import ENTITIES
from segwarehouse.sources.cli import STAGING_ENV, source_environment
from segwarehouse.sources.mapping import load_mapping
from segwarehouse.tools.generate import GeneratorConfig, generate, write

from .conftest import PROJECT_DIR

IGNORED = shutil.ignore_patterns(
    "data", "target", "logs", ".venv*", ".git", "__pycache__", "python", "*.duckdb", ".*_cache"
)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("config_errors_data")
    tables, truth = generate(GeneratorConfig(n_customers=100, seed=7))
    write(tables, truth, output)
    return output / "raw"


def project_copy(destination: Path) -> Path:
    """A copy of the dbt project, so that each case parses and runs on its own."""
    project = destination / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=IGNORED)
    (project / "python").symlink_to(PROJECT_DIR / "python")
    return project


def dbt_run(
    project: Path, target: str, select: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """`dbt run` of one model in `project` with the profile there, `env` added."""
    dbt = str(Path(sys.executable).parent / "dbt")
    return subprocess.run(
        [dbt, "run", "--target", target, "--select", select, *args],
        cwd=project,
        env={**os.environ, "DBT_PROFILES_DIR": str(project), **env},
        capture_output=True,
        text=True,
    )


def run_dbt(project: Path, raw_dir: Path, **variables: object) -> subprocess.CompletedProcess:
    settings = ", ".join(f"{name}: {value!r}" for name, value in {
        "raw_data_path": str(raw_dir), **variables
    }.items())  # fmt: skip
    return dbt_run(
        project,
        "test",
        "stg_mapped__products_classified",
        "--vars",
        "{" + settings + "}",
        env={"SEGWAREHOUSE_TEST_WAREHOUSE": str(project / "warehouse.duckdb")},
    )


def assert_fails_fast(result: subprocess.CompletedProcess, message: str) -> None:
    """dbt stopped in the start-up hook, with `message`, before any model started."""
    assert result.returncode != 0
    assert message in result.stdout, result.stdout
    assert "START sql" not in result.stdout, "no model may start"


@pytest.mark.parametrize(
    ("as_of_date", "message"),
    [
        pytest.param("yesterday", "var('as_of_date') must be a date", id="not-a-date"),
        pytest.param("2025-02-30", "var('as_of_date') must be a date", id="impossible-date"),
        pytest.param("2030-01-01", "is outside the data", id="after-the-data"),
    ],
)
def test_a_bad_as_of_date_fails_fast(tmp_path, raw_dir, as_of_date, message):
    assert_fails_fast(run_dbt(project_copy(tmp_path), raw_dir, as_of_date=as_of_date), message)


def test_a_missing_source_file_fails_fast(tmp_path, raw_dir):
    partial = tmp_path / "raw"
    shutil.copytree(raw_dir, partial)
    (partial / "order_lines.parquet").unlink()
    result = run_dbt(project_copy(tmp_path), partial)
    assert result.returncode != 0
    assert "var('raw_data_path')" in result.stdout, result.stdout
    assert "missing source file(s)" in result.stdout
    assert "order_lines.parquet" in result.stdout
    assert "START sql" not in result.stdout


DEFAULT_FEATURES = [
    "recency_days",
    "order_count",
    "monetary_value",
    "average_order_value",
    "discounted_order_share",
    "tenure_days",
]


# validate_settings reports every bad setting in one message, so cases share dbt runs (each dbt
# run parses the whole project: one per case made this file among the slowest of make test).
# Grouped apart: the checks of settings against each other, which run only when every setting
# is valid on its own, and the segment model's feature names, checked after the settings one
# problem at a time.
RELATION_CASES = {
    "k-max-below-k-min",
    "warn-above-fail",
    "extract-before-earliest",
    "unknown-time-zone",
}
OWN_RUN_CASES = {"unknown-feature", "unknown-null-fill-column"}

SETTING_CASES = [
    pytest.param(
        {"segment_k_min": 6, "segment_k_max": 4},
        "var('segment_k_min') (6) must not be above var('segment_k_max') (4)",
        id="k-max-below-k-min",
    ),
    pytest.param(
        {"segment_k_min": 1},
        "var('segment_k_min') must be between 2 and 50, got: 1",
        id="k-min-one",
    ),
    pytest.param(
        {"segment_features": [*DEFAULT_FEATURES, "happiness_index"]},
        "config 'features' names unknown column(s): happiness_index",
        id="unknown-feature",
    ),
    pytest.param(
        {"segment_null_fills": {"recency_days": "days_as_customer"}},
        "unknown column(s): days_as_customer (null_fills of recency_days)",
        id="unknown-null-fill-column",
    ),
    pytest.param(
        {"quarantine_max_share": 0},
        "var('quarantine_max_share') must be a share above 0 and at most 1",
        id="zero-share",
    ),
    pytest.param(
        {"quarantine_warn_share": 0.6},
        "var('quarantine_warn_share') (0.6) must not be above var('quarantine_max_share')",
        id="warn-above-fail",
    ),
    # Privacy: suppression cannot be turned off by a value below 2 or not a whole number.
    pytest.param(
        {"kpi_min_group_size": -1},
        "var('kpi_min_group_size') must be between 2 and 1000000, got: -1",
        id="kpi-group-negative",
    ),
    pytest.param(
        {"kpi_min_group_size": 0}, "var('kpi_min_group_size') must be between 2", id="kpi-zero"
    ),
    pytest.param(
        {"kpi_min_group_size": 1}, "var('kpi_min_group_size') must be between 2", id="kpi-one"
    ),
    pytest.param(
        {"kpi_min_group_size": 0.5},
        "var('kpi_min_group_size') must be a whole number, got: 0.5",
        id="kpi-fraction",
    ),
    pytest.param(
        {"kpi_min_group_size": "abc"},
        "var('kpi_min_group_size') must be a whole number, got: abc",
        id="kpi-text",
    ),
    pytest.param(
        {"category_affinity_min_buyer_count": 0},
        "var('category_affinity_min_buyer_count') must be between 1",
        id="affinity-buyers-zero",
    ),
    pytest.param(
        {"category_affinity_min_buyer_count": "many"},
        "var('category_affinity_min_buyer_count') must be a whole number, got: many",
        id="affinity-buyers-text",
    ),
    pytest.param(
        {"segment_drift_max_psi": "abc"},
        "var('segment_drift_max_psi') must be a number, got: abc",
        id="psi-text",
    ),
    pytest.param(
        {"segment_n_clusters": 1},
        "var('segment_n_clusters') must be between 2 and 50, got: 1",
        id="one-cluster",
    ),
    pytest.param(
        {"segment_n_clusters": 10000},
        "var('segment_n_clusters') must be between 2 and 50, got: 10000",
        id="ten-thousand-clusters",
    ),
    # Model config names given as vars were silently ignored.
    pytest.param(
        {"n_clusters": 5},
        "var 'n_clusters' is not a setting of this project (did you mean segment_n_clusters?)",
        id="model-config-name-as-var",
    ),
    pytest.param({"k_min": 3}, "(did you mean segment_k_min?)", id="k-min-as-var"),
    # A crafted date must not reach SQL.
    pytest.param(
        {"quarantine_extract_date": "2025-01-01' or true or '"},
        "var('quarantine_extract_date') must be a date 'YYYY-MM-DD'",
        id="crafted-extract-date",
    ),
    pytest.param(
        {"quarantine_extract_date": "1899-12-31"},
        "var('quarantine_extract_date') (1899-12-31) must not be before",
        id="extract-before-earliest",
    ),
    pytest.param(
        {"send_conversion_window_days": "7 days"},
        "var('send_conversion_window_days') must be a whole number",
        id="window-text",
    ),
    pytest.param(
        {"source_time_zone": "Mars/Olympus"},
        "var('source_time_zone') = 'Mars/Olympus' is not a time zone DuckDB knows",
        id="unknown-time-zone",
    ),
    pytest.param(
        {"quarantine_max_campaign_cost": -5},
        "var('quarantine_max_campaign_cost') must be above 0, got: -5",
        id="negative-cost-bound",
    ),
]


def group_into_runs(cases: list) -> dict[str, int]:
    """Each case's run: cases share a run if they set different vars and are checked at the
    same stage (above), so that every message in a run's output is its own case's."""
    runs: list[tuple[str, set[str]]] = []
    run_of: dict[str, int] = {}
    for case in cases:
        variables, _ = case.values
        stage = (
            "relations" if case.id in RELATION_CASES
            else case.id if case.id in OWN_RUN_CASES
            else "settings"
        )  # fmt: skip
        index = next(
            (i for i, (s, names) in enumerate(runs) if s == stage and not names & variables.keys()),
            None,
        )
        if index is None:
            runs.append((stage, set()))
            index = len(runs) - 1
        runs[index][1].update(variables)
        run_of[case.id] = index
    return run_of


RUN_OF_CASE = group_into_runs(SETTING_CASES)


@pytest.fixture(scope="module")
def setting_runs(tmp_path_factory, raw_dir) -> dict[int, subprocess.CompletedProcess]:
    """One dbt run per group of cases, with all of that group's bad vars at once."""
    results = {}
    for index in sorted(set(RUN_OF_CASE.values())):
        variables = {}
        for case in SETTING_CASES:
            if RUN_OF_CASE[case.id] == index:
                variables.update(case.values[0])
        project = project_copy(tmp_path_factory.mktemp(f"settings_run_{index}"))
        results[index] = run_dbt(project, raw_dir, **variables)
    return results


def test_the_setting_cases_share_runs():
    """Sharing must not turn into one run per case (slow) or mix a stage's cases (masked)."""
    assert len(set(RUN_OF_CASE.values())) < len(SETTING_CASES) / 2
    for case in SETTING_CASES:
        sharing = [
            other for other in SETTING_CASES if RUN_OF_CASE[other.id] == RUN_OF_CASE[case.id]
        ]
        names = [name for other in sharing for name in other.values[0]]
        assert len(names) == len(set(names)), f"{case.id}: a var set twice in one run"
        if case.id in RELATION_CASES:
            assert all(other.id in RELATION_CASES for other in sharing)
        if case.id in OWN_RUN_CASES:
            assert sharing == [case]


@pytest.mark.parametrize(("variables", "message"), SETTING_CASES)
def test_a_bad_setting_fails_fast(request, setting_runs, variables, message):
    case_id = request.node.callspec.id
    assert_fails_fast(setting_runs[RUN_OF_CASE[case_id]], message)


def test_the_generator_layout_refuses_a_warehouse_built_from_other_files(tmp_path, raw_dir):
    """The README's old command pointed raw_data_path at other files in the same warehouse:
    the warehouse now names the source it was built from and stops."""
    project = project_copy(tmp_path)
    first = run_dbt(project, raw_dir)
    assert first.returncode == 0, first.stdout
    other = tmp_path / "other_raw"
    shutil.copytree(raw_dir, other)
    second = run_dbt(project, other)
    assert second.returncode != 0
    assert f"was built from source test ({raw_dir}/orders.parquet)" in second.stdout
    assert f"this build reads source test ({other}/orders.parquet)" in second.stdout
    assert "START sql" not in second.stdout
    adopted = run_dbt(project, other, adopt_source=True)
    assert adopted.returncode == 0, adopted.stdout


def rewrite_parquet(path: Path, select_list: str) -> None:
    """Replace a Parquet file by `select <select_list>` over it."""
    rewritten = path.with_suffix(".rewritten.parquet")
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select {select_list} from read_parquet('{path}')) to '{rewritten}'"
        )
    shutil.move(rewritten, path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(
            "rename",
            "orders.parquet lacks column(s) ordered_at (it has: id, customer_id, order_date",
            id="renamed-column",
        ),
        pytest.param(
            "retype",
            "orders.parquet column ordered_at is BOOLEAN, which cannot hold a timestamp",
            id="wrong-column-type",
        ),
        pytest.param("empty", "orders.parquet is empty (0 bytes)", id="zero-byte-file"),
        pytest.param("truncate", "No magic bytes found at end of file", id="truncated-file"),
    ],
)
def test_a_damaged_raw_file_fails_fast_naming_it(tmp_path, raw_dir, damage, message):
    """A renamed column or a cut file failed only after twenty models."""
    damaged = tmp_path / "raw"
    shutil.copytree(raw_dir, damaged)
    orders = damaged / "orders.parquet"
    if damage == "rename":
        rewrite_parquet(orders, "* rename (ordered_at as order_date)")
    elif damage == "retype":
        rewrite_parquet(orders, "* replace (ordered_at is not null as ordered_at)")
    elif damage == "empty":
        orders.write_bytes(b"")
    else:
        orders.write_bytes(orders.read_bytes()[: orders.stat().st_size // 2])
    assert_fails_fast(run_dbt(project_copy(tmp_path), damaged), message)


def test_the_generator_layouts_required_columns_are_the_catalogs():
    text = (PROJECT_DIR / "macros" / "validate_run_config.sql").read_text()
    body = text[text.index("macro generator_required_fields") :]
    body = body[: body.index("endmacro")]
    in_macro = {
        entity: dict(re.findall(r"'(\w+)': '(\w+)'", fields))
        for entity, fields in re.findall(r"'(\w+)': \{([^}]*)\}", body)
    }
    in_catalog = {
        name: {field.name: field.type for field in entity.fields if field.required}
        for name, entity in ENTITIES.items()
    }
    assert in_macro == in_catalog


def test_a_staging_folder_other_than_the_mapping_s_stops_the_build_naming_both(tmp_path):
    """dbt_project.yml enables a staging folder by SEGWAREHOUSE_STAGING, which
    segwarehouse.sources sets beside the mapping (SEGWAREHOUSE_SOURCE). Set by hand without
    it, the build would run the mapped staging over a source that has its own: it stops."""
    mapping = load_mapping(
        PROJECT_DIR / "sources" / "online_retail.yml", root=tmp_path, project_dir=PROJECT_DIR
    )
    environment = source_environment(mapping)
    assert environment.pop(STAGING_ENV) == "online_retail"
    artifacts = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    result = dbt_run(
        PROJECT_DIR,
        "source",
        "dim_build_settings",
        *artifacts,
        env={**environment, "SEGWAREHOUSE_WAREHOUSE": str(tmp_path / "warehouse.duckdb")},
    )
    assert_fails_fast(
        result,
        "SEGWAREHOUSE_STAGING is 'mapped', but source 'retail' has its staging in "
        "models/staging/online_retail: set SEGWAREHOUSE_STAGING=online_retail",
    )
