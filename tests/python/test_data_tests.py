"""How the project declares its data tests, read from the models' and seeds' YAML files."""

from pathlib import Path

import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROPERTY_FILES = sorted(
    path for folder in ("models", "seeds") for path in (PROJECT_DIR / folder).rglob("*.yml")
)


def _models() -> list[tuple[Path, dict]]:
    models = []
    for path in PROPERTY_FILES:
        document = yaml.safe_load(path.read_text()) or {}
        for kind in ("models", "seeds"):
            models += [(path, model) for model in document.get(kind, [])]
    return models


def _test_name(test: str | dict) -> str:
    return test if isinstance(test, str) else next(iter(test))


def test_the_model_files_are_read():
    names = {model["name"] for _, model in _models()}
    assert {
        "fct_segment_kpis",
        "stg_mapped__order_lines",
        "int_orders_valued",
        "age_bands",
    } <= names


def test_no_column_has_its_own_not_null_test():
    """A model's not-null columns are one not_null_columns test (one query, one dbt node),
    not a not_null test per column: at the demo's size each node costs more than its query."""
    per_column = [
        f"{path.relative_to(PROJECT_DIR)}: {model['name']}.{column['name']}"
        for path, model in _models()
        for column in model.get("columns", [])
        if "not_null" in [_test_name(test) for test in column.get("data_tests") or []]
    ]
    assert per_column == []


@pytest.mark.parametrize(
    ("path", "model"),
    [
        pytest.param(path, model, id=model["name"])
        for path, model in _models()
        if any(_test_name(t) == "not_null_columns" for t in model.get("data_tests") or [])
    ],
)
def test_not_null_columns_lists_documented_columns_without_a_not_null_constraint(path, model):
    """Each listed column is one of the model's documented columns, and not one whose enforced
    contract constraint already refuses a null (a second check of the same rule)."""
    columns = {column["name"]: column for column in model.get("columns", [])}
    enforced = (model.get("config") or {}).get("contract", {}).get("enforced", False)
    for test in model["data_tests"]:
        if _test_name(test) != "not_null_columns":
            continue
        listed = test["not_null_columns"]["arguments"]["column_names"]
        assert len(listed) == len(set(listed)), listed
        for name in listed:
            assert name in columns, f"{model['name']}: {name} is not a documented column"
            constrained = any(
                constraint.get("type") == "not_null"
                for constraint in columns[name].get("constraints", [])
            )
            assert not (enforced and constrained), f"{model['name']}.{name} is constrained"


def test_no_column_has_its_own_plain_accepted_range_test():
    """A model's value ranges are one accepted_ranges test; a column keeps its own
    accepted_range only with a name or config of its own (a warning threshold)."""
    per_column = [
        f"{path.relative_to(PROJECT_DIR)}: {model['name']}.{column['name']}"
        for path, model in _models()
        for column in model.get("columns", [])
        for test in column.get("data_tests") or []
        if _test_name(test) == "accepted_range"
        and not {"name", "config"} & set(test["accepted_range"] or {})
    ]
    assert per_column == []


@pytest.mark.parametrize(
    ("path", "model"),
    [
        pytest.param(path, model, id=model["name"])
        for path, model in _models()
        if any(_test_name(t) == "accepted_ranges" for t in model.get("data_tests") or [])
    ],
)
def test_accepted_ranges_bound_documented_columns(path, model):
    """Each column given a range is one of the model's documented columns, with a min_value, a
    max_value or both, and the test is named after the model."""
    columns = {column["name"] for column in model.get("columns", [])}
    tests = [t for t in model["data_tests"] if _test_name(t) == "accepted_ranges"]
    assert len(tests) == 1, model["name"]
    (test,) = tests
    assert test["accepted_ranges"]["name"] == f"accepted_ranges_{model['name']}"
    for name, bounds in test["accepted_ranges"]["arguments"]["ranges"].items():
        assert name in columns, f"{model['name']}: {name} is not a documented column"
        assert bounds and set(bounds) <= {"min_value", "max_value"}, (model["name"], name)
