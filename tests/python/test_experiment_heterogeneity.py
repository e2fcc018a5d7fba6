"""Multiple testing across segments: Benjamini-Hochberg adjusted p-values (SQL, macro
adjust_p_values_benjamini_hochberg) and Cochran's Q of the per-segment lifts
(segwarehouse.experiments), checked against scipy and statsmodels."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from segwarehouse.experiments import (
    COMPARISON_COLUMNS,
    HETEROGENEITY_COLUMNS,
    SampleSummary,
    cochran_q,
    heterogeneity_across_segments,
    two_proportion_z_test,
    welch_t_test,
)

# The standard error behind the intervals ---------------------------------------------------


def test_standard_errors_are_those_of_the_confidence_intervals():
    conversion = two_proportion_z_test(40, 500, 61, 520, confidence_level=0.9)
    z = stats.norm.ppf(0.95)
    assert conversion.ci_upper - conversion.ci_lower == pytest.approx(
        2 * z * conversion.standard_error
    )
    unpooled = math.sqrt(0.08 * 0.92 / 500 + (61 / 520) * (1 - 61 / 520) / 520)
    assert conversion.standard_error == pytest.approx(unpooled)
    revenue = welch_t_test(SampleSummary(300, 20.0, 900.0), SampleSummary(280, 25.0, 1600.0))
    t = stats.t.ppf(0.975, revenue.degrees_of_freedom)
    assert revenue.ci_upper - revenue.ci_lower == pytest.approx(2 * t * revenue.standard_error)
    assert revenue.standard_error == pytest.approx(math.sqrt(900 / 300 + 1600 / 280))


def test_no_standard_error_where_there_is_no_interval():
    assert two_proportion_z_test(0, 500, 0, 480).standard_error is None
    assert (
        welch_t_test(SampleSummary(3, 1.0, 0.0), SampleSummary(3, 2.0, 0.0)).standard_error is None
    )


# Cochran's Q -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effects", "errors"),
    [
        pytest.param([0.10, 0.20, 0.05], [0.01, 0.02, 0.015], id="clearly-different"),
        pytest.param([0.031, 0.029, 0.030, 0.033], [0.01, 0.012, 0.02, 0.015], id="alike"),
        pytest.param([-3.5, 12.0], [4.0, 5.5], id="two-segments-revenue"),
        pytest.param(
            list(np.random.default_rng(7).normal(0.02, 0.01, 12)),
            list(np.random.default_rng(8).uniform(0.005, 0.03, 12)),
            id="twelve-random",
        ),
    ],
)
def test_cochran_q_matches_statsmodels_and_scipy(effects, errors):
    result = cochran_q(effects, errors)
    reference = combine_effects(np.array(effects), np.array(errors) ** 2)
    assert result.effect_count == len(effects)
    assert result.q == pytest.approx(reference.q, rel=1e-12)
    assert result.pooled_effect == pytest.approx(reference.mean_effect_fe, rel=1e-12)
    assert result.pooled_standard_error == pytest.approx(reference.sd_eff_w_fe, rel=1e-12)
    assert result.degrees_of_freedom == len(effects) - 1
    assert result.p_value == pytest.approx(stats.chi2.sf(reference.q, len(effects) - 1))
    assert result.i_squared == pytest.approx(max(0.0, reference.i2))


def test_cochran_q_p_values_are_uniform_when_segments_share_one_effect():
    rng = np.random.default_rng(11)
    errors = np.array([0.01, 0.02, 0.015, 0.03, 0.012])
    p_values = [
        cochran_q(list(0.04 + rng.normal(0, errors)), list(errors)).p_value for _ in range(4000)
    ]
    assert 0.04 <= np.mean(np.array(p_values) < 0.05) <= 0.06
    assert 0.08 <= np.mean(np.array(p_values) < 0.10) <= 0.12


@pytest.mark.parametrize(
    ("effects", "errors", "expected"),
    [
        pytest.param([], [], (0, None, None, None, None, None), id="no-segment"),
        pytest.param([0.2], [0.05], (1, 0.2, 0.05, None, None, None), id="one-segment-no-test"),
        pytest.param([0.2, 0.2, 0.2], [0.05, 0.1, 0.2], (3, 0.2, None, 0.0, 1.0, 0.0), id="equal"),
    ],
)
def test_cochran_q_with_fewer_than_two_segments_or_no_spread(effects, errors, expected):
    result = cochran_q(effects, errors)
    count, pooled, pooled_error, q, p_value, i_squared = expected
    assert result.effect_count == count
    assert result.pooled_effect == (pooled if pooled is None else pytest.approx(pooled))
    if pooled_error is not None:
        assert result.pooled_standard_error == pytest.approx(pooled_error)
    assert result.q == (q if q is None else pytest.approx(q, abs=1e-15))
    assert result.p_value == (p_value if p_value is None else pytest.approx(p_value))
    assert result.i_squared == i_squared


@pytest.mark.parametrize(
    ("effects", "errors", "message"),
    [
        pytest.param([0.1, 0.2], [0.01], "standard errors", id="lengths-differ"),
        pytest.param([0.1, 0.2], [0.01, 0.0], "above 0", id="zero-error"),
        pytest.param([0.1, math.nan], [0.01, 0.02], "finite", id="nan-effect"),
    ],
)
def test_cochran_q_rejects_what_it_cannot_weigh(effects, errors, message):
    with pytest.raises(ValueError, match=message):
        cochran_q(effects, errors)


def comparison_rows(rows: list[tuple]) -> pd.DataFrame:
    """COMPARISON_COLUMNS from (experiment, segment_id, suppressed, conversion lift, se,
    revenue lift, se) of segmentation kmeans and variant treatment."""
    return pd.DataFrame(
        [
            ("e", "kmeans", "treatment", segment, suppressed, c_lift, c_se, r_lift, r_se)
            for (segment, suppressed, c_lift, c_se, r_lift, r_se) in rows
        ],
        columns=list(COMPARISON_COLUMNS),
    )


def test_segments_are_used_counted_as_suppressed_or_undefined_per_metric():
    comparisons = comparison_rows(
        [
            (1, False, 0.02, 0.010, 3.0, 1.5),
            (2, False, 0.05, 0.020, 1.0, 2.0),
            (3, False, 0.01, 0.015, None, None),  # revenue undefined (no variance)
            (4, True, None, None, None, None),  # suppressed arm
            (5, False, 0.00, None, 2.0, 1.0),  # conversion: no standard error
        ]
    )
    result = heterogeneity_across_segments(comparisons)
    assert list(result.columns) == list(HETEROGENEITY_COLUMNS)
    result = result.set_index("metric")
    conversion, revenue = result.loc["conversion"], result.loc["revenue"]
    assert (conversion["segment_count"], conversion["used_segment_count"]) == (5, 3)
    assert (conversion["suppressed_segment_count"], conversion["undefined_segment_count"]) == (1, 1)
    expected = cochran_q([0.02, 0.05, 0.01], [0.010, 0.020, 0.015])
    assert conversion["cochran_q"] == pytest.approx(expected.q)
    assert conversion["p_value"] == pytest.approx(expected.p_value)
    assert conversion["degrees_of_freedom"] == 2
    assert (revenue["used_segment_count"], revenue["undefined_segment_count"]) == (3, 1)
    assert revenue["pooled_lift_absolute"] == pytest.approx(
        cochran_q([3.0, 1.0, 2.0], [1.5, 2.0, 1.0]).pooled_effect
    )


def test_a_group_with_one_usable_segment_has_a_pooled_lift_and_no_test():
    comparisons = comparison_rows(
        [(1, False, 0.02, 0.01, 3.0, 1.5), (2, True, None, None, None, None)]
    )
    result = heterogeneity_across_segments(comparisons)
    assert (result["used_segment_count"] == 1).all()
    assert result["pooled_lift_absolute"].notna().all()
    assert result[["cochran_q", "degrees_of_freedom", "p_value", "i_squared"]].isna().all().all()


def test_heterogeneity_rejects_repeated_segments_and_missing_columns():
    one = comparison_rows([(1, False, 0.02, 0.01, 3.0, 1.5)])
    with pytest.raises(ValueError, match="one row per"):
        heterogeneity_across_segments(pd.concat([one, one]))
    with pytest.raises(ValueError, match="lack columns"):
        heterogeneity_across_segments(one.drop(columns=["has_suppressed_arm"]))


def test_no_comparisons_give_an_empty_frame_with_the_columns():
    result = heterogeneity_across_segments(pd.DataFrame(columns=list(COMPARISON_COLUMNS)))
    assert result.empty and list(result.columns) == list(HETEROGENEITY_COLUMNS)


# On the built test warehouse -------------------------------------------------------------

FAMILY = ["experiment_name", "segmentation", "variant"]


@pytest.mark.parametrize("metric", ["conversion", "revenue"])
def test_adjusted_p_values_in_the_mart_match_scipy_and_statsmodels(warehouse, metric):
    results = warehouse.sql(
        f"select {', '.join(FAMILY)}, segment_id, {metric}_p_value as p,"
        f" {metric}_p_value_adjusted as adjusted from marts.fct_experiment_segment_results"
    ).df()
    published = results[results["p"].notna()]
    assert results.loc[results["p"].isna(), "adjusted"].isna().all()
    families = published.groupby(FAMILY)
    assert families.ngroups >= 6 and (families.size() >= 2).sum() >= 6, "families to check"
    for _, family in families:
        scipy_adjusted = stats.false_discovery_control(family["p"].to_numpy(), method="bh")
        statsmodels_adjusted = multipletests(family["p"].to_numpy(), method="fdr_bh")[1]
        assert family["adjusted"].to_numpy() == pytest.approx(scipy_adjusted, rel=1e-12)
        assert family["adjusted"].to_numpy() == pytest.approx(statsmodels_adjusted, rel=1e-12)
    # The adjustment changed something, so the comparison above is not p == p.
    assert (published["adjusted"] > published["p"] + 1e-9).any()


def test_heterogeneity_mart_matches_statsmodels_on_the_published_segments(warehouse):
    segments = warehouse.sql(
        "select * from intermediate.int_experiment_results_suppressed where not is_control"
    ).df()
    published = warehouse.sql(
        "select experiment_name, segmentation, segment_id, variant, conversion_lift_absolute,"
        " revenue_lift_absolute from marts.fct_experiment_segment_results"
    ).df()
    mart = warehouse.sql("select * from marts.fct_experiment_heterogeneity").df()
    assert len(mart) >= 6 and (mart["used_segment_count"] >= 3).sum() >= 6
    keys = ["experiment_name", "segmentation", "segment_id", "variant"]
    segments = segments.merge(published, on=keys, suffixes=("", "_published"))
    checked = 0
    for row in mart.itertuples():
        group = segments[
            (segments["experiment_name"] == row.experiment_name)
            & (segments["segmentation"] == row.segmentation)
            & (segments["variant"] == row.variant)
        ]
        lifts = group[f"{row.metric}_lift_absolute"]
        errors = group[f"{row.metric}_lift_standard_error"]
        used = lifts.notna() & errors.notna() & (errors > 0)
        # Only lifts the segment mart publishes are pooled.
        assert group.loc[used, f"{row.metric}_lift_absolute_published"].notna().all()
        assert row.segment_count == len(group) and row.used_segment_count == used.sum()
        assert row.suppressed_segment_count == group["has_suppressed_arm"].sum()
        if used.sum() < 2:
            continue
        reference = combine_effects(
            lifts[used].to_numpy(dtype=float), errors[used].to_numpy(dtype=float) ** 2
        )
        assert row.cochran_q == pytest.approx(reference.q, rel=1e-9)
        assert row.pooled_lift_absolute == pytest.approx(reference.mean_effect_fe, rel=1e-9)
        assert row.pooled_lift_standard_error == pytest.approx(reference.sd_eff_w_fe, rel=1e-9)
        assert row.p_value == pytest.approx(stats.chi2.sf(reference.q, used.sum() - 1), rel=1e-9)
        assert row.i_squared == pytest.approx(max(0.0, reference.i2), abs=1e-12)
        checked += 1
    assert checked >= 6
