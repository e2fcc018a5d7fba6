import math

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from segwarehouse.experiments import (
    AGGREGATE_COLUMNS,
    RESULT_COLUMNS,
    ExperimentConfig,
    ExperimentConfigError,
    SampleSummary,
    cochran_q,
    compare_variants,
    two_proportion_z_test,
    welch_t_test,
)

VALID_SETTINGS = {
    "conversion_window_days": 30,
    "min_customers_per_variant": 100,
    "min_conversions_per_variant": 5,
    "confidence_level": 0.95,
    "control_variant": "control",
}


def config(**overrides) -> ExperimentConfig:
    return ExperimentConfig.from_settings(**{**VALID_SETTINGS, **overrides})


def summary_of(values: np.ndarray) -> SampleSummary:
    return SampleSummary.from_sums(len(values), float(values.sum()), float((values**2).sum()))


def revenue_sample(rng: np.random.Generator, n: int, conversion_rate: float, mean: float):
    """Per-customer revenue: 0 for non-converters, a skewed amount for converters."""
    return np.where(rng.random(n) < conversion_rate, rng.lognormal(np.log(mean), 0.8, n), 0.0)


# Config -----------------------------------------------------------------------------------


def test_defaults_are_the_documented_ones():
    assert ExperimentConfig() == config()
    assert ExperimentConfig().confidence_level == 0.95
    assert ExperimentConfig().control_variant == "control"


def test_integers_from_project_vars_arrive_as_text_and_are_parsed():
    assert config(conversion_window_days="14").conversion_window_days == 14
    assert config(confidence_level="0.9").confidence_level == 0.9
    assert config(control_variant=" Control ").control_variant == "control"


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        pytest.param({"conversion_window_days": 0}, "conversion_window_days", id="window-zero"),
        pytest.param({"conversion_window_days": "30d"}, "conversion_window_days", id="window-text"),
        pytest.param({"conversion_window_days": None}, "conversion_window_days", id="window-none"),
        pytest.param({"conversion_window_days": 7.5}, "conversion_window_days", id="window-float"),
        pytest.param(
            {"min_customers_per_variant": 0}, "min_customers_per_variant", id="min-customers-0"
        ),
        pytest.param(
            {"min_customers_per_variant": True}, "min_customers_per_variant", id="min-cust-bool"
        ),
        pytest.param(
            {"min_conversions_per_variant": -1}, "min_conversions_per_variant", id="min-conv-neg"
        ),
        pytest.param({"confidence_level": 1.0}, "confidence_level", id="level-one"),
        pytest.param({"confidence_level": 95}, "confidence_level", id="level-percent"),
        pytest.param({"confidence_level": "high"}, "confidence_level", id="level-text"),
        pytest.param({"confidence_level": float("nan")}, "confidence_level", id="level-nan"),
        pytest.param({"control_variant": ""}, "control_variant", id="control-empty"),
        pytest.param({"control_variant": None}, "control_variant", id="control-none"),
    ],
)
def test_invalid_settings_raise_naming_the_setting(overrides, setting):
    with pytest.raises(ExperimentConfigError, match=f"'{setting}'"):
        config(**overrides)


# Conversion: two-proportion z-test ----------------------------------------------------------


def test_z_test_matches_a_hand_computation():
    # control 200 / 1000 = 0.20, treatment 250 / 1000 = 0.25
    result = two_proportion_z_test(200, 1000, 250, 1000)
    pooled = 450 / 2000
    pooled_se = math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    z = 0.05 / pooled_se
    unpooled_se = math.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000)
    assert result.difference == pytest.approx(0.05)
    assert result.relative_lift == pytest.approx(0.25)
    assert result.statistic == pytest.approx(z)
    assert result.statistic == pytest.approx(2.6774, abs=1e-4)
    # Two-sided normal tail without scipy: P(|Z| > z) = erfc(z / sqrt 2).
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert result.ci_lower == pytest.approx(0.05 - 1.959963984540054 * unpooled_se)
    assert result.ci_upper == pytest.approx(0.05 + 1.959963984540054 * unpooled_se)
    assert result.degrees_of_freedom is None


@pytest.mark.parametrize(
    ("control", "treatment", "level"),
    [
        pytest.param((200, 1000), (250, 1000), 0.95, id="balanced"),
        pytest.param((30, 400), (21, 650), 0.95, id="negative-unbalanced"),
        pytest.param((5, 120), (9, 118), 0.90, id="small-90"),
        pytest.param((480, 5000), (530, 5100), 0.99, id="large-99"),
    ],
)
def test_z_test_matches_scipy_normal_and_the_chi_square_test(control, treatment, level):
    (x1, n1), (x2, n2) = control, treatment
    result = two_proportion_z_test(x1, n1, x2, n2, confidence_level=level)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    z = (p2 - p1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    # The pooled z-test is the chi-square test of the 2x2 table without continuity correction.
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    chi2 = stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(chi2.pvalue)
    assert result.statistic**2 == pytest.approx(chi2.statistic)
    low, high = stats.norm.interval(
        level, loc=p2 - p1, scale=math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    )
    assert (result.ci_lower, result.ci_upper) == pytest.approx((low, high))


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
def test_p_values_and_margins_are_exactly_scipy_stats_s(level):
    """The module calls the scipy.special functions behind scipy.stats's norm, t and chi2
    (not scipy.stats, to keep it from every build's imports): the values are the same to
    the last bit, not merely close."""
    z_test = two_proportion_z_test(30, 400, 21, 650, confidence_level=level)
    assert z_test.p_value == float(2 * stats.norm.sf(abs(z_test.statistic)))
    margin = stats.norm.ppf(1 - (1 - level) / 2) * z_test.standard_error
    assert z_test.ci_upper == z_test.difference + margin
    welch = welch_t_test(SampleSummary(120, 10.0, 4.0), SampleSummary(3000, 9.2, 400.0), level)
    df = welch.degrees_of_freedom
    assert welch.p_value == float(2 * stats.t.sf(abs(welch.statistic), df))
    margin = stats.t.ppf(1 - (1 - level) / 2, df) * welch.standard_error
    assert welch.ci_lower == welch.difference - margin
    heterogeneity = cochran_q([0.01, 0.05, -0.02], [0.02, 0.015, 0.03])
    assert heterogeneity.p_value == float(stats.chi2.sf(heterogeneity.q, 2))


def test_z_test_is_antisymmetric_in_the_arms():
    forward = two_proportion_z_test(30, 400, 21, 650)
    backward = two_proportion_z_test(21, 650, 30, 400)
    assert forward.difference == pytest.approx(-backward.difference)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.ci_lower == pytest.approx(-backward.ci_upper)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            (0, 500, 0, 480),
            {"difference": 0.0, "relative_lift": None, "p_value": None, "ci_lower": None},
            id="no-conversions-anywhere",
        ),
        pytest.param(
            (500, 500, 480, 480),
            {"difference": 0.0, "relative_lift": 0.0, "p_value": None, "ci_lower": None},
            id="everyone-converts",
        ),
        pytest.param(
            (0, 500, 4, 480),
            {"relative_lift": None, "has_p_value": True, "has_ci": True},
            id="no-control-conversions",
        ),
        pytest.param(
            (0, 500, 480, 480),
            {"difference": 1.0, "has_p_value": True, "ci_lower": None},
            id="rates-0-and-1-no-wald-interval",
        ),
        pytest.param(
            (10, 100, 0, 0),
            {"difference": None, "p_value": None, "ci_lower": None},
            id="treatment-arm-empty",
        ),
        pytest.param(
            (0, 0, 10, 100),
            {"difference": None, "p_value": None, "ci_lower": None},
            id="control-arm-empty",
        ),
    ],
)
def test_degenerate_proportions_give_nulls_not_errors(args, expected):
    result = two_proportion_z_test(*args)
    for field in ("difference", "relative_lift", "p_value", "ci_lower"):
        if field in expected:
            assert getattr(result, field) == expected[field], field
    if expected.get("has_p_value"):
        assert 0 <= result.p_value <= 1
    if expected.get("has_ci"):
        assert result.ci_lower < result.ci_upper
    values = [v for v in vars(result).values() if v is not None]
    assert all(math.isfinite(v) for v in values)


def test_z_test_rejects_impossible_counts():
    with pytest.raises(ValueError, match="conversions"):
        two_proportion_z_test(11, 10, 1, 10)
    with pytest.raises(ValueError, match="conversions"):
        two_proportion_z_test(-1, 10, 1, 10)


# Revenue: Welch's t-test -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "treatment"),
    [
        pytest.param((1000, 42.0, 900.0), (1000, 45.0, 1000.0), id="balanced"),
        pytest.param((120, 10.0, 4.0), (3000, 9.2, 400.0), id="unequal-variances"),
        pytest.param((2, 5.0, 2.0), (3, 1.0, 7.0), id="tiny-groups"),
        pytest.param((50, 0.0, 0.0), (60, 3.0, 12.0), id="control-zero-variance"),
    ],
)
def test_welch_matches_scipy_ttest_ind_from_stats(control, treatment):
    (n1, m1, v1), (n2, m2, v2) = control, treatment
    result = welch_t_test(SampleSummary(n1, m1, v1), SampleSummary(n2, m2, v2))
    expected = stats.ttest_ind_from_stats(
        m2, math.sqrt(v2), n2, m1, math.sqrt(v1), n1, equal_var=False
    )
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.difference == pytest.approx(m2 - m1)
    assert result.relative_lift == (pytest.approx((m2 - m1) / m1) if m1 else None)


@pytest.mark.parametrize(
    ("n_control", "n_treatment", "level", "seed"),
    [
        pytest.param(800, 820, 0.95, 1, id="balanced-95"),
        pytest.param(150, 2000, 0.95, 2, id="unbalanced-95"),
        pytest.param(40, 35, 0.90, 3, id="small-90"),
        pytest.param(5000, 5000, 0.99, 4, id="large-99"),
    ],
)
def test_welch_from_sums_matches_scipy_ttest_ind_on_raw_values(n_control, n_treatment, level, seed):
    rng = np.random.default_rng(seed)
    control = revenue_sample(rng, n_control, 0.3, 60.0)
    treatment = revenue_sample(rng, n_treatment, 0.33, 65.0)
    result = welch_t_test(summary_of(control), summary_of(treatment), confidence_level=level)
    expected = stats.ttest_ind(treatment, control, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.degrees_of_freedom == pytest.approx(expected.df, rel=1e-9)
    interval = expected.confidence_interval(confidence_level=level)
    assert result.ci_lower == pytest.approx(interval.low, rel=1e-9)
    assert result.ci_upper == pytest.approx(interval.high, rel=1e-9)
    assert result.difference == pytest.approx(treatment.mean() - control.mean())


def test_moments_from_sums_match_numpy_with_ddof_1():
    values = np.array([0.0, 0.0, 12.5, 40.0, 7.25, 0.0, 99.99])
    summary = summary_of(values)
    assert summary.count == 7
    assert summary.mean == pytest.approx(values.mean())
    assert summary.variance == pytest.approx(values.var(ddof=1))


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(np.zeros(300), id="all-zero"),
        pytest.param(np.full(300, 33.33), id="all-equal-with-rounding-noise"),
        pytest.param(np.full(7, 0.1), id="few-equal"),
    ],
)
def test_constant_values_have_exactly_zero_variance(values):
    assert summary_of(values).variance == 0.0


@pytest.mark.parametrize(
    ("control", "treatment", "expected"),
    [
        pytest.param(
            SampleSummary(300, 0.0, 0.0),
            SampleSummary(280, 0.0, 0.0),
            {"difference": 0.0, "relative_lift": None, "p_value": None, "ci_lower": None},
            id="no-revenue-anywhere",
        ),
        pytest.param(
            SampleSummary(300, 20.0, 0.0),
            SampleSummary(280, 25.0, 0.0),
            {"difference": 5.0, "relative_lift": 0.25, "p_value": None, "ci_lower": None},
            id="zero-variance-both-arms",
        ),
        pytest.param(
            SampleSummary(0, None, None),
            SampleSummary(280, 25.0, 10.0),
            {"difference": None, "relative_lift": None, "p_value": None, "ci_lower": None},
            id="control-arm-empty",
        ),
        pytest.param(
            SampleSummary(1, 10.0, None),
            SampleSummary(280, 25.0, 10.0),
            {"difference": 15.0, "relative_lift": 1.5, "p_value": None, "ci_lower": None},
            id="one-control-customer",
        ),
    ],
)
def test_degenerate_revenue_gives_nulls_not_errors(control, treatment, expected):
    result = welch_t_test(control, treatment)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


def test_empty_and_single_groups_from_sums():
    assert SampleSummary.from_sums(0, 0.0, 0.0) == SampleSummary(0, None, None)
    assert SampleSummary.from_sums(1, 8.0, 64.0) == SampleSummary(1, 8.0, None)


# Coverage of the intervals ------------------------------------------------------------------


def test_conversion_interval_covers_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(20261122)
    true_control, true_treatment, n = 0.10, 0.12, 2000
    replications = 2000
    control = rng.binomial(n, true_control, replications)
    treatment = rng.binomial(n, true_treatment, replications)
    covered = 0
    for x1, x2 in zip(control, treatment, strict=True):
        result = two_proportion_z_test(int(x1), n, int(x2), n)
        covered += result.ci_lower <= true_treatment - true_control <= result.ci_upper
    assert 0.93 <= covered / replications <= 0.97


def test_revenue_interval_covers_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    n_control, n_treatment, replications = 400, 600, 2000
    # Mean of revenue_sample: conversion rate x lognormal mean exp(mu + sigma^2 / 2).
    true_difference = 0.33 * 65.0 * math.exp(0.32) - 0.3 * 60.0 * math.exp(0.32)
    covered = 0
    for _ in range(replications):
        control = revenue_sample(rng, n_control, 0.3, 60.0)
        treatment = revenue_sample(rng, n_treatment, 0.33, 65.0)
        result = welch_t_test(summary_of(control), summary_of(treatment))
        covered += result.ci_lower <= true_difference <= result.ci_upper
    assert 0.93 <= covered / replications <= 0.97


def test_p_values_are_uniform_without_an_effect():
    rng = np.random.default_rng(11)
    p_values = []
    for _ in range(1000):
        x1, x2 = rng.binomial(1500, 0.08, 2)
        p_values.append(two_proportion_z_test(int(x1), 1500, int(x2), 1500).p_value)
    assert 0.03 <= np.mean(np.array(p_values) < 0.05) <= 0.07


# One row per experiment x segmentation x segment x variant ------------------------------------


def aggregates_of(customers: dict[tuple[str, str, int, str], np.ndarray]) -> pd.DataFrame:
    """AGGREGATE_COLUMNS from per-customer revenue arrays keyed by the grain."""
    rows = [
        {
            "experiment_name": experiment,
            "segmentation": segmentation,
            "segment_id": segment_id,
            "variant": variant,
            "customer_count": len(revenue),
            "conversion_count": int((revenue > 0).sum()),
            "revenue_sum": float(revenue.sum()),
            "revenue_sum_squares": float((revenue**2).sum()),
        }
        for (experiment, segmentation, segment_id, variant), revenue in customers.items()
    ]
    return pd.DataFrame(rows, columns=list(AGGREGATE_COLUMNS))


@pytest.fixture
def experiment_cells() -> dict[tuple[str, str, int, str], np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        ("checkout", "kmeans", 1, "control"): revenue_sample(rng, 900, 0.30, 50.0),
        ("checkout", "kmeans", 1, "treatment"): revenue_sample(rng, 910, 0.36, 50.0),
        # too few customers in the treatment arm
        ("checkout", "kmeans", 2, "control"): revenue_sample(rng, 150, 0.30, 50.0),
        ("checkout", "kmeans", 2, "treatment"): revenue_sample(rng, 60, 0.30, 50.0),
        # enough customers, too few conversions in control
        ("checkout", "rfm", 12, "control"): np.r_[np.zeros(300), [20.0, 30.0]],
        ("checkout", "rfm", 12, "treatment"): revenue_sample(rng, 310, 0.05, 40.0),
        # no control row at all
        ("banner", "rfm", 3, "treatment"): revenue_sample(rng, 500, 0.2, 30.0),
    }


def test_results_have_one_row_per_grain_with_documented_columns(experiment_cells):
    results = compare_variants(aggregates_of(experiment_cells), config())
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert len(results) == len(experiment_cells)
    grain = ["experiment_name", "segmentation", "segment_id", "variant"]
    assert not results.duplicated(grain).any()


def test_treatment_rows_carry_the_package_statistics_and_control_rows_none(experiment_cells):
    results = compare_variants(aggregates_of(experiment_cells), config(confidence_level=0.9))
    rows = results.set_index(["experiment_name", "segmentation", "segment_id", "variant"])
    control = experiment_cells[("checkout", "kmeans", 1, "control")]
    treatment = experiment_cells[("checkout", "kmeans", 1, "treatment")]
    row = rows.loc[("checkout", "kmeans", 1, "treatment")]
    conversion = two_proportion_z_test(
        int((control > 0).sum()), len(control), int((treatment > 0).sum()), len(treatment), 0.9
    )
    revenue = welch_t_test(summary_of(control), summary_of(treatment), 0.9)
    assert row["conversion_rate"] == pytest.approx((treatment > 0).mean())
    assert row["revenue_per_customer"] == pytest.approx(treatment.mean())
    assert row["revenue_standard_deviation"] == pytest.approx(treatment.std(ddof=1))
    assert row["conversion_lift_absolute"] == pytest.approx(conversion.difference)
    assert row["conversion_lift_ci_lower"] == pytest.approx(conversion.ci_lower)
    assert row["conversion_p_value"] == pytest.approx(conversion.p_value)
    assert row["revenue_lift_relative"] == pytest.approx(revenue.relative_lift)
    assert row["revenue_lift_ci_upper"] == pytest.approx(revenue.ci_upper)
    assert row["revenue_p_value"] == pytest.approx(revenue.p_value)
    assert row["revenue_degrees_of_freedom"] == pytest.approx(revenue.degrees_of_freedom)
    assert not row["is_sample_too_small"]
    assert row["confidence_level"] == 0.9 and row["conversion_window_days"] == 30
    comparisons = [c for c in RESULT_COLUMNS if "_lift_" in c or c.endswith(("_value", "stic"))]
    controls = results[results["variant"] == "control"]
    assert controls[comparisons].isna().all().all()
    assert controls["is_control"].all()


@pytest.mark.parametrize(
    ("cell", "too_small", "has_comparison"),
    [
        pytest.param(("checkout", "kmeans", 1), False, True, id="large-enough"),
        pytest.param(("checkout", "kmeans", 2), True, True, id="few-customers-flagged"),
        pytest.param(("checkout", "rfm", 12), True, True, id="few-conversions-flagged"),
        pytest.param(("banner", "rfm", 3), True, False, id="no-control"),
    ],
)
def test_small_samples_are_flagged_on_both_rows_but_still_compared(
    experiment_cells, cell, too_small, has_comparison
):
    results = compare_variants(aggregates_of(experiment_cells), config())
    rows = results.set_index(["experiment_name", "segmentation", "segment_id"]).loc[[cell]]
    assert (rows["is_sample_too_small"] == too_small).all()
    treatment = rows[rows["variant"] == "treatment"].iloc[0]
    assert pd.notna(treatment["conversion_p_value"]) == has_comparison
    assert pd.notna(treatment["revenue_p_value"]) == has_comparison


def test_minimums_come_from_config(experiment_cells):
    results = compare_variants(
        aggregates_of(experiment_cells),
        config(min_customers_per_variant=50, min_conversions_per_variant=2),
    )
    flags = results.groupby(["experiment_name", "segmentation", "segment_id"])[
        "is_sample_too_small"
    ].first()
    assert not flags[("checkout", "kmeans", 2)]
    assert not flags[("checkout", "rfm", 12)]


def test_a_configured_control_variant_name_is_used(experiment_cells):
    aggregates = aggregates_of(experiment_cells).replace({"variant": {"control": "baseline"}})
    results = compare_variants(aggregates, config(control_variant="baseline"))
    baseline = results[results["variant"] == "baseline"]
    assert baseline["is_control"].all() and baseline["conversion_p_value"].isna().all()
    treated = results[results["variant"] == "treatment"]
    assert treated["conversion_p_value"].notna().sum() == 3, "all but the one without control"


def test_degenerate_cells_give_nulls_that_reach_duckdb_as_null():
    aggregates = pd.DataFrame(
        [
            ("e", "rfm", 12, "control", 200, 0, 0.0, 0.0),
            ("e", "rfm", 12, "treatment", 210, 0, 0.0, 0.0),
            ("e", "kmeans", 1, "control", 1, 1, 10.0, 100.0),
            ("e", "kmeans", 1, "treatment", 1, 0, 0.0, 0.0),
        ],
        columns=list(AGGREGATE_COLUMNS),
    )
    results = compare_variants(aggregates, config())
    assert results["is_sample_too_small"].all()
    no_conversions = results[(results["segment_id"] == 12) & (results["variant"] == "treatment")]
    assert no_conversions["conversion_lift_absolute"].iloc[0] == 0.0
    assert no_conversions["conversion_p_value"].isna().all()
    assert no_conversions["revenue_lift_ci_lower"].isna().all()
    with duckdb.connect() as connection:
        connection.register("results", results)
        nulls = connection.execute(
            "select count(*) filter (where conversion_p_value is null), "
            "count(*) filter (where isnan(conversion_p_value)), "
            "count(*) filter (where conversion_lift_ci_lower is null) from results"
        ).fetchall()
    # One customer per arm, rates 1 and 0: a z statistic, but no Wald interval.
    assert nulls == [(3, 0, 4)]


def test_no_rows_give_an_empty_frame_with_the_columns():
    results = compare_variants(pd.DataFrame(columns=list(AGGREGATE_COLUMNS)), config())
    assert results.empty and list(results.columns) == list(RESULT_COLUMNS)


def test_bad_aggregates_raise():
    with pytest.raises(ValueError, match="lack columns"):
        compare_variants(pd.DataFrame({"experiment_name": ["e"]}), config())
    repeated = aggregates_of({("e", "rfm", 1, "control"): np.ones(3)})
    with pytest.raises(ValueError, match="one row per"):
        compare_variants(pd.concat([repeated, repeated]), config())
