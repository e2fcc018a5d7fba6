"""A/B test statistics: each variant against control, per experiment and customer segment.

Two metrics per assigned customer, both compared treatment minus control:

- conversion (did the customer convert in the window): a two-proportion z-test. The test
  statistic uses the pooled standard error, the usual choice under the null hypothesis of equal
  rates (and then the two-sided p-value equals that of a chi-square test on the 2x2 table
  without continuity correction). The confidence interval of the difference uses the unpooled
  (Wald) standard error, which does not assume the rates are equal. The two can disagree at the
  margin: a CI that just excludes 0 with a p-value just above 1 - confidence_level.
- revenue per customer (non-converters count as 0): Welch's t-test from each group's count,
  mean and sample variance (ddof=1), with Welch-Satterthwaite degrees of freedom for both the
  p-value and the confidence interval of the difference in means. The per-group moments come
  from sums and sums of squares, so SQL can aggregate and Python never sees a customer row.

Lifts are treatment minus control (absolute) and that over control (relative). Confidence
intervals are for the absolute lift only, with the standard error they are built from. p-values
are two-sided and not adjusted here: fct_experiment_segment_results adjusts them across the
segments it publishes (Benjamini-Hochberg, macro adjust_p_values_benjamini_hochberg), since
privacy suppression decides which are in the family.

Heterogeneity (`cochran_q`, `heterogeneity_across_segments`): whether a variant's absolute lift
differs between segments, by Cochran's Q of the published per-segment lifts weighted by the
inverse of their squared standard errors, with the fixed-effect pooled lift and I^2.

Undefined statistics are None (null), never NaN and never an exception: no customers in an
arm, a control rate or mean of 0 (relative lift), a standard error of 0 (both rates 0 or 1, or
no revenue variance in either arm: no test, no interval), fewer than 2 customers in an arm
(no variance, so no Welch test).

Small samples are flagged, not hidden: `is_sample_too_small` is true when the control arm or
the compared arm has fewer than `min_customers_per_variant` customers or fewer than
`min_conversions_per_variant` conversions, and the statistics are still computed, so an analyst
sees the direction of a small test but knows the normal approximations behind the p-values and
intervals are not to be trusted there.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

# The functions scipy.stats's norm, t and chi2 call for these (the same values, tested), not
# scipy.stats itself: a build imports this module every time, and scipy.stats took 1.1 s more
# to import than scipy.special.
from scipy.special import chdtrc, ndtr, ndtri, stdtr, stdtrit

GROUP_COLUMNS = ("experiment_name", "segmentation", "segment_id")
AGGREGATE_COLUMNS = (
    *GROUP_COLUMNS,
    "variant",
    "customer_count",
    "conversion_count",
    "revenue_sum",
    "revenue_sum_squares",
)
RESULT_COLUMNS = (
    *GROUP_COLUMNS,
    "variant",
    "is_control",
    "customer_count",
    "conversion_count",
    "conversion_rate",
    "revenue_per_customer",
    "revenue_standard_deviation",
    "conversion_lift_absolute",
    "conversion_lift_relative",
    "conversion_lift_ci_lower",
    "conversion_lift_ci_upper",
    "conversion_lift_standard_error",
    "conversion_z_statistic",
    "conversion_p_value",
    "revenue_lift_absolute",
    "revenue_lift_relative",
    "revenue_lift_ci_lower",
    "revenue_lift_ci_upper",
    "revenue_lift_standard_error",
    "revenue_t_statistic",
    "revenue_degrees_of_freedom",
    "revenue_p_value",
    "is_sample_too_small",
    "confidence_level",
    "conversion_window_days",
)
_FLOAT_COLUMNS = tuple(
    column
    for column in RESULT_COLUMNS
    if column not in {*GROUP_COLUMNS, "variant", "is_control", "is_sample_too_small"}
    and not column.endswith(("_count", "_days"))
)
# A variance computed from sums is this many machine epsilons of the mean square or less when
# every value is equal (cancellation noise); it is then exactly 0.
_VARIANCE_NOISE_EPSILONS = 64


class ExperimentConfigError(ValueError):
    """An experiment setting is missing or invalid; the message names it and what is allowed."""


@dataclass(frozen=True)
class ExperimentConfig:
    # Days after assignment in which an order counts (applied in SQL; recorded here).
    conversion_window_days: int = 30
    # Either arm below this many customers or conversions flags the comparison.
    min_customers_per_variant: int = 100
    min_conversions_per_variant: int = 5
    # Of the confidence intervals of the lifts.
    confidence_level: float = 0.95
    # The variant every other variant is compared with.
    control_variant: str = "control"

    @classmethod
    def from_settings(
        cls,
        *,
        conversion_window_days: Any,
        min_customers_per_variant: Any,
        min_conversions_per_variant: Any,
        confidence_level: Any,
        control_variant: Any,
    ) -> ExperimentConfig:
        """Validate settings as read from dbt model config; raise naming the bad setting.

        Integers may arrive as strings of digits: project vars reach YAML config as text.
        """
        if not isinstance(control_variant, str) or not control_variant.strip():
            raise ExperimentConfigError(
                f"config 'control_variant' must be a non-empty variant name, "
                f"got {control_variant!r}"
            )
        level = _number("confidence_level", confidence_level)
        if not 0 < level < 1:
            raise ExperimentConfigError(
                f"config 'confidence_level' must lie strictly between 0 and 1 (e.g. 0.95), "
                f"got {confidence_level!r}"
            )
        return cls(
            conversion_window_days=_integer(
                "conversion_window_days", conversion_window_days, minimum=1
            ),
            min_customers_per_variant=_integer(
                "min_customers_per_variant", min_customers_per_variant, minimum=1
            ),
            min_conversions_per_variant=_integer(
                "min_conversions_per_variant", min_conversions_per_variant, minimum=0
            ),
            confidence_level=level,
            control_variant=control_variant.strip().lower(),
        )


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ExperimentConfigError(
            f"config '{name}' must be an integer >= {minimum}, got {value!r}"
        )
    return value


def _number(name: str, value: Any) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ExperimentConfigError(f"config '{name}' must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Comparison:
    """Treatment minus control on one metric; None where undefined."""

    difference: float | None
    relative_lift: float | None  # difference / control value
    ci_lower: float | None  # confidence interval of the difference
    ci_upper: float | None
    statistic: float | None  # z or t
    p_value: float | None  # two-sided
    degrees_of_freedom: float | None = None  # Welch-Satterthwaite; None for the z-test
    # Of the difference, the one the confidence interval is built from (unpooled for the
    # z-test, Welch's for the t-test); None where there is no interval.
    standard_error: float | None = None


_UNDEFINED = Comparison(None, None, None, None, None, None)


@dataclass(frozen=True)
class SampleSummary:
    """Count, mean and sample variance (ddof=1; None below 2 values) of one group."""

    count: int
    mean: float | None
    variance: float | None

    @classmethod
    def from_sums(cls, count: int, total: float, sum_of_squares: float) -> SampleSummary:
        """Moments from the count, sum and sum of squares of the values."""
        if count < 0:
            raise ValueError(f"a group cannot have {count} values")
        if count == 0:
            return cls(0, None, None)
        mean = total / count
        if count == 1:
            return cls(1, mean, None)
        variance = (sum_of_squares - total * mean) / (count - 1)
        noise = _VARIANCE_NOISE_EPSILONS * sys.float_info.epsilon * sum_of_squares / (count - 1)
        return cls(count, mean, 0.0 if variance <= noise else variance)


def _relative(difference: float, base: float) -> float | None:
    return difference / base if base != 0 else None


def _critical_value(confidence_level: float, degrees_of_freedom: float | None = None) -> float:
    upper = 1 - (1 - confidence_level) / 2
    if degrees_of_freedom is None:
        return float(ndtri(upper))
    return float(stdtrit(degrees_of_freedom, upper))


def two_proportion_z_test(
    control_conversions: int,
    control_customers: int,
    treatment_conversions: int,
    treatment_customers: int,
    confidence_level: float = 0.95,
) -> Comparison:
    """Difference in conversion rates: pooled-SE z-test, unpooled (Wald) CI."""
    for conversions, customers in (
        (control_conversions, control_customers),
        (treatment_conversions, treatment_customers),
    ):
        if not 0 <= conversions <= customers:
            raise ValueError(
                f"conversions must lie in [0, customers], got {conversions} of {customers}"
            )
    if control_customers == 0 or treatment_customers == 0:
        return _UNDEFINED
    control_rate = control_conversions / control_customers
    treatment_rate = treatment_conversions / treatment_customers
    difference = treatment_rate - control_rate
    pooled_rate = (control_conversions + treatment_conversions) / (
        control_customers + treatment_customers
    )
    pooled_se = math.sqrt(
        pooled_rate * (1 - pooled_rate) * (1 / control_customers + 1 / treatment_customers)
    )
    unpooled_se = math.sqrt(
        control_rate * (1 - control_rate) / control_customers
        + treatment_rate * (1 - treatment_rate) / treatment_customers
    )
    statistic = p_value = ci_lower = ci_upper = None
    if pooled_se > 0:
        statistic = difference / pooled_se
        p_value = float(2 * ndtr(-abs(statistic)))
    if unpooled_se > 0:
        margin = _critical_value(confidence_level) * unpooled_se
        ci_lower, ci_upper = difference - margin, difference + margin
    return Comparison(
        difference=difference,
        relative_lift=_relative(difference, control_rate),
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        statistic=statistic,
        p_value=p_value,
        standard_error=unpooled_se if unpooled_se > 0 else None,
    )


def welch_t_test(
    control: SampleSummary, treatment: SampleSummary, confidence_level: float = 0.95
) -> Comparison:
    """Difference in means: Welch's t-test and CI with Welch-Satterthwaite df."""
    if control.mean is None or treatment.mean is None:
        return _UNDEFINED
    difference = treatment.mean - control.mean
    relative_lift = _relative(difference, control.mean)
    if control.variance is None or treatment.variance is None:
        return Comparison(difference, relative_lift, None, None, None, None)
    control_term = control.variance / control.count
    treatment_term = treatment.variance / treatment.count
    squared_se = control_term + treatment_term
    if squared_se <= 0:
        return Comparison(difference, relative_lift, None, None, None, None)
    degrees_of_freedom = squared_se**2 / (
        control_term**2 / (control.count - 1) + treatment_term**2 / (treatment.count - 1)
    )
    se = math.sqrt(squared_se)
    statistic = difference / se
    margin = _critical_value(confidence_level, degrees_of_freedom) * se
    return Comparison(
        difference=difference,
        relative_lift=relative_lift,
        ci_lower=difference - margin,
        ci_upper=difference + margin,
        statistic=statistic,
        p_value=float(2 * stdtr(degrees_of_freedom, -abs(statistic))),
        degrees_of_freedom=degrees_of_freedom,
        standard_error=se,
    )


def is_sample_too_small(
    arms: list[tuple[int, int]], min_customers: int, min_conversions: int
) -> bool:
    """Whether any (customers, conversions) arm is below either minimum."""
    return any(
        customers < min_customers or conversions < min_conversions
        for customers, conversions in arms
    )


def compare_variants(aggregates: pd.DataFrame, config: ExperimentConfig) -> pd.DataFrame:
    """One row per experiment x segmentation x segment x variant: rates and lifts vs control.

    `aggregates` holds AGGREGATE_COLUMNS, one row per experiment, segmentation, segment and
    variant: customer_count customers, conversion_count of them converted, and revenue_sum /
    revenue_sum_squares the sum and sum of squares of their revenue (0 for non-converters).
    The control row of each (experiment, segmentation, segment) has null comparisons; any
    other variant is compared with it, and when the cell has no control row its comparisons
    are null and it counts as too small. `is_sample_too_small` is the same on every row of a
    cell: some arm is below min_customers_per_variant or min_conversions_per_variant.
    """
    missing = [column for column in AGGREGATE_COLUMNS if column not in aggregates.columns]
    if missing:
        raise ValueError(f"aggregates lack columns {missing}")
    frame = aggregates[list(AGGREGATE_COLUMNS)].copy()
    frame["variant"] = frame["variant"].astype(str)
    duplicated = frame.duplicated([*GROUP_COLUMNS, "variant"])
    if duplicated.any():
        raise ValueError(
            "aggregates must hold one row per experiment, segmentation, segment and variant; "
            f"repeated: {frame.loc[duplicated, [*GROUP_COLUMNS, 'variant']].to_dict('records')}"
        )
    rows: list[dict[str, Any]] = []
    for _, cell in frame.sort_values([*GROUP_COLUMNS, "variant"]).groupby(
        list(GROUP_COLUMNS), sort=False
    ):
        arms = list(zip(cell["customer_count"], cell["conversion_count"], strict=True))
        controls = cell[cell["variant"] == config.control_variant]
        control = controls.iloc[0] if len(controls) else None
        too_small = control is None or is_sample_too_small(
            [(int(n), int(x)) for n, x in arms],
            config.min_customers_per_variant,
            config.min_conversions_per_variant,
        )
        for variant in cell.itertuples(index=False):
            rows.append(_result_row(variant, control, too_small, config))
    return _typed(pd.DataFrame(rows, columns=list(RESULT_COLUMNS)))


def _summary(group: Any) -> SampleSummary:
    return SampleSummary.from_sums(
        int(group.customer_count), float(group.revenue_sum), float(group.revenue_sum_squares)
    )


def _result_row(
    variant: Any, control: pd.Series | None, too_small: bool, config: ExperimentConfig
) -> dict[str, Any]:
    customers = int(variant.customer_count)
    conversions = int(variant.conversion_count)
    summary = _summary(variant)
    is_control = variant.variant == config.control_variant
    row: dict[str, Any] = {
        "experiment_name": variant.experiment_name,
        "segmentation": variant.segmentation,
        "segment_id": variant.segment_id,
        "variant": variant.variant,
        "is_control": is_control,
        "customer_count": customers,
        "conversion_count": conversions,
        "conversion_rate": conversions / customers if customers else None,
        "revenue_per_customer": summary.mean,
        "revenue_standard_deviation": (
            math.sqrt(summary.variance) if summary.variance is not None else None
        ),
        "is_sample_too_small": too_small,
        "confidence_level": config.confidence_level,
        "conversion_window_days": config.conversion_window_days,
    }
    conversion = revenue = _UNDEFINED
    if not is_control and control is not None:
        conversion = two_proportion_z_test(
            int(control["conversion_count"]),
            int(control["customer_count"]),
            conversions,
            customers,
            config.confidence_level,
        )
        revenue = welch_t_test(_summary(control), summary, config.confidence_level)
    row.update(
        {
            "conversion_lift_absolute": conversion.difference,
            "conversion_lift_relative": conversion.relative_lift,
            "conversion_lift_ci_lower": conversion.ci_lower,
            "conversion_lift_ci_upper": conversion.ci_upper,
            "conversion_lift_standard_error": conversion.standard_error,
            "conversion_z_statistic": conversion.statistic,
            "conversion_p_value": conversion.p_value,
            "revenue_lift_absolute": revenue.difference,
            "revenue_lift_relative": revenue.relative_lift,
            "revenue_lift_ci_lower": revenue.ci_lower,
            "revenue_lift_ci_upper": revenue.ci_upper,
            "revenue_lift_standard_error": revenue.standard_error,
            "revenue_t_statistic": revenue.statistic,
            "revenue_degrees_of_freedom": revenue.degrees_of_freedom,
            "revenue_p_value": revenue.p_value,
        }
    )
    return row


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable dtypes, so an undefined statistic reaches DuckDB as NULL rather than NaN."""
    return frame.astype(
        {
            "experiment_name": "string",
            "segmentation": "string",
            "segment_id": "int64",
            "variant": "string",
            "is_control": "boolean",
            "customer_count": "int64",
            "conversion_count": "int64",
            "is_sample_too_small": "boolean",
            "conversion_window_days": "int64",
            **dict.fromkeys(_FLOAT_COLUMNS, "Float64"),
        }
    )


# Heterogeneity: does the lift differ between segments? ------------------------------------

METRICS = ("conversion", "revenue")
HETEROGENEITY_GROUP_COLUMNS = ("experiment_name", "segmentation", "variant")
# One row per experiment x segmentation x segment x non-control variant, as published: a
# metric's lift and standard error are null where the cell is suppressed or undefined.
COMPARISON_COLUMNS = (
    *HETEROGENEITY_GROUP_COLUMNS,
    "segment_id",
    "has_suppressed_arm",
    *(f"{metric}_lift_{part}" for metric in METRICS for part in ("absolute", "standard_error")),
)
HETEROGENEITY_COLUMNS = (
    *HETEROGENEITY_GROUP_COLUMNS,
    "metric",
    "segment_count",
    "used_segment_count",
    "suppressed_segment_count",
    "undefined_segment_count",
    "pooled_lift_absolute",
    "pooled_lift_standard_error",
    "cochran_q",
    "degrees_of_freedom",
    "p_value",
    "i_squared",
)


@dataclass(frozen=True)
class Heterogeneity:
    """Fixed-effect pooling of k effects and Cochran's Q test of their equality.

    With one effect there is nothing to compare: it is its own pooled effect, and Q, its
    degrees of freedom, p-value and I^2 are None; with none, everything is None.
    """

    effect_count: int
    pooled_effect: float | None  # inverse-variance weighted mean
    pooled_standard_error: float | None  # sqrt(1 / sum of weights)
    q: float | None  # sum of w_i (effect_i - pooled)^2
    degrees_of_freedom: int | None  # effect_count - 1
    p_value: float | None  # upper tail of chi-square(degrees_of_freedom) at q
    i_squared: float | None  # max(0, (q - df) / q); 0 when q is 0


def cochran_q(effects: Sequence[float], standard_errors: Sequence[float]) -> Heterogeneity:
    """Cochran's Q of independent effects with known standard errors (weights 1 / se^2).

    Under the hypothesis that every effect estimates the same value, Q is approximately
    chi-square with k - 1 degrees of freedom; a small p-value says the effects differ by more
    than their standard errors explain. I^2 is the share of the variation beyond chance.
    """
    if len(effects) != len(standard_errors):
        raise ValueError(f"{len(effects)} effects but {len(standard_errors)} standard errors")
    for effect, error in zip(effects, standard_errors, strict=True):
        if not math.isfinite(effect):
            raise ValueError(f"an effect must be a finite number, got {effect!r}")
        if not (math.isfinite(error) and error > 0):
            raise ValueError(f"a standard error must be finite and above 0, got {error!r}")
    count = len(effects)
    if count == 0:
        return Heterogeneity(0, None, None, None, None, None, None)
    weights = [1 / error**2 for error in standard_errors]
    total_weight = math.fsum(weights)
    pooled = math.fsum(w * e for w, e in zip(weights, effects, strict=True)) / total_weight
    pooled_error = math.sqrt(1 / total_weight)
    if count == 1:
        return Heterogeneity(1, pooled, pooled_error, None, None, None, None)
    q = math.fsum(w * (e - pooled) ** 2 for w, e in zip(weights, effects, strict=True))
    degrees_of_freedom = count - 1
    return Heterogeneity(
        effect_count=count,
        pooled_effect=pooled,
        pooled_standard_error=pooled_error,
        q=q,
        degrees_of_freedom=degrees_of_freedom,
        p_value=float(chdtrc(degrees_of_freedom, q)),
        i_squared=max(0.0, (q - degrees_of_freedom) / q) if q > 0 else 0.0,
    )


def heterogeneity_across_segments(comparisons: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment x segmentation x non-control variant x metric: Cochran's Q.

    `comparisons` holds COMPARISON_COLUMNS, one row per segment cell of a non-control variant,
    as published: `has_suppressed_arm` true where privacy withheld the cell's comparison, the
    lifts and standard errors null there and wherever the statistic is undefined. A segment is
    used for a metric when its lift and a standard error above 0 are known; the others count
    as suppressed (has_suppressed_arm) or undefined (no control arm, an empty arm, no
    variance). The lifts pooled and compared are absolute (variant minus control).
    """
    missing = [column for column in COMPARISON_COLUMNS if column not in comparisons.columns]
    if missing:
        raise ValueError(f"comparisons lack columns {missing}")
    frame = comparisons[list(COMPARISON_COLUMNS)]
    keys = [*HETEROGENEITY_GROUP_COLUMNS, "segment_id"]
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        raise ValueError(
            "comparisons must hold one row per experiment, segmentation, variant and segment; "
            f"repeated: {frame.loc[duplicated, keys].to_dict('records')}"
        )
    rows: list[dict[str, Any]] = []
    for group, cells in frame.sort_values(keys).groupby(
        list(HETEROGENEITY_GROUP_COLUMNS), sort=False
    ):
        suppressed = cells["has_suppressed_arm"].fillna(True).astype(bool)
        for metric in METRICS:
            lifts = cells[f"{metric}_lift_absolute"]
            errors = cells[f"{metric}_lift_standard_error"]
            used = ~suppressed & lifts.notna() & errors.notna() & (errors.fillna(0) > 0)
            result = cochran_q(
                [float(value) for value in lifts[used]], [float(value) for value in errors[used]]
            )
            rows.append(
                {
                    **dict(zip(HETEROGENEITY_GROUP_COLUMNS, group, strict=True)),
                    "metric": metric,
                    "segment_count": len(cells),
                    "used_segment_count": result.effect_count,
                    "suppressed_segment_count": int(suppressed.sum()),
                    "undefined_segment_count": int((~suppressed & ~used).sum()),
                    "pooled_lift_absolute": result.pooled_effect,
                    "pooled_lift_standard_error": result.pooled_standard_error,
                    "cochran_q": result.q,
                    "degrees_of_freedom": result.degrees_of_freedom,
                    "p_value": result.p_value,
                    "i_squared": result.i_squared,
                }
            )
    return pd.DataFrame(rows, columns=list(HETEROGENEITY_COLUMNS)).astype(
        {
            "experiment_name": "string",
            "segmentation": "string",
            "variant": "string",
            "metric": "string",
            "segment_count": "int64",
            "used_segment_count": "int64",
            "suppressed_segment_count": "int64",
            "undefined_segment_count": "int64",
            "pooled_lift_absolute": "Float64",
            "pooled_lift_standard_error": "Float64",
            "cochran_q": "Float64",
            "degrees_of_freedom": "Int64",
            "p_value": "Float64",
            "i_squared": "Float64",
        }
    )
