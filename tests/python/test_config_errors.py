"""Bad settings fail fast, in the on-run-start hook, with a message naming the setting.

Each case runs dbt on a copy of the project with a small generated raw folder and selects one
cheap model: the hook runs before any model, so a failure there stops the run at once. Valid
settings pass the hook in every other dbt build (the test warehouse, test_fuzz.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from segwarehouse.generate import GeneratorConfig, generate, write

from .conftest import PROJECT_DIR

FITTED_YML = Path("models") / "intermediate" / "int_segment_models_fitted.yml"
IGNORED = shutil.ignore_patterns(
    "data", "target", "logs", ".venv", ".git", "__pycache__", "python", "*.duckdb"
)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("config_errors_data")
    tables, truth = generate(GeneratorConfig(n_customers=100, seed=7))
    write(tables, truth, output)
    return output / "raw"


def project_copy(destination: Path, replacements: dict[str, str] | None = None) -> Path:
    """A copy of the dbt project; `replacements` edit int_segment_models_fitted.yml."""
    project = destination / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=IGNORED)
    (project / "python").symlink_to(PROJECT_DIR / "python")
    fitted = project / FITTED_YML
    text = fitted.read_text()
    for old, new in (replacements or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    fitted.write_text(text)
    return project


def run_dbt(project: Path, raw_dir: Path, **variables: object) -> subprocess.CompletedProcess:
    settings = ", ".join(f"{name}: {value!r}" for name, value in {
        "raw_data_path": str(raw_dir), **variables
    }.items())  # fmt: skip
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "--target",
            "test",
            "--select",
            "stg_shop__products_classified",
            "--vars",
            "{" + settings + "}",
        ],
        cwd=project,
        env={
            **os.environ,
            "DBT_PROFILES_DIR": str(project),
            "SEGWAREHOUSE_TEST_WAREHOUSE": str(project / "warehouse.duckdb"),
        },
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("as_of_date", "message"),
    [
        pytest.param("yesterday", "var('as_of_date') must be null", id="not-a-date"),
        pytest.param("2025-02-30", "(not a valid date)", id="impossible-date"),
        pytest.param("2030-01-01", "is outside the data", id="after-the-data"),
    ],
)
def test_a_bad_as_of_date_fails_fast(tmp_path, raw_dir, as_of_date, message):
    result = run_dbt(project_copy(tmp_path), raw_dir, as_of_date=as_of_date)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout
    assert "START sql" not in result.stdout, "no model may start"


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


@pytest.mark.parametrize(
    ("replacements", "message"),
    [
        pytest.param(
            {"k_min: 3": "k_min: 6", "k_max: 8": "k_max: 4"},
            "config 'k_max' (4) must be at least 'k_min' (6)",
            id="k-max-below-k-min",
        ),
        pytest.param(
            {"k_min: 3": "k_min: 1"},
            "config 'k_min' must be a whole number of at least 2, got: 1",
            id="k-min-one",
        ),
        pytest.param(
            {"        - tenure_days\n": "        - tenure_days\n        - happiness_index\n"},
            "config 'features' names unknown column(s): happiness_index",
            id="unknown-feature",
        ),
        pytest.param(
            {"recency_days: tenure_days": "recency_days: days_as_customer"},
            "unknown column(s): days_as_customer (null_fills of recency_days)",
            id="unknown-null-fill-column",
        ),
    ],
)
def test_a_bad_segment_model_setting_fails_fast(tmp_path, raw_dir, replacements, message):
    result = run_dbt(project_copy(tmp_path, replacements), raw_dir)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout
    assert "START sql" not in result.stdout
