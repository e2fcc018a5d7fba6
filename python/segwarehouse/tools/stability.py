"""How many customers keep their segment id when the model is retrained on slightly more data.

    python -m segwarehouse.tools.stability --database data/demo/warehouse.duckdb \
        --model-config models/intermediate/segmentation/int_segment_models_fitted.yml --growth 0.02

fits the configured model on a seeded subset of the customers (the "before" population),
retrains it on all of them (2% more by default) with the first model as the previous one, and
prints the share of the "before" customers whose segment id is unchanged.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml

from segwarehouse.clustering import (
    ClusteringConfig,
    SegmentModel,
    assign_segments,
    fit_segment_model,
)

FITTED_MODEL = "int_segment_models_fitted"


@dataclass(frozen=True)
class RetrainStability:
    before: SegmentModel
    after: SegmentModel
    n_before: int
    n_after: int
    kept_share: float  # of the "before" customers, the share whose segment id is unchanged


VAR_REFERENCE = re.compile(r"^\{\{\s*var\('(\w+)'(?:,\s*(.+?))?\)\s*\}\}$")


def config_from_yaml(path: Path, project_vars: dict[str, Any] | None = None) -> ClusteringConfig:
    """The clustering settings of the fitted-model's YAML (the keys the model reads).

    A setting written as "{{ var('name') }}" takes the project var: from `project_vars`, else
    from the dbt_project.yml beside the models folder.
    """
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    (model,) = [m for m in document.get("models", []) if m.get("name") == FITTED_MODEL]
    if project_vars is None:
        project_file = next(p / "dbt_project.yml" for p in path.resolve().parents
                            if (p / "dbt_project.yml").is_file())  # fmt: skip
        project_vars = yaml.safe_load(project_file.read_text()).get("vars", {})

    def resolve(value: Any) -> Any:
        match = VAR_REFERENCE.match(value) if isinstance(value, str) else None
        if match is None:
            return value
        name, default = match.groups()
        return project_vars.get(name, yaml.safe_load(default) if default else None)

    settings = model["config"]
    return ClusteringConfig.from_settings(
        **{key: resolve(settings.get(key)) for key in ClusteringConfig.__dataclass_fields__}
    )


def retrain_stability(
    features: pd.DataFrame, config: ClusteringConfig, growth: float, seed: int = 0
) -> RetrainStability:
    """Fit on all but a seeded `growth` share of the customers, refit on all, compare ids."""
    n_after = len(features)
    n_before = round(n_after / (1 + growth))
    keep = np.sort(np.random.default_rng(seed).choice(n_after, n_before, replace=False))
    before_rows = features.iloc[keep]
    before = fit_segment_model(before_rows, config, trained_at=datetime(2000, 1, 1))
    after = fit_segment_model(
        features,
        config,
        trained_at=datetime(2000, 1, 2),
        previous=before,
        next_segment_id=max(before.segment_ids) + 1,
        retrain_reason="requested",
    )
    ids_before = assign_segments(before, before_rows)["segment_id"].to_numpy()
    ids_after = assign_segments(after, before_rows)["segment_id"].to_numpy()
    return RetrainStability(
        before=before,
        after=after,
        n_before=n_before,
        n_after=n_after,
        kept_share=float((ids_before == ids_after).mean()),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Share of customers keeping ids on retrain.")
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--model-config", type=Path, required=True)
    parser.add_argument("--growth", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = config_from_yaml(args.model_config)
    columns = ", ".join(["customer_id", *config.required_columns])
    with duckdb.connect(str(args.database), read_only=True) as connection:
        features = connection.sql(
            f"select {columns} from marts.fct_customer_features order by customer_id"
        ).df()
    result = retrain_stability(features, config, args.growth, args.seed)
    print(
        f"retrained on {result.n_after:,} customers after {result.n_before:,} "
        f"(+{args.growth:.0%}): k {result.before.k} -> {result.after.k}, "
        f"ids {list(result.before.segment_ids)} -> {list(result.after.segment_ids)}"
    )
    print(f"customers keeping their segment id: {result.kept_share:.2%}")


if __name__ == "__main__":
    main()
