"""Peak memory of the Python models' largest steps at N customers, on synthetic inputs of the
warehouse's shapes: CLV scoring (one frame of every customer, or in batches into a DuckDB
table, as int_customer_lifetime_values_predicted does) and the k-means fit
(int_segment_models_fitted's settings). Each step runs in a process of its own, so that its
peak RSS is its own.

    .venv/bin/python -m segwarehouse.tools.python_memory --customers 10000000

prints, per step: the RSS with the inputs built, the peak above it, and the seconds.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import date, datetime

import numpy as np
import pandas as pd

STEPS = ("clv-one-frame", "clv-batches", "kmeans-fit")
AS_OF = date(2025, 12, 1)
CLV_BATCH_ROWS = 200_000  # as int_customer_lifetime_values_predicted


def _rss_mb() -> int:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) // 1024


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run_step(step: str, customers: int) -> tuple[int, int, float]:
    """(RSS with the inputs built, peak above it, seconds) of one step, in this process."""
    rng = np.random.default_rng(1)
    if step.startswith("clv"):
        from segwarehouse import clv

        T = rng.uniform(1, 150, customers)  # noqa: N806
        x = rng.poisson(2, customers)
        t_x = np.where(x > 0, T * rng.uniform(0, 1, customers), 0.0)
        summary = pd.DataFrame(
            {
                "customer_id": np.arange(customers),
                "frequency": x.astype("int64"),
                "recency": t_x,
                "T": T,
                "monetary_value": np.where(x > 0, rng.gamma(2, 30, customers), 0.0),
                "first_purchase_date": pd.Timestamp("2024-01-01"),
                "last_purchase_date": pd.Timestamp("2025-01-01"),
            }
        )
        fit = clv.ClvFitConfig(7.0, None)
        model = clv.LifetimeValueModel(
            "memory-check", datetime(2025, 12, 1), fit.fingerprint, "no_model", AS_OF, fit,
            customers, clv.BgNbdParameters(0.8, 5.0, 0.9, 3.0, -1.0, customers),
            clv.GammaGammaParameters(6.0, 4.0, 15.0, -1.0, customers), None,
        )  # fmt: skip
        config = clv.ClvConfig.from_settings(
            horizon_months=12,
            monthly_discount_rate=0.01,
            churn_probability_alive_threshold=0.2,
            time_unit_days=7,
            calibration_start_date=None,
        )
        base, start = _rss_mb(), time.monotonic()
        if step == "clv-one-frame":
            clv.score_customer_lifetime_values(summary, AS_OF, config, model)
        else:
            import duckdb

            from segwarehouse.frames import table_from_frames

            with duckdb.connect() as connection:
                connection.execute("set memory_limit = '1GB'")
                batches = clv.score_customer_lifetime_values_in_batches(
                    summary, AS_OF, config, model, CLV_BATCH_ROWS
                )
                table_from_frames(connection, "scores", batches)
    else:
        from segwarehouse.clustering import ClusteringConfig, fit_segment_model

        features = {
            "recency_days": rng.integers(0, 700, customers).astype(float),
            "order_count": rng.poisson(3, customers).astype(float),
            "monetary_value": rng.gamma(2, 100, customers),
            "average_order_value": rng.gamma(2, 40, customers),
            "discounted_order_share": rng.uniform(0, 1, customers),
            "tenure_days": rng.integers(0, 900, customers).astype(float),
        }
        frame = pd.DataFrame(
            {"customer_id": np.arange(customers), "as_of_date": pd.Timestamp(AS_OF), **features}
        )
        # int_segment_models_fitted.yml's settings and dbt_project.yml's segment vars.
        config = ClusteringConfig.from_settings(
            features=list(features), null_fills={"recency_days": "tenure_days"}, k_min=3,
            k_max=8, n_clusters=None, k_selection_criterion="calinski_harabasz",
            k_selection_sample_size=20000, random_state=42, skew_threshold=2.0, n_init=10,
            max_training_rows=250000, id_match_max_distance=1.0, max_categories=10,
        )  # fmt: skip
        base, start = _rss_mb(), time.monotonic()
        fit_segment_model(frame, config, as_of_date=AS_OF)
    return base, _peak_mb() - base, time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--step", choices=STEPS, help="one step, in this process")
    args = parser.parse_args(argv)
    if args.customers < 100:
        parser.error("--customers must be at least 100")
    if args.step:
        base, above, seconds = run_step(args.step, args.customers)
        print(f"{args.step}\t{base}\t{above}\t{seconds:.1f}")
        return 0
    print(f"{args.customers:,} customers")
    print("| step | inputs MB | peak above inputs MB | s |\n|---|---:|---:|---:|")
    for step in STEPS:
        result = subprocess.run(
            [sys.executable, "-m", "segwarehouse.tools.python_memory", "--step", step,
             "--customers", str(args.customers)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        name, base, above, seconds = result.stdout.split()
        print(f"| {name} | {int(base):,} | {int(above):,} | {seconds} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
