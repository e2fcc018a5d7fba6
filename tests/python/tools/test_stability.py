"""segwarehouse.tools.stability without a warehouse: the model's settings read from its YAML,
and the share of customers keeping their segment id on separated groups.
(tests/python/test_warehouse.py runs it on the built test warehouse.)
"""

import duckdb
import numpy as np
import pandas as pd
import yaml

from segwarehouse.tools.stability import config_from_yaml, main, retrain_stability

from ..conftest import PROJECT_DIR

# Wherever the intermediate folder keeps the fitted model's YAML.
(MODEL_CONFIG,) = (PROJECT_DIR / "models").rglob("int_segment_models_fitted.yml")


def three_groups(n_per_group: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.vstack([centre + rng.normal(0, 0.7, (n_per_group, 2)) for centre in centres])
    return pd.DataFrame(
        {"customer_id": np.arange(1, len(points) + 1), "a": points[:, 0], "b": points[:, 1]}
    )


def test_the_settings_are_the_models_with_project_vars_resolved():
    project_vars = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    config = config_from_yaml(MODEL_CONFIG)
    assert config.features == tuple(project_vars["segment_features"])
    assert config.k_min == project_vars["segment_k_min"]
    assert config.k_max == project_vars["segment_k_max"]
    assert config.n_clusters is None
    assert config.random_state == 42
    overridden = config_from_yaml(MODEL_CONFIG, {**project_vars, "segment_n_clusters": 4})
    assert overridden.n_clusters == 4


def test_separated_groups_keep_every_id_when_retrained_on_more_customers():
    config = config_from_yaml(
        MODEL_CONFIG, {"segment_features": ["a", "b"], "segment_k_min": 2, "segment_k_max": 5}
    )
    result = retrain_stability(three_groups(), config, growth=0.02)
    assert (result.n_before, result.n_after) == (588, 600)
    assert result.before.k == result.after.k == 3
    assert set(result.after.segment_ids) == set(result.before.segment_ids)
    assert result.kept_share == 1.0


def test_command_line_reads_the_features_mart(tmp_path, capsys):
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema marts")
        connection.register("features", three_groups())
        connection.execute("create table marts.fct_customer_features as select * from features")
    (tmp_path / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {"vars": {"segment_features": ["a", "b"], "segment_k_min": 2, "segment_k_max": 5}}
        )
    )
    model_config = tmp_path / "models" / MODEL_CONFIG.name
    model_config.parent.mkdir()
    model_config.write_text(MODEL_CONFIG.read_text())
    main(["--database", str(database), "--model-config", str(model_config)])
    output = capsys.readouterr().out
    assert "retrained on 600 customers after 588 (+2%): k 3 -> 3" in output
    assert "customers keeping their segment id: 100.00%" in output
